#!/usr/bin/env python3
"""The "MR tables" table of docs/BENCHMARKS.md from scripts/mr-bench.sh's
raw JSON lines: per-call medians in microseconds (next_deadline in ns),
before (base) and after (new), and the fills' CPU seconds."""
import json
import sys

rows = {}
for line in open(sys.argv[1] if len(sys.argv) > 1 else "results/mr-tables/raw.jsonl"):
    line = line.strip()
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    rows.setdefault(r["mns"], {})[r["core"]] = r


def k(n):
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


sizes = sorted(rows)
print("| operation (median per call) | " + " | ".join(
    f"{k(n)} before | {k(n)} after" for n in sizes) + " |")
print("|---|" + "---|---|" * len(sizes))
for key, name, scale, unit in (
        ("attach_ns", "`dmm_mr_attach`", 1e3, "µs"),
        ("miss_ns", "`dmm_mr_miss`, new destination", 1e3, "µs"),
        ("next_deadline_ns", "`dmm_node_next_deadline`", 1e3, "µs"),
        ("fill_mns_cpu_s", "attach N MNs to completion, CPU", 1, "s"),
        ("fill_cache_cpu_s", "fill N cache entries, CPU", 1, "s")):
    cells = []
    for n in sizes:
        for core in ("base", "new"):
            v = rows[n].get(core, {}).get(key)
            cells.append("–" if v is None else f"{v / scale:.3g} {unit}")
    print(f"| {name} | " + " | ".join(cells) + " |")
for n in sizes:
    b, a = rows[n].get("base"), rows[n].get("new")
    if b and a:
        print(f"\n{k(n)}: attach {b['attach_ns'] / a['attach_ns']:.1f}x, "
              f"miss {b['miss_ns'] / a['miss_ns']:.1f}x, next_deadline "
              f"{b['next_deadline_ns'] / a['next_deadline_ns']:.0f}x faster", end="")
print()
