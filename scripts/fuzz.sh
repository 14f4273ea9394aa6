#!/usr/bin/env bash
# Coverage-guided fuzzing of every input surface with cargo fuzz (libFuzzer),
# on the stable toolchain (RUSTC_BOOTSTRAP=1 unlocks the sanitizer flags).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets: log_file splitter record policy allowlist lambda_event (default: all).
# Corpora grow under target/fuzz-corpus/<target>, seeded from fixtures/ and
# from crates/trailwatch-fuzz/regressions/<target>. A crash leaves its input
# under crates/trailwatch-fuzz/artifacts/<target>/: fix the bug, then move
# the input into regressions/<target>/ so `cargo test` replays it forever.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(log_file splitter record policy allowlist lambda_event)
fi

ensure_cargo_fuzz
export RUSTC_BOOTSTRAP=1
fuzz_dir=crates/trailwatch-fuzz

seed() {
    local target="$1" corpus="target/fuzz-corpus/$1"
    mkdir -p "$corpus"
    case "$target" in
        log_file)
            find fixtures/logs fixtures/bad -name '*.json*' -size -300k -exec cp -n {} "$corpus/" \; ;;
        lambda_event)
            cp -n fixtures/events/*.json "$corpus/" ;;
    esac
}

for target in "${targets[@]}"; do
    seed "$target"
    echo "==> fuzzing $target for ${seconds}s"
    log="target/fuzz-$target.log"
    mkdir -p target
    if ! .tools/bin/cargo-fuzz run --fuzz-dir "$fuzz_dir" --features libfuzzer "$target" \
        "target/fuzz-corpus/$target" "$fuzz_dir/regressions/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
        > "$log" 2>&1; then
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" >&2 || tail -20 "$log" >&2
        echo "fuzz target $target FAILED (log: $log): fix it, then keep the input in $fuzz_dir/regressions/$target/" >&2
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log" | tr '\n' ' '
    echo
done
echo "fuzzing passed: ${targets[*]}"
