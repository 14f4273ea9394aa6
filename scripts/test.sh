#!/usr/bin/env bash
# Runs every test of trailwatch: formatting, lints, the Rust test suite
# (unit, property, fixture, CLI and moto_server end-to-end tests) and the
# Terraform checks, and a short run of every fuzz target. Installs what the
# tests need, idempotently, with pinned versions: a Python venv with
# moto_server (.venv-moto), py-ocsf-models for the OCSF output check
# (.venv-ocsf), the Terraform checkers (.venv-tf*, see
# test-terraform.sh) and cargo-fuzz (.tools/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_venv .venv-moto scripts/requirements-moto.txt
export TRAILWATCH_MOTO_SERVER="$PWD/.venv-moto/bin/moto_server"
ensure_venv .venv-ocsf scripts/requirements-ocsf.txt
export TRAILWATCH_OCSF_PYTHON="$PWD/.venv-ocsf/bin/python"

echo "==> cargo fmt --check"
cargo fmt --all --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo test"
cargo test --workspace --locked
echo "==> terraform checks"
bash scripts/test-terraform.sh
echo "==> fuzz smoke run (every target, a few seconds each)"
scripts/fuzz.sh "${TRAILWATCH_FUZZ_SECONDS:-5}"
echo "==> all tests passed"
