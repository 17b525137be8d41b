#!/usr/bin/env python3
"""Print the "Memory per binding, before and after" table of
docs/BENCHMARKS.md from the rows lab/bench-lm-mem.sh wrote.

    lab/bench-lm-mem-report.py DIR
    lab/bench-lm-mem-report.py --check FILE   every block of FILE between
        <!-- bench-lm-mem:begin DIR --> and <!-- bench-lm-mem:end --> must be
        what DIR's rows give, line for line (exit 1 if not)

Every number is the median over the repetitions of DIR/rows.jsonl (each
repetition ran the baseline and the new build one after the other).
"""
import json
import statistics
import sys

import mdblocks


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_n(n):
    return f"{n // 1000000}M" if n >= 1000000 and n % 1000000 == 0 else f"{n // 1000}k"


def block(d):
    """The tables of DIR's rows (None, and why on stderr, if a load had an
    update not answered OK)."""
    rows = [json.loads(l) for l in open(f"{d}/rows.jsonl") if l.strip()]
    mem, eng = {}, {}
    for r in rows:
        key = (r["build"], r["n"])
        if r["kind"] == "mem":
            mem.setdefault(key, []).append(r)
        elif r["kind"] == "engine":
            eng.setdefault(key, []).append(r["engine"])
    reps = max([len(v) for v in list(mem.values()) + list(eng.values())] or [0])
    out = []
    if mem:
        out.append("| bindings | dmmd RSS delta / binding, before (B) | after (B) | "
                   "load, before / after (updates/s) | goal ≤ 48 B |")
        out.append("|---|---|---|---|---|")
        for n in sorted({k[1] for k in mem}):
            per = {}
            rate = {}
            for b in ("base", "new"):
                rs = mem.get((b, n), [])
                per[b] = med([(r["rss_loaded_kb"] - r["rss_start_kb"]) * 1024 / n for r in rs])
                rate[b] = med([r["load"]["rate"] for r in rs])
                bad = [r for r in rs if r["load"]["ok"] != n]
                if bad:
                    print(f"{b} n={n}: {len(bad)} load(s) not every update OK", file=sys.stderr)
                    return None
            verdict = "met" if per["new"] <= 48 else "not met"
            out.append(f"| {fmt_n(n)} | {per['base']:.1f} | **{per['new']:.1f}** | "
                       f"{rate['base'] / 1000:.0f}k / {rate['new'] / 1000:.0f}k | {verdict} |")
        out.append("")
    if eng:
        out.append("| bindings | engine CPU ns / query, before | after | after / before | "
                   "wall ns / query, before / after | "
                   "structure / binding, before (B) | after (B) |")
        out.append("|---|---|---|---|---|---|---|")
        for n in sorted({k[1] for k in eng}):
            def m(b, f):
                return med([e[f] for e in eng.get((b, n), [])])
            out.append(f"| {fmt_n(n)} | {m('base', 'query_cpu_ns'):.0f} | "
                       f"{m('new', 'query_cpu_ns'):.0f} | "
                       f"{m('new', 'query_cpu_ns') / m('base', 'query_cpu_ns'):.2f} | "
                       f"{m('base', 'query_ns'):.0f} / {m('new', 'query_ns'):.0f} | "
                       f"{m('base', 'struct_per_binding'):.1f} | "
                       f"{m('new', 'struct_per_binding'):.1f} |")
        out.append("")
    out.append(f"(median of {reps} repetitions; raw rows in {d}/rows.jsonl)")
    return "\n".join(out)


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return mdblocks.check(argv[2], "bench-lm-mem", block, "bench-lm-mem-report")
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = block(argv[1])
    if out is None:
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
