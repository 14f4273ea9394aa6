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

# Exact pins, transitive dependencies included, live in
# scripts/requirements-hcl2.txt and scripts/requirements-checkov.txt.

log() { printf '[test-terraform] %s\n' "$*" >&2; }

source "$ROOT/scripts/lib.sh"

command -v "$PYTHON" >/dev/null 2>&1 || { log "python3 not found"; exit 2; }
ensure_venv .venv-tf-hcl2 scripts/requirements-hcl2.txt
ensure_venv .venv-tf-checkov scripts/requirements-checkov.txt

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
