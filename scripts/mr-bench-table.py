#!/usr/bin/env python3
"""The "MR tables" table of docs/BENCHMARKS.md from scripts/mr-bench.sh's
raw JSON lines: per-call medians (attach and miss in µs, next_deadline in
µs too), before (base) and after (new), and the fills' CPU seconds.

  scripts/mr-bench-table.py [RAW]            print the table
  scripts/mr-bench-table.py --check DOC [RAW]  exit 1 unless DOC holds it
"""
import json
import sys


def fmt(v, unit):
    """3 significant digits; thousands grouped with a space, as the doc."""
    if v >= 1000:
        s = f"{v:,.0f}".replace(",", " ")
    elif v >= 100:
        s = f"{v:.0f}"
    elif v >= 10:
        s = f"{v:.1f}"
    elif v >= 1:
        s = f"{v:.2f}"
    elif v >= 0.01:
        s = f"{v:.3f}"
    else:
        s = f"{v:.4f}"
    return f"{s} {unit}"


def table(raw):
    rows = {}
    for line in open(raw):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            rows.setdefault(r["mns"], {})[r["core"]] = r
    sizes = sorted(rows)
    k = lambda n: f"{n // 1000}k" if n % 1000 == 0 else str(n)
    out = ["| operation (median per call) | " +
           " | ".join(f"{k(n)} before | {k(n)} after" for n in sizes) + " |",
           "|---|" + "---|---|" * len(sizes)]
    for key, name, scale, unit in (
            ("attach_ns", "`dmm_mr_attach`", 1e3, "µs"),
            ("miss_ns", "`dmm_mr_miss`, new destination", 1e3, "µs"),
            ("next_deadline_ns", "`dmm_node_next_deadline`", 1e3, "µs"),
            ("fill_mns_cpu_s", "attach N MNs to completion (CPU, both nodes)", 1, "s"),
            ("fill_cache_cpu_s", "fill N cache entries (CPU, both nodes)", 1, "s")):
        cells = []
        for n in sizes:
            for core in ("base", "new"):
                v = rows[n].get(core, {}).get(key)
                cells.append("–" if v is None else fmt(v / scale, unit))
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def main():
    args = sys.argv[1:]
    check = None
    if args[:1] == ["--check"]:
        check, args = args[1], args[2:]
    lines = table(args[0] if args else "results/mr-tables/raw.jsonl")
    if check is None:
        print("\n".join(lines))
        return 0
    doc = open(check).read().splitlines()
    missing = [l for l in lines if l not in doc]
    for l in missing:
        print(f"mr-bench-table: not in {check}: {l}", file=sys.stderr)
    return 1 if missing else 0


sys.exit(main())
