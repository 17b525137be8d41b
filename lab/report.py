#!/usr/bin/python3
"""report.py: the handover table, verdict and plots of a demo or bench run.

usage: report.py RESULTS_DIR [--no-plots] [--quiet]
       report.py --markdown RESULTS_DIR...   one BENCHMARKS.md row per run

RESULTS_DIR holds what lab/demo.sh and lab/bench.sh collect:
  run.json        manifest: rate, down_ms, hold, mn (the moving MN), streams
                  [{name, csv, summary, from, to}], tcp [{name, json, rc}],
                  addrs {address: node name}
  moves.jsonl     one `dmmlab move` line per handover (mn, from, to, down_ns,
                  up_ns; CLOCK_MONOTONIC)
  counters.jsonl  {move, phase: before|after, node, counters} from
                  `dmmctl -j show counters` around each move (optional)
  caches.jsonl    {move, node, cache, mns} from `dmmctl -j show cache|mns`
                  after each move (optional)
  links.jsonl     {move, phase: before|after, node, tx_dropped} of the MR end
                  of the moving MN's access link (optional)
  rs.jsonl        lab/mn_rs.py's carrier_ns, rs_ns, ra_ns (optional)
  events/*.events the dmmd event logs (t_ms: CLOCK_MONOTONIC milliseconds)
  probe CSVs      seq,send_ns,recv_ns,stream (one line per arrival) and the
                  receiver's JSON summary line

Each handover i owns the time from its link-down (minus LEAD) to the next
one's. Its interruption, per stream, is the longest silence between two
consecutive arrivals that ends in that window. A lost packet (a sequence
number missing from the CSV; its send time interpolated between the
neighbours that did arrive) belongs to the window its send time falls in.
Packets the moving MN sent while its own link was down never left it: no
network could deliver them, so they are counted apart ("on the dead link")
and are not held against the verdict; every other loss is. The MN's link is
down from down_ns until its carrier is back: up_ns (the veth end is in the
new MR's namespace), or later when the MN saw the carrier return later
(rs.jsonl carrier_ns, from lab/mn_rs.py in the MN's namespace: the new MR's
dmmd brings the link up after it arrives). Likewise, towards the MN, the
packets the old MR's kernel had already handed to the access link when it
was torn down (the link's own tx_dropped grows across the move, links.jsonl:
those packets were on a link that ceased to exist, before any router could
know): at most that many of the move's downlink losses, sent before the
link was back, earliest first. Only those: every other loss counts.

Writes summary.json, handovers.dat, arrivals-<stream>.dat, marks.gp and,
with gnuplot, arrivals.png and interruption.png. Prints the table and the
verdict; exit 0 when every TCP session survived and no packet that should
have been delivered was lost, 1 otherwise, 2 on bad input.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

LEAD_NS = 200 * 10**6    # a handover's window opens this long before link-down
COVER_NS = 300 * 10**6   # every stream must go on this long after the link is back
PLOTS = os.path.join(os.path.dirname(os.path.realpath(__file__)), "plots")


class InputError(Exception):
    pass


def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        if default is not None:
            return default
        raise InputError("missing %s" % path)
    except ValueError as e:
        raise InputError("%s: %s" % (path, e))


def load_lines(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or not line.startswith("{"):
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise InputError("%s:%d: %s" % (path, n, e))
    return out


def load_csv(path):
    """Arrivals as (seq, send_ns, recv_ns), file order (= arrival order)."""
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if n == 1 and line.startswith("seq"):
                continue
            parts = line.strip().split(",")
            if len(parts) < 3:
                continue
            try:
                rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
            except ValueError:
                raise InputError("%s:%d: bad line" % (path, n))
    return rows


def percentile(vals, p):
    """Nearest-rank percentile; None for no values."""
    if not vals:
        return None
    s = sorted(vals)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def median(vals):
    if not vals:
        return None
    s, n = sorted(vals), len(vals)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


# ---------------------------------------------------------------- streams

def windows(moves, end_ns):
    """[start, end) per move: from its link-down minus LEAD to the next's."""
    out = []
    for i, m in enumerate(moves):
        start = m["down_ns"] - LEAD_NS
        end = moves[i + 1]["down_ns"] - LEAD_NS if i + 1 < len(moves) else end_ns
        out.append((start, end))
    return out


def which(wins, t):
    for i, (a, b) in enumerate(wins):
        if a <= t < b:
            return i
    return None


def lost_packets(rows, sent, rate):
    """(seq, estimated send_ns) of every sequence number that never arrived,
    below `sent` (from the FIN; -1 if unknown)."""
    by_seq = {}
    for seq, tx, _ in rows:
        by_seq.setdefault(seq, tx)
    if not by_seq:
        return []
    seqs = sorted(by_seq)
    end = sent if sent is not None and sent >= 0 else seqs[-1] + 1
    step = 10**9 / rate if rate else 0
    out = []
    # Before the first arrival: extrapolate back from it.
    for s in range(0, seqs[0]):
        out.append((s, int(by_seq[seqs[0]] - (seqs[0] - s) * step)))
    for a, b in zip(seqs, seqs[1:]):
        if b - a > 1:
            ta, tb = by_seq[a], by_seq[b]
            for s in range(a + 1, b):
                out.append((s, int(ta + (tb - ta) * (s - a) / (b - a))))
    last = seqs[-1]
    for s in range(last + 1, end):
        out.append((s, int(by_seq[last] + (s - last) * step)))
    return out


def dead_until(moves, rs):
    """Per move: when the moving MN's link was back (ns): up_ns, or the
    carrier return the MN itself saw, if later (rs.jsonl lines are matched
    by time: the helper prints nothing when it saw no flap)."""
    out = []
    for i, m in enumerate(moves):
        nxt = moves[i + 1]["down_ns"] if i + 1 < len(moves) else float("inf")
        c = [r["carrier_ns"] for r in rs if m["down_ns"] <= r.get("carrier_ns", 0) < nxt]
        out.append(max([m["up_ns"]] + c[:1]))
    return out


def link_drops(links, n):
    """Per move: packets dropped on the MR end of the MN's link (tx_dropped
    after - before; 0 when unknown)."""
    out = [0] * n
    for i in range(n):
        b = [l["tx_dropped"] for l in links if l["move"] == i and l["phase"] == "before"]
        a = [l["tx_dropped"] for l in links if l["move"] == i and l["phase"] == "after"]
        if a and b:
            out[i] = max(0, a[0] - b[0])
    return out


def stream_per_move(st, rows, summary, moves, wins, rate, mover, dead_end, budget):
    """Per move: interruption (ms), lost (counted), lost on the dead link.
    budget: per move, downlink losses still to ascribe to the link's
    teardown (shared by the streams towards the mover, consumed here)."""
    res = [{"gap_ms": 0.0, "lost": 0, "lost_dead_link": 0} for _ in moves]
    arr = sorted(r[2] for r in rows)
    for a, b in zip(arr, arr[1:]):
        i = which(wins, b)
        if i is not None and (b - a) / 1e6 > res[i]["gap_ms"]:
            res[i]["gap_ms"] = round((b - a) / 1e6, 3)
    outside = 0
    for seq, tx in lost_packets(rows, summary.get("sent", -1), rate):
        i = which(wins, tx)
        if i is None:
            outside += 1
            continue
        m = moves[i]
        if st.get("from") == mover and m["down_ns"] <= tx <= dead_end[i]:
            res[i]["lost_dead_link"] += 1
        elif st.get("to") == mover and budget[i] > 0 and tx <= dead_end[i]:
            budget[i] -= 1
            res[i]["lost_dead_link"] += 1
        else:
            res[i]["lost"] += 1
    return res, outside


# ---------------------------------------------------------------- daemons

def counter_deltas(counters, i):
    """{node: {name: after - before}} for move i."""
    before = {c["node"]: c["counters"] for c in counters
              if c["move"] == i and c["phase"] == "before"}
    out = {}
    for c in counters:
        if c["move"] == i and c["phase"] == "after" and c["node"] in before:
            b = before[c["node"]]
            out[c["node"]] = {k: v - b.get(k, 0) for k, v in c["counters"].items()
                              if isinstance(v, int)}
    return out


def load_events(d):
    evs = []
    for p in sorted(glob.glob(os.path.join(d, "events", "*.events"))):
        evs += load_lines(p)
    return sorted(evs, key=lambda e: e.get("t_ms", 0))


STEPS = ["link_loss", "attach", "ctx_sent", "ctx_received", "hold_flush", "ctx_acked",
         "loc_updated", "redirect_sent", "redirect_received", "redirect_acked",
         "notify_received", "query_answered", "ctx_deleted"]


def timeline(evs, m, win):
    """First time (ms after link-down) of each handover step in the window."""
    t0 = m["down_ns"] / 1e6
    out = {}
    for e in evs:
        t = e.get("t_ms", 0)
        if win[0] / 1e6 <= t < win[1] / 1e6 and e.get("event") in STEPS:
            key = "%s@%s" % (e["event"], e.get("node"))
            out.setdefault(key, round(t - t0, 1))
    return out


def data_path(caches, i, addrs, corr_mrs, mn_at, mn_prefixes):
    """How each correspondent MR reaches the moving MN after move i."""
    parts = []
    for node in corr_mrs:
        name = node.upper()
        if node == mn_at:
            parts.append("%s local" % name)
            continue
        ent = [c for c in caches if c["move"] == i and c["node"] == node]
        how = "regular routing"
        for e in (ent[0].get("cache") or []) if ent else []:
            if mn_prefixes and e.get("prefix") not in mn_prefixes:
                continue
            if e.get("state") == "tunnel" and e.get("locator"):
                how = "→ %s direct" % addrs.get(e["locator"], e["locator"]).upper()
                break
        if not ent:
            how = "?"
        parts.append("%s %s" % (name, how))
    return ", ".join(parts)


# ---------------------------------------------------------------- report

def tcp_result(d, t):
    j = load_json(os.path.join(d, t["json"]), {})
    try:
        rc = int(open(os.path.join(d, t["rc"])).read().strip())
    except (OSError, ValueError):
        rc = None
    end = j.get("end", {}) if isinstance(j, dict) else {}
    nbytes = end.get("sum_received", {}).get("bytes", 0)
    err = j.get("error") if isinstance(j, dict) else "no output"
    ok = rc == 0 and not err and nbytes > 0
    return {"name": t["name"], "rc": rc, "bytes": nbytes, "error": err, "ok": ok,
            "retransmits": end.get("sum_sent", {}).get("retransmits")}


def build(d):
    run = load_json(os.path.join(d, "run.json"))
    moves = load_lines(os.path.join(d, "moves.jsonl"))
    if not moves:
        raise InputError("%s: no moves" % d)
    mover, rate = run.get("mn", moves[0]["mn"]), run.get("rate", 1000)
    streams, end_ns, last_ns = [], 0, []
    for st in run["streams"]:
        rows = load_csv(os.path.join(d, st["csv"]))
        summ = (load_lines(os.path.join(d, st["summary"])) or [{}])[0]
        end_ns = max([end_ns] + [r[2] for r in rows])
        last_ns.append(max([0] + [r[2] for r in rows]))
        streams.append((st, rows, summ))
    wins = windows(moves, end_ns + 1)
    counters = load_lines(os.path.join(d, "counters.jsonl"))
    caches = load_lines(os.path.join(d, "caches.jsonl"))
    evs = load_events(d)
    addrs = run.get("addrs", {})
    per_stream, problems = {}, []
    dead_end = dead_until(moves, load_lines(os.path.join(d, "rs.jsonl")))
    budget = link_drops(load_lines(os.path.join(d, "links.jsonl")), len(moves))
    for st, rows, summ in streams:
        res, outside = stream_per_move(st, rows, summ, moves, wins, rate, mover, dead_end,
                                       budget)
        per_stream[st["name"]] = res
        if not rows:
            problems.append("%s: nothing arrived" % st["name"])
        if outside:
            problems.append("%s: %d lost outside any handover" % (st["name"], outside))
    hos = []
    for i, m in enumerate(moves):
        dl = counter_deltas(counters, i)
        pmr = dl.get(m["from"], {})
        ho = {"n": i + 1, "from": m["from"], "to": m["to"],
              "link_down_ms": round((m["up_ns"] - m["down_ns"]) / 1e6, 3),
              "streams": {n: r[i] for n, r in per_stream.items()},
              "held": pmr.get("dp_held"), "flushed": pmr.get("dp_flushed"),
              "hold_dropped": pmr.get("dp_hold_dropped"),
              "signalling": sum(c.get("tx", 0) for c in dl.values()) if dl else None,
              "steps": timeline(evs, m, wins[i]),
              "path": data_path(caches, i, addrs, run.get("corr_mrs", []), m["to"],
                                run.get("mn_prefixes", []))}
        # A move after a stream ended (the schedule slipped) measures nothing:
        # it is reported, and left out of the statistics.
        ho["covered"] = m["up_ns"] + COVER_NS <= min(last_ns, default=0)
        if not ho["covered"]:
            problems.append("handover %d: after the end of a stream, not measured" % (i + 1))
        ho["interruption_ms"] = max((s["gap_ms"] for s in ho["streams"].values()), default=0)
        ho["lost"] = sum(s["lost"] for s in ho["streams"].values())
        hos.append(ho)
    tcp = [tcp_result(d, t) for t in run.get("tcp", [])]
    lost = sum(h["lost"] for h in hos)
    ok = lost == 0 and all(t["ok"] for t in tcp) and not problems
    return {"run": run, "handovers": hos, "tcp": tcp, "problems": problems,
            "stats": stats(hos, per_stream), "lost_total": lost, "verdict": "PASS" if ok else "FAIL"}


def stats(hos, per_stream):
    out = {}
    keep = [i for i, h in enumerate(hos) if h.get("covered", True)]
    hos = [hos[i] for i in keep]
    for name, res in per_stream.items():
        res = [res[i] for i in keep]
        gaps = [r["gap_ms"] for r in res]
        lost = [r["lost"] for r in res]
        dead = [r["lost_dead_link"] for r in res]
        beyond = [r["gap_ms"] - h["link_down_ms"] for r, h in zip(res, hos)]
        out[name] = {"n": len(res),
                     "interruption_ms": {"median": median(gaps), "p90": percentile(gaps, 90),
                                         "max": max(gaps, default=None)},
                     "beyond_link_down_ms": {"median": median(beyond),
                                             "p90": percentile(beyond, 90),
                                             "max": max(beyond, default=None)},
                     "lost": {"median": median(lost), "p90": percentile(lost, 90),
                              "max": max(lost, default=None), "total": sum(lost)},
                     "lost_dead_link": {"median": median(dead), "max": max(dead, default=None)}}
    return out


def fmt(v, nd=1):
    if v is None:
        return "-"
    return ("%.*f" % (nd, v)) if isinstance(v, float) else str(v)


def table(rep):
    names = [s["name"] for s in rep["run"]["streams"]]
    lines = ["streams: " + ", ".join("%s = %s" % (chr(65 + k), n) for k, n in enumerate(names)),
             "%-3s %-12s %7s  %-27s %-20s %-13s %5s  %s" % (
                 "#", "move", "down ms", "interruption ms A/B/C..", "lost A/B/C..",
                 "held/flushed", "msgs", "path afterwards")]
    for h in rep["handovers"]:
        gaps = "/".join(fmt(h["streams"][n]["gap_ms"]) for n in names)
        lost = "/".join("%d%s" % (h["streams"][n]["lost"],
                                  "+%d" % h["streams"][n]["lost_dead_link"]
                                  if h["streams"][n]["lost_dead_link"] else "")
                        for n in names)
        hf = "%s/%s" % (fmt(h["held"]), fmt(h["flushed"]))
        lines.append("%-3d %-12s %7s  %-27s %-20s %-13s %5s  %s" % (
            h["n"], "%s→%s" % (h["from"], h["to"]), fmt(h["link_down_ms"]), gaps, lost, hf,
            fmt(h["signalling"]), h["path"]))
    lines.append("(lost x+y: x counted against the verdict, y on the dead link: sent by "
                 "the MN while its link was down,\n or dropped by the kernel on the old "
                 "MR's access link as it was torn down)")
    for t in rep["tcp"]:
        lines.append("TCP %s: %s (exit %s, %d bytes%s%s)" % (
            t["name"], "survived" if t["ok"] else "BROKE", t["rc"], t["bytes"],
            ", %s retransmits" % t["retransmits"] if t["retransmits"] is not None else "",
            ", " + str(t["error"]) if t["error"] else ""))
    for p in rep["problems"]:
        lines.append("problem: " + p)
    lines.append("verdict: %s (%d packets lost that should have been delivered)"
                 % (rep["verdict"], rep["lost_total"]))
    return "\n".join(lines)


# ---------------------------------------------------------------- plots

def write_plot_data(d, rep):
    run = rep["run"]
    t0 = None
    for k, st in enumerate(run["streams"]):
        rows = load_csv(os.path.join(d, st["csv"]))
        if rows and (t0 is None or min(r[2] for r in rows) < t0):
            t0 = min(r[2] for r in rows)
    t0 = t0 or 0
    for k, st in enumerate(run["streams"]):
        rows = load_csv(os.path.join(d, st["csv"]))
        with open(os.path.join(d, "arrivals-%d.dat" % k), "w") as f:
            f.write("# %s: time_s seq\n" % st["name"])
            for seq, _, rx in rows:
                f.write("%.6f %d\n" % ((rx - t0) / 1e9, seq))
    names = [s["name"] for s in run["streams"]]
    with open(os.path.join(d, "handovers.dat"), "w") as f:
        f.write("# n label %s\n" % " ".join('"%s"' % n for n in names))
        for h in rep["handovers"]:
            f.write('%d "%s→%s" %s\n' % (h["n"], h["from"], h["to"], " ".join(
                "%.3f" % h["streams"][n]["gap_ms"] for n in names)))
    moves = load_lines(os.path.join(d, "moves.jsonl"))
    with open(os.path.join(d, "marks.gp"), "w") as f:
        f.write("# generated by lab/report.py: handovers and stream names\n")
        for m in moves:
            x = (m["down_ns"] - t0) / 1e9
            f.write('set arrow from %.6f, graph 0 to %.6f, graph 1 nohead dt 2 lc "gray40"\n'
                    % (x, x))
            f.write('set label "→%s" at %.6f, graph 0.97 left offset 0.3,0 font ",8"\n'
                    % (m["to"], x))
        f.write("nstreams = %d\n" % len(names))
        f.write('names = "%s"\n' % " ".join(n.replace(" ", "_") for n in names))


def plot(d):
    gp = shutil.which("gnuplot")
    if not gp:
        print("report: gnuplot not found, plots skipped", file=sys.stderr)
        return
    for name in ("arrivals", "interruption"):
        script = os.path.join(PLOTS, name + ".gp")
        p = subprocess.run([gp, "-e", "dir='%s'" % d, script],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            print("report: gnuplot %s: %s" % (name, p.stderr.strip()), file=sys.stderr)


def markdown(dirs):
    print("| run | rate pps | hold | MN | handovers | stream | interruption ms median / p90 / max "
          "| beyond link-down ms median / max | lost per handover median / p90 / max "
          "| on the dead link median / max |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d in dirs:
        rep = load_json(os.path.join(d, "summary.json"))
        run = rep["run"]
        for name, s in rep["stats"].items():
            i, b, l = s["interruption_ms"], s["beyond_link_down_ms"], s["lost"]
            dl = s.get("lost_dead_link", {})
            print("| %s | %s | %s | %s | %d | %s | %s / %s / %s | %s / %s | %s / %s / %s | %s / %s |" % (
                os.path.basename(d.rstrip("/")), run.get("rate"),
                "on" if run.get("hold") else "off", run.get("mn_settings", "-"), s["n"], name,
                fmt(i["median"]), fmt(i["p90"]), fmt(i["max"]), fmt(b["median"]), fmt(b["max"]),
                fmt(l["median"]), fmt(l["p90"]), fmt(l["max"]), fmt(dl.get("median")),
                fmt(dl.get("max"))))


def main(argv):
    if argv[:1] == ["--markdown"]:
        markdown(argv[1:])
        return 0
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    d = args[0]
    try:
        rep = build(d)
        write_plot_data(d, rep)
    except (InputError, KeyError, OSError) as e:
        print("report: %s" % e, file=sys.stderr)
        return 2
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(rep, f, indent=1, ensure_ascii=False)
    if "--no-plots" not in argv:
        plot(d)
    if "--quiet" not in argv:
        print(table(rep))
    return 0 if rep["verdict"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
