#!/usr/bin/env python3
"""The scale table of docs/BENCHMARKS.md ("Simulator") from
scripts/sim-bench.sh's raw output (OUTDIR/perf.txt): per run and build
(base: SIM_BENCH_BASE, this: SIM_BENCH_BIN) the events, CPU seconds, CPU
per event, protocol events per CPU second, wall, peak RSS, RSS per MN and
the simulator's own bytes per MN; then base/this ratios of the runs made
side by side, and the heap bench.

  scripts/sim-bench-table.py [PERF_TXT]              print the table
  scripts/sim-bench-table.py --check DOC [PERF_TXT]  exit 1 unless DOC holds it
"""
import re
import sys

DEFAULT = "results/sim-bench-scale/perf.txt"


def kv(line):
    """perf: / time: lines are 'key value' pairs."""
    words = line.split()[1:]
    out = {}
    for i in range(0, len(words) - 1, 2):
        try:
            out[words[i]] = float(words[i + 1])
        except ValueError:
            out[words[i]] = words[i + 1]
    return out


def parse(path):
    runs, heap, n, build = [], [], None, "this"
    for line in open(path):
        line = line.rstrip("\n")
        m = re.match(r"## (\d+) MNs", line)
        if m:
            n, build = int(m.group(1)), "this"
            continue
        if line == "base:":
            build = "base"
            continue
        if line.startswith("perf:"):
            runs.append({"mns": n, "build": build, "perf": kv(line)})
        elif line.startswith("time:"):
            runs[-1]["time"] = kv(line)
            build = "this"
        elif line.startswith("compare:"):
            runs[-1]["compare"] = line
        elif "heap:" in line:
            b = "base" if line.startswith("base:") else "this"
            m = re.search(r"heap: (\d+) pending, .* (\d+) per s", line)
            heap.append((b, int(m.group(1)), int(m.group(2))))
    return runs, heap


def grp(v):
    return f"{v:,.0f}".replace(",", " ")


def size(n):
    return f"{n // 1000}k" if n < 1000000 else f"{n // 1000000}M"


def table(path):
    runs, heap = parse(path)
    rows = ["| MNs | build | events | CPU | CPU per event | protocol events per CPU-s "
            "| wall | peak RSS | RSS per MN | simulator B per MN |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        p, t = r["perf"], r["time"]
        cpu = t["user_s"] + t["sys_s"]
        rss = t["max_rss_kb"] * 1024
        rows.append(
            f"| {size(r['mns'])} | {r['build']} | {p['events'] / 1e6:.2f} M | {cpu:.1f} s "
            f"| {cpu / p['events'] * 1e6:.2f} µs "
            f"| {grp(p['protocol_events'] / cpu)} "
            f"| {t['wall_s']:.0f} s | {rss / 1e6:,.0f} MB | {rss / r['mns'] / 1e3:.2f} KB "
            f"| {p['sim_bytes_per_mn']:.0f} |".replace(",", " "))
    rows.append("")
    by = {(r["mns"], r["build"]): r for r in runs}
    for n in sorted({r["mns"] for r in runs}):
        if (n, "base") in by and (n, "this") in by:
            b, t = by[(n, "base")], by[(n, "this")]
            cb = b["time"]["user_s"] + b["time"]["sys_s"]
            ct = t["time"]["user_s"] + t["time"]["sys_s"]
            rows.append(f"- {size(n)}: CPU base/this {cb / ct:.2f}x, peak RSS base/this "
                        f"{b['time']['max_rss_kb'] / t['time']['max_rss_kb']:.2f}x; "
                        f"{t.get('compare', 'compare: not made').split(': ', 1)[1]}")
    for b, p, rate in heap:
        rows.append(f"- heap alone, {b}: {grp(p)} pending, {grp(rate)} pop+push per CPU-s")
    return "\n".join(rows) + "\n"


def main(argv):
    if len(argv) >= 3 and argv[1] == "--check":
        want = table(argv[3] if len(argv) > 3 else DEFAULT)
        doc = open(argv[2]).read()
        missing = [l for l in want.splitlines() if l and l not in doc]
        for l in missing:
            print("missing from", argv[2] + ":", l)
        return 1 if missing else 0
    sys.stdout.write(table(argv[1] if len(argv) > 1 else DEFAULT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
