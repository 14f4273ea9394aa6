#!/usr/bin/env bash
# Offline checks for the trailwatch Terraform module (issue 5).
#
#   bash scripts/test-terraform.sh
#
# 1. structural tests with python-hcl2 (scripts/terraform_checks.py)
# 2. checkov, offline, over terraform/ (no failed check allowed)
#
# Needs only python3 (3.11+: the checkov lock below is resolved for it). Installs pinned tools into two gitignored venvs
# at the repo root, because checkov depends on bc-python-hcl2, which installs
# a module also named `hcl2` and would shadow PyPI's python-hcl2:
#   .venv-tf-hcl2/     python-hcl2 (7.x: plain dicts, quotes stripped)
#   .venv-tf-checkov/  checkov
# A stamp file in each venv holds the hash of its requirements and of the
# interpreter version, so a re-run skips pip entirely.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"

# Exact pins, transitive dependencies included, so a fresh machine gets the
# same tools as CI. python-hcl2 7.x: plain dicts, the format
# terraform_checks.py reads (8.x keeps quotes and adds block markers).
HCL2_REQS='python-hcl2==7.3.1
lark==1.3.1
regex==2026.11.19'
# checkov 3.3.30 and its dependency closure (pip freeze of a clean venv).
CHECKOV_REQS='aiodns==3.6.1
aiohappyeyeballs==2.7.1
aiohttp==3.14.5
aiomultiprocess==0.9.1
aiosignal==1.4.0
annotated-types==0.8.0
argcomplete==3.7.2
asteval==1.0.6
attrs==26.1.0
bc-detect-secrets==1.5.52
bc-jsonpath-ng==1.6.1
bc-python-hcl2==0.4.3
beartype==0.23.1
beautifulsoup4==4.15.0
boolean.py==5.0
boto3==1.35.49
botocore==1.35.99
cached-property==2.0.1
cachetools==5.5.2
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
checkov==3.3.30
click==8.5.1
click-option-group==0.5.10
cloudsplaining==0.7.0
colorama==0.4.6
ConfigArgParse==1.9.0
contextlib2==21.6.0
cyclonedx-python-lib==7.6.2
decorator==5.3.1
defusedxml==0.7.1
docker==7.2.0
dockerfile-parse==2.0.1
dpath==2.1.3
ecdsa==0.19.2
frozenlist==1.8.0
gitdb==4.0.12
GitPython==3.2.1
idna==3.20
importlib_metadata==7.2.1
Jinja2==3.1.6
jmespath==1.1.0
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
junit-xml==1.9
lark==1.3.1
license-expression==30.4.4
Markdown==3.11.3
MarkupSafe==3.0.4
multidict==7.2.1
networkx==2.6.3
numpy==2.4.6
orjson==3.13.0
packageurl-python==0.13.4
packaging==23.2
platformdirs==4.14.8
ply==3.11
policy_sentry==0.13.2
prettytable==3.18.0
propcache==0.5.4
py-serializable==1.1.2
pycares==4.11.0
pycep-parser==0.5.1
pycparser==3.12
pydantic==2.14.4
pydantic_core==2.50.5
pyparsing==3.3.3
python-dateutil==2.9.0.post0
PyYAML==6.0.4
rdflib==7.6.0
referencing==0.37.0
regex==2026.11.19
requests==2.34.2
rpds-py==2026.9.1
rustworkx==0.18.1
s3transfer==0.10.4
schema==0.7.5
semantic-version==2.10.0
six==1.17.0
smmap==5.0.3
sortedcontainers==2.4.0
soupsieve==4.1.3
spdx-tools==0.8.5
tabulate==0.9.0
termcolor==2.3.0
tqdm==4.70.1
typing-inspection==0.4.5
typing_extensions==4.16.0
unidiff==1.0.1
uritools==7.0.0
urllib3==2.8.0
wcwidth==0.9.4
xmltodict==1.0.4
yarl==1.25.1
zipp==4.1.2'

log() { printf '[test-terraform] %s\n' "$*" >&2; }

# make_venv DIR: python3 -m venv, installing Debian's python3-venv first when
# the interpreter lacks ensurepip (a fresh Debian has python3 without it).
make_venv() {
  local dir="$1"
  if "$PYTHON" -m venv "$dir" >/dev/null 2>&1; then
    return 0
  fi
  rm -rf "$dir"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    local pyver
    pyver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    log "python venv unavailable: installing python3-venv with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq python3-venv >/dev/null || true
    apt-get install -y -qq "python${pyver}-venv" >/dev/null 2>&1 || true
  fi
  "$PYTHON" -m venv "$dir" || { log "cannot create a venv: install python3-venv"; exit 2; }
}

# ensure_venv DIR TOOL REQUIREMENTS
ensure_venv() {
  local dir="$1" tool="$2" reqs="$3" stamp want
  stamp="$dir/.trailwatch-stamp"
  want="$(printf '%s\n%s\n' "$reqs" "$("$PYTHON" -c 'import sys; print(sys.version)')" | sha256sum | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "installing $tool ($(printf '%s\n' "$reqs" | wc -l) pinned packages) into ${dir#"$ROOT"/}"
  rm -rf "$dir"
  make_venv "$dir"
  local reqfile
  reqfile="$(mktemp)"
  printf '%s\n' "$reqs" >"$reqfile"
  "$dir/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$reqfile"
  rm -f "$reqfile"
  printf '%s\n' "$want" >"$stamp"
}

command -v "$PYTHON" >/dev/null 2>&1 || { log "python3 not found"; exit 2; }
ensure_venv "$ROOT/.venv-tf-hcl2" python-hcl2 "$HCL2_REQS"
ensure_venv "$ROOT/.venv-tf-checkov" checkov "$CHECKOV_REQS"

status=0
log "structural tests (python-hcl2)"
structural_out="$(mktemp)"
trap 'rm -f "$structural_out"' EXIT
if ! "$ROOT/.venv-tf-hcl2/bin/python" "$ROOT/scripts/terraform_checks.py" "$ROOT/terraform" | tee "$structural_out"; then
  status=1
fi
# Its closing line, "N passed, M failed"; a crash before it counts as a failure.
s_passed=0 s_failed=1
if summary="$(tail -n1 "$structural_out" | grep -E '^[0-9]+ passed, [0-9]+ failed$')"; then
  s_passed="${summary%% passed*}"
  s_failed="${summary#*passed, }"; s_failed="${s_failed%% failed}"
fi

log "checkov (offline)"
checkov_ok=0
# Offline and quiet: no guideline download, no Prisma/Bridgecrew API, no
# version check, no external module download; only failed checks are listed.
#   CKV_SKIP_PACKAGE_UPDATE_CHECK  no PyPI version check
#   BC_SKIP_MAPPING                no guideline mapping download
#   CKV_PARSE_ERROR_FAIL           a .tf file checkov cannot parse fails the run
if env -u BC_API_KEY -u PRISMA_API_URL \
     CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE \
     CKV_PARSE_ERROR_FAIL=true ANSI_COLORS_DISABLED=1 LOG_LEVEL=WARNING \
     "$ROOT/.venv-tf-checkov/bin/checkov" \
       -d terraform --framework terraform --skip-download \
       --download-external-modules false --quiet --compact \
       --output cli; then
  checkov_ok=1
else
  status=1
fi

# Closing line for CI: the structural tests plus the checkov scan as one test.
passed=$((s_passed + checkov_ok))
failed=$((s_failed + 1 - checkov_ok))
[ "$failed" -eq 0 ] || status=1
echo "terraform: ${passed} passed, ${failed} failed"
exit "$status"
