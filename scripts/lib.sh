# Shared helpers for the test scripts: idempotent, pinned Python venvs.

# make_venv DIR: python3 -m venv, installing Debian's python3-venv first when
# the interpreter lacks ensurepip (a fresh Debian has python3 without it).
make_venv() {
    local dir="$1" python="${PYTHON:-python3}"
    if "$python" -m venv "$dir" >/dev/null 2>&1; then
        return 0
    fi
    rm -rf "$dir"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        local version
        version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        echo "==> python venv unavailable: installing python3-venv with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq python3-venv >/dev/null || true
        apt-get install -y -qq "python${version}-venv" >/dev/null 2>&1 || true
    fi
    "$python" -m venv "$dir" || { echo "cannot create a Python venv: install python3-venv" >&2; exit 2; }
}

# ensure_venv DIR REQUIREMENTS: creates DIR with the exact pins of the
# REQUIREMENTS file, once; again only when that file or the interpreter changes.
ensure_venv() {
    local dir="$1" requirements="$2" python="${PYTHON:-python3}"
    local stamp="$dir/.requirements.sha256" want
    want="$( (cat "$requirements"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
    if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    echo "==> installing $(basename "$requirements") into $dir"
    rm -rf "$dir"
    make_venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
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
