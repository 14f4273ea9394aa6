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
plus the module's own conventions and the Lambda contract (module-contract).

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
"""

POLICY_ATTRIBUTES = {"policy", "assume_role_policy"}
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
            check_statement(stmt, where, name in key_policy_docs, problems)
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
    elif not (">=" in aws_version and "<" in aws_version.replace("<=", "<")):
        problems.append(f"aws provider constraint {aws_version!r} needs a lower and an upper bound")
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
        if fn.get("source_code_hash") != "${filebase64sha256(var.lambda_zip_path)}":
            p.append("source_code_hash is not filebase64sha256(var.lambda_zip_path)")
        if fn.get("filename") != "${var.lambda_zip_path}":
            p.append("filename is not var.lambda_zip_path")
        if fn.get("architectures") != ["${var.architecture}"]:
            p.append("architectures is not [var.architecture]")
    if d.variables.get("architecture", {}).get("default") != "arm64":
        p.append("architecture does not default to arm64")
    env = str(d.locals.get("function_environment", ""))
    for k in ("SNS_TOPIC_ARN", "TRAILWATCH_CONFIG", "TRAILWATCH_MAX_DECOMPRESSED_BYTES", "TRAILWATCH_ALLOWED_BUCKETS", "RUST_LOG"):
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
    # Least privilege: the function reads only <bucket>/<prefix>AWSLogs/*.
    doc = d.data.get(("aws_iam_policy_document", "function"), {})
    reads = [s for s in _statements(doc) if "s3:GetObject" in (s.get("actions") or [])]
    for s in reads:
        for r in s.get("resources", []):
            if r not in ("${local.trail_bucket_arn}/${local.logs_key_prefix}*", "${statement.value}"):
                p.append(f"function role reads {r}, outside <bucket>/<prefix>AWSLogs/*")
    alarms = {n for (t, n) in d.resources if t == "aws_cloudwatch_metric_alarm"}
    for a in ("function_errors", "function_throttles", "dlq_not_empty", "no_log_files"):
        if a not in alarms:
            p.append(f"missing alarm {a}")
    silence = d.resources.get(("aws_cloudwatch_metric_alarm", "no_log_files"), {})
    if silence and silence.get("treat_missing_data") != "breaching":
        p.append("the no-log-files alarm must treat missing data as breaching")
    return p


CHECKS = [
    ("parse", check_parse),
    ("variables", check_variables),
    ("outputs", check_outputs),
    ("references", check_references),
    ("iam", check_iam),
    ("module-calls", check_module_calls),
    ("skips", check_skips),
    ("versions", check_versions),
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
              version = ">= 5.40, < 7.0"
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


SELF_TESTS = [
    ("self-test: broken module is reported", selftest_broken_module),
    ("self-test: broken example is reported", selftest_broken_example),
    ("self-test: unparsable file is reported", selftest_unparsable),
    ("self-test: clean module with documented exceptions passes", selftest_good_module_passes),
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
        if path.parent.name == "modules":
            tests.append((f"{label}: module-contract", (lambda path=path: check_module_contract(load_dir(path)))))
        if path.parent.name == "examples":
            tests.append((f"{label}: README", (lambda path=path: [] if (path / "README.md").is_file() else ["example has no README.md"])))
    tests.append(("terraform/README.md has the deploy and replay sections", lambda: check_readme(root)))

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
        "put-bucket-acl",
        "batch operations",
        "inventory",
        "scripts/test-terraform.sh",
    ]
    return [f"README does not mention {w!r}" for w in wanted if w not in text]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
