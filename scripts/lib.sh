# Shared helpers for the test scripts: idempotent, pinned Python venvs.

# ensure_venv DIR REQUIREMENTS: creates DIR with the exact pins of
# REQUIREMENTS, once; re-runs only when the requirements file changes.
ensure_venv() {
    local dir="$1" requirements="$2"
    local stamp="$dir/.requirements.sha256"
    local want
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    echo "==> installing $(basename "$requirements") into $dir"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" > "$stamp"
}

# ensure_cargo_fuzz: cargo-fuzz, pinned, into .tools/ (once).
CARGO_FUZZ_VERSION=0.13.2
ensure_cargo_fuzz() {
    if [ -x .tools/bin/cargo-fuzz ] && .tools/bin/cargo-fuzz --version | grep -q "$CARGO_FUZZ_VERSION"; then
        return 0
    fi
    echo "==> installing cargo-fuzz $CARGO_FUZZ_VERSION into .tools"
    cargo install --quiet --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root .tools
}
