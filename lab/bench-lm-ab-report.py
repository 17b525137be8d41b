#!/usr/bin/env python3
"""bench-lm-ab-report.py: the table of lab/bench-lm-ab.sh's run, from its raw
data (DIR/rows.jsonl): the LM's cost per answered LOC_QUERY, this build
("new") against the baseline ("base"), each number the mean over the
rounds, each ratio new / base.

    lab/bench-lm-ab-report.py DIR            print the block
    lab/bench-lm-ab-report.py --check FILE   every block of FILE between
        <!-- bench-lm-ab:begin DIR --> and <!-- bench-lm-ab:end --> must be
        exactly what DIR's data gives (exit 1 on any difference)
"""
import json
import os
import sys

import mdblocks


def load(d):
    with open(os.path.join(d, "rows.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def mean(v):
    return sum(v) / len(v) if v else float("nan")


def sizes(rows, kind):
    return sorted({r["n"] for r in rows if r["kind"] == kind})


def pick(rows, kind, build, n):
    return [r for r in rows if r["kind"] == kind and r["build"] == build and r["n"] == n]


def human(n):
    return f"{n // 1000000}M" if n >= 1000000 and n % 1000000 == 0 else (
        f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n))


def dmmd_cells(rs):
    """Means over the rounds of rs (dmmd rows of one build and size)."""
    ans = [r["run"]["answered"] for r in rs]
    return {
        "tick_us": mean([r["cpu_ticks"] / r["hz"] * 1e6 / a for r, a in zip(rs, ans)]),
        "run_us": mean([r["run_ns"] / 1e3 / a for r, a in zip(rs, ans)]),
        "busy": mean([r["run_ns"] / 1e9 / r["run"]["seconds"] for r in rs]),
        "rate": mean([r["run"]["rate"] for r in rs]),
        "p50": mean([r["run"]["p50_us"] for r in rs]),
        "p99": mean([r["run"]["p99_us"] for r in rs]),
        "not_ok": sum(r["run"]["not_ok"] + r["run"]["timeouts"] for r in rs),
    }


def block(d):
    rows = load(d)
    out = ["| measure | bindings | base | new | new / base |", "|---|---|---|---|---|"]
    for n in sizes(rows, "engine"):
        b = mean([r["engine"]["query_ns"] for r in pick(rows, "engine", "base", n)])
        w = mean([r["engine"]["query_ns"] for r in pick(rows, "engine", "new", n)])
        out.append(f"| LM engine in-process, ns per query | {human(n)} | {b:.0f} | {w:.0f} | {w / b:.2f} |")
    for n in sizes(rows, "dmmd"):
        b = dmmd_cells(pick(rows, "dmmd", "base", n))
        w = dmmd_cells(pick(rows, "dmmd", "new", n))
        out.append(f"| dmmd CPU per answer, µs (scheduler run time) | {human(n)} | "
                   f"{b['run_us']:.2f} | {w['run_us']:.2f} | {w['run_us'] / b['run_us']:.2f} |")
        out.append(f"| dmmd CPU per answer, µs (utime + stime) | {human(n)} | "
                   f"{b['tick_us']:.2f} | {w['tick_us']:.2f} | {w['tick_us'] / b['tick_us']:.2f} |")
        out.append(f"| dmmd busy (CPU s per s) | {human(n)} | {b['busy']:.2f} | {w['busy']:.2f} | — |")
        out.append(f"| answers/s | {human(n)} | {b['rate'] / 1000:.1f}k | {w['rate'] / 1000:.1f}k | "
                   f"{w['rate'] / b['rate']:.2f} |")
        out.append(f"| p50 / p99 latency, µs | {human(n)} | {b['p50']:.0f} / {b['p99']:.0f} | "
                   f"{w['p50']:.0f} / {w['p99']:.0f} | — |")
        out.append(f"| answers not OK or timed out | {human(n)} | {b['not_ok']} | {w['not_ok']} | — |")
        fl = pick(rows, "floor", "floor", n)
        if fl:
            f = dmmd_cells(fl)
            out.append(f"| no-op floor (dmmbench echo, before each pair): answers/s; CPU per answer, µs; "
                       f"p50 / p99, µs | {human(n)} | {f['rate'] / 1000:.1f}k; {f['run_us']:.2f}; "
                       f"{f['p50']:.0f} / {f['p99']:.0f} | (the same) | — |")
            out.append(f"| answers/s, to the floor's | {human(n)} | {b['rate'] / f['rate']:.2f} | "
                       f"{w['rate'] / f['rate']:.2f} | — |")
            out.append(f"| the floor's CPU per answer over dmmd's (the share of the floor's rate "
                       f"dmmd keeps up with when its core is the limit) | {human(n)} | "
                       f"{f['run_us'] / b['run_us']:.2f} | {f['run_us'] / w['run_us']:.2f} | — |")
    peers = sorted({r["peers"] for r in rows if r["kind"] == "peers"})
    for p in peers:
        v = mean([r["engine"]["query_ns"] for r in rows if r["kind"] == "peers" and r["peers"] == p])
        one = mean([r["engine"]["query_ns"] for r in rows if r["kind"] == "peers" and r["peers"] == peers[0]])
        out.append(f"| LM engine in-process, ns per query, queries from {p} sender address"
                   f"{'es' if p > 1 else ''} (this build only) | 1k | — | {v:.0f} | "
                   f"{v / one:.2f} (to {peers[0]}) |")
    rounds = max([r["round"] for r in rows] or [0])
    out.append("")
    both = any(r["build"] == "base" for r in rows)
    out.append(f"Each cell: the mean of {rounds} rounds; "
               + ("base and new alternate in every round " if both else "")
               + f"(raw data and machine load: `{d}/rows.jsonl`, `{d}/machine.txt`).")
    return "\n".join(out)


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return mdblocks.check(argv[2], "bench-lm-ab", block, "bench-lm-ab-report")
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(block(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
