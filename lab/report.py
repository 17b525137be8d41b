#!/usr/bin/python3
"""report.py: the handover table, verdict and plots of a demo or bench run.

usage: report.py RESULTS_DIR [--no-plots] [--quiet]
       report.py --markdown RESULTS_DIR...   BENCHMARKS.md rows, one run each
       report.py --table KEPT_RUN_DIR        the table, from committed extracts
       report.py --check [BENCHMARKS.md]     recompute its handover tables from
                                             the committed raw data (bench/)

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
import array
import bisect
import csv
import glob
import gzip
import io
import json
import os
import shutil
import subprocess
import sys

LEAD_NS = 200 * 10**6    # a handover's window opens this long before link-down
COVER_NS = 300 * 10**6   # every stream must go on this long after the link is back
EX_BEFORE_NS = 20 * 10**6   # the per-packet extract of a move: arrivals from this
EX_AFTER_NS = 250 * 10**6   # long before L2 down to this long after L2 up, plus
                            # the last one before and the first one after
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


REFUSED = 1 << 63  # dmmprobe --send-log: the send time's top bit


def send_log(d, name):
    """The sender's log of every data packet's send time (dmmprobe
    --send-log: NAME.sendlog, 8 bytes per sequence number from 0), when it
    is complete (its count in NAME.send); else None."""
    snd = (load_lines(os.path.join(d, name + ".send")) or [{}])[0]
    path = os.path.join(d, name + ".sendlog")
    if not snd.get("send_log") or not os.path.exists(path):
        return None
    a = array.array("Q")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a if len(a) == snd["send_log"] else None


def lost_packets(rows, sent, rate, log=None):
    """(seq, send_ns, refused) of every sequence number that never arrived,
    below `sent` (from the FIN; -1 if unknown). With the sender's log
    (send_log), each one's true send time, and refused 1 if the sender's
    own kernel refused it (ENOBUFS: its link could not take it), else 0.
    Without it (refused None) (runs before 2026-12-06 19:00), an
    estimate: a lost packet carried its
    send stamp away: its time is the stamp of the last packet before it
    that arrived plus one sending interval (1 / rate) per sequence number
    since (dmmprobe sends on a fixed schedule, in order), no later than the
    stamp of the next one that arrived. Earlier runs interpolated between
    those two stamps, which misplaces a packet by the lateness of the next
    one (a sender that resumed late after a stall or a slow send)."""
    by_seq = {}
    for seq, tx, _ in rows:
        by_seq.setdefault(seq, tx)
    if not by_seq:
        return []
    seqs = sorted(by_seq)
    end = sent if sent is not None and sent >= 0 else seqs[-1] + 1
    if log is not None and end <= len(log):
        return [(s, log[s] & ~REFUSED, 1 if log[s] & REFUSED else 0)
                for s in range(end) if s not in by_seq]
    step = 10**9 / rate if rate else 0
    out = []
    # Before the first arrival: extrapolate back from it.
    for s in range(0, seqs[0]):
        out.append((s, int(by_seq[seqs[0]] - (seqs[0] - s) * step), None))
    for a, b in zip(seqs, seqs[1:]):
        if b - a > 1:
            ta, tb = by_seq[a], by_seq[b]
            for s in range(a + 1, b):
                out.append((s, int(min(ta + (s - a) * step, tb)), None))
    last = seqs[-1]
    for s in range(last + 1, end):
        out.append((s, int(by_seq[last] + (s - last) * step), None))
    return out


def l2_times(moves, events, prefix):
    """Per move: (down, up) ns of its L2 outage, from the link watcher's
    events (dmmprobe link: the MR end of the MN's link going down or leaving
    the old MR, then up at the new MR, stamped on receipt), else the move's
    own down_ns/up_ns (older runs; synthetic tests)."""
    out = []
    for i, m in enumerate(moves):
        nxt = moves[i + 1]["down_ns"] if i + 1 < len(moves) else float("inf")
        ev = [e for e in events if e.get("ifname") == m["mn"] and
              m["down_ns"] <= e.get("t_ns", 0) < nxt]
        down = [e["t_ns"] for e in ev if e["event"] in ("down", "gone") and
                e.get("netns") == prefix + m["from"]]
        up = [e["t_ns"] for e in ev if e["event"] == "up" and e.get("netns") == prefix + m["to"]
              and (not down or e["t_ns"] >= down[0])]
        if down and up:
            out.append((down[0], up[0], "rtnetlink"))
        else:
            out.append((m["down_ns"], m["up_ns"], "dmmlab"))
    return out


def dead_until(moves, rs, l2=None, own=None):
    """Per move: when the moving MN's link was back (ns): the L2 up time, or
    the carrier return the MN itself saw, if later (rs.jsonl lines are
    matched by time: the helper prints nothing when it saw no flap). With
    the MR end's events (l2 "rtnetlink"), the MN's own carrier events (own:
    dmmprobe link on its eth0, runs from 2026-12-06 19:00 on) widen it only
    where the MN saw its carrier go down in the move: its link watcher then
    stopped its transmit queue (what the MN sent was dropped there, counted
    in its tx_dropped, with no error to the sender) until it ran again and
    reported the carrier back, the "up" stamped here. A quick down and up
    the watcher saw as one (no "down") stopped nothing."""
    out = []
    for i, m in enumerate(moves):
        nxt = moves[i + 1]["down_ns"] if i + 1 < len(moves) else float("inf")
        c = [r["carrier_ns"] for r in rs if m["down_ns"] <= r.get("carrier_ns", 0) < nxt]
        if l2 and l2[i][2] == "rtnetlink":
            ev = [e for e in own or [] if m["down_ns"] <= e.get("t_ns", 0) < nxt]
            down = [e["t_ns"] for e in ev if e["event"] == "down"]
            up = [e["t_ns"] for e in ev if e["event"] == "up" and down and e["t_ns"] > down[0]]
            out.append(max([l2[i][1]] + up[:1]))
            continue
        out.append(max([m["up_ns"]] + c[:1]))
    return out


def link_drops(links, n, mn=None, moves=None, end="mr"):
    """Per move: packets dropped on one end of the MN's link (tx_dropped
    after - before; 0 when unknown): the MR end (end "mr", lines without
    "end"), or the MN's own end (end "mn", in the MN's namespace; with its
    namespace's Udp6SndbufErrors, the datagrams its kernel could not hand
    to the link, the smaller of the two rises: tx_dropped also counts its
    neighbour discovery)."""
    out = [0] * n
    for i in range(n):
        sel = [l for l in links if l["move"] == i and l.get("mn", "mn1") == (mn or "mn1")
               and l.get("end", "mr") == end]
        b = [tx_dropped(l) for l in sel if l["phase"] == "before"]
        a = [tx_dropped(l) for l in sel if l["phase"] == "after"]
        if a and b:
            out[i] = max(0, a[0] - b[0])
        b = [l["snmp6"]["Udp6SndbufErrors"] for l in sel if l["phase"] == "before"
             and "Udp6SndbufErrors" in l.get("snmp6", {})]
        a = [l["snmp6"]["Udp6SndbufErrors"] for l in sel if l["phase"] == "after"
             and "Udp6SndbufErrors" in l.get("snmp6", {})]
        if a and b:
            out[i] = min(out[i], max(0, a[0] - b[0]))
    return out


def tx_dropped(l):
    """links.jsonl: tx_dropped, or `ip -j -s link` output as "link"."""
    if "tx_dropped" in l:
        return l["tx_dropped"]
    return l["link"][0]["stats64"]["tx"]["dropped"]


def extract(arr, lo, hi, keys=None):
    """The arrivals (seq, send_ns, recv_ns) of one move, by arrival time:
    those in [lo, hi], the last one before and the first one after. arr is
    sorted by arrival time, keys its arrival times."""
    keys = keys if keys is not None else [r[2] for r in arr]
    a, b = bisect.bisect_left(keys, lo), bisect.bisect_right(keys, hi)
    return arr[max(0, a - 1):b + 1]


def longest_gap(ex):
    g = 0
    for a, b in zip(ex, ex[1:]):
        g = max(g, b[2] - a[2])
    return round(g / 1e6, 3)


def classify(st, lost, m, l2, dead_end, budget, mover, edge=None, last_through=-1):
    """lost: [(seq, send_ns, refused)] of one move and stream. Returns
    (counted, excused). Excused, never counted against the verdict: packets
    the moving MN sent while its own link was down (from the L2 down until
    it was back: nothing could carry them), and, where the sender logged
    which ones its kernel refused (refused 1: ENOBUFS from its own end of
    the link), those refused before the L2 down stamp: that end already
    refused them as the MR end was taken away, before the down event
    (docs/BENCHMARKS.md, "The uplink at the L2 down stamp"); towards it, at most `budget`
    (the old MR end's tx_dropped across the move) packets sent before the
    MR end of the link was removed (l2[0]): in flight on a link that ceased
    to exist. A packet sent after the removal was the routers' to deliver.
    Without the sender's log (runs before 2026-12-06 19:00), instead of the
    refused mark: at most `edge` packets (what the MN's own end of the link
    refused across the move, link_drops(end="mn"), beyond the packets the
    MN sent in the outage; [0] when not recorded) sent before the L2 down
    stamp, the latest first, and only after the stream's last packet sent
    before that stamp that got through (last_through, a sequence number):
    the MN's kernel refused them at its end of the link as the other end
    went down (veth: the peer no longer running), before the down event.
    A packet a later one overtook did not die there."""
    counted = excused = 0
    edge_ok = set()
    marked = any(x[2] is not None for x in lost)
    if edge is not None and st.get("from") == mover and edge[0] > 0 and not marked:
        cand = sorted((x for x in lost if x[1] < l2[0] and x[0] > last_through),
                      key=lambda x: -x[1])
        edge_ok = {x[0] for x in cand[:edge[0]]}
        edge[0] -= len(edge_ok)
    for seq, tx, ref in sorted(lost, key=lambda x: x[1]):
        if st.get("from") == mover and l2[0] <= tx <= dead_end:
            excused += 1
        elif st.get("from") == mover and ref and tx < l2[0]:
            excused += 1
        elif seq in edge_ok:
            excused += 1
        elif st.get("to") == mover and budget[0] > 0 and tx <= l2[0]:
            budget[0] -= 1
            excused += 1
        else:
            counted += 1
    return counted, excused


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


def load_run(d, from_extract=False):
    """Everything a report needs. From the full receiver CSVs (a fresh run),
    or, from_extract, from the committed extract (extract.csv.gz, lost.csv:
    report.py --check)."""
    run = load_json(os.path.join(d, "run.json"))
    moves = load_lines(os.path.join(d, "moves.jsonl"))
    if not moves:
        raise InputError("%s: no moves" % d)
    for m in moves:
        m.setdefault("mn", run.get("mn", "mn1"))
    events = []
    for f in run.get("link_events", []):
        events += load_lines(os.path.join(d, f))
    return run, moves, events


def build(d, from_extract=False):
    run, all_moves, lev = load_run(d)
    rate = run.get("rate", 1000)
    prefix = run.get("ns_prefix", "")
    movers = [run.get("mn", all_moves[0]["mn"])] + ([run["oracle_mn"]] if run.get("oracle_mn") else [])
    counters = load_lines(os.path.join(d, "counters.jsonl"))
    caches = load_lines(os.path.join(d, "caches.jsonl"))
    links = load_lines(os.path.join(d, "links.jsonl"))
    rs = load_lines(os.path.join(d, "rs.jsonl"))
    evs = load_events(d)
    addrs = run.get("addrs", {})
    if from_extract:
        ex_rows, lost_rows, meta = read_extract(d)
    else:
        ex_rows, lost_rows, meta = {}, {}, {}
    problems, hos, per_stream = [], [], {}
    for mover in movers:
        moves = [m for m in all_moves if m["mn"] == mover]
        if not moves:
            continue
        oracle = mover == run.get("oracle_mn")
        l2 = l2_times(moves, lev, prefix)
        own = load_lines(os.path.join(d, run.get("own_link_events", {}).get(mover, "-")))
        dead_end = dead_until(moves, [] if oracle else rs, l2, own)
        budget = link_drops(links, len(moves), mover)
        edge = link_drops(links, len(moves), mover, end="mn")
        streams = [st for st in run["streams"] if mover in (st.get("from"), st.get("to"))]
        res = {st["name"]: [None] * len(moves) for st in streams}
        last_ns = []
        for st in streams:
            name = st["name"]
            if from_extract:
                last_ns.append(meta.get(name, {}).get("last_ns", 0))
                end_ns = meta.get(name, {}).get("end_ns", 0)
            else:
                rows = load_csv(os.path.join(d, st["csv"]))
                summ = (load_lines(os.path.join(d, st["summary"])) or [{}])[0]
                if not rows:
                    problems.append("%s: nothing arrived" % name)
                last_ns.append(max([0] + [r[2] for r in rows]))
                end_ns = max([0] + [r[2] for r in rows]) + 1
                meta[name] = {"last_ns": last_ns[-1], "end_ns": end_ns}
                wins = windows(moves, end_ns)
                lost_all = lost_packets(rows, summ.get("sent", -1), rate, send_log(d, name))
                outside = 0
                for x in lost_all:
                    i = which(wins, x[1])
                    if i is None:
                        outside += 1
                    else:
                        lost_rows.setdefault((mover, i, name), []).append(x)
                if outside:
                    problems.append("%s: %d lost outside any handover" % (name, outside))
                arr = sorted(rows, key=lambda r: r[2])
                keys = [r[2] for r in arr]
                for i, m in enumerate(moves):
                    ex_rows[(mover, i, name)] = extract(arr, l2[i][0] - EX_BEFORE_NS,
                                                        l2[i][1] + EX_AFTER_NS, keys)
        # The MN's end refused the packets of its outage too (measured:
        # docs/BENCHMARKS.md, "The uplink at the L2 down stamp"): what is
        # left for the edge is what it refused beyond those, over all the
        # MN's streams.
        for i in range(len(moves)):
            edge[i] = max(0, edge[i] - sum(
                1 for st in streams if st.get("from") == mover
                for _, tx, _ in lost_rows.get((mover, i, st["name"]), [])
                if l2[i][0] <= tx <= dead_end[i]))
        for st in streams:
            name = st["name"]
            for i, m in enumerate(moves):
                lost = lost_rows.get((mover, i, name), [])
                b, e = [budget[i]], [edge[i]]
                ex = ex_rows.get((mover, i, name), [])
                through = max([r[0] for r in ex if r[1] < l2[i][0]], default=-1)
                counted, excused = classify(st, lost, m, l2[i], dead_end[i], b, mover, e,
                                            through)
                budget[i], edge[i] = b[0], e[0]
                res[name][i] = {"gap_ms": longest_gap(ex_rows.get((mover, i, name), [])),
                                "lost": counted, "lost_dead_link": excused,
                                "lost_raw": len(lost),
                                "dir": "down" if st.get("to") == mover else "up"}
        for name, r in res.items():
            per_stream[name] = r
        for i, m in enumerate(moves):
            ho = {"n": i + 1, "mn": mover, "oracle": oracle, "from": m["from"], "to": m["to"],
                  "link_down_ms": round((m["up_ns"] - m["down_ns"]) / 1e6, 3),
                  "l2_down_ns": l2[i][0], "l2_up_ns": l2[i][1], "l2_source": l2[i][2],
                  "l2_outage_ms": round((l2[i][1] - l2[i][0]) / 1e6, 3),
                  "streams": {n: r[i] for n, r in res.items()}}
            if not oracle:
                dl = counter_deltas(counters, i)
                pmr = dl.get(m["from"], {})
                ho.update({"held": pmr.get("dp_held"), "flushed": pmr.get("dp_flushed"),
                           "hold_dropped": pmr.get("dp_hold_dropped"),
                           "signalling": sum(c.get("tx", 0) for c in dl.values()) if dl else None,
                           "steps": timeline(evs, m, (m["down_ns"] - LEAD_NS, m["down_ns"] + 10**9)),
                           "path": data_path(caches, i, addrs, run.get("corr_mrs", []), m["to"],
                                             run.get("mn_prefixes", []))})
            else:
                ho.update({"held": None, "flushed": None, "signalling": 0, "steps": {},
                           "path": "oracle routes"})
            # A move after a stream ended (the schedule slipped) measures
            # nothing: it is reported, and left out of the statistics.
            ho["covered"] = m["up_ns"] + COVER_NS <= min(last_ns, default=0)
            if not ho["covered"]:
                problems.append("%s handover %d: after the end of a stream, not measured"
                                % (mover, i + 1))
            ho["interruption_ms"] = max((x["gap_ms"] for x in ho["streams"].values()), default=0)
            ho["lost"] = sum(x["lost"] for x in ho["streams"].values())
            hos.append(ho)
    tcp = [tcp_result(d, t) for t in run.get("tcp", [])] if not from_extract else []
    dmm_hos = [h for h in hos if not h["oracle"]]
    lost = sum(h["lost"] for h in dmm_hos)
    ok = lost == 0 and all(t["ok"] for t in tcp) and not problems
    rep = {"run": run, "handovers": hos, "tcp": tcp, "problems": problems,
           "stats": stats(dmm_hos, {k: v for k, v in per_stream.items()
                                    if k in dmm_hos[0]["streams"]} if dmm_hos else {}),
           "lost_total": lost, "verdict": "PASS" if ok else "FAIL"}
    if run.get("oracle_mn"):
        rep["headline"] = headline(hos)
    rep["timing"] = timing(d, run, all_moves, lev)
    return rep, ex_rows, lost_rows, meta


def timing(d, run, moves, lev):
    """The timing error of each clock read (docs/BENCHMARKS.md): the link
    watcher's lag, from the oracle's moves, where the lab's own rtnetlink
    request that brought the link up is timed (the kernel's event lies
    between up_req_ns and up_ns); how late user space would have stamped
    arrivals (the receivers' rx_user_lag_ms); the longest sendmmsg() (a
    send time is read before it)."""
    prefix = run.get("ns_prefix", "")
    lo, hi = [], []
    for m in moves:
        if not m.get("oracle") or "up_req_ns" not in m:
            continue
        ups = [e["t_ns"] for e in lev if e.get("ifname") == m["mn"] and e["event"] == "up" and
               e.get("netns") == prefix + m["to"] and e["t_ns"] >= m["up_req_ns"]]
        if ups:
            lo.append(round((ups[0] - m["up_ns"]) / 1e6, 3))
            hi.append(round((ups[0] - m["up_req_ns"]) / 1e6, 3))
    out = {"watcher_lag_ms_at_least": dist(lo, 3), "watcher_lag_ms_at_most": dist(hi, 3)}
    for st in run["streams"]:
        j = (load_lines(os.path.join(d, st["summary"])) or [{}])[0]
        snd = (load_lines(os.path.join(d, st["name"] + ".send")) or [{}])[0]
        out[st["name"]] = {"rx_user_lag_ms": j.get("rx_user_lag_ms"),
                           "rx_user_stamps": j.get("rx_user_stamps"),
                           "sendmmsg_max_ms": snd.get("sendmmsg_max_ms")}
    return out


def stats(hos, per_stream):
    out = {}
    keep = [i for i, h in enumerate(hos) if h.get("covered", True)]
    hos = [hos[i] for i in keep]
    for name, res in per_stream.items():
        res = [res[i] for i in keep]
        gaps = [r["gap_ms"] for r in res]
        lost = [r["lost"] for r in res]
        dead = [r["lost_dead_link"] for r in res]
        beyond = [r["gap_ms"] - h.get("l2_outage_ms", h["link_down_ms"]) for r, h in zip(res, hos)]
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


# ---------------------------------------------------------------- oracle

def dist(vals, nd=1):
    """median / p90 / max, rounded as published."""
    if not vals:
        return {"median": None, "p90": None, "max": None}
    r = lambda v: round(v, nd) if isinstance(v, float) else v
    return {"median": r(median(vals)), "p90": r(percentile(vals, 90)), "max": r(max(vals))}


def headline(hos):
    """dmm against the oracle, per direction: the k-th covered move of the
    dmm MN paired with the k-th of the oracle MN (the same move, half a
    pause later). Per handover and direction: the interruption (the longest
    silence of the direction's streams), the L2 outage, beyond = the one
    minus the other, every packet lost (raw, nothing excused), and dmm minus
    oracle of beyond and of the loss."""
    dmm = [h for h in hos if not h["oracle"]]
    orc = [h for h in hos if h["oracle"]]
    pairs = [(a, b) for a, b in zip(dmm, orc) if a["covered"] and b["covered"]
             and (a["from"], a["to"]) == (b["from"], b["to"])]
    out = {}
    for dr in ("down", "up"):
        def per(h):
            ss = [x for x in h["streams"].values() if x["dir"] == dr]
            gap = max((x["gap_ms"] for x in ss), default=0.0)
            # Uplink: what the MN sent while its own link was down is lost
            # in both, in proportion to that move's L2 outage: compared is
            # what was lost beyond it. Downlink: every packet.
            return {"gap": gap, "l2": h["l2_outage_ms"], "beyond": round(gap - h["l2_outage_ms"], 3),
                    "lost_raw": sum(x["lost_raw"] for x in ss),
                    "lost_cmp": sum(x["lost_raw"] - (x["lost_dead_link"] if dr == "up" else 0)
                                    for x in ss),
                    "lost": sum(x["lost"] for x in ss)}
        pd = [(per(a), per(b)) for a, b in pairs]
        out[dr] = {"n": len(pd),
                   "l2_dmm": dist([x["l2"] for x, _ in pd]),
                   "l2_oracle": dist([y["l2"] for _, y in pd]),
                   "int_dmm": dist([x["gap"] for x, _ in pd]),
                   "int_oracle": dist([y["gap"] for _, y in pd]),
                   "beyond_dmm": dist([x["beyond"] for x, _ in pd]),
                   "beyond_oracle": dist([y["beyond"] for _, y in pd]),
                   "excess": dist([round(x["beyond"] - y["beyond"], 3) for x, y in pd]),
                   "lost_dmm": dist([x["lost_raw"] for x, _ in pd]),
                   "lost_oracle": dist([y["lost_raw"] for _, y in pd]),
                   "extra_lost": dist([x["lost_cmp"] - y["lost_cmp"] for x, y in pd]),
                   "excess_to": {to: dist([round(x["beyond"] - y["beyond"], 3)
                                           for (x, y), (a, _) in zip(pd, pairs) if a["to"] == to])
                                 for to in sorted({a["to"] for a, _ in pairs})},
                   "counted_dmm": sum(x["lost"] for x, _ in pd)}
    return out


def write_extract(d, ex_rows, lost_rows, meta, hos):
    """The compact raw data of a run: per move and stream, the arrivals
    around the move (extract.csv.gz: seq, send and receive ns, delta-coded
    from the move's L2 down) and every packet lost in the move's window
    (lost.csv.gz, likewise), the
    streams' last arrival (extract.json), and one line per handover and
    stream (handovers.csv)."""
    # Each group (MN, move, stream) is delta-coded: its first line relative
    # to the move's L2 down, every other one relative to the line before
    # (gzip then packs 10k packets/s into a few hundred kB).
    l2 = {(h["mn"], h["n"] - 1): h["l2_down_ns"] for h in hos}
    buf = io.StringIO()
    buf.write("mn,move,stream,dseq,dsend_ns,drecv_ns\n")
    for (mn, i, name) in sorted(ex_rows):
        prev = (0, l2[(mn, i)], l2[(mn, i)])
        for seq, tx, rx in ex_rows[(mn, i, name)]:
            buf.write("%s,%d,%s,%d,%d,%d\n" % (mn, i, name, seq - prev[0], tx - prev[1],
                                               rx - prev[2]))
            prev = (seq, tx, rx)
    with gzip.GzipFile(os.path.join(d, "extract.csv.gz"), "wb", mtime=0) as f:
        f.write(buf.getvalue().encode())
    buf = io.StringIO()
    # refused (0/1, from the sender's log) only where the run had it: the
    # extracts of older runs stay byte for byte what they were.
    known = any(x[2] is not None for v in lost_rows.values() for x in v)
    buf.write("mn,move,stream,dseq,dsend_ns%s\n" % (",refused" if known else ""))
    for (mn, i, name) in sorted(lost_rows):
        prev = (0, l2[(mn, i)])
        for seq, tx, ref in lost_rows[(mn, i, name)]:
            buf.write("%s,%d,%s,%d,%d%s\n" % (mn, i, name, seq - prev[0], tx - prev[1],
                                             (",%d" % (ref or 0)) if known else ""))
            prev = (seq, tx)
    with gzip.GzipFile(os.path.join(d, "lost.csv.gz"), "wb", mtime=0) as f:
        f.write(buf.getvalue().encode())
    with open(os.path.join(d, "extract.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    with open(os.path.join(d, "handovers.csv"), "w") as f:
        f.write(handovers_csv(hos))


def handovers_csv(hos):
    lines = ["mn,oracle,move,from,to,covered,l2_outage_ms,l2_source,stream,dir,"
             "interruption_ms,lost_raw,lost_counted,lost_excused"]
    for h in hos:
        for name, x in sorted(h["streams"].items()):
            lines.append("%s,%d,%d,%s,%s,%d,%.3f,%s,%s,%s,%.3f,%d,%d,%d" % (
                h["mn"], h["oracle"], h["n"], h["from"], h["to"], h["covered"],
                h["l2_outage_ms"], h["l2_source"], name, x["dir"], x["gap_ms"],
                x["lost_raw"], x["lost"], x["lost_dead_link"]))
    return "\n".join(lines) + "\n"


def read_extract(d):
    """extract.csv.gz, lost.csv.gz, extract.json back into build()'s maps;
    relative times become absolute again from the L2 down times, which
    build() recomputes from the committed link events."""
    run, moves, lev = load_run(d)
    prefix = run.get("ns_prefix", "")
    t0 = {}
    for mn in {m["mn"] for m in moves}:
        mv = [m for m in moves if m["mn"] == mn]
        for i, (down, _, _) in enumerate(l2_times(mv, lev, prefix)):
            t0[(mn, i)] = down
    ex, lost = {}, {}
    try:
        with gzip.open(os.path.join(d, "extract.csv.gz"), "rt") as f:
            for r in csv.DictReader(f):
                k = (r["mn"], int(r["move"]), r["stream"])
                if k not in ex:
                    ex[k], prev = [], (0, t0[k[:2]], t0[k[:2]])
                else:
                    prev = ex[k][-1]
                ex[k].append((prev[0] + int(r["dseq"]), prev[1] + int(r["dsend_ns"]),
                              prev[2] + int(r["drecv_ns"])))
        with gzip.open(os.path.join(d, "lost.csv.gz"), "rt") as f:
            for r in csv.DictReader(f):
                k = (r["mn"], int(r["move"]), r["stream"])
                if k not in lost:
                    lost[k], prev = [], (0, t0[k[:2]])
                else:
                    prev = lost[k][-1]
                ref = int(r["refused"]) if r.get("refused") not in (None, "") else None
                lost[k].append((prev[0] + int(r["dseq"]), prev[1] + int(r["dsend_ns"]), ref))
    except (OSError, KeyError, ValueError) as e:
        raise InputError("%s: extract: %s" % (d, e))
    return ex, lost, load_json(os.path.join(d, "extract.json"))


def fmt(v, nd=1):
    if v is None:
        return "-"
    return ("%.*f" % (nd, v)) if isinstance(v, float) else str(v)


def table(rep):
    names = [s["name"] for s in rep["run"]["streams"]]
    lines = ["streams: " + ", ".join("%s = %s" % (chr(65 + k), n) for k, n in enumerate(names)),
             "%-3s %-4s %-12s %7s  %-27s %-20s %-13s %5s  %s" % (
                 "#", "mn", "move", "L2 ms", "interruption ms A/B/C..", "lost A/B/C..",
                 "held/flushed", "msgs", "path afterwards")]
    for h in rep["handovers"]:
        gaps = "/".join(fmt(h["streams"][n]["gap_ms"]) if n in h["streams"] else "-"
                        for n in names)
        lost = "/".join(("%d%s" % (h["streams"][n]["lost"],
                                   "+%d" % h["streams"][n]["lost_dead_link"]
                                   if h["streams"][n]["lost_dead_link"] else ""))
                        if n in h["streams"] else "-" for n in names)
        hf = "%s/%s" % (fmt(h["held"]), fmt(h["flushed"]))
        lines.append("%-3d %-4s %-12s %7s  %-27s %-20s %-13s %5s  %s" % (
            h["n"], h["mn"], "%s→%s" % (h["from"], h["to"]), fmt(h["l2_outage_ms"]), gaps, lost,
            hf, fmt(h["signalling"]), h["path"]))
    lines.append("(L2: the MR end of the link down at the old MR until up at the new one; lost "
                 "x+y: x counted against the verdict,\n y excused: sent by the MN while its link "
                 "was down or refused by its own end just before, or towards it before the old "
                 "MR end was removed)")
    for t in rep["tcp"]:
        lines.append("TCP %s: %s (exit %s, %d bytes%s%s)" % (
            t["name"], "survived" if t["ok"] else "BROKE", t["rc"], t["bytes"],
            ", %s retransmits" % t["retransmits"] if t["retransmits"] is not None else "",
            ", " + str(t["error"]) if t["error"] else ""))
    hl = rep.get("headline")
    for dr in ("down", "up") if hl else ():
        x = hl[dr]
        lines.append("%s: %d pairs; excess over the oracle (beyond L2) median %s p90 %s max %s ms;"
                     " extra lost median %s max %s" % (
                         "downlink" if dr == "down" else "uplink", x["n"],
                         fmt(x["excess"]["median"]), fmt(x["excess"]["p90"]),
                         fmt(x["excess"]["max"]), fmt(x["extra_lost"]["median"]),
                         fmt(x["extra_lost"]["max"])))
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
                "%.3f" % h["streams"][n]["gap_ms"] if n in h["streams"] else "NaN"
                for n in names)))
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


def one_way_ms(d, run):
    """The longest link delay of the run's topology (its copy in d)."""
    try:
        with open(os.path.join(d, run.get("topology", ""))) as f:
            ds = [float(l.split()[4]) for l in f if l.split()[:1] == ["link"] and
                  len(l.split()) >= 5 and l.split()[3] == "delay"]
    except (OSError, ValueError):
        ds = []
    return max(ds, default=0.0)


def sort_key(d, run):
    return (one_way_ms(d, run), run.get("rate", 0), ["tuned", "optimistic", "stock"].index(
        run.get("mn_settings", "tuned")), not run.get("hold"), os.path.basename(d))


HEAD = ("| config | delay ms | pps | hold | MN | dir | pairs | L2 outage ms oracle / dmm median "
        "| interruption ms oracle median / p90 / max | interruption ms dmm median / p90 / max "
        "| **excess ms** dmm − oracle, beyond L2, median / p90 / max "
        "| excess median to MR2 / to MR11 "
        "| lost oracle median / max | lost dmm median / max "
        "| **extra lost** dmm − oracle median / p90 / max | target (excess median ≤ RTT + 2 ms, "
        "0 extra lost) |")


def headline_rows(dirs):
    """BENCHMARKS.md's handover table: one row per configuration and
    direction, from each run's summary (rep) dicts: [(dir, rep)]."""
    out = [HEAD, "|" + "---|" * HEAD.count("|")[:0] if False else "|" + "---|" * (HEAD.count("|") - 1)]
    for d, rep in sorted(dirs, key=lambda x: sort_key(x[0], x[1]["run"])):
        run, hl = rep["run"], rep.get("headline") or {}
        ow = one_way_ms(d, run)
        for dr in ("down", "up"):
            x = hl.get(dr)
            if not x:
                continue
            e, xl = x["excess"], x["extra_lost"]
            bound = 2 * ow + 2
            met_t = e["median"] is not None and e["median"] <= bound
            met_l = xl["max"] is not None and xl["max"] <= 0
            verdict = "met" if met_t and met_l else "not met (%s)" % ", ".join(
                w for w, ok in (("excess %s > %s ms" % (fmt(e["median"]), fmt(bound)), met_t),
                                ("extra lost", met_l)) if not ok)
            f3 = lambda v: "%s / %s / %s" % (fmt(v["median"]), fmt(v["p90"]), fmt(v["max"]))
            f2 = lambda v: "%s / %s" % (fmt(v["median"]), fmt(v["max"]))
            bt = x.get("excess_to", {})
            out.append("| %s | %s | %s | %s | %s | %s | %d | %s / %s | %s | %s | %s | %s / %s | %s | %s | %s | %s |" % (
                os.path.basename(d.rstrip("/")), fmt(ow, 0), run.get("rate"),
                "on" if run.get("hold") else "off", run.get("mn_settings"),
                "down" if dr == "down" else "up", x["n"], fmt(x["l2_oracle"]["median"]),
                fmt(x["l2_dmm"]["median"]), f3(x["int_oracle"]), f3(x["int_dmm"]), f3(e),
                fmt(bt.get("mr2", {}).get("median")), fmt(bt.get("mr11", {}).get("median")),
                f2(x["lost_oracle"]), f2(x["lost_dmm"]), f3(xl), verdict))
    return out


def attach_rows(dirs):
    """The new MR's attach of the moving dmm MN against its end of the link
    coming up, per kept run: the first `attach` event (dmmd's event log,
    millisecond stamps, CLOCK_MONOTONIC as the link watcher's) at the move's
    destination after the L2 down, minus the L2 up. dmmd attaches on the
    MN's first frame (its RS, or any other): this is how long the MN was
    silent on its new link as the MR saw it. The oracle needs no frame from
    its MN, so this delay is in dmm's excess and not in the oracle's. The
    events are kept as events/MR.events (lab/bench.sh --keep); a run kept
    without them is left out."""
    out = ["| config | MN | moves | attach after L2 up, ms, median / p90 / max | to MR2 / to MR11 median | downlink excess ms median (the table above) |",
           "|---|---|---|---|---|---|"]
    for d in dirs:
        run = load_json(os.path.join(d, "run.json"), {})
        moves = [m for m in load_lines(os.path.join(d, "moves.jsonl"))
                 if m.get("mn") == run.get("mn") and not m.get("oracle")]
        ev, delays, per_to = {}, [], {}
        for m in moves:
            f = os.path.join(d, "events", "%s.events" % m["to"])
            if not os.path.exists(f):
                break
            if m["to"] not in ev:
                ev[m["to"]] = [e for e in load_lines(f) if e.get("event") == "attach"]
            t = [e["t_ms"] for e in ev[m["to"]] if e["t_ms"] >= m["down_ns"] / 1e6 - 1]
            if t and "up_ns" in m:
                v = round(min(t) - m["up_ns"] / 1e6, 1)
                delays.append(v)
                per_to.setdefault(m["to"], []).append(v)
        else:
            if not delays:
                continue
            x = dist(delays)
            exc = build(d, from_extract=True)[0]["headline"]["down"]["excess"]["median"]
            out.append("| %s | %s | %d | %s / %s / %s | %s / %s | %s |" % (
                os.path.basename(d.rstrip("/")), run.get("mn_settings"), len(delays),
                fmt(x["median"]), fmt(x["p90"]), fmt(x["max"]),
                fmt(dist(per_to.get("mr2", []))["median"]),
                fmt(dist(per_to.get("mr11", []))["median"]), fmt(exc)))
    return out


def run_dirs(rundir):
    """The kept runs of a bench.sh --keep directory, in name order."""
    return sorted(os.path.dirname(p) for p in glob.glob(os.path.join(rundir, "*", "run.json")))


def diff_rows(doc, what, published, want):
    """Print each line where the published table and its recomputation
    differ; how many."""
    bad = 0
    for k in range(max(len(want), len(published))):
        a = published[k] if k < len(published) else "(missing)"
        b = want[k] if k < len(want) else "(missing)"
        if a != b:
            print("check: %s %s line %d\n  published:  %s\n  recomputed: %s"
                  % (doc, what, k + 1, a, b))
            bad += 1
    return bad


def handover_want(rundir):
    """The handover table of rundir, recomputed from its extracts, and how
    many of its handovers.csv differ from their recomputation."""
    reps, bad = [], 0
    for d in run_dirs(rundir):
        rep = build(d, from_extract=True)[0]
        if handovers_csv(rep["handovers"]) != open(os.path.join(d, "handovers.csv")).read():
            print("check: %s/handovers.csv differs from its recomputation" % d)
            bad += 1
        reps.append((d, rep))
    return headline_rows(reps), bad


def check(doc, root):
    """Every handover table of doc (between `<!-- handover-table RUNDIR -->`
    and `<!-- /handover-table -->`) recomputed from RUNDIR's committed
    extracts, every handovers.csv too, and every attach table (`<!--
    attach-table RUNDIR -->`) from the kept event logs. Prints each
    difference; 0 if none."""
    text = open(doc).read().splitlines()
    bad, tables, i = 0, 0, 0
    while i < len(text):
        line = text[i].strip()
        for kind in ("handover-table", "attach-table"):
            if not (line.startswith("<!-- %s " % kind) and line.endswith("-->")):
                continue
            rundir = os.path.join(root, line[len("<!-- %s " % kind):-3].strip())
            j = i + 1
            while j < len(text) and text[j].strip() != "<!-- /%s -->" % kind:
                j += 1
            published = [l for l in text[i + 1:j] if l.startswith("|")]
            if kind == "handover-table":
                want, n = handover_want(rundir)
                bad += n
                bad += diff_rows(doc, "table", published, want)
                tables += 1
            else:
                bad += diff_rows(doc, "attach table", published, attach_rows(run_dirs(rundir)))
            i = j
        i += 1
    if tables == 0:
        print("check: no handover table in %s" % doc)
        return 1
    print("check: %d handover table(s) of %s: %s" % (tables, doc, "ok" if not bad else
                                                       "%d difference(s)" % bad))
    return 1 if bad else 0

def main(argv):
    if argv[:1] == ["--check"]:
        here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
        doc = argv[1] if len(argv) > 1 else os.path.join(here, "docs", "BENCHMARKS.md")
        try:
            return check(doc, os.path.dirname(os.path.dirname(os.path.abspath(doc))))
        except (InputError, KeyError, OSError) as e:
            print("check: %s" % e)
            return 1
    if argv[:1] == ["--table"] and len(argv) == 2:
        # BENCHMARKS.md's table of a kept run (bench.sh --keep DIR), from the
        # committed extracts: exactly what --check recomputes
        reps = [(d, build(d, from_extract=True)[0]) for d in run_dirs(argv[1])]
        print("\n".join(headline_rows(reps)))
        return 0
    if argv[:1] == ["--attach"] and len(argv) == 2:
        # the new MR's attach against the L2 up, per kept run (events kept)
        print("\n".join(attach_rows(run_dirs(argv[1]))))
        return 0
    if argv[:1] == ["--markdown"]:
        reps = [(d, load_json(os.path.join(d, "summary.json"))) for d in argv[1:]]
        if any(r.get("headline") for _, r in reps):
            print("\n".join(headline_rows([x for x in reps if x[1].get("headline")])))
        else:
            markdown(argv[1:])
        return 0
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    d = args[0]
    try:
        rep, ex, lost, meta = build(d)
        write_extract(d, ex, lost, meta, rep["handovers"])
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
