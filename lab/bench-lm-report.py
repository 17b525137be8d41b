#!/usr/bin/env python3
"""Tables, ratios and goals of docs/BENCHMARKS.md, "Location management",
from the raw data of one lab/bench-lm.sh run.

  lab/bench-lm-report.py DIR          print the section body, write DIR/table.md,
                                      DIR/throughput.dat and DIR/throughput.png
  lab/bench-lm-report.py --check DOC  recompute the section between
                                      <!-- bench-lm:begin DIR --> and
                                      <!-- bench-lm:end --> in DOC from DIR and
                                      fail on any difference (no plot drawn)

DIR/rows.jsonl holds one object per row (see lab/bench-lm.sh): the MAC
cost, the floor (dmmbench echo), dmm (dmmd LM), redis and dmm-redis (dmmd
LM with lm { store redis }) rows per size, and dmm-startup rows (start-up
with N bindings persisted). A run of only start-up rows (bench-lm.sh
--sizes "" --no-redis) gives only their table. Every <!-- bench-lm:begin
DIR --> block of DOC is checked.
"""
import json
import os
import re
import statistics
import subprocess
import sys

import mdblocks

GOAL_RATIO = 0.90   # of the floor, at 1M bindings
GOAL_P99_US = 250.0
GOAL_BYTES = 48.0   # per binding at 1M
GOAL_START_MS = 500


def load(d):
    rows = []
    with open(os.path.join(d, "rows.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def redis_stats(r):
    # redis-benchmark --csv: test, rps, avg, min, p50, p95, p99, max (ms)
    c = r["csv"].split(",")
    return {"rate": float(c[1]), "p50_us": float(c[4]) * 1000,
            "p99_us": float(c[6]) * 1000}


def cpu_us(r, answers):
    """Server CPU time (utime + stime) per answer, µs (nan if not recorded)."""
    if not answers or "cpu_ticks" not in r:
        return float("nan")
    return r["cpu_ticks"] / r["hz"] / answers * 1e6


def fmt_n(n):
    return {1000: "1k", 100000: "100k", 1000000: "1M"}.get(n, str(n))


def met(ok):
    return "**met**" if ok else "**not met**"


def startup_lines(rows):
    """The table of the dmm-startup rows and the start-up goal, or []."""
    st = {r["n"]: r for r in rows if r["system"] == "dmm-startup"}
    if not st:
        return [], None
    out = ["Start-up with the bindings persisted (`state DIR`, LMDB): dmmd stopped after loading N "
           "bindings, then started again on the same state, %s; from just before the exec to "
           "the kernel's receive timestamp of the first LOC_QUERY answer (a query for a persisted "
           "binding); after the last start, 2 s of queries for addresses drawn uniformly over the N "
           "bindings, each answered OK if its binding came back." % (
               lambda k: "once" if k == 1 else "%d times" % k)(max(len(r["runs"]) for r in st.values())),
           "",
           "| bindings persisted | LMDB file | start-up to first answer, median (min–max) | "
           "restore, wall / CPU (median) | first answers OK | queries after: OK / answered | "
           "load, each update committed | RSS after start |",
           "|---|---|---|---|---|---|---|---|"]
    med = {}
    for n in sorted(st):
        r = st[n]
        ms = [x["startup_ms"] for x in r["runs"]]
        wall, cpu = [], []
        for x in r["runs"]:
            m = re.search(r"restored.* in (\d+) ms \((\d+) ms of CPU\)", x["log"])
            if m:
                wall.append(int(m.group(1)))
                cpu.append(int(m.group(2)))
        c = r["check"]
        med[n] = statistics.median(ms)
        out.append("| %s | %.1f MB | **%.0f ms** (%.0f–%.0f) | %s | %d of %d | %d / %d | %.0fk/s | %.0f MB |" % (
            fmt_n(n), r["db_bytes"] / 1e6, med[n], min(ms), max(ms),
            "%.0f / %.0f ms" % (statistics.median(wall), statistics.median(cpu)) if wall else "—",
            sum(1 for x in r["runs"] if x["first"]["ok"]), len(r["runs"]), c["ok"], c["answered"],
            r["load"]["rate"] / 1000, statistics.median([x["rss_kb"] for x in r["runs"]]) / 1024))
    out.append("")
    big = st.get(1000000)
    goal = None
    if big:
        good = all(x["first"]["ok"] for x in big["runs"]) and big["check"]["ok"] == big["check"]["answered"] > 0
        goal = "- ≤ 0.5 s from start to first answer with 1M bindings persisted: %.0f ms (median of %d) — %s" % (
            med[1000000], len(big["runs"]), met(med[1000000] <= GOAL_START_MS and good))
    return out, goal


def report(d):
    rows = load(d)
    s_lines, s_goal = startup_lines(rows)
    if not any(r["system"] in ("dmm", "redis") for r in rows):
        out = s_lines + ["Goals (issue 11), this run:",
                         s_goal or "- (no 1M start-up row in this run)"]
        return "\n".join(out) + "\n", []
    mac = next((r["mac"] for r in rows if r["system"] == "mac"), None)
    floor = next(r for r in rows if r["system"] == "floor")
    fr = floor["run"]["rate"]
    dmm = {r["n"]: r for r in rows if r["system"] == "dmm"}
    red = {r["n"]: r for r in rows if r["system"] == "redis"}
    drs = {r["n"]: r for r in rows if r["system"] == "dmm-redis"}
    sizes = sorted(set(dmm) | set(red) | set(drs))
    out = []
    out.append("| system | bindings | answers/s | floor before it | to the floor | dmm to Redis "
               "| p50 / p99 / p99.9 (µs) | server CPU / answer (µs) | RSS / binding (B) "
               "| structure / binding (B) | start-up to first answer (ms) | load (updates/s) |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    fcpu = cpu_us(floor["run"], floor["run"]["answered"])
    out.append("| floor (dmmbench echo) | — | %.0fk | — | 1.00 | — | %.0f / %.0f / %.0f | %s | — | — | — | — |" % (
        fr / 1000, floor["run"]["p50_us"], floor["run"]["p99_us"], floor["run"]["p999_us"],
        "%.1f" % fcpu if fcpu == fcpu else "—"))
    plot = []
    for n in sizes:
        line = [n, fr, "nan", "nan"]
        if n in dmm:
            r = dmm[n]
            run = r["run"]
            rss_b = (r["rss_loaded_kb"] - r["rss_start_kb"]) * 1024 / n
            struct_b = r["engine"]["struct_per_binding"] if "engine" in r else None
            vs_redis = "%.2f" % (run["rate"] / redis_stats(red[n])["rate"]) if n in red else "—"
            bad = run["timeouts"] + run["errors"] + run["not_ok"]
            rf = r["floor"]["rate"]
            out.append("| dmm (dmmd LM) | %s | %.0fk | %.0fk | %.2f | %s | %.0f / %.0f / %.0f | %.1f | %.0f | %s | %d | %.0fk |%s" % (
                fmt_n(n), run["rate"] / 1000, rf / 1000, run["rate"] / rf, vs_redis,
                run["p50_us"], run["p99_us"], run["p999_us"], cpu_us(r, run["answered"]), rss_b,
                "%.0f" % struct_b if struct_b is not None else "—", r["startup_ms"],
                r["load"]["rate"] / 1000, "" if bad == 0 else " %d timeouts/errors/not OK" % bad))
            line[1] = rf
            line[2] = "%.0f" % run["rate"]
        if n in red:
            r = red[n]
            s = redis_stats(r)
            rss_b = (r["rss_loaded_kb"] - r["rss_start_kb"]) * 1024 / n
            own = (r["used_memory_loaded"] - r["used_memory_start"]) / n
            rf = r["floor"]["rate"]
            out.append("| redis-server 7.0 (GET) | %s | %.0fk | %.0fk | %.2f | — | %.0f / %.0f / — | %.1f | %.0f | %.0f (used_memory) "
                       "| %d (%d with the %s keys persisted) | %.0fk |" % (
                           fmt_n(n), s["rate"] / 1000, rf / 1000, s["rate"] / rf, s["p50_us"], s["p99_us"],
                           cpu_us(r, r["requests"]), rss_b, own, r["startup_ms"], r["startup_persisted_ms"], fmt_n(n),
                           n / r["load_seconds"] / 1000))
            line[3] = "%.0f" % s["rate"]
        line.append("nan")
        if n in drs:
            r = drs[n]
            run = r["run"]
            rss_b = (r["rss_loaded_kb"] - r["rss_start_kb"]) * 1024 / n
            vs_dmm = "%.2f" % (run["rate"] / dmm[n]["run"]["rate"]) if n in dmm else "—"
            vs_redis = "%.2f" % (run["rate"] / redis_stats(red[n])["rate"]) if n in red else "—"
            bad = run["timeouts"] + run["errors"] + run["not_ok"]
            rf = r["floor"]["rate"]
            out.append("| dmm on Redis (lm store redis) | %s | %.0fk | %.0fk | %.2f | %s | %.0f / %.0f / %.0f | %.1f | %.0f | — | %d (%d with the %s bindings in Redis) | %.1fk |%s" % (
                fmt_n(n), run["rate"] / 1000, rf / 1000, run["rate"] / rf, vs_redis,
                run["p50_us"], run["p99_us"], run["p999_us"], cpu_us(r, run["answered"]), rss_b,
                r["startup_ms"], r["startup_persisted_ms"], fmt_n(n), r["load"]["rate"] / 1000,
                "" if bad == 0 else " %d timeouts/errors/not OK" % bad))
            line[4] = "%.0f" % run["rate"]
        plot.append(line)
    out.append("")
    if mac:
        out.append("MAC (HMAC-SHA-256, libcrypto, pre-keyed), in-process on one core, %d-byte LOC_QUERY: "
                   "seal %d ns (of which MAC %d), open %d ns (of which MAC %d); "
                   "libsodium's one-shot HMAC of the same bytes: %d ns." % (
                       mac["msg_bytes"], mac["seal_ns"], mac["mac_seal_ns"], mac["open_ns"],
                       mac["mac_open_ns"], mac["sodium_oneshot_ns"]))
        eng = [(n, dmm[n]["engine"]) for n in sorted(dmm) if "engine" in dmm[n]]
        if eng:
            out.append("The LM engine in-process on one core (dmmbench engine: sealed LOC_QUERY into "
                       "dmm_node_recv, reply sealed, no socket), ns per query: %s; the two MACs "
                       "(open the request, seal the reply) are %s of it." % (
                           ", ".join("%d at %s" % (e["query_ns"], fmt_n(n)) for n, e in eng),
                           ", ".join("%.0f %%" % (100.0 * (mac["mac_seal_ns"] + mac["mac_open_ns"]) / e["query_ns"])
                                     for n, e in eng)))
        big = max(dmm) if dmm else None
        if big:
            r = dmm[big]
            per_req_ns = cpu_us(r, r["run"]["answered"]) * 1000
            share = (mac["mac_seal_ns"] + mac["mac_open_ns"]) / per_req_ns
            busy = per_req_ns * r["run"]["rate"] / 1e9
            out.append("At %s bindings one answered query cost dmmd %.2f µs of CPU (its utime + stime over "
                       "the run / answers, system calls included; it was busy %.0f %% of the run); the two "
                       "MACs (open the request, seal the reply) are %.0f %% of that." % (
                           fmt_n(big), per_req_ns / 1000, busy * 100, share * 100))
            ff = r["floor"]
            fc = cpu_us(ff, ff["answered"])
            if fc == fc:
                out.append("Its floor cost the echo server %.2f µs of CPU per answer: with the server's core "
                           "as the only limit, dmmd would answer %.0f %% of what the floor does (an estimate "
                           "from CPU time, not a measured rate)." % (fc, 100 * fc * 1000 / per_req_ns))
        out.append("")
    if drs:
        out.extend(store_table(dmm, drs))
    out.append("Goals (issue 11), this run:")
    if 1000000 in dmm:
        r = dmm[1000000]
        ratio = r["run"]["rate"] / r["floor"]["rate"]
        out.append("- ≥ 90 %% of the floor at 1M bindings: %.0f %% — %s" % (ratio * 100, met(ratio >= GOAL_RATIO)))
        out.append("- p99 ≤ 250 µs at 1M bindings: %.0f µs — %s" % (r["run"]["p99_us"], met(r["run"]["p99_us"] <= GOAL_P99_US)))
        rss_b = (r["rss_loaded_kb"] - r["rss_start_kb"]) * 1024 / 1000000
        sb = r["engine"]["struct_per_binding"] if "engine" in r else None
        out.append("- ≤ 48 B per binding at 1M: RSS delta %.0f B%s — %s" % (
            rss_b, ", structure %.0f B" % sb if sb is not None else "",
            met(rss_b <= GOAL_BYTES and (sb is None or sb <= GOAL_BYTES))))
        out.append(s_goal or "- ≤ 0.5 s from start to first answer with 1M bindings persisted: not "
                   "measured in this run (start-up to first answer, empty: %d ms)" % r["startup_ms"])
    else:
        out.append("- (no 1M row in this run)")
        if s_goal:
            out.append(s_goal)
    if s_lines:
        out = out[:out.index("Goals (issue 11), this run:")] + s_lines + \
            out[out.index("Goals (issue 11), this run:"):]
    text = "\n".join(out) + "\n"
    return text, plot


def store_table(dmm, drs):
    """lm { store redis } beside the embedded store, same run: updates (each
    written through to Redis before its LOC_ACK), queries, a 90/10 mix."""
    out = ["The LM on Redis (`lm { store redis }`, appendfsync always) beside the embedded store, "
           "same run; updates are acknowledged once Redis has them, queries are answered from "
           "dmmd's own tables:", "",
           "| bindings | updates/s: embedded / Redis (ratio) | update p50 / p99 (µs): embedded / Redis "
           "| queries/s: embedded / Redis (ratio) | 90 % queries + 10 % updates, answers/s, p50 / p99 (µs): "
           "embedded — Redis (ratio) "
           "| Redis memory / binding (B) | Redis CPU / update (µs) |",
           "|---|---|---|---|---|---|---|"]
    for n in sorted(drs):
        r = drs[n]
        e = dmm.get(n)
        lr, qr, mx = r["load"], r["run"], r["mix"]
        mem = (r["used_memory_loaded"] - r["used_memory_start"]) / n
        rcpu = r["redis_load_cpu_ticks"] / r["hz"] / lr["answered"] * 1e6 if lr["answered"] else float("nan")
        if e:
            upd = "%.1fk / %.1fk (%.2f)" % (e["load"]["rate"] / 1000, lr["rate"] / 1000,
                                              lr["rate"] / e["load"]["rate"])
            ulat = "%.0f / %.0f — %.0f / %.0f" % (e["load"]["p50_us"], e["load"]["p99_us"],
                                                  lr["p50_us"], lr["p99_us"])
            qry = "%.0fk / %.0fk (%.2f)" % (e["run"]["rate"] / 1000, qr["rate"] / 1000,
                                             qr["rate"] / e["run"]["rate"])
        else:
            upd = "— / %.1fk" % (lr["rate"] / 1000)
            ulat = "— — %.0f / %.0f" % (lr["p50_us"], lr["p99_us"])
            qry = "— / %.0fk" % (qr["rate"] / 1000)
        bad = mx["timeouts"] + mx["errors"] + mx["not_ok"]
        em = e.get("mix") if e else None
        mix = "%.0fk, %.0f / %.0f%s" % (mx["rate"] / 1000, mx["p50_us"], mx["p99_us"],
                                       "" if bad == 0 else " (%d timeouts/errors/not OK)" % bad)
        if em:
            mix = "%.0fk, %.0f / %.0f — %s (%.2f)" % (em["rate"] / 1000, em["p50_us"], em["p99_us"],
                                                     mix, mx["rate"] / em["rate"])
        out.append("| %s | %s | %s | %s | %s | %.0f | %.1f |" % (
            fmt_n(n), upd, ulat, qry, mix, mem, rcpu))
    out.append("")
    return out


def draw(d, plot):
    dat = os.path.join(d, "throughput.dat")
    with open(dat, "w") as f:
        f.write("# bindings floor dmm redis dmm-on-redis (answers/s)\n")
        for line in plot:
            f.write(" ".join(str(x) for x in line) + "\n")
    gp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plots", "lm-throughput.gp")
    subprocess.run(["gnuplot", "-e", "dir='%s'" % d, gp], check=False)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        return mdblocks.check(sys.argv[2], "bench-lm", lambda d: report(d)[0], "bench-lm-report")
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = sys.argv[1]
    text, plot = report(d)
    with open(os.path.join(d, "table.md"), "w") as f:
        f.write(text)
    if plot:
        draw(d, plot)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
