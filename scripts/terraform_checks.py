#!/usr/bin/env python3
"""Structural tests for the trailwatch Terraform code (issue 5).

    python scripts/terraform_checks.py [terraform-dir]

Parses every .tf file under terraform/ with python-hcl2 7.x (plain dicts,
quotes stripped, blocks as lists) and checks, for every directory of .tf
files (the module and each example):

  parse        every .tf file parses
  variables    every variable has a description and a type; every validation
               has a condition on that variable and an error_message
  outputs      every output has a description
  references   every var.x, local.x, module.x, data.T.N and aws_T.N used in an
               expression is declared in that directory (and module.x.out is an
               output of the called module)
  iam          every IAM policy (aws_iam_policy_document, or jsonencode'd) is
               checkable and its Allow statements grant no "*" action, no
               service-wide "svc:*" action, no "*" resource and no "*"
               principal, except where AWS requires it (see AWS_REQUIRED_STAR)
  module-calls a module call passes only declared variables and every
               required one
  skips        every #checkov:skip carries a check ID and a real reason
  versions     the AWS provider floor is >= 5.100; the module sets no upper
               bound (the examples, as root configurations, may)
  source-conditions
               every aws:SourceAccount / aws:SourceArn / aws:SourceOwner
               condition (and every aws_lambda_permission source_account /
               source_arn) names the owner the service acts for: S3 -> the
               configured trail bucket and its owner
               (local.trail_bucket_account_id), CloudTrail -> the trail and
               its owner (local.trail_account_id: the management account for
               an organization trail), SNS -> the source topic, EventBridge ->
               the module's rule; only the module's own alarms and Batch
               Operations jobs may use the caller's account (local.account_id)
  attach-safety
               attach mode never manages the bucket's notification
               configuration by default (module default and every attach
               example), and every attach example uses a non-clobbering
               event_source
plus, for the module, its conventions and the Lambda contract
(module-contract) and a README whose inputs/outputs table is current
(scripts/terraform_docs.py); for every example, a README and a
terraform.tfvars.example that sets only declared variables and every
required one; and one zip path across all READMEs.

A self-test feeds deliberately broken HCL, in a temporary directory, through
the same checks and asserts each problem is reported: the checker can fail.

Prints one line per test and a final "N passed, M failed"; exits 1 on any
failure.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import tempfile
import textwrap
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import hcl2  # python-hcl2 7.x

# --------------------------------------------------------------------------
# Where AWS requires "*"
# --------------------------------------------------------------------------

#: Actions with no resource-level permissions: AWS accepts only
#: "Resource": "*" for them (Service Authorization Reference, X-Ray).
NO_RESOURCE_LEVEL_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    # Account-level S3 actions (the live check): no resource type.
    "s3:GetAccountPublicAccessBlock",
    "s3:ListAllMyBuckets",
}

AWS_REQUIRED_STAR = """\
Documented exceptions where AWS requires "*":
  1. Key policies (documents used as the policy of an aws_kms_key): in a key
     policy "Resource" must be "*", meaning the key itself; and the AWS default
     statement grants "kms:*" to the account root principal only, delegating
     to IAM policies (without it the key becomes unmanageable).
  2. Actions without resource-level permissions (NO_RESOURCE_LEVEL_ACTIONS,
     e.g. X-Ray PutTraceSegments/PutTelemetryRecords): "Resource": "*" is the
     only accepted value; the statement must hold only such actions.
  3. Key policy statements the module outputs for a key owned by another
     account to paste (aws_iam_policy_document named *_key_policy): the same
     rule as 1, since they become part of a key policy.
"""

#: aws_iam_policy_document names ending so are key-policy snippets (exception 3).
KEY_POLICY_SNIPPET_SUFFIX = "_key_policy"

POLICY_ATTRIBUTES = {"policy", "assume_role_policy"}
PROVIDER_FLOOR = (5, 100)
MODULE_META_ARGS = {"source", "version", "providers", "count", "for_each", "depends_on"}
ROOT_PRINCIPAL = re.compile(r"^arn:(aws[a-z-]*|\$\{[^}]+\}):iam::(\d{12}|\$\{[^}]+\}):root$")

# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


@dataclass
class Dir:
    path: Path
    files: dict[str, str] = field(default_factory=dict)  # name -> raw text
    parsed: dict[str, dict] = field(default_factory=dict)
    parse_errors: list[str] = field(default_factory=list)
    variables: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, object] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    data: dict[tuple[str, str], dict] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)
    terraform: list[dict] = field(default_factory=list)
    where: dict[tuple, str] = field(default_factory=dict)  # block key -> file

    def label(self, root: Path | None = None) -> str:
        try:
            return str(self.path.relative_to(root)) if root else str(self.path)
        except ValueError:
            return str(self.path)


def load_dir(path: Path) -> Dir:
    d = Dir(path=path)
    for f in sorted(path.glob("*.tf")):
        text = f.read_text(encoding="utf-8")
        d.files[f.name] = text
        try:
            parsed = hcl2.loads(text)
        except Exception as e:  # lark raises several error types
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            d.parse_errors.append(f"{f.name}: does not parse: {first}")
            continue
        d.parsed[f.name] = parsed
        for block in parsed.get("variable", []):
            for name, body in block.items():
                d.variables[name] = body or {}
                d.where[("variable", name)] = f.name
        for block in parsed.get("output", []):
            for name, body in block.items():
                d.outputs[name] = body or {}
                d.where[("output", name)] = f.name
        for block in parsed.get("locals", []):
            for name, value in block.items():
                d.locals[name] = value
        for block in parsed.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    d.resources[(rtype, name)] = body or {}
                    d.where[("resource", rtype, name)] = f.name
        for block in parsed.get("data", []):
            for dtype, named in block.items():
                for name, body in named.items():
                    d.data[(dtype, name)] = body or {}
                    d.where[("data", dtype, name)] = f.name
        for block in parsed.get("module", []):
            for name, body in block.items():
                d.modules[name] = body or {}
                d.where[("module", name)] = f.name
        d.terraform.extend(parsed.get("terraform", []))
    return d


def tf_dirs(root: Path) -> list[Path]:
    dirs = sorted({p.parent for p in root.rglob("*.tf") if ".terraform" not in p.parts})
    return dirs


# --------------------------------------------------------------------------
# Expression helpers
# --------------------------------------------------------------------------


def walk_strings(value):
    """Yield every string inside a parsed HCL value (dict keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v)


def interpolations(s: str) -> list[str]:
    """The top-level ${...} spans of a string (brace-balanced)."""
    spans, i = [], 0
    while True:
        start = s.find("${", i)
        if start < 0:
            return spans
        depth, j = 0, start + 1
        while j < len(s):
            c = s[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        spans.append(s[start + 2 : j])
        i = j + 1


REF_PATTERNS = {
    "var": re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)"),
    "local": re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)"),
    "module": re.compile(r"(?<![\w.])module\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?(?:\.([A-Za-z_][\w-]*))?"),
    "data": re.compile(r"(?<![\w.])data\.([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)"),
    "resource": re.compile(r"(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)"),
}


def references(value) -> list[tuple]:
    refs = []
    for s in walk_strings(value):
        for expr in interpolations(s):
            for kind, pat in REF_PATTERNS.items():
                for m in pat.finditer(expr):
                    refs.append((kind,) + tuple(g for g in m.groups()))
    return refs


def is_pure_ref(s: str, prefix: str) -> bool:
    return bool(re.fullmatch(r"\$\{" + re.escape(prefix) + r"[\w.\[\]-]*\}", s))


def policy_doc_ref(value) -> tuple[str, str] | None:
    """`${data.aws_iam_policy_document.NAME[0].json}` -> ("NAME", ...)."""
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([\w-]+)(?:\[[^\]]+\])?\.json\}", value)
    return (m.group(1), value) if m else None


# --------------------------------------------------------------------------
# Checks: each returns a list of problems ("" list = pass)
# --------------------------------------------------------------------------


def check_parse(d: Dir) -> list[str]:
    problems = list(d.parse_errors)
    if not d.files:
        problems.append("no .tf files")
    return problems


def check_variables(d: Dir) -> list[str]:
    problems = []
    for name, body in d.variables.items():
        where = f"{d.where[('variable', name)]}: variable {name!r}"
        desc = body.get("description")
        if not isinstance(desc, str) or not desc.strip():
            problems.append(f"{where} has no description")
        if "type" not in body or body.get("type") in (None, ""):
            problems.append(f"{where} has no type")
        for i, v in enumerate(body.get("validation", []) or []):
            em = v.get("error_message")
            if not isinstance(em, str) or not em.strip():
                problems.append(f"{where}: validation #{i + 1} has no error_message")
            cond = v.get("condition")
            if not isinstance(cond, str) or f"var.{name}" not in cond:
                problems.append(f"{where}: validation #{i + 1} condition does not test var.{name}")
    return problems


def check_outputs(d: Dir) -> list[str]:
    problems = []
    for name, body in d.outputs.items():
        desc = body.get("description")
        if not isinstance(desc, str) or not desc.strip():
            problems.append(f"{d.where[('output', name)]}: output {name!r} has no description")
        if "value" not in body:
            problems.append(f"{d.where[('output', name)]}: output {name!r} has no value")
    return problems


def _called_module_dir(d: Dir, body: dict) -> Path | None:
    src = body.get("source")
    if isinstance(src, str) and (src.startswith("./") or src.startswith("../")):
        return (d.path / src).resolve()
    return None


def check_references(d: Dir) -> list[str]:
    problems = []
    seen = set()
    blocks = []
    for fname, parsed in d.parsed.items():
        for top, content in parsed.items():
            blocks.append((fname, top, content))
    for fname, top, content in blocks:
        for ref in references(content):
            kind = ref[0]
            missing = None
            if kind == "var" and ref[1] not in d.variables:
                missing = f"var.{ref[1]}"
            elif kind == "local" and ref[1] not in d.locals:
                missing = f"local.{ref[1]}"
            elif kind == "data" and (ref[1], ref[2]) not in d.data:
                missing = f"data.{ref[1]}.{ref[2]}"
            elif kind == "resource" and (ref[1], ref[2]) not in d.resources:
                missing = f"{ref[1]}.{ref[2]}"
            elif kind == "module":
                if ref[1] not in d.modules:
                    missing = f"module.{ref[1]}"
                elif ref[2]:
                    target = _called_module_dir(d, d.modules[ref[1]])
                    if target and target.is_dir():
                        outs = load_dir(target).outputs
                        if ref[2] not in outs:
                            missing = f"module.{ref[1]}.{ref[2]} (no such output in {target.name})"
            if missing and (fname, missing) not in seen:
                seen.add((fname, missing))
                problems.append(f"{fname}: reference to undeclared {missing}")
    return problems


def _statements(doc: dict) -> list[dict]:
    out = list(doc.get("statement", []) or [])
    for dyn in doc.get("dynamic", []) or []:
        for block_name, spec in dyn.items():
            if block_name == "statement":
                out.extend(spec.get("content", []) or [])
    return out


def _principal_ids(stmt: dict) -> list[tuple[str, str]]:
    out = []
    for key in ("principals", "not_principals"):
        for p in stmt.get(key, []) or []:
            ids = p.get("identifiers", [])
            for i in ids if isinstance(ids, list) else [ids]:
                out.append((str(p.get("type", "")), str(i)))
    return out


def _as_list(value, what: str, where: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: {what} must be a literal list of strings (got {value!r}), so it can be checked")
        return []
    return value


def check_statement(stmt: dict, where: str, key_policy: bool, problems: list[str]) -> None:
    """Checks one statement in aws_iam_policy_document form (lower-case keys)."""
    effect = stmt.get("effect", "Allow")
    if effect == "Deny":
        return  # a Deny with wildcards only takes away
    sid = stmt.get("sid", "?")
    here = f"{where} statement {sid!r}"
    if stmt.get("not_actions"):
        problems.append(f"{here}: Allow with not_actions grants everything else")
    if stmt.get("not_resources"):
        problems.append(f"{here}: Allow with not_resources grants everything else")
    actions = _as_list(stmt.get("actions"), "actions", here, problems)
    resources = _as_list(stmt.get("resources"), "resources", here, problems)
    principals = _principal_ids(stmt)
    if not actions:
        problems.append(f"{here}: no actions")
    for a in actions:
        if is_pure_ref(a, "var."):
            problems.append(f"{here}: action {a} comes straight from a variable and cannot be checked")
    for t, i in principals:
        if i == "*":
            problems.append(f"{here}: Allow to principal {t} \"*\" (anyone)")
    root_only = bool(principals) and all(t == "AWS" and ROOT_PRINCIPAL.match(i) for t, i in principals)
    for a in actions:
        if a == "*":
            problems.append(f"{here}: grants action \"*\"")
        elif a.endswith(":*"):
            if not (key_policy and a == "kms:*" and root_only):
                problems.append(f"{here}: grants every action of a service ({a})")
    trust = actions and all(a.startswith("sts:AssumeRole") or a in ("sts:TagSession", "sts:SetSourceIdentity") for a in actions)
    if not resources and not trust and not key_policy:
        problems.append(f"{here}: no resources (an identity or resource policy statement must name them)")
    for r in resources:
        if is_pure_ref(r, "var."):
            problems.append(f"{here}: resource {r} comes straight from a variable and cannot be checked")
        if r == "*" or r == "arn:aws:*" or re.fullmatch(r"arn:[^:]*:\*(:\*)*", r):
            if key_policy:
                continue
            if actions and all(a in NO_RESOURCE_LEVEL_ACTIONS for a in actions):
                continue
            problems.append(f"{here}: grants resource \"*\" for {', '.join(actions) or 'its actions'}")


def _jsonencode_policy(value: str):
    """Best-effort: the object inside ${jsonencode({...})} as python data."""
    m = re.fullmatch(r"\$\{jsonencode\((.*)\)\}", value, flags=re.S)
    if not m:
        return None
    body = m.group(1)
    body = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", body)))
    try:
        return ast.literal_eval(body)
    except (ValueError, SyntaxError):
        return None


def _json_statement_to_doc_form(s: dict) -> dict:
    def lst(v):
        return v if isinstance(v, list) else ([] if v is None else [v])

    out = {"sid": s.get("Sid", "?"), "effect": s.get("Effect", "Allow")}
    if "Action" in s:
        out["actions"] = lst(s["Action"])
    if "NotAction" in s:
        out["not_actions"] = lst(s["NotAction"])
    if "Resource" in s:
        out["resources"] = lst(s["Resource"])
    if "NotResource" in s:
        out["not_resources"] = lst(s["NotResource"])
    principals = []
    p = s.get("Principal")
    if p == "*":
        principals.append({"type": "*", "identifiers": ["*"]})
    elif isinstance(p, dict):
        for t, ids in p.items():
            principals.append({"type": t, "identifiers": lst(ids)})
    if principals:
        out["principals"] = principals
    return out


def check_iam(d: Dir) -> list[str]:
    problems = []
    key_policy_docs = set()
    # Every policy attribute must be checkable: an aws_iam_policy_document
    # reference or a jsonencode'd literal.
    for (rtype, name), body in d.resources.items():
        where = f"{d.where[('resource', rtype, name)]}: {rtype}.{name}"
        if rtype == "aws_iam_role" and body.get("inline_policy"):
            problems.append(f"{where}: inline_policy blocks are not checked; use aws_iam_role_policy with an aws_iam_policy_document")
        if rtype in ("aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
            arn = str(body.get("policy_arn", ""))
            if ":iam::aws:policy/" in arn:
                problems.append(f"{where}: attaches AWS managed policy {arn}, whose statements cannot be checked here")
        for attr in POLICY_ATTRIBUTES:
            if attr not in body:
                continue
            value = body[attr]
            ref = policy_doc_ref(value)
            if ref:
                if ("aws_iam_policy_document", ref[0]) not in d.data:
                    problems.append(f"{where}: {attr} references undeclared data.aws_iam_policy_document.{ref[0]}")
                if rtype == "aws_kms_key":
                    key_policy_docs.add(ref[0])
                continue
            doc = _jsonencode_policy(value) if isinstance(value, str) else None
            if doc is None:
                problems.append(f"{where}: {attr} is neither a data.aws_iam_policy_document reference nor a literal jsonencode() policy, so it cannot be checked")
                continue
            stmts = doc.get("Statement", [])
            for s in stmts if isinstance(stmts, list) else [stmts]:
                check_statement(_json_statement_to_doc_form(s), where, rtype == "aws_kms_key", problems)
    for (dtype, name), body in d.data.items():
        if dtype != "aws_iam_policy_document":
            continue
        where = f"{d.where[('data', dtype, name)]}: data.aws_iam_policy_document.{name}"
        for extra in ("source_policy_documents", "override_policy_documents", "source_json", "override_json"):
            if extra in body:
                problems.append(f"{where}: {extra} merges statements this check cannot see")
        stmts = _statements(body)
        if not stmts:
            problems.append(f"{where}: no statements")
        for stmt in stmts:
            check_statement(stmt, where, name in key_policy_docs or name.endswith(KEY_POLICY_SNIPPET_SUFFIX), problems)
    return problems


def check_module_calls(d: Dir) -> list[str]:
    problems = []
    for name, body in d.modules.items():
        where = f"{d.where[('module', name)]}: module {name!r}"
        target = _called_module_dir(d, body)
        if target is None:
            continue  # registry module: not ours to check
        if not target.is_dir():
            problems.append(f"{where}: source {body.get('source')!r} is not a directory")
            continue
        mod = load_dir(target)
        for arg in body:
            if arg in MODULE_META_ARGS:
                continue
            if arg not in mod.variables:
                problems.append(f"{where}: passes {arg!r}, which {target.name} does not declare")
        for var, vbody in mod.variables.items():
            if "default" not in vbody and var not in body:
                problems.append(f"{where}: does not pass required variable {var!r}")
    return problems


SKIP_RE = re.compile(r"#\s*checkov:skip=([^\s:]*)(?::(.*))?")


def check_skips(d: Dir) -> list[str]:
    problems = []
    for fname, text in d.files.items():
        for lineno, line in enumerate(text.splitlines(), 1):
            m = SKIP_RE.search(line)
            if not m:
                continue
            check_id, reason = m.group(1), (m.group(2) or "").strip()
            if not re.fullmatch(r"CKV2?_AWS_\d+", check_id):
                problems.append(f"{fname}:{lineno}: checkov skip {check_id!r} is not a check ID")
            if len(reason) < 40 or len(reason.split()) < 6:
                problems.append(f"{fname}:{lineno}: checkov skip {check_id} has no real reason ({reason!r})")
    return problems


def check_versions(d: Dir) -> list[str]:
    problems = []
    req_version, aws_version = None, None
    for t in d.terraform:
        req_version = t.get("required_version", req_version)
        for rp in t.get("required_providers", []) or []:
            aws = rp.get("aws")
            if isinstance(aws, dict):
                aws_version = aws.get("version")
    if not req_version:
        problems.append("terraform.required_version is not set")
    if not aws_version:
        problems.append("required_providers.aws.version is not set")
        return problems
    floor = re.search(r">=\s*(\d+)\.(\d+)", aws_version)
    if not floor or (int(floor.group(1)), int(floor.group(2))) < PROVIDER_FLOOR:
        problems.append(f"aws provider constraint {aws_version!r} needs a lower bound of at least >= {PROVIDER_FLOOR[0]}.{PROVIDER_FLOOR[1]} (past the 5.86.x lifecycle regression)")
    upper = "<" in aws_version.replace("<=", "<").replace(">=", "")
    if d.path.parent.name != "examples" and upper:
        problems.append(f"aws provider constraint {aws_version!r}: a reusable module sets no upper bound (the root configuration pins the newest)")
    return problems


# --------------------------------------------------------------------------
# The module's contract (issue 5 and the Lambda's facts)
# --------------------------------------------------------------------------


def _one(d: Dir, rtype: str, name: str, problems: list[str]) -> dict:
    body = d.resources.get((rtype, name))
    if body is None:
        problems.append(f"missing resource {rtype}.{name}")
        return {}
    return body


def check_module_contract(d: Dir) -> list[str]:
    p: list[str] = []
    for f in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        if not (d.path / f).is_file():
            p.append(f"module has no {f}")
    fn = _one(d, "aws_lambda_function", "this", p)
    if fn:
        if fn.get("runtime") != "provided.al2023":
            p.append(f"function runtime is {fn.get('runtime')!r}, not provided.al2023")
        if fn.get("handler") != "bootstrap":
            p.append("function handler is not bootstrap")
        if "filebase64sha256(var.lambda_zip_path)" not in str(fn.get("source_code_hash")):
            p.append("source_code_hash does not hash var.lambda_zip_path (filebase64sha256)")
        if fn.get("filename") != "${var.lambda_zip_path}":
            p.append("filename is not var.lambda_zip_path")
        if fn.get("architectures") != ["${var.architecture}"]:
            p.append("architectures is not [var.architecture]")
    if d.variables.get("architecture", {}).get("default") != "arm64":
        p.append("architecture does not default to arm64")
    env = str(d.locals.get("function_environment", ""))
    for k in ("SNS_TOPIC_ARN", "TRAILWATCH_CONFIG", "TRAILWATCH_MAX_DECOMPRESSED_BYTES", "TRAILWATCH_ALLOWED_BUCKETS", "TRAILWATCH_METRICS_NAMESPACE", "RUST_LOG"):
        if k not in env:
            p.append(f"function environment lacks {k}")
    esm = _one(d, "aws_lambda_event_source_mapping", "events", p)
    if esm and esm.get("function_response_types") != ["ReportBatchItemFailures"]:
        p.append("event source mapping does not set function_response_types = [\"ReportBatchItemFailures\"]")
    notif = _one(d, "aws_s3_bucket_notification", "trail", p)
    for dyn in notif.get("dynamic", []) if notif else []:
        for kind, spec in dyn.items():
            for content in spec.get("content", []):
                if content.get("filter_suffix") != ".json.gz":
                    p.append(f"notification {kind} filter_suffix is not .json.gz")
                if content.get("filter_prefix") != "${local.logs_key_prefix}":
                    p.append(f"notification {kind} filter_prefix is not local.logs_key_prefix")
    if not str(d.locals.get("logs_key_prefix", "")).endswith("AWSLogs/"):
        p.append("local.logs_key_prefix does not end with AWSLogs/")
    trail = _one(d, "aws_cloudtrail", "this", p)
    if trail:
        for attr in ("is_multi_region_trail", "enable_log_file_validation", "include_global_service_events"):
            if trail.get(attr) is not True:
                p.append(f"trail does not set {attr} = true")
    bpa = _one(d, "aws_s3_bucket_public_access_block", "trail", p)
    for attr in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        if bpa and bpa.get(attr) is not True:
            p.append(f"trail bucket public access block does not set {attr} = true")
    topic = _one(d, "aws_sns_topic", "alerts", p)
    if topic and not topic.get("kms_master_key_id"):
        p.append("alert topic is not KMS-encrypted")
    # The module's size cap is the binary's own default (Limits::default in
    # crates/trailwatch-core/src/scan.rs): a lower one reports a busy
    # account's large log file as unreadable instead of scanning it.
    binary_cap = _binary_default_cap(d.path)
    module_cap = d.variables.get("max_decompressed_bytes", {}).get("default")
    if binary_cap is None:
        p.append("cannot find max_decompressed_bytes in Limits::default (crates/trailwatch-core/src/scan.rs)")
    elif module_cap != binary_cap:
        p.append(f"max_decompressed_bytes defaults to {module_cap}, not the binary's {binary_cap}")
    # Least privilege: the function reads only <bucket>/<prefix>AWSLogs/*/CloudTrail/*.
    if d.locals.get("log_files_arn") != "${local.trail_bucket_arn}/${local.logs_key_prefix}*/CloudTrail/*":
        p.append(f"local.log_files_arn is {d.locals.get('log_files_arn')!r}, not <bucket>/<prefix>AWSLogs/*/CloudTrail/*")
    doc = d.data.get(("aws_iam_policy_document", "function"), {})
    reads = [s for s in _statements(doc) if "s3:GetObject" in (s.get("actions") or [])]
    for s in reads:
        for r in s.get("resources", []):
            if r not in ("${local.log_files_arn}", "${statement.value}"):
                p.append(f"function role reads {r}, outside <bucket>/<prefix>AWSLogs/*/CloudTrail/*")
    # The map step: the function writes S3 objects only under changes_prefix
    # (WriteChangesObjects, on local.changes_objects_arn, `<bucket>/<prefix>*`).
    for s in _statements(doc):
        if "s3:PutObject" in (s.get("actions") or []) and (s.get("sid"), s.get("resources")) != ("WriteChangesObjects", ["${statement.value}"]):
            p.append(f"function role writes S3 objects in statement {s.get('sid')!r}, not only WriteChangesObjects under changes_prefix")
    if not str(d.locals.get("changes_objects_arn", "")).endswith('[1]}*" : null}'):
        p.append(f"local.changes_objects_arn is {d.locals.get('changes_objects_arn')!r}, not <bucket>/<prefix>* (or null)")
    if "TRAILWATCH_CHANGES_PREFIX" not in env:
        p.append("function environment lacks TRAILWATCH_CHANGES_PREFIX")
    # The trail ARN carries the trail owner (management account for an
    # organization trail), never simply the caller.
    if "${local.trail_account_id}" not in str(d.locals.get("trail_arn", "")):
        p.append("local.trail_arn is not built with local.trail_account_id")
    if "master_account_id" not in str(d.locals.get("trail_account_id", "")):
        p.append("local.trail_account_id does not use the organization's management account ID")
    alarms = {n: b for (t, n), b in d.resources.items() if t == "aws_cloudwatch_metric_alarm"}
    for a in ("function_errors", "function_throttles", "dlq_not_empty", "no_log_files", "log_files_failed", "queue_message_age", "async_events_dropped"):
        if a not in alarms:
            p.append(f"missing alarm {a}")
    expect_metric = {
        "no_log_files": ("${var.metrics_namespace}", "LogFilesScanned", "breaching"),
        "log_files_failed": ("${var.metrics_namespace}", "LogFilesFailed", "notBreaching"),
        "queue_message_age": ("AWS/SQS", "ApproximateAgeOfOldestMessage", "notBreaching"),
        "async_events_dropped": ("AWS/Lambda", "AsyncEventsDropped", "notBreaching"),
    }
    for a, (ns, metric, missing) in expect_metric.items():
        b = alarms.get(a)
        if b and (b.get("namespace"), b.get("metric_name"), b.get("treat_missing_data")) != (ns, metric, missing):
            p.append(f"alarm {a} must watch {ns} {metric} with treat_missing_data = {missing}")
    for a, b in alarms.items():
        if b.get("alarm_actions") != "${local.alarm_actions}":
            p.append(f"alarm {a} does not notify local.alarm_actions (alarm_topic_arn or the alert topic)")
    invoke = d.resources.get(("aws_lambda_function_event_invoke_config", "this"), {})
    if not invoke.get("destination_config"):
        p.append("aws_lambda_function_event_invoke_config.this has no on-failure destination")
    # Every path that never touches the bucket.
    rule = d.resources.get(("aws_cloudwatch_event_rule", "log_files"), {})
    if not ("aws.s3" in str(rule.get("event_pattern")) and "Object Created" in str(rule.get("event_pattern"))):
        p.append("missing EventBridge rule aws_cloudwatch_event_rule.log_files on aws.s3 Object Created")
    sub = d.resources.get(("aws_sns_topic_subscription", "log_deliveries"), {})
    if sub.get("raw_message_delivery") is not True or sub.get("protocol") != "sqs":
        p.append("aws_sns_topic_subscription.log_deliveries must subscribe the queue with raw_message_delivery = true")
    trail = d.resources.get(("aws_cloudtrail", "this"), {})
    if "log_deliveries" not in str(trail.get("sns_topic_name")):
        p.append("the trail does not set its SNS topic (sns_topic_name) for event_source = cloudtrail_sns")
    # The archive unit survives terraform destroy.
    for rtype in ARCHIVE_UNIT:
        b = d.resources.get((rtype, "trail"))
        lc = (b or {}).get("lifecycle", [{}])
        lc = lc[0] if isinstance(lc, list) and lc else lc
        if not b or not isinstance(lc, dict) or lc.get("prevent_destroy") is not True:
            p.append(f"{rtype}.trail (archive unit) does not set lifecycle prevent_destroy = true")
    bucket = d.resources.get(("aws_s3_bucket", "trail"), {})
    if "${aws_kms_key.trail}" not in (bucket.get("depends_on") or []):
        p.append("aws_s3_bucket.trail does not depend on aws_kms_key.trail explicitly (destroy could remove the key first)")
    return p


def _binary_default_cap(module_dir: Path) -> int | None:
    for parent in module_dir.resolve().parents:
        scan = parent / "crates" / "trailwatch-core" / "src" / "scan.rs"
        if scan.is_file():
            text = scan.read_text(encoding="utf-8")
            block = text[text.find("impl Default for Limits") :]
            m = re.search(r"max_decompressed_bytes:\s*(\d+)\s*<<\s*(\d+)", block)
            if m:
                return int(m.group(1)) << int(m.group(2))
            m = re.search(r"max_decompressed_bytes:\s*([\d_]+)", block)
            return int(m.group(1).replace("_", "")) if m else None
    return None


#: The archive unit of create mode: the bucket, what keeps it private and
#: intact, and the trail key; all with prevent_destroy.
ARCHIVE_UNIT = (
    "aws_s3_bucket",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_policy",
    "aws_kms_key",
)


# --------------------------------------------------------------------------
# Source conditions: whom the service acts for (issue 16)
# --------------------------------------------------------------------------

#: For each service principal, the only values its aws:Source* conditions may
#: take. S3 notifications come from the trail bucket's owner, which is not the
#: caller in a cross-account layout; CloudTrail acts for the trail's owner,
#: which is the management account for an organization trail even when a
#: delegated administrator applies the module. Only the module's own alarms
#: and Batch Operations jobs are the caller's.
SOURCE_CONDITION_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceowner")
ALLOWED_SOURCES = {
    "s3.amazonaws.com": {
        "aws:sourceaccount": {"${local.trail_bucket_account_id}"},
        "aws:sourceowner": {"${local.trail_bucket_account_id}"},
        "aws:sourcearn": {"${local.trail_bucket_arn}"},
    },
    "cloudtrail.amazonaws.com": {
        "aws:sourceaccount": {"${local.trail_account_id}"},
        "aws:sourcearn": {"${local.trail_arn}"},
    },
    "sns.amazonaws.com": {
        "aws:sourcearn": {"${local.source_topic_arn}"},
    },
    "events.amazonaws.com": {
        # The module's log-file rule; examples/security-tooling's rule that
        # routes critical findings to its second topic.
        "aws:sourcearn": {
            "${aws_cloudwatch_event_rule.log_files[0].arn}",
            "${aws_cloudwatch_event_rule.critical.arn}",
        },
    },
    "cloudwatch.amazonaws.com": {
        "aws:sourceaccount": {"${local.account_id}"},
        "aws:sourcearn": {"arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"},
    },
    "batchoperations.s3.amazonaws.com": {
        "aws:sourceaccount": {"${local.account_id}"},
    },
}


def check_confirm_role(d: Dir) -> list[str]:
    """The live check's member-account role (issue 13): trusts one role with
    an external ID, allows only the read-only exposure reads, never object data."""
    p: list[str] = []
    for f in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        if not (d.path / f).is_file():
            p.append(f"module has no {f}")
    trust = d.data.get(("aws_iam_policy_document", "trust"), {})
    stmts = trust.get("statement", [])
    if len(stmts) != 1:
        p.append("the trust policy must hold exactly one statement")
    for st in stmts:
        ids = [i for pr in st.get("principals", []) for i in pr.get("identifiers", [])]
        if ids != ["${var.trusted_role_arn}"]:
            p.append(f"the trust policy trusts {ids}, not var.trusted_role_arn alone")
        conds = st.get("condition", [])
        if not any(c.get("variable") == "sts:ExternalId" and c.get("test") == "StringEquals" for c in conds):
            p.append("the trust policy does not require sts:ExternalId (StringEquals)")
    allowed = {
        "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls", "s3:GetBucketPolicyStatus",
        "s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets",
    }
    read = d.data.get(("aws_iam_policy_document", "read"), {})
    granted = set()
    for st in read.get("statement", []):
        if st.get("effect", "Allow") == "Allow":
            granted.update(st.get("actions", []))
    if granted != allowed:
        p.append(f"the role allows {sorted(granted)}, not exactly the live check's reads {sorted(allowed)}")
    return p


def check_source_conditions(d: Dir) -> list[str]:
    problems = []
    for (dtype, name), body in d.data.items():
        if dtype != "aws_iam_policy_document":
            continue
        for stmt in _statements(body):
            where = f"{d.where[('data', dtype, name)]}: data.aws_iam_policy_document.{name} statement {stmt.get('sid', '?')!r}"
            services = [i for t, i in _principal_ids(stmt) if t == "Service"]
            for cond in stmt.get("condition", []) or []:
                key = str(cond.get("variable", "")).lower()
                if key not in SOURCE_CONDITION_KEYS:
                    continue
                values = cond.get("values", [])
                values = values if isinstance(values, list) else [values]
                if not services:
                    problems.append(f"{where}: {cond.get('variable')} condition without a service principal to check it against")
                for svc in services:
                    allowed = ALLOWED_SOURCES.get(svc, {}).get(key)
                    if allowed is None:
                        problems.append(f"{where}: {cond.get('variable')} for {svc}, which has no documented owner (add it to ALLOWED_SOURCES with the reason)")
                        continue
                    for v in values:
                        if v not in allowed:
                            problems.append(f"{where}: {cond.get('variable')} = {v!r} for {svc}; it must be one of {sorted(allowed)} (the configured bucket or trail owner)")
    for (rtype, name), body in d.resources.items():
        if rtype != "aws_lambda_permission":
            continue
        where = f"{d.where[('resource', rtype, name)]}: aws_lambda_permission.{name}"
        svc = body.get("principal")
        allowed = ALLOWED_SOURCES.get(svc if isinstance(svc, str) else "", {})
        for attr, key in (("source_account", "aws:sourceaccount"), ("source_arn", "aws:sourcearn")):
            if attr not in body:
                problems.append(f"{where}: no {attr} (any {svc} resource could invoke)")
            elif body[attr] not in allowed.get(key, set()):
                problems.append(f"{where}: {attr} = {body[attr]!r}; it must be one of {sorted(allowed.get(key, set()))}")
    return problems


# --------------------------------------------------------------------------
# Attach mode never replaces the bucket's notification configuration by
# default (issue 16, blocker)
# --------------------------------------------------------------------------

NON_CLOBBERING_SOURCES = {"eventbridge", "sns", "cloudtrail_sns"}


def check_attach_safety(d: Dir) -> list[str]:
    problems = []
    # The module: the variable, the local that resolves it, and the resource.
    if "manage_bucket_notification" in d.variables:
        var = d.variables["manage_bucket_notification"]
        default = var.get("default", "<required>")
        if default is True:
            problems.append("variable manage_bucket_notification defaults to true: attach mode would replace the trail bucket's whole notification configuration by default")
        elif default is None:
            local = str(d.locals.get("manage_bucket_notification", ""))
            m = re.search(r"var\.manage_bucket_notification\s*==\s*null\s*\?\s*(.+?)\s*:\s*var\.manage_bucket_notification", local)
            if not m:
                problems.append("local.manage_bucket_notification must resolve a null var.manage_bucket_notification as `var.manage_bucket_notification == null ? <create-mode-only> : var.manage_bucket_notification`")
            elif "local.create" not in m.group(1) or re.search(r"\btrue\b|local\.attach", m.group(1), re.I):
                problems.append(f"a null manage_bucket_notification resolves to {m.group(1)!r}: it must be true only in create mode (local.create)")
        elif default is not False:
            problems.append(f"variable manage_bucket_notification default {default!r} is neither null nor false")
        notif = d.resources.get(("aws_s3_bucket_notification", "trail"))
        if notif is not None and notif.get("count") != "${local.manage_bucket_notification ? 1 : 0}":
            problems.append(f"aws_s3_bucket_notification.trail count is {notif.get('count')!r}, not local.manage_bucket_notification ? 1 : 0")
        if d.variables.get("enable_bucket_eventbridge", {}).get("default", False) is not False:
            problems.append("variable enable_bucket_eventbridge must default to false (it is stored in the bucket's notification configuration)")
        desc = str(var.get("description", "")).lower()
        for words in ("replaces all", "destroy"):
            if words not in desc:
                problems.append(f"variable manage_bucket_notification's description does not say {words!r} (what managing it means)")
    # The examples: every attach-mode module call.
    for name, body in d.modules.items():
        target = _called_module_dir(d, body)
        if target is None or not target.is_dir():
            continue
        mod = load_dir(target)
        if "manage_bucket_notification" not in mod.variables:
            continue

        def resolved(arg):
            if arg not in body:
                return mod.variables.get(arg, {}).get("default")
            value = body[arg]
            m = re.fullmatch(r"\$\{var\.([\w-]+)\}", value) if isinstance(value, str) else None
            if m:
                return d.variables.get(m.group(1), {}).get("default", "<required>")
            return value

        mode = resolved("mode")
        if mode != "attach":
            continue
        where = f"{d.where[('module', name)]}: module {name!r} (attach mode)"
        for arg in ("manage_bucket_notification", "enable_bucket_eventbridge"):
            if resolved(arg) not in (None, False):
                problems.append(f"{where}: {arg} resolves to {resolved(arg)!r} by default; an attach example must not touch the bucket's notification configuration unless asked")
        source = resolved("event_source")
        if source not in NON_CLOBBERING_SOURCES:
            problems.append(f"{where}: event_source resolves to {source!r}; an attach example uses one of {sorted(NON_CLOBBERING_SOURCES)} by default")
    return problems


# --------------------------------------------------------------------------
# Examples: terraform.tfvars.example; READMEs: one zip path
# --------------------------------------------------------------------------


def check_tfvars_example(d: Dir) -> list[str]:
    f = d.path / "terraform.tfvars.example"
    if not f.is_file():
        return ["example has no terraform.tfvars.example"]
    try:
        values = hcl2.loads(f.read_text(encoding="utf-8"))
    except Exception as e:  # lark raises several error types
        return [f"terraform.tfvars.example does not parse: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"]
    problems = [f"terraform.tfvars.example sets {k!r}, which the example does not declare" for k in values if k not in d.variables]
    problems += [f"terraform.tfvars.example does not set required variable {k!r}" for k, v in d.variables.items() if "default" not in v and k not in values]
    return problems


ZIP_PATH = re.compile(r"[\w./-]*\.zip\b")
ALLOWED_ZIP_PATHS = re.compile(r"^(\.\./)*(dist/trailwatch-lambda-(arm64|x86_64)\.zip|target/lambda/bootstrap/bootstrap\.zip)$")


def check_zip_paths(root: Path) -> list[str]:
    problems = []
    files = [root.parent / "README.md", root / "README.md"] + sorted(root.rglob("README.md")) + sorted(root.rglob("terraform.tfvars.example")) + sorted(root.rglob("*.tf"))
    for f in dict.fromkeys(files):
        if not f.is_file() or ".terraform" in f.parts:
            continue
        for m in ZIP_PATH.finditer(f.read_text(encoding="utf-8")):
            path = m.group(0)
            if path == ".zip":  # a regex or a suffix, not a path
                continue
            if not ALLOWED_ZIP_PATHS.match(path):
                problems.append(f"{f.relative_to(root.parent)}: zip path {path!r}; use dist/trailwatch-lambda-arm64.zip (or -x86_64.zip), the one path every README uses")
    return problems


def check_module_readme_table(d: Dir) -> list[str]:
    import terraform_docs  # scripts/terraform_docs.py, next to this file

    readme = d.path / "README.md"
    if not readme.is_file():
        return ["module has no README.md"]
    text = readme.read_text(encoding="utf-8")
    try:
        current = terraform_docs.section(text)
    except ValueError as e:
        return [str(e)]
    wanted = terraform_docs.render(d.path)
    if current.strip() != wanted.strip():
        return ["the inputs/outputs table in README.md is not current: run `.venv-tf-hcl2/bin/python scripts/terraform_docs.py`"]
    return []


CHECKS = [
    ("parse", check_parse),
    ("variables", check_variables),
    ("outputs", check_outputs),
    ("references", check_references),
    ("iam", check_iam),
    ("module-calls", check_module_calls),
    ("skips", check_skips),
    ("versions", check_versions),
    ("source-conditions", check_source_conditions),
    ("attach-safety", check_attach_safety),
]

# --------------------------------------------------------------------------
# Self-test: the checks must catch deliberately broken HCL
# --------------------------------------------------------------------------

BROKEN_MODULE = {
    "main.tf": """
        variable "no_description" {
          type = string
        }

        variable "no_type" {
          description = "A variable without a type."
        }

        variable "bad_validation" {
          description = "Validation without an error message."
          type        = number
          validation {
            condition = var.bad_validation > 0
          }
        }

        locals {
          known = "x"
        }

        resource "aws_s3_bucket" "b" {
          #checkov:skip=CKV_AWS_18:because
          bucket = "${var.undeclared_var}-${local.undeclared_local}"
        }

        resource "aws_sns_topic" "t" {
          name = aws_s3_bucket.missing.id
          kms_master_key_id = data.aws_kms_key.missing.arn
        }

        data "aws_iam_policy_document" "too_wide" {
          statement {
            sid       = "StarAction"
            actions   = ["*"]
            resources = [aws_s3_bucket.b.arn]
          }
          statement {
            sid       = "StarResource"
            actions   = ["s3:GetObject"]
            resources = ["*"]
          }
          statement {
            sid       = "ServiceWide"
            actions   = ["s3:*"]
            resources = [aws_s3_bucket.b.arn]
          }
          statement {
            sid       = "Public"
            actions   = ["s3:GetObject"]
            resources = ["${aws_s3_bucket.b.arn}/*"]
            principals {
              type        = "AWS"
              identifiers = ["*"]
            }
          }
          dynamic "statement" {
            for_each = [1]
            content {
              sid       = "DynamicStar"
              actions   = ["sqs:SendMessage"]
              resources = ["*"]
            }
          }
        }

        resource "aws_iam_role_policy" "json" {
          role = "r"
          policy = jsonencode({
            Version = "2012-10-17"
            Statement = [{
              Sid      = "JsonStar"
              Effect   = "Allow"
              Action   = "*"
              Resource = "*"
            }]
          })
        }

        resource "aws_iam_role_policy" "opaque" {
          role   = "r"
          policy = var.no_description
        }

        output "no_desc" {
          value = local.known
        }
    """,
}

BROKEN_EXAMPLE = {
    "main.tf": """
        module "m" {
          source        = "../mod"
          no_type       = "x"
          not_a_var     = "y"
        }

        output "o" {
          description = "An output of a module that has no such output."
          value       = module.m.nothing
        }
    """,
}

GOOD_MODULE = {
    "main.tf": """
        terraform {
          required_version = ">= 1.5"
          required_providers {
            aws = {
              source  = "hashicorp/aws"
              version = ">= 5.100"
            }
          }
        }

        variable "name" {
          description = "Name."
          type        = string
          validation {
            condition     = length(var.name) > 0
            error_message = "name must not be empty."
          }
        }

        resource "aws_kms_key" "k" {
          policy = data.aws_iam_policy_document.key.json
        }

        data "aws_iam_policy_document" "key" {
          statement {
            sid       = "EnableIamPolicies"
            actions   = ["kms:*"]
            resources = ["*"]
            principals {
              type        = "AWS"
              identifiers = ["arn:aws:iam::123456789012:root"]
            }
          }
        }

        data "aws_iam_policy_document" "role" {
          statement {
            sid       = "Xray"
            actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
            resources = ["*"]
          }
          statement {
            sid       = "Read"
            actions   = ["s3:GetObject"]
            resources = ["arn:aws:s3:::${var.name}/AWSLogs/*"]
          }
          statement {
            sid       = "DenyInsecure"
            effect    = "Deny"
            actions   = ["s3:*"]
            resources = ["*"]
            principals {
              type        = "AWS"
              identifiers = ["*"]
            }
          }
        }

        output "key" {
          description = "The key."
          value       = aws_kms_key.k.arn
        }
    """,
}

#: (check, substring expected among its problems)
EXPECTED_IN_BROKEN_MODULE = [
    ("variables", "variable 'no_description' has no description"),
    ("variables", "variable 'no_type' has no type"),
    ("variables", "validation #1 has no error_message"),
    ("outputs", "output 'no_desc' has no description"),
    ("references", "undeclared var.undeclared_var"),
    ("references", "undeclared local.undeclared_local"),
    ("references", "undeclared aws_s3_bucket.missing"),
    ("references", "undeclared data.aws_kms_key.missing"),
    ("iam", "statement 'StarAction': grants action \"*\""),
    ("iam", "statement 'StarResource': grants resource \"*\""),
    ("iam", "statement 'ServiceWide': grants every action of a service (s3:*)"),
    ("iam", "statement 'Public': Allow to principal AWS \"*\""),
    ("iam", "statement 'DynamicStar': grants resource \"*\""),
    ("iam", "statement 'JsonStar': grants action \"*\""),
    ("iam", "statement 'JsonStar': grants resource \"*\""),
    ("iam", "aws_iam_role_policy.opaque: policy is neither"),
    ("skips", "checkov skip CKV_AWS_18 has no real reason"),
]

EXPECTED_IN_BROKEN_EXAMPLE = [
    ("module-calls", "passes 'not_a_var', which mod does not declare"),
    ("module-calls", "does not pass required variable 'no_description'"),
    ("references", "module.m.nothing (no such output in mod)"),
]


def _write(base: Path, files: dict[str, str]) -> None:
    base.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (base / name).write_text(textwrap.dedent(text), encoding="utf-8")


def _run_checks(path: Path) -> dict[str, list[str]]:
    d = load_dir(path)
    return {name: fn(d) for name, fn in CHECKS}


def _expect(found: dict[str, list[str]], expected: list[tuple[str, str]]) -> list[str]:
    missing = []
    for check, needle in expected:
        if not any(needle in p for p in found.get(check, [])):
            missing.append(f"{check} did not report: {needle}   (it reported: {found.get(check)})")
    return missing


def selftest_broken_module() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp) / "mod", BROKEN_MODULE)
        return _expect(_run_checks(Path(tmp) / "mod"), EXPECTED_IN_BROKEN_MODULE)


def selftest_broken_example() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp) / "mod", BROKEN_MODULE)
        _write(Path(tmp) / "example", BROKEN_EXAMPLE)
        return _expect(_run_checks(Path(tmp) / "example"), EXPECTED_IN_BROKEN_EXAMPLE)


def selftest_unparsable() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp) / "mod", {"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = \n'})
        found = _run_checks(Path(tmp) / "mod")
        return [] if any("does not parse" in p for p in found["parse"]) else [f"parse did not fail: {found['parse']}"]


def selftest_good_module_passes() -> list[str]:
    """No false positives: the documented exceptions and Deny statements pass."""
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp) / "mod", GOOD_MODULE)
        found = _run_checks(Path(tmp) / "mod")
        return [f"{check}: {p}" for check, ps in found.items() for p in ps]


#: The blocker of issue 16, planted: attach mode managing the bucket's
#: notification configuration by default.
BLOCKER_MODULE = {
    "main.tf": """
        terraform {
          required_version = ">= 1.5"
          required_providers {
            aws = {
              source  = "hashicorp/aws"
              version = ">= 5.40, < 7.0"
            }
          }
        }

        variable "mode" {
          description = "create or attach."
          type        = string
          default     = "create"
        }

        variable "event_source" {
          description = "How log files are announced."
          type        = string
          default     = "s3"
        }

        variable "manage_bucket_notification" {
          description = "Create the bucket notification."
          type        = bool
          default     = true
        }

        variable "enable_bucket_eventbridge" {
          description = "EventBridge on the bucket."
          type        = bool
          default     = true
        }

        locals {
          account_id = "123456789012"
          trail_bucket_arn = "arn:aws:s3:::b"
          trail_arn = "arn:aws:cloudtrail:eu-west-1:${local.account_id}:trail/t"
        }

        resource "aws_s3_bucket_notification" "trail" {
          count  = var.manage_bucket_notification ? 1 : 0
          bucket = "b"
        }

        data "aws_iam_policy_document" "queue" {
          statement {
            sid       = "S3FromCaller"
            actions   = ["sqs:SendMessage"]
            resources = ["arn:aws:sqs:eu-west-1:123456789012:q"]
            principals {
              type        = "Service"
              identifiers = ["s3.amazonaws.com"]
            }
            condition {
              test     = "StringEquals"
              variable = "aws:SourceAccount"
              values   = [local.account_id]
            }
          }
          statement {
            sid       = "TrailArnFromCaller"
            actions   = ["s3:PutObject"]
            resources = ["arn:aws:s3:::b/AWSLogs/*"]
            principals {
              type        = "Service"
              identifiers = ["cloudtrail.amazonaws.com"]
            }
            condition {
              test     = "StringEquals"
              variable = "aws:SourceArn"
              values   = ["arn:aws:cloudtrail:eu-west-1:${local.account_id}:trail/t"]
            }
          }
          statement {
            sid       = "UnknownService"
            actions   = ["sqs:SendMessage"]
            resources = ["arn:aws:sqs:eu-west-1:123456789012:q"]
            principals {
              type        = "Service"
              identifiers = ["example.amazonaws.com"]
            }
            condition {
              test     = "StringEquals"
              variable = "aws:SourceAccount"
              values   = [local.account_id]
            }
          }
        }

        resource "aws_lambda_permission" "s3" {
          action         = "lambda:InvokeFunction"
          function_name  = "f"
          principal      = "s3.amazonaws.com"
          source_arn     = local.trail_bucket_arn
          source_account = local.account_id
        }
    """,
}

#: A null default that still resolves to "manage it" in attach mode.
BLOCKER_LOCAL_MODULE = {
    "main.tf": """
        variable "manage_bucket_notification" {
          description = "Replaces all of the configuration; destroy empties it."
          type        = bool
          default     = null
        }

        locals {
          create                     = true
          manage_bucket_notification = var.manage_bucket_notification == null ? true : var.manage_bucket_notification
        }

        resource "aws_s3_bucket_notification" "trail" {
          count  = local.manage_bucket_notification ? 1 : 0
          bucket = "b"
        }
    """,
}

#: An attach example that keeps the clobbering default on through its own
#: variable, and announces log files through the bucket's notification.
BLOCKER_EXAMPLE = {
    "main.tf": """
        variable "manage" {
          description = "Let the module own the bucket's notifications."
          type        = bool
          default     = true
        }

        module "m" {
          source                     = "../mod"
          mode                       = "attach"
          manage_bucket_notification = var.manage
        }
    """,
    "terraform.tfvars.example": """
        manage    = false
        not_a_var = "x"
    """,
}

#: A module and attach example that do it right.
SAFE_EXAMPLE = {
    "main.tf": """
        module "m" {
          source       = "../mod"
          mode         = "attach"
          event_source = "eventbridge"
        }
    """,
}

EXPECTED_IN_BLOCKER_MODULE = [
    ("attach-safety", "manage_bucket_notification defaults to true"),
    ("attach-safety", "count is '${var.manage_bucket_notification ? 1 : 0}'"),
    ("attach-safety", "enable_bucket_eventbridge must default to false"),
    ("attach-safety", "does not say 'replaces all'"),
    ("source-conditions", "'S3FromCaller': aws:SourceAccount = '${local.account_id}' for s3.amazonaws.com"),
    ("source-conditions", "'TrailArnFromCaller': aws:SourceArn"),
    ("source-conditions", "example.amazonaws.com, which has no documented owner"),
    ("source-conditions", "aws_lambda_permission.s3: source_account = '${local.account_id}'"),
    ("versions", "a reusable module sets no upper bound"),
    ("versions", "needs a lower bound of at least >= 5.100"),
]

EXPECTED_IN_BLOCKER_EXAMPLE = [
    ("attach-safety", "manage_bucket_notification resolves to True by default"),
    ("attach-safety", "enable_bucket_eventbridge resolves to True by default"),
    ("attach-safety", "event_source resolves to 's3'"),
]


def selftest_attach_blocker_module() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp) / "mod", BLOCKER_MODULE)
        found = _run_checks(Path(tmp) / "mod")
        missing = _expect(found, EXPECTED_IN_BLOCKER_MODULE)
        _write(Path(tmp) / "mod2", BLOCKER_LOCAL_MODULE)
        found = _run_checks(Path(tmp) / "mod2")
        missing += _expect(found, [("attach-safety", "a null manage_bucket_notification resolves to 'True'")])
        return missing


def selftest_attach_blocker_example() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp) / "mod", BLOCKER_MODULE)
        _write(Path(tmp) / "example", BLOCKER_EXAMPLE)
        found = _run_checks(Path(tmp) / "example")
        found["tfvars"] = check_tfvars_example(load_dir(Path(tmp) / "example"))
        missing = _expect(found, EXPECTED_IN_BLOCKER_EXAMPLE + [("tfvars", "sets 'not_a_var', which the example does not declare")])
        # The same example with a safe path and the module default: clean.
        _write(Path(tmp) / "safe", SAFE_EXAMPLE)
        safe = _run_checks(Path(tmp) / "safe")["attach-safety"]
        if not any("manage_bucket_notification resolves to True" in p for p in safe):
            missing.append(f"attach-safety did not follow the module's default (true) into the example: {safe}")
        if any("event_source" in p for p in safe):
            missing.append(f"attach-safety refused event_source = eventbridge: {safe}")
        return missing


def selftest_tfvars_required() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp) / "example", {
            "main.tf": 'variable "needed" {\n  description = "Required."\n  type = string\n}\n',
            "terraform.tfvars.example": 'other = "x"\n',
        })
        found = check_tfvars_example(load_dir(Path(tmp) / "example"))
        want = ["does not set required variable 'needed'", "sets 'other'"]
        return [f"tfvars check did not report {w}: {found}" for w in want if not any(w in p for p in found)]


SELF_TESTS = [
    ("self-test: broken module is reported", selftest_broken_module),
    ("self-test: broken example is reported", selftest_broken_example),
    ("self-test: unparsable file is reported", selftest_unparsable),
    ("self-test: clean module with documented exceptions passes", selftest_good_module_passes),
    ("self-test: planted blocker (attach mode manages notifications by default) and owner-less source conditions are reported", selftest_attach_blocker_module),
    ("self-test: planted blocker in an attach example is reported", selftest_attach_blocker_example),
    ("self-test: terraform.tfvars.example missing a required variable is reported", selftest_tfvars_required),
]

# --------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------


def check_parser_version() -> list[str]:
    v = str(getattr(hcl2, "__version__", "?"))
    return [] if v.startswith("7.") else [f"python-hcl2 {v} found; these checks read the 7.x output format (run scripts/test-terraform.sh)"]


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent / "terraform").resolve()
    tests: list[tuple[str, callable]] = [("python-hcl2 is 7.x", check_parser_version)] + list(SELF_TESTS)
    dirs = tf_dirs(root)
    if not dirs:
        tests.append(("terraform directories found", lambda: [f"no .tf files under {root}"]))
    for path in dirs:
        label = os.path.relpath(path, root.parent)
        for name, fn in CHECKS:
            if name == "versions" and path.parent.name not in ("modules", "examples"):
                continue
            tests.append((f"{label}: {name}", (lambda fn=fn, path=path: fn(load_dir(path)))))
        if path.parent.name == "modules" and path.name == "trailwatch":
            tests.append((f"{label}: module-contract", (lambda path=path: check_module_contract(load_dir(path)))))
        if path.parent.name == "modules" and path.name == "trailwatch-confirm-role":
            tests.append((f"{label}: confirm-role contract", (lambda path=path: check_confirm_role(load_dir(path)))))
        if path.parent.name == "modules":
            tests.append((f"{label}: README inputs/outputs table is current", (lambda path=path: check_module_readme_table(load_dir(path)))))
        if path.parent.name == "examples":
            tests.append((f"{label}: README", (lambda path=path: [] if (path / "README.md").is_file() else ["example has no README.md"])))
            tests.append((f"{label}: terraform.tfvars.example", (lambda path=path: check_tfvars_example(load_dir(path)))))
    tests.append(("terraform/README.md has the deploy, topology, teardown and replay sections", lambda: check_readme(root)))
    tests.append(("one zip path across READMEs, examples and variables", lambda: check_zip_paths(root)))

    passed = failed = 0
    for name, fn in tests:
        try:
            problems = fn()
        except Exception:  # a crash in a check is a failure, not a pass
            problems = ["check crashed:\n" + traceback.format_exc()]
        if problems:
            failed += 1
            print(f"FAIL {name}")
            for p in problems:
                print(f"     - {p}")
        else:
            passed += 1
            print(f"ok   {name}")
    if failed:
        print()
        print(AWS_REQUIRED_STAR)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def check_readme(root: Path) -> list[str]:
    readme = root / "README.md"
    if not readme.is_file():
        return ["terraform/README.md is missing"]
    text = readme.read_text(encoding="utf-8").lower()
    wanted = [
        "cargo lambda build --release --arm64 --output-format zip",
        "cargo build --release -p trailwatch-lambda",
        "terraform init",
        "terraform apply",
        "confirm",
        "put-bucket-ownership-controls",
        "put-bucket-acl",
        "batch operations",
        "inventory",
        "scripts/test-terraform.sh",
        "## topologies",
        "single account",
        "organization trail",
        "control tower",
        "## teardown",
        "terraform state rm",
        "known limits",
        "enable-aws-service-access",
    ]
    problems = [f"README does not mention {w!r}" for w in wanted if w not in text]
    # Every example is shown, and every example directory exists.
    for example in sorted(p.name for p in (root / "examples").iterdir() if p.is_dir()):
        if f"examples/{example}" not in text:
            problems.append(f"README does not show examples/{example}")
    for ref in sorted(set(re.findall(r"examples/([a-z0-9-]+)", text))):
        if not (root / "examples" / ref).is_dir():
            problems.append(f"README names examples/{ref}, which does not exist")
    return problems


if __name__ == "__main__":
    sys.exit(main(sys.argv))
