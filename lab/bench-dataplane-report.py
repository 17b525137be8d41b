#!/usr/bin/python3
"""bench-dataplane-report.py: the tables of docs/BENCHMARKS.md ("Data plane")
from the raw data of lab/bench-dataplane.sh.

usage: lab/bench-dataplane-report.py [DIR]      (default results/dataplane)
       lab/bench-dataplane-report.py --check [BENCHMARKS.md [DIR]]
                 the "Measured" block of the "Data plane" section must be
                 exactly what DIR's data gives (exit 1 on any difference)

Reads DIR/env.txt, probe.txt, tput/*.json (iperf3 -J) and *.meta.json,
ping/*.txt (ping output), routes/*.json (dpbench and timed ip -batch),
xlate/xlatebench.json (the locator translation, neutral vs fix-up) and
prints, in Markdown, every number the section publishes: throughput per
driver and mode with the ratio to plain routing, ping RTT median and p99
with the latency the tunnel adds, route programming rates with the ratio
dmm/ip, the goals met or not, and the checks of the raw data (the path each
run took, the path MTU, route counts). Exit status 0 when every check
passes, 1 when one fails, 2 when DIR has no data.

Statistics: median of the runs of a mode; ratios are of medians, with the
range of the ratios of the runs paired by repetition. Percentiles are
nearest-rank (p99 of 1000 RTTs = the 990th smallest).
"""
import glob
import json
import math
import os
import re
import statistics
import sys

DRIVERS = ("seg6", "bpf", "tun")
# "bpfloc": the bpf driver with every MR in `routing locator` (its own lab)
LABS = ("seg6", "bpf", "bpfloc", "tun")
LAB_NAME = {"bpfloc": "bpf, routing locator"}


def dmode(drv):
    """The mode dmm's own route gives a lab: a tunnel, or a translation."""
    return "locator" if drv == "bpfloc" else "tunnel"
RP_SAME_KIND = {"seg6": "ip-seg6", "bpf": "ip-bpf-pinned", "tun": "ip-dev-tun"}
GOAL_TPUT, GOAL_LAT_US, GOAL_RP = 0.95, 10.0, 0.90

problems = []


def check(ok, what):
    if not ok:
        problems.append(what)
    return ok


def pct(v, q):
    s = sorted(v)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        problems.append("%s: %s" % (path, e))
        return None


def read_env(d):
    env = {}
    try:
        for line in open(os.path.join(d, "env.txt")):
            k, _, v = line.rstrip("\n").partition(" ")
            env[k] = v
    except OSError:
        pass
    return env


def read_probe(d):
    probe = {}
    try:
        for line in open(os.path.join(d, "probe.txt")):
            w = line.split(None, 2)
            if len(w) >= 2 and w[0] in DRIVERS:
                probe[w[0]] = (w[1] == "yes", w[2].strip() if len(w) > 2 else "")
    except OSError:
        pass
    return probe


# ---------------------------------------------------------------- throughput

def read_tput(d):
    """{driver: {mode: {rep: (Gbit/s, retransmits, meta)}}}"""
    out = {}
    for meta_path in sorted(glob.glob(os.path.join(d, "tput", "*.meta.json"))):
        meta = load_json(meta_path)
        if meta is None:
            continue
        drv, mode, rep = meta["driver"], meta["mode"], meta["rep"]
        where = "throughput %s %s rep %d" % (drv, mode, rep)
        ip = load_json(meta_path.replace(".meta.json", ".json"))
        if not check(ip is not None and meta["rc"] == 0 and "error" not in ip,
                     "%s: iperf3 failed (%s)" % (where, (ip or {}).get("error", "rc %s" % meta["rc"]))):
            continue
        bps = ip["end"]["sum_received"]["bits_per_second"]
        retr = ip["end"]["sum_sent"].get("retransmits", 0)
        tx = meta["tunnel_tx_packets_after"] - meta["tunnel_tx_packets_before"]
        # Which path the run took: MR31's route and its tunnel counter.
        if mode != "plain":
            check("via 2001:db8:ff::11" not in meta["route_at_mr31"] and tx > 1000,
                  "%s: not through the %s (route %r, %d %s packets)"
                  % (where, mode, meta["route_at_mr31"], tx, mode))
        else:
            check("via 2001:db8:ff::11" in meta["route_at_mr31"] and tx < 100,
                  "%s: not plain routing (route %r, %d tunnel packets)"
                  % (where, meta["route_at_mr31"], tx))
        out.setdefault(drv, {}).setdefault(mode, {})[rep] = (bps / 1e9, retr, meta)
    return out


def ratio_range(runs, a, b):
    """Ratios a/b of the runs paired by repetition: (min, max)."""
    pairs = [runs[a][r][0] / runs[b][r][0] for r in runs[a] if r in runs[b] and runs[b][r][0] > 0]
    return (min(pairs), max(pairs)) if pairs else (float("nan"), float("nan"))


def med(runs, mode):
    return statistics.median(v[0] for v in runs[mode].values()) if runs.get(mode) else float("nan")


# ---------------------------------------------------------------- latency

RTT = re.compile(r"icmp_seq=\d+ .*time=([0-9.]+) ms")
LOSS = re.compile(r"(\d+) packets transmitted, (\d+) received")


def read_ping(d):
    """{driver: {mode: [rtt µs...]}}"""
    out = {}
    for path in sorted(glob.glob(os.path.join(d, "ping", "*.txt"))):
        drv, mode, block = os.path.basename(path)[:-4].rsplit("-", 2)
        text = open(path).read()
        rtts = [float(x) * 1000 for x in RTT.findall(text)]
        m = LOSS.search(text)
        where = "ping %s %s block %s" % (drv, mode, block)
        check(m is not None and m.group(1) == m.group(2),
              "%s: loss (%s)" % (where, m.group(0) if m else "no summary"))
        meta = open(path[:-4] + ".meta").read()
        tx = [int(x) for x in re.findall(r"tunnel_tx_packets (\d+) (\d+)", meta)[0]]
        if mode != "plain":
            check("via 2001:db8:ff::11" not in meta and tx[1] - tx[0] >= len(rtts),
                  "%s: not through the %s" % (where, mode))
        else:
            check("via 2001:db8:ff::11" in meta and tx[1] - tx[0] < 10,
                  "%s: not plain routing" % where)
        out.setdefault(drv, {}).setdefault(mode, []).extend(rtts)
    return out


# ---------------------------------------------------------------- routes

def read_routes(d):
    """{driver: {method: [run...]}}"""
    out = {}
    for path in sorted(glob.glob(os.path.join(d, "routes", "*.json"))):
        drv, rest = os.path.basename(path)[:-5].split("-", 1)
        method, rep = rest.rsplit("-", 1)
        run = load_json(path)
        where = "routes %s %s rep %s" % (drv, method, rep)
        if run is None:
            continue
        n = run["routes"]
        ok = check(run["kernel_after_add"] == n and run["kernel_after_del"] == 0,
                   "%s: %s routes in the kernel after the adds, %s after the deletes (want %d, 0)"
                   % (where, run["kernel_after_add"], run["kernel_after_del"], n))
        if run["tool"] == "dpbench":
            ok &= check(run["add_errors"] == 0 and run["del_errors"] == 0 and run["driver"] == drv,
                        "%s: %d add / %d delete errors, driver %s"
                        % (where, run["add_errors"], run["del_errors"], run["driver"]))
        else:
            ok &= check(run["add_rc"] == 0 and run["del_rc"] == 0,
                        "%s: ip failed: %s %s" % (where, run["add_stderr"], run["del_stderr"]))
        if ok:
            out.setdefault(drv, {}).setdefault(method, []).append(run)
    return out


def rate(runs, key):
    return statistics.median(r[key] for r in runs) if runs else float("nan")


# ---------------------------------------------------------------- report

def fmt_k(v):
    return "—" if v != v else "%.0fk" % (v / 1000) if v >= 10000 else "%.1fk" % (v / 1000)


def tput_section(tput, measured, params):
    if not tput:
        return
    print("**One TCP stream MN2 → MN1** (iperf3 -t %s -O 1, one lab per driver, modes "
          "interleaved; receiver's goodput, median of the runs)" % params.get("time", "?"))
    print()
    print("| driver | dmm's mode | runs per mode | MN2's MTU | plain routing Gbit/s | dmm Gbit/s "
          "| dmm / plain | paired runs, min–max | retransmits plain / dmm |")
    print("|---|---|---|---|---|---|---|---|---|")
    for drv in measured:
        runs, dm = tput.get(drv), dmode(drv)
        if not runs or "plain" not in runs or dm not in runs:
            continue
        p, t = med(runs, "plain"), med(runs, dm)
        lo, hi = ratio_range(runs, dm, "plain")
        rp = statistics.median(v[1] for v in runs["plain"].values())
        rt = statistics.median(v[1] for v in runs[dm].values())
        mtus = sorted({v[2]["mn2_path_mtu_after"] for m in ("plain", dm) for v in runs[m].values()})
        check(len(mtus) == 1, "throughput %s: MN2 used different MTUs: %s" % (drv, mtus))
        print("| %s | %s | %d / %d | %s | %.2f | %.2f | **%.1f %%** | %.1f–%.1f %% | %d / %d |"
              % (LAB_NAME.get(drv, drv), dm, len(runs["plain"]), len(runs[dm]), "/".join(mtus), p,
                 t, 100 * t / p, 100 * lo, 100 * hi, rp, rt))
        runs["_ratio"] = t / p
        runs["_dmm"] = t
    print()
    b, l = tput.get("bpf", {}), tput.get("bpfloc", {})
    if "_dmm" in b and "_dmm" in l:
        print("routing locator against the bpf tunnel, same run: %.2f vs %.2f Gbit/s (%.1f %% of "
              "the tunnel's goodput); against each one's own plain baseline %.1f %% vs %.1f %%. "
              "The locator lab's packets are 1500 bytes (no 40-byte tunnel header: the MRs "
              "advertise the whole MTU), the tunnel lab's 1460."
              % (l["_dmm"], b["_dmm"], 100 * l["_dmm"] / b["_dmm"], 100 * l["_ratio"],
                 100 * b["_ratio"]))
        print()


def ping_section(ping, measured):
    if not ping:
        return
    print("**Latency** (ping MN2 → MN1, 10 ms apart; RTT in µs; only the MN2 → MN1 direction "
          "is tunnelled or translated, the reply is routed plainly in both modes)")
    print()
    print("| driver | dmm's mode | pings per mode | plain median / p99 | dmm median / p99 "
          "| added median / p99 |")
    print("|---|---|---|---|---|---|")
    for drv in measured:
        pm, dm = ping.get(drv), dmode(drv)
        if not pm or "plain" not in pm or dm not in pm:
            continue
        a, b = pm["plain"], pm[dm]
        am, a99, bm, b99 = statistics.median(a), pct(a, 0.99), statistics.median(b), pct(b, 0.99)
        print("| %s | %s | %d / %d | %.0f / %.0f | %.0f / %.0f | **%+.0f** / %+.0f |"
              % (LAB_NAME.get(drv, drv), dm, len(a), len(b), am, a99, bm, b99, bm - am, b99 - a99))
        pm["_added"] = bm - am
    print()


def routes_section(routes, measured):
    if not routes:
        return
    print("**Route programming**, /128 tunnel routes to one locator, each run in a fresh "
          "namespace (median of the runs; routes/s)")
    print()
    print("| driver | routes | dmm add (dp_apply) | ip -batch add, same kind | dmm / ip add "
          "| dmm delete | ip -batch delete, same kind | dmm / ip delete | ip add, plain dev v0 "
          "| ip add, bpf obj per route |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for drv in measured:
        rm = routes.get(drv)
        if not rm or drv not in RP_SAME_KIND:
            continue
        dm, ip = rm.get("dmm", []), rm.get(RP_SAME_KIND[drv], [])
        da, ia, dd, idel = (rate(dm, "add_per_s"), rate(ip, "add_per_s"), rate(dm, "del_per_s"),
                            rate(ip, "del_per_s"))
        pv = rate(rm.get("ip-dev-v0", []), "add_per_s")
        obj = rm.get("ip-bpf-obj", [])
        objs = "%s (%d routes)" % (fmt_k(rate(obj, "add_per_s")), obj[0]["routes"]) if obj else "—"
        print("| %s | %s | %s | %s | **%.0f %%** | %s | %s | %.0f %% | %s | %s |"
              % (drv, dm[0]["routes"] if dm else "—", fmt_k(da), fmt_k(ia), 100 * da / ia,
                 fmt_k(dd), fmt_k(idel), 100 * dd / idel, fmt_k(pv), objs))
        rm["_ratio"] = da / ia
        rm["_dmm"] = da
    print()
    procs = sorted({r.get("ip_processes", 1) for m in routes.values() for k, v in m.items()
                    if k.startswith("ip-") and k != "ip-bpf-obj" for r in v})
    print("Same kind: seg6 `encap seg6 mode encap.red segs LOC`; bpf `encap bpf xmit pinned` "
          "(dmm_encap.bpf.o loaded once with bpftool, shared by every route, as dmmd shares one "
          "program per locator); tun `dev TUN`. Each ip -batch run was %s ip process(es) one "
          "after the other, all of them timed; the obj variant one."
          % "/".join(map(str, procs)))
    print()


def read_xlate(d):
    path = os.path.join(d, "xlate", "xlatebench.json")
    if not os.path.exists(path):
        return None
    x = load_json(path)
    if x is None:
        return None
    check(x.get("input_checksum_valid") and x.get("unfixed_rewrite_detected"),
          "xlatebench: its own checksum check does not tell a broken rewrite")
    for k in ("neutral", "fixup"):
        check(x[k]["checksum_valid"], "xlatebench: %s translation left an invalid checksum" % k)
    return x


def xlate_section(x):
    if not x:
        return
    n, f = (statistics.median(x[k]["ns_per_packet"]) for k in ("neutral", "fixup"))
    print("**Locator translation and transport checksums** (build/xlatebench: dmm_xlate under "
          "BPF_PROG_TEST_RUN, a %d-byte TCP packet, %d batches of %d runs per variant, "
          "alternating; median of the batches' mean ns per packet)"
          % (x["packet_bytes"], x["batches"], x["repeat"]))
    print()
    print("| variant | locator of 2001:db8:1:1200::/64 | ns per packet | TCP checksum after |")
    print("|---|---|---|---|")
    for k, v in (("checksum-neutral locator, no fix-up", "neutral"),
                 ("other locator + bpf_l4_csum_replace", "fixup")):
        print("| %s | %s | %.1f | %s |" % (k, x[v]["locator"], statistics.median(
            x[v]["ns_per_packet"]), "valid" if x[v]["checksum_valid"] else "INVALID"))
    print()
    print("The fix-up costs %+.1f ns per packet (%+.0f %%) on top of the rewrite, and can only "
          "fix transports it parses (TCP, UDP, ICMPv6 right after the header); the neutral "
          "locator needs neither." % (f - n, 100 * (f - n) / n))
    print()
    x["_neutral"], x["_fixup"] = n, f


def goals_section(probe, measured, tput, ping, routes, x=None):
    print("**Goals**")
    print()
    for drv in ("seg6", "bpf", "bpfloc"):
        if drv in probe and not probe[drv][0]:
            print("* %s ≥ 95 %% of plain routing with ≤ 10 µs added: **not measured** — not "
                  "available on this kernel" % drv)
            continue
        r = tput.get(drv, {}).get("_ratio")
        a = ping.get(drv, {}).get("_added")
        if r is None or a is None:
            if drv == "bpfloc" and "bpf" in measured:
                print("* bpf, routing locator ≥ 95 %% of plain routing with ≤ 10 µs added: "
                      "**not measured**")
            continue
        ok_t, ok_l = r >= GOAL_TPUT, a <= GOAL_LAT_US
        print("* %s ≥ 95 %% of plain routing: **%s** (%.1f %%); ≤ 10 µs added: **%s** (%+.0f µs "
              "at the median)" % (LAB_NAME.get(drv, drv), "met" if ok_t else "not met", 100 * r,
                                  "met" if ok_l else "not met", a))
    b, l = tput.get("bpf", {}), tput.get("bpfloc", {})
    if "_dmm" in b and "_dmm" in l:
        ok = l["_dmm"] >= b["_dmm"]
        print("* routing locator at least the bpf tunnel's goodput: **%s** (%.2f vs %.2f Gbit/s)"
              % ("met" if ok else "not met", l["_dmm"], b["_dmm"]))
    if x and "_neutral" in x:
        ok = x["_neutral"] <= x["_fixup"] and x["neutral"]["checksum_valid"]
        print("* the checksum-neutral locator, valid checksums without a fix-up, no slower than "
              "the fix-up: **%s** (%.1f vs %.1f ns per packet)"
              % ("met" if ok else "not met", x["_neutral"], x["_fixup"]))
    for drv in measured:
        r = routes.get(drv, {}).get("_ratio")
        if r is not None:
            print("* %s route programming ≥ 90 %% of ip -batch: **%s** (%.0f %%, %s routes/s)"
                  % (drv, "met" if r >= GOAL_RP else "not met", 100 * r,
                     fmt_k(routes[drv]["_dmm"])))
    if "_ratio" in tput.get("tun", {}):
        print("* tun, as fast as batching allows: %.2f Gbit/s, %.1f %% of plain routing (%+.0f µs "
              "added at the median)" % (med(tput["tun"], "tunnel"), 100 * tput["tun"]["_ratio"],
                                        ping.get("tun", {}).get("_added", float("nan"))))
    print()


def check_doc(doc, d):
    """The Measured block of BENCHMARKS.md's Data plane section against the
    report of d (its first line as the block's heading)."""
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = report(d)
    if rc != 0:
        print("bench-dataplane-report --check: the data's own checks fail (rc %d)" % rc)
        return 1
    t = out.getvalue().rstrip("\n").split("\n")
    want = ["**Measured** (r" + t[0][1:].rstrip(".") + ")"] + t[1:]
    lines = open(doc).read().split("\n")
    try:
        sec = lines.index("## Data plane")
        start = next(i for i in range(sec, len(lines)) if lines[i].startswith("**Measured** (run of"))
        end = next(i for i in range(start, len(lines)) if lines[i] == "**Reading it**")
    except (ValueError, StopIteration):
        print("bench-dataplane-report --check: no Measured block in the Data plane section of %s" % doc)
        return 1
    got = lines[start:end]
    while got and got[-1] == "":
        got.pop()
    if got != want:
        import difflib
        print("bench-dataplane-report --check: %s differs from the report of %s:" % (doc, d))
        for l in difflib.unified_diff(want, got, "report", doc, lineterm="", n=1):
            print(l)
        return 1
    print("bench-dataplane-report --check: %s matches %s (%d lines)" % (doc, d, len(want)))
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        doc = sys.argv[2] if len(sys.argv) > 2 else "docs/BENCHMARKS.md"
        return check_doc(doc, sys.argv[3] if len(sys.argv) > 3 else "results/dataplane")
    return report(sys.argv[1] if len(sys.argv) > 1 else "results/dataplane")


def report(d):
    env, probe = read_env(d), read_probe(d)
    tput, ping, routes, xl = read_tput(d), read_ping(d), read_routes(d), read_xlate(d)
    if not (tput or ping or routes or xl):
        print("bench-dataplane-report: no data in %s" % d, file=sys.stderr)
        return 2
    measured = [x for x in LABS if x in tput or x in ping or x in routes]
    print("Run of %s: Linux %s, %s CPUs (%s), commit %s%s; load average %s at the start, %s at "
          "the end." % (env.get("date", "?"), env.get("kernel", "?"), env.get("cpus", "?"),
                        env.get("model", "?"), env.get("commit", "?")[:12],
                        " + uncommitted changes" if env.get("dirty", "").strip() else "",
                        env.get("loadavg_start", "?"), env.get("loadavg_end", "?")))
    busy = ["%s: %s" % (k[5:], v) for k, v in env.items() if k.startswith("busy_") and v != "none"]
    print("Other processes busy (> 20 %% of a CPU over 1 s) during the run: %s."
          % ("; ".join(busy) if busy else "none seen (sampled at the start, before each lab, "
                                          "at the end)"))
    print()
    for drv in DRIVERS:
        if drv in probe and not probe[drv][0]:
            print("* **%s: not available on this kernel** (`dmmd -P`: %s)" % (drv, probe[drv][1]))
        elif drv not in measured:
            print("* %s: not measured" % drv)
    print()
    w = ("reps " + env.get("reps", "")).split()
    tput_section(tput, measured, dict(zip(w[::2], w[1::2])))
    ping_section(ping, measured)
    routes_section(routes, measured)
    xlate_section(xl)
    goals_section(probe, measured, tput, ping, routes, xl)
    if problems:
        print("**Checks failed** (%d):" % len(problems))
        for p in problems:
            print("* " + p)
        return 1
    print("Checks: every run took the path of its mode (MR31's route and tunnel or translation "
          "counter), MN2 used one MTU in both modes of a lab, no ping was lost, every route count "
          "matched%s." % (", both translations left valid TCP checksums" if xl else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
