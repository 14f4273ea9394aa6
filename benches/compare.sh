#!/usr/bin/env bash
# Side-by-side comparison on one generated CloudTrail archive: trailwatch
# replay (one core, all cores) against decompression alone (libdeflate-gunzip,
# gzip) and the natural filters people write (jq, Python, Node.js), checking
# that each finds exactly the records of the ground truth; trailwatch verify
# (every log file inflated and hashed, every digest signature checked)
# against sha256sum over the same files (the compressed bytes) and against
# libdeflate-gunzip -c | sha256sum or | openssl dgst -sha256 (the same work
# with standard tools; coreutils hashes in software, OpenSSL with the CPU's
# SHA extensions); plus the Lambda's init time and its
# memory on a ~50 MB gzip log file.
#
#   benches/compare.sh                      # ~1 GiB corpus, seed 1
#   SIZE=200MB RUNS=3 benches/compare.sh    # quicker
#
# Environment: SIZE (uncompressed JSON, default 1GiB), SEED (1), RUNS
# (hyperfine runs of the fast commands, 5), SLOW_RUNS (jq/Python, 1),
# NODE_RUNS (Node.js, 5: the one slow tool whose target ratio is close, and
# whose time varies by a few percent from run to run),
# WORK (scratch directory, default target/compare), LAMBDA_JSON_BYTES (JSON
# bytes of the Lambda memory test's single file, default 250000000, about
# 50 MB gzip), SKIP_LAMBDA=1 to skip the Lambda measurements.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SIZE=${SIZE:-1GiB}
SEED=${SEED:-1}
RUNS=${RUNS:-5}
SLOW_RUNS=${SLOW_RUNS:-1}
NODE_RUNS=${NODE_RUNS:-5}
WORK=${WORK:-$ROOT/target/compare}
LAMBDA_JSON_BYTES=${LAMBDA_JSON_BYTES:-250000000}
NPROC=$(nproc)

log() { printf '\n== %s\n' "$*" >&2; }

# On a shared machine, wait (up to WAIT_QUIET seconds, default 120) until no
# other process has used more than 15% of a CPU for 15 s before each timing.
wait_quiet() {
    local deadline=$((SECONDS + ${WAIT_QUIET:-120})) calm=0 busy
    while [ $SECONDS -lt $deadline ]; do
        busy=$(top -b -n 2 -d 1 | awk '/^top -/ {f++} f == 2 && $1 ~ /^[0-9]+$/ && $9 > 15 {print $12}' | head -3 | tr '\n' ' ')
        if [ -z "$busy" ]; then calm=$((calm + 1)); else calm=0; fi
        [ $calm -ge 3 ] && return 0
        sleep 3
    done
    echo "warning: machine still busy ($busy); timing anyway" >&2
    BUSY_WARNINGS=$((${BUSY_WARNINGS:-0} + 1))
}

# --- tools (idempotent: installs only what is missing) ----------------------
missing=()
command -v libdeflate-gunzip >/dev/null || missing+=(libdeflate-tools)
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v jq >/dev/null || missing+=(jq)
[ -x /usr/bin/time ] || missing+=(time)
command -v gzip >/dev/null || missing+=(gzip)
command -v python3 >/dev/null || missing+=(python3)
command -v node >/dev/null || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- build ------------------------------------------------------------------
log "building trailwatch, bootstrap and lambda-rss (release)"
(cd "$ROOT" && cargo build --release -q -p trailwatch-cli -p trailwatch-lambda -p trailwatch-benches --bins)
TW=$ROOT/target/release/trailwatch
BOOTSTRAP=$ROOT/target/release/bootstrap
LAMBDA_RSS=$ROOT/target/release/lambda-rss

# --- corpus -----------------------------------------------------------------
CORPUS=$WORK/corpus-$SIZE-$SEED
if [ ! -f "$CORPUS/summary.json" ] || [ ! -f "$CORPUS/public-keys.json" ]; then  # (older corpora have no signed digests)
    log "generating the corpus ($SIZE of JSON, seed $SEED) in $CORPUS"
    rm -rf "$CORPUS"
    "$TW" gen --out "$CORPUS" --size "$SIZE" --seed "$SEED"
fi
OUT=$WORK/run
rm -rf "$OUT" && mkdir -p "$OUT/out" "$OUT/rss" "$OUT/hf"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$CORPUS"

# name # command (run in $CORPUS; stdout is what the check reads) # check # runs
JQ="xargs -a files.txt zcat | jq -r -f $HERE/natural.jq"
TOOLS=(
  "trailwatch -j 1#$TW replay -j 1 --format jsonl --no-progress -q AWSLogs#truth#$RUNS"
  "trailwatch -j $NPROC#$TW replay -j $NPROC --format jsonl --no-progress -q AWSLogs#truth#$RUNS"
  "libdeflate-gunzip -c#xargs -a files.txt libdeflate-gunzip -c#bytes#$RUNS"
  "gzip -dc#xargs -a files.txt gzip -dc#bytes#$RUNS"
  "zcat | jq#$JQ#candidates#$SLOW_RUNS"
  "python3 natural.py#python3 $HERE/natural.py @files.txt#candidates#$SLOW_RUNS"
  "node natural.js#node $HERE/natural.js @files.txt#candidates#$NODE_RUNS"
  "trailwatch verify -j 1#$TW verify -j 1 -q --public-keys public-keys.json AWSLogs#verify#$RUNS"
  "trailwatch verify -j $NPROC#$TW verify -j $NPROC -q --public-keys public-keys.json AWSLogs#verify#$RUNS"
  "sha256sum#find AWSLogs -type f -name \\*.json.gz | sort | xargs sha256sum#hashes#$RUNS"
  "libdeflate-gunzip -c | sha256sum#xargs -a files.txt libdeflate-gunzip -c | sha256sum#onehash#$RUNS"
  "libdeflate-gunzip -c | openssl sha256#xargs -a files.txt libdeflate-gunzip -c | openssl dgst -sha256#onehash#$RUNS"
)

: > "$OUT/checks.txt"
i=0
for spec in "${TOOLS[@]}"; do
    IFS='#' read -r name cmd check runs <<<"$spec"
    i=$((i + 1))
    log "$name"
    # One run under /usr/bin/time: peak RSS (largest process of the pipeline)
    # and the output the check reads (this also warms the page cache).
    /usr/bin/time -f '%e %M' -o "$OUT/rss/$i.txt" bash -o pipefail -c "$cmd" > "$OUT/out/$i.txt"
    case $check in
      truth)
        python3 - "$OUT/out/$i.txt" truth.jsonl <<'PY' >> "$OUT/checks.txt"
import json, sys
got = set()
for line in open(sys.argv[1]):
    d = json.loads(line)
    lf = d["log_file"]
    got.add((lf[lf.index("AWSLogs/"):], d["event_id"], d["kind"]))
want = {(d["log_file"], d["event_id"], d["kind"]) for d in map(json.loads, open(sys.argv[2]))}
ok = got == want
print("ok" if ok else "MISMATCH", len(got), "of", len(want), "truth records",
      "(missing %d, extra %d)" % (len(want - got), len(got - want)))
PY
        ;;
      candidates)
        python3 - "$OUT/out/$i.txt" candidates.jsonl <<'PY' >> "$OUT/checks.txt"
import json, sys
got = sorted(l.strip() for l in open(sys.argv[1]) if l.strip())
want = sorted(json.loads(l)["event_id"] for l in open(sys.argv[2]))
print("ok" if got == want else "MISMATCH", len(got), "of", len(want), "candidate records")
PY
        ;;
      verify)
        python3 - "$OUT/out/$i.txt" <<'PY' >> "$OUT/checks.txt"
import sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
other = [l for l in lines if not l.startswith("unverifiable-newest-digest\t")]
print("ok" if not other else "MISMATCH", len(lines) - len(other), "newest digests unverifiable offline,",
      len(other), "other problems")
PY
        ;;
      hashes)
        python3 - "$OUT/out/$i.txt" summary.json <<'PY' >> "$OUT/checks.txt"
import json, sys
got = sum(1 for l in open(sys.argv[1]) if l.strip())
s = json.load(open(sys.argv[2]))
want = s["log_files"] + s["digest_files"]
print("ok" if got == want else "MISMATCH", got, "of", want, "files hashed")
PY
        ;;
      onehash)
        # verify's work with standard tools: inflate every log file, hash
        # every uncompressed byte (one stream: no process per file).
        # (sha256sum prints `<hex>  -`, openssl `SHA2-256(stdin)= <hex>`.)
        if [ "$(wc -l < "$OUT/out/$i.txt")" = 1 ] && grep -Eq '(^|= )[0-9a-f]{64}( |$)' "$OUT/out/$i.txt"; then
            echo "ok one SHA-256 over every uncompressed log byte" >> "$OUT/checks.txt"
        else
            echo "MISMATCH sha256sum printed $(head -c 80 "$OUT/out/$i.txt")" >> "$OUT/checks.txt"
        fi
        ;;
      bytes)
        python3 - "$OUT/out/$i.txt" summary.json <<'PY' >> "$OUT/checks.txt"
import json, os, sys
got = os.path.getsize(sys.argv[1])
want = json.load(open(sys.argv[2]))["json_bytes"]
print("ok" if got == want else "MISMATCH", got, "of", want, "bytes")
PY
        ;;
    esac
    rm -f "$OUT/out/$i.txt"
    tail -1 "$OUT/checks.txt" >&2
    wait_quiet
    hyperfine --style basic --runs "$runs" --warmup 0 --export-json "$OUT/hf/$i.json" \
        -n "$name" "bash -o pipefail -c '$cmd'" > /dev/null
done

# --- Lambda -----------------------------------------------------------------
if [ "${SKIP_LAMBDA:-0}" != 1 ]; then
    log "Lambda init (bootstrap start to first Runtime API poll)"
    python3 "$HERE/lambda_init.py" "$BOOTSTRAP" 15 > "$OUT/lambda_init.json"
    cat "$OUT/lambda_init.json" >&2
    BIG=$WORK/lambda-single-$LAMBDA_JSON_BYTES
    if [ ! -f "$BIG/summary.json" ]; then
        log "generating one large log file ($LAMBDA_JSON_BYTES bytes of JSON)"
        rm -rf "$BIG"
        "$LAMBDA_RSS" make "$BIG" "$LAMBDA_JSON_BYTES" > /dev/null
    fi
    log "Lambda handler memory: core scanner, streaming Read, on $(du -h "$BIG"/AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz | cut -f1) gzip"
    "$LAMBDA_RSS" scan "$BIG"/AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz > "$OUT/lambda_rss.json"
    cat "$OUT/lambda_rss.json" >&2
    python3 - "$OUT/lambda_rss.json" "$BIG/truth.jsonl" <<'PY' >> "$OUT/checks.txt"
import json, sys
d = json.load(open(sys.argv[1]))
want = sum(1 for _ in open(sys.argv[2]))
print("ok" if d["findings"] == want and not d["error"] else "MISMATCH", d["findings"], "of", want, "findings (lambda-rss)")
PY
fi

# --- machine and table --------------------------------------------------------
{
    echo "nproc: $NPROC"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg); timings taken on a busy machine: ${BUSY_WARNINGS:-0}"
    echo "tools: $(hyperfine --version), jq $(jq --version), node $(node --version), $(python3 --version), $(gzip --version | head -1), libdeflate $(dpkg-query -W -f '${Version}' libdeflate-tools 2>/dev/null || echo '?')"
    echo "command: SIZE=$SIZE SEED=$SEED RUNS=$RUNS SLOW_RUNS=$SLOW_RUNS NODE_RUNS=$NODE_RUNS benches/compare.sh"
} > "$OUT/machine.txt"
python3 "$HERE/report.py" "$OUT" "$CORPUS/summary.json" "${#TOOLS[@]}" | tee "$OUT/results.md"
if grep -q MISMATCH "$OUT/checks.txt"; then
    echo "some tool did not find exactly the ground truth (see $OUT/checks.txt)" >&2
    exit 1
fi
