#!/usr/bin/env node
// The natural way to find S3 permission changes in CloudTrail logs with
// Node.js, as a Node Lambda does it: zlib.gunzipSync + JSON.parse + a filter
// on eventSource, eventName and errorCode (uploads count when they carry an
// ACL header). Prints one eventID per line.
//
// usage: natural.js FILE... | natural.js @LIST (a file naming one log per line)
'use strict';
const fs = require('fs');
const zlib = require('zlib');

const PERMISSION_EVENTS = new Set([
  'PutBucketAcl', 'PutObjectAcl', 'CreateBucket', 'PutBucketPolicy',
  'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock',
  'PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock',
  'PutAccessPointPolicy',
]);
const UPLOAD_EVENTS = new Set(['PutObject', 'CopyObject']);

const hasAclHeader = (params) =>
  Object.keys(params || {}).some((k) => k === 'x-amz-acl' || k.startsWith('x-amz-grant-'));

function* files(args) {
  for (const a of args) {
    if (a.startsWith('@')) {
      for (const line of fs.readFileSync(a.slice(1), 'utf8').split('\n')) {
        if (line.trim()) yield line.trim();
      }
    } else {
      yield a;
    }
  }
}

const out = [];
for (const path of files(process.argv.slice(2))) {
  const doc = JSON.parse(zlib.gunzipSync(fs.readFileSync(path)));
  for (const r of doc.Records) {
    if (r.eventSource !== 's3.amazonaws.com' || r.errorCode) continue;
    const name = r.eventName;
    if (PERMISSION_EVENTS.has(name) || (UPLOAD_EVENTS.has(name) && hasAclHeader(r.requestParameters))) {
      out.push(r.eventID);
    }
  }
}
process.stdout.write(out.map((id) => id + '\n').join(''));
