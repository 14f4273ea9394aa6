#!/usr/bin/env python3
"""Turns a compare.sh run directory into the results table (Markdown).

usage: report.py RUN_DIR CORPUS_SUMMARY_JSON NUMBER_OF_TOOLS
"""
import json
import os
import sys

run, summary_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
corpus = json.load(open(summary_path))
checks = [l.strip() for l in open(os.path.join(run, "checks.txt"))]
rows = []
for i in range(1, n + 1):
    hf = json.load(open(os.path.join(run, "hf", f"{i}.json")))["results"][0]
    elapsed, rss_kb = open(os.path.join(run, "rss", f"{i}.txt")).read().split()[-2:]
    rows.append({
        "name": hf["command"],
        "median": hf["median"],
        "runs": len(hf["times"]),
        "min": min(hf["times"]),
        "max": max(hf["times"]),
        "rss_mb": int(rss_kb) / 1024,
        "check": checks[i - 1].split()[0],
    })
tw1 = rows[0]
twn = rows[1]
lib = rows[2]
jq = rows[4]
node = rows[6]
mb = corpus["json_bytes"] / 1e6
recs = corpus["records"]

out = []
out.append(f"Corpus: {corpus['log_files']} log files ({corpus['digest_files']} digest files skipped), "
           f"{recs:,} records, {corpus['json_bytes'] / 1e9:.2f} GB JSON, {corpus['gz_bytes'] / 1e6:.0f} MB gzip; "
           f"record median {corpus['record_bytes_p50']} B, p99 {corpus['record_bytes_p99']} B, max {corpus['record_bytes_max']} B; "
           f"files up to {corpus['largest_file_json_bytes'] / 1e6:.1f} MB JSON; "
           f"{corpus['truth']} exposing records, {corpus['candidates']} natural-filter matches.")
out.append("")
out.append("| method | time (s) | MB/s | records/s | peak RSS (MB) | finds | vs libdeflate-gunzip | vs trailwatch -j 1 |")
out.append("|---|---:|---:|---:|---:|---|---:|---:|")
for r in rows:
    t = r["median"]
    spread = f"{t:.2f}" + (f" ({r['min']:.2f}–{r['max']:.2f}, {r['runs']} runs)" if r["runs"] > 1 else " (1 run)")
    out.append(
        f"| `{r['name']}` | {spread} | {mb / t:,.0f} | {recs / t / 1e6:.2f} M | {r['rss_mb']:.0f} | {r['check']} "
        f"| {lib['median'] / t:.2f}× | {tw1['median'] / t:.2f}× |")
out.append("")
out.append("Ratios are of throughput (time of the other / time of this row). `finds`: trailwatch rows must "
           "report exactly truth.jsonl, decompressors must produce exactly the JSON bytes, the natural "
           "filters must select exactly candidates.jsonl.")
out.append("")

def verdict(ok):
    return "**holds**" if ok else "**fails**"

targets = []
r1 = lib["median"] / tw1["median"]
targets.append((f"`-j 1` ≥ 0.8× libdeflate-gunzip throughput", f"{r1:.2f}×", r1 >= 0.8))
r2 = tw1["median"] / twn["median"]
targets.append((f"all cores ({twn['name'].split()[2]}) ≥ 1.8× `-j 1`", f"{r2:.2f}×", r2 >= 1.8))
r3 = jq["median"] / twn["median"]
targets.append(("≥ 20× jq (all cores; `-j 1`: %.1f×)" % (jq["median"] / tw1["median"]), f"{r3:.1f}×", r3 >= 20))
r4 = node["median"] / twn["median"]
targets.append(("≥ 10× Node.js (all cores; `-j 1`: %.1f×)" % (node["median"] / tw1["median"]), f"{r4:.1f}×", r4 >= 10))
targets.append(("peak RSS < 100 MB with all cores", f"{twn['rss_mb']:.0f} MB", twn["rss_mb"] < 100))
if n >= 10:
    v1, vn, sha = rows[7], rows[8], rows[9]
    r5 = sha["median"] / vn["median"]
    targets.append(("`verify` (all cores) at least as fast as `sha256sum` (one core) over the same files "
                    "(`verify -j 1`: %.2f×)" % (sha["median"] / v1["median"]), f"{r5:.2f}×", r5 >= 1.0))
for fair in rows[10:12]:
    r6 = fair["median"] / rows[7]["median"]
    tools = fair["name"].replace("|", "\\|")  # a pipe inside a Markdown table cell
    targets.append((f"`verify -j 1` against the same work with standard tools, `{tools}` "
                    "(two processes, so up to two cores)", f"{r6:.2f}×", None))
lr = os.path.join(run, "lambda_rss.json")
li = os.path.join(run, "lambda_init.json")
if os.path.exists(lr):
    d = json.load(open(lr))
    init = json.load(open(li)) if os.path.exists(li) else {}
    base = init.get("peak_rss_kb_at_first_poll", 0) / 1024
    peak = d["peak_rss_bytes"] / 2**20
    targets.append((
        f"Lambda handler on a {d['stored_bytes'] / 1e6:.0f} MB gzip log file ({d['json_bytes'] / 1e6:.0f} MB JSON) < 128 MB RSS "
        f"(core scanner on a streaming Read: {peak:.1f} MB; + bootstrap at init {base:.1f} MB)",
        f"{peak + base:.0f} MB", peak + base < 128))
if os.path.exists(li):
    init = json.load(open(li))
    targets.append((f"Lambda init, start to first Runtime API poll (median of {init['runs']})",
                    f"{init['median_ms']:.1f} ms (min {init['min_ms']:.1f}, max {init['max_ms']:.1f})", None))
out.append("| target | measured | |")
out.append("|---|---:|---|")
for name, value, ok in targets:
    out.append(f"| {name} | {value} | {'measured' if ok is None else verdict(ok)} |")
out.append("")
out.append("Machine and command:")
out.append("")
out.append("```")
out.extend(l.rstrip() for l in open(os.path.join(run, "machine.txt")))
out.append("```")
print("\n".join(out))
