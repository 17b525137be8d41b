#!/bin/bash
# lab/report.py on a small synthetic run whose answers are known:
#   1000 pps, t = 10 s .. 14 s, moves at 11 s (mr12->mr11, link down 30 ms),
#   12 s (mr11->mr2, 20 ms), 13 s (mr2->mr31, 10 ms).
#   A mn2>mn1: move 1 nothing lost but 45 ms of silence (held, then flushed);
#              move 2: seq 2100..2102 (sent after up) lost; move 3: clean.
#   B mn1>mn2: move 1: 7 packets sent on the dead link lost (not counted);
#              move 3: silence of 12 ms (then 11 packets reordered).
#   counters: mr12 dp_held +45, dp_flushed +45; tx deltas 3+4 = 7 at move 1.
#   With RULES=1 the two counting rules of lab/README get cases that fail if
#   they break: MN1 saw its carrier back at 11.035 s (rs.jsonl), 5 ms after
#   up_ns, so B's 1031..1033 are on the dead link but 1040 counts; the old
#   MR end's tx_dropped grew by 2 at move 1: A's 995 and 996, sent 5 and 4 ms
#   before the link was removed, are excused, but A's 1020..1022, sent 20-22
#   ms after the removal, count (the routers had to deliver them, whatever
#   tx_dropped says); at move 3 it grew by 5 but A's 3050 counts too.
#   With RULES=2, 15 packets towards MN1 sent 5-19 ms after the removal are
#   lost and tx_dropped grew by 15: all 15 count, the verdict fails.
#   With RULES=edge-*, the uplink's edge rule: the MN's own end of the link
#   (links.jsonl "end": "mn") dropped packets as the other end went down.
#   The MN end counts the 7 packets of the outage at move 1 too (1002-1008).
#   edge-in: B's 998 and 999 (sent 2 and 1 ms before the L2 down at 11 s)
#   lost, the MN end's tx_dropped +9: both excused, PASS. edge-over: 997,
#   998, 999 lost, MN end +9 (MR end +5, which is not the uplink's): 999
#   and 998 excused, 997 counts. edge-after: 3015, sent 5 ms after the link
#   was back at move 3, MN end +5: counts. edge-overtaken: 1990 (10 ms
#   before move 2's down; 1991-1999 got through), MN end +3: counts.
#   edge-snmp: 998 and 999 lost, MN end +9 but its namespace's
#   Udp6SndbufErrors only +8 (the outage's 7 and one): 999 excused, 998
#   counts.
#   With RULES=sched, B loses 2005-2019 at move 2 (12 s, link back at
#   12.020 s), all sent in the outage, and 2020's stamp is 1.5 ms late:
#   interpolated between 2004 and 2020, 2019 would fall after the link was
#   back and count; at the sender's pace from 2004 it is 12.019 s, on the
#   dead link (PASS).
#   With RULES=marked*, B's sender logged every send time and which packets
#   its kernel refused (dmmprobe --send-log: b.sendlog, top bit), and no
#   MN-end counters are needed: marked: 997, 998, 999 (3, 2, 1 ms before
#   move 1's L2 down) and 3015 (5 ms after move 3's link was back) lost,
#   998, 999 and 3015 refused: 998 and 999 excused, 997 (not refused) and
#   3015 (refused after the link was back) count. marked-stall: 2021-2030
#   lost, due 9-18 ms after move 2's link was back (12.020 s) but really
#   sent in a burst at 12.010 s, after a 10 ms stall, in the outage
#   (the log's times): all 10 excused, PASS; from the pace they would count.
#   With RULES=own, the L2 stamps are the MR end's rtnetlink events
#   (links-mn1.jsonl) and the MN's own link watcher saw its carrier down at
#   11.005 s and back at 11.040 s (links-mn1-own.jsonl), 10 ms after the
#   MR end was up: B's 1030-1037 (sent in those 10 ms: its transmit queue
#   was stopped) are excused, 1045 counts. Move 2's own events are one "up"
#   at 12.030 s (the watcher saw no down): 2025, 5 ms after that move's L2
#   up, counts.
# Checks the summary numbers exactly, the verdict (FAIL: 3 lost; PASS once
# those arrive; FAIL when iperf3 exited 1), the markdown rows and, when
# gnuplot is installed, that both PNGs are written.
set -u
cd "$(dirname "$0")/../.."
fail=0
bad() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen() {  # gen DIR LOSE_MOVE2(0|1) IPERF_RC [RULES(0|1)]
	python3 - "$@" <<'EOF'
import json, os, sys
d, lose2, iperf_rc = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
rules = len(sys.argv) > 4 and sys.argv[4] == "1"
rules2 = len(sys.argv) > 4 and sys.argv[4] == "2"
edge = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4].startswith("edge-") else ""
sched = len(sys.argv) > 4 and sys.argv[4] == "sched"
marked = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4].startswith("marked") else ""
own = len(sys.argv) > 4 and sys.argv[4] == "own"
edge_lost = {"edge-in": (998, 999), "edge-snmp": (998, 999), "edge-over": (997, 998, 999), "edge-after": (3015,),
             "edge-overtaken": (1990,)}.get(edge, ())
edge_lost = {"marked": (997, 998, 999, 3015), "marked-stall": tuple(range(2021, 2031))}.get(marked, edge_lost)
if own:
    edge_lost = tuple(range(1030, 1038)) + (1045, 2025)
os.makedirs(os.path.join(d, "events"), exist_ok=True)
S, MS = 10**9, 10**6
moves = [("mr12", "mr11", 11 * S, 30), ("mr11", "mr2", 12 * S, 20), ("mr2", "mr31", 13 * S, 10)]
with open(os.path.join(d, "moves.jsonl"), "w") as f:
    for a, b, t, dms in moves:
        f.write(json.dumps({"mn": "mn1", "from": a, "to": b, "down_ns": t,
                            "up_ns": t + dms * MS}) + "\n")
def stream(name, arrivals, sent):
    with open(os.path.join(d, name + ".csv"), "w") as f:
        f.write("seq,send_ns,recv_ns,stream\n")
        for seq, tx, rx in arrivals:
            f.write("%d,%d,%d,1\n" % (seq, tx, rx))
    with open(os.path.join(d, name + ".json"), "w") as f:
        f.write(json.dumps({"role": "recv", "stream": 1, "sent": sent}) + "\n")
# A: seq s sent at 10 s + s ms, arrives 1 ms later.
a = []
for s in range(4000):
    tx = 10 * S + s * MS
    rx = tx + MS
    if 1000 <= s < 1045:          # held at the pMR: all delivered from 11.045 s
        rx = 11 * S + 45 * MS + (s - 1000) * 1000
    if lose2 and 2100 <= s <= 2102:
        continue
    if rules and s in (995, 996, 1020, 1021, 1022, 3050):
        continue
    if rules2 and 1005 <= s <= 1019:
        continue
    a.append((s, tx, rx))
a.sort(key=lambda r: r[2])
stream("a", a, 4000)
b = []
for s in range(4000):
    tx = 10 * S + s * MS
    if 1002 <= s < 1009:          # sent while the MN's own link was down
        continue
    if rules and (1031 <= s <= 1033 or s == 1040):
        continue
    if s in edge_lost:
        continue
    if sched and 2005 <= s <= 2019:
        continue
    if sched and s == 2020:
        tx += 1500 * 1000
    rx = tx + MS
    if 3000 <= s < 3011:          # late after move 3: 3011 arrives first
        rx = 13 * S + 13 * MS
    b.append((s, tx, rx))
stream("b", b, 4000)
if marked:
    # b's sender log: each packet's send time (its pace here, but for the
    # burst after marked-stall's stall) and the refused mark, top bit.
    import struct
    R = 1 << 63
    refused = {"marked": (998, 999, 3015)}.get(marked, ())
    log = []
    for s in range(4000):
        tx = 10 * S + s * MS
        if marked == "marked-stall" and 2021 <= s <= 2030:
            tx = 12 * S + 10 * MS + (s - 2021) * 1000
        log.append(tx | (R if s in refused else 0))
    with open(os.path.join(d, "mn1>mn2.sendlog"), "wb") as f:
        f.write(struct.pack("=%dQ" % len(log), *log))
    with open(os.path.join(d, "mn1>mn2.send"), "w") as f:
        f.write(json.dumps({"role": "send", "sent": 4000, "send_log": 4000}) + "\n")
run = {"kind": "demo", "rate": 1000, "hold": True, "mn": "mn1", "mn_settings": "tuned",
       "streams": [{"name": "mn2>mn1", "csv": "a.csv", "summary": "a.json", "from": "mn2", "to": "mn1"},
                   {"name": "mn1>mn2", "csv": "b.csv", "summary": "b.json", "from": "mn1", "to": "mn2"}],
       "tcp": [{"name": "mn2>mn1", "json": "iperf3.json", "rc": "iperf3.rc"}],
       "addrs": {"2001:db8:ff::11": "mr11", "2001:db8:ff::20": "mr2", "2001:db8:ff::31": "mr31"},
       "corr_mrs": ["mr31"], "mn_prefixes": ["2001:db8:1:1200::/64"]}
if own:
    # The MR end's events at each move (down at the old MR, up at the new)
    # and the MN's own: a down and an up at move 1, a lone up at move 2.
    run.update(ns_prefix="", link_events=["links-mn1.jsonl"],
               own_link_events={"mn1": "links-mn1-own.jsonl"})
    with open(os.path.join(d, "links-mn1.jsonl"), "w") as f:
        for a, b, t, dms in moves:
            f.write(json.dumps({"event": "down", "ifname": "mn1", "netns": a, "t_ns": t}) + "\n")
            f.write(json.dumps({"event": "up", "ifname": "mn1", "netns": b,
                                "t_ns": t + dms * MS}) + "\n")
    with open(os.path.join(d, "links-mn1-own.jsonl"), "w") as f:
        for ev, t in (("down", 11 * S + 5 * MS), ("up", 11 * S + 40 * MS), ("up", 12 * S + 30 * MS)):
            f.write(json.dumps({"event": ev, "ifname": "eth0", "netns": "mn1", "t_ns": t}) + "\n")
json.dump(run, open(os.path.join(d, "run.json"), "w"))
json.dump({"end": {"sum_received": {"bytes": 123456}, "sum_sent": {"retransmits": 2}}},
          open(os.path.join(d, "iperf3.json"), "w"))
open(os.path.join(d, "iperf3.rc"), "w").write("%d\n" % iperf_rc)
with open(os.path.join(d, "counters.jsonl"), "w") as f:
    for i in range(3):
        for node in ("mr12", "mr11", "mr2"):
            base = {"tx": 100, "dp_held": 5, "dp_flushed": 5}
            f.write(json.dumps({"move": i, "phase": "before", "node": node, "counters": base}) + "\n")
            aft = dict(base)
            if i == 0 and node == "mr12":
                aft.update(tx=103, dp_held=50, dp_flushed=50)
            if i == 0 and node == "mr11":
                aft.update(tx=104)
            f.write(json.dumps({"move": i, "phase": "after", "node": node, "counters": aft}) + "\n")
with open(os.path.join(d, "caches.jsonl"), "w") as f:
    loc = ["2001:db8:ff::11", "2001:db8:ff::20", None]
    for i in range(3):
        c = [{"prefix": "2001:db8:9::/64", "state": "tunnel", "locator": "2001:db8:ff::12"}]
        if loc[i]:
            c.append({"prefix": "2001:db8:1:1200::/64", "state": "tunnel", "locator": loc[i]})
        f.write(json.dumps({"move": i, "node": "mr31", "cache": c, "mns": []}) + "\n")
if rules2:
    with open(os.path.join(d, "links.jsonl"), "w") as f:
        f.write(json.dumps({"move": 0, "phase": "before", "node": "mr12", "tx_dropped": 0}) + "\n")
        f.write(json.dumps({"move": 0, "phase": "after", "node": "mr11", "tx_dropped": 15}) + "\n")
if edge:
    # The MN end's counters as `ip -j -s link` prints them; in edge-over
    # the MR end's tx_dropped grows too, which is the downlink's budget.
    def mn_end(i, phase, dropped, udp=None):
        l = {"move": i, "phase": phase, "node": "mn1", "mn": "mn1", "end": "mn",
             "link": [{"ifname": "eth0", "stats64": {"tx": {"dropped": dropped},
                                                     "rx": {"dropped": 0}}}]}
        if udp is not None:
            l["snmp6"] = {"Ip6OutDiscards": udp, "Udp6SndbufErrors": udp}
        return json.dumps(l)
    # At move 1 the MN end also dropped the 7 packets of the outage.
    i, n = {"edge-in": (0, 9), "edge-over": (0, 9), "edge-after": (2, 5),
            "edge-overtaken": (1, 3), "edge-snmp": (0, 9)}[edge]
    udp = (100, 108) if edge == "edge-snmp" else (None, None)
    with open(os.path.join(d, "links.jsonl"), "w") as f:
        f.write(mn_end(i, "before", 40, udp[0]) + "\n")
        if edge == "edge-over":
            f.write(json.dumps({"move": 0, "phase": "before", "node": "mr12", "tx_dropped": 0}) + "\n")
            f.write(json.dumps({"move": 0, "phase": "after", "node": "mr11", "tx_dropped": 5}) + "\n")
        f.write(mn_end(i, "after", 40 + n, udp[1]) + "\n")
if rules:
    with open(os.path.join(d, "rs.jsonl"), "w") as f:
        f.write(json.dumps({"carrier_ns": 11 * S + 35 * MS, "rs_ns": 11 * S + 36 * MS}) + "\n")
    with open(os.path.join(d, "links.jsonl"), "w") as f:
        for i, at, to, b, a in ((0, "mr12", "mr11", 10, 12), (2, "mr2", "mr31", 0, 5)):
            f.write(json.dumps({"move": i, "phase": "before", "node": at, "tx_dropped": b}) + "\n")
            f.write(json.dumps({"move": i, "phase": "after", "node": to, "tx_dropped": a}) + "\n")
with open(os.path.join(d, "events", "mr12.events"), "w") as f:
    f.write('{"t_ms":11001,"node":"mr12","event":"link_loss","mnid":null,"prefix":null,"peer":null,"link":3}\n')
    f.write('{"t_ms":11040,"node":"mr12","event":"ctx_received","mnid":null,"prefix":null,"peer":null,"link":0}\n')
with open(os.path.join(d, "events", "mr11.events"), "w") as f:
    f.write('{"t_ms":11035,"node":"mr11","event":"attach","mnid":null,"prefix":null,"peer":null,"link":4}\n')
    f.write('{"t_ms":11042,"node":"mr11","event":"ctx_acked","mnid":null,"prefix":null,"peer":null,"link":0}\n')
EOF
}

# jq-less field access: summary.json path like handovers.0.streams.mn2>mn1.gap_ms
field() {
	python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1/summary.json" "$2"
}
expect() {  # expect DIR PATH VALUE
	local got
	got=$(field "$1" "$2" 2>&1)
	[ "$got" = "$3" ] || bad "$2: got '$got', want '$3'"
}

d=$tmp/lossy
gen "$d" 1 0
python3 lab/report.py "$d" >"$tmp/lossy.out" 2>&1
rc=$?
cat "$tmp/lossy.out"
[ $rc = 1 ] || bad "lossy run: exit $rc, want 1"
expect "$d" verdict FAIL
expect "$d" lost_total 3
expect "$d" "handovers.0.streams.mn2>mn1.gap_ms" 45.0
expect "$d" "handovers.0.streams.mn2>mn1.lost" 0
expect "$d" "handovers.1.streams.mn2>mn1.lost" 3
expect "$d" "handovers.1.streams.mn2>mn1.gap_ms" 4.0
expect "$d" "handovers.0.streams.mn1>mn2.lost" 0
expect "$d" "handovers.0.streams.mn1>mn2.lost_dead_link" 7
expect "$d" "handovers.0.streams.mn1>mn2.gap_ms" 8.0
expect "$d" "handovers.2.streams.mn1>mn2.gap_ms" 12.0
expect "$d" "handovers.0.held" 45
expect "$d" "handovers.0.flushed" 45
expect "$d" "handovers.0.signalling" 7
expect "$d" "handovers.1.signalling" 0
expect "$d" "handovers.0.link_down_ms" 30.0
expect "$d" "handovers.0.steps.link_loss@mr12" 1.0
expect "$d" "handovers.0.steps.ctx_acked@mr11" 42.0
expect "$d" "handovers.0.path" "MR31 → MR11 direct"
expect "$d" "handovers.1.path" "MR31 → MR2 direct"
expect "$d" "handovers.2.path" "MR31 local"
expect "$d" "tcp.0.ok" True
expect "$d" "stats.mn2>mn1.interruption_ms.median" 4.0
expect "$d" "stats.mn2>mn1.interruption_ms.max" 45.0
expect "$d" "stats.mn2>mn1.lost.max" 3
grep -q "^1   mn1  mr12→mr11 .* 30.0  45.0/8.0 .* 0/0+7 .* 45/45 .* 7  MR31 → MR11 direct$" "$tmp/lossy.out" ||
	bad "table row 1 not as expected"
grep -q "^verdict: FAIL (3 packets lost" "$tmp/lossy.out" || bad "verdict line"

d=$tmp/clean
gen "$d" 0 0
python3 lab/report.py "$d" --no-plots >/dev/null 2>&1
rc=$?
[ $rc = 0 ] || bad "clean run: exit $rc, want 0"
expect "$d" verdict PASS

d=$tmp/tcpbroke
gen "$d" 0 1
python3 lab/report.py "$d" --no-plots >"$tmp/tcp.out" 2>&1
rc=$?
[ $rc = 1 ] || bad "broken TCP: exit $rc, want 1"
grep -q "TCP mn2>mn1: BROKE" "$tmp/tcp.out" || bad "broken TCP not reported"

python3 lab/report.py --markdown "$tmp/lossy" "$tmp/clean" >"$tmp/md"
[ "$(grep -c '^| lossy | 1000 | on | tuned | 3 |' "$tmp/md")" = 2 ] || bad "markdown rows"

# The counting rules: dead link until the MN's carrier is back; downlink
# teardown drops apart, at most tx_dropped, earliest first, sent before then.
d=$tmp/rules
gen "$d" 0 0 1
python3 lab/report.py "$d" --no-plots >/dev/null 2>&1
rc=$?
[ $rc = 1 ] || bad "rules run: exit $rc, want 1"
expect "$d" lost_total 5
expect "$d" "handovers.0.streams.mn1>mn2.lost_dead_link" 10
expect "$d" "handovers.0.streams.mn1>mn2.lost" 1
expect "$d" "handovers.0.streams.mn2>mn1.lost_dead_link" 2
expect "$d" "handovers.0.streams.mn2>mn1.lost" 3
expect "$d" "handovers.0.streams.mn2>mn1.lost_raw" 5
expect "$d" "handovers.2.streams.mn2>mn1.lost_dead_link" 0
expect "$d" "handovers.2.streams.mn2>mn1.lost" 1

# The issue's case: 15 downlink packets lost 5-19 ms after the link was
# removed, with a tx_dropped of 15 that once excused them all: they count.
d=$tmp/rules2
gen "$d" 0 0 2
python3 lab/report.py "$d" --no-plots >/dev/null 2>&1
rc=$?
[ $rc = 1 ] || bad "late downlink loss: exit $rc, want 1 (FAIL)"
expect "$d" verdict FAIL
expect "$d" "handovers.0.streams.mn2>mn1.lost" 15
expect "$d" "handovers.0.streams.mn2>mn1.lost_dead_link" 0

# case MODE VERDICT LOST MOVE:COUNTED:EXCUSED...: the synthetic run of a
# RULES mode, its verdict, lost total and B's (mn1>mn2) cells per move.
case_run() {
	local mode=$1 verdict=$2 lost=$3 x move counted excused d=$tmp/$1 rc
	shift 3
	gen "$d" 0 0 "$mode"
	python3 lab/report.py "$d" --no-plots >/dev/null 2>&1
	rc=$?
	[ $rc = "$([ "$verdict" = PASS ] && echo 0 || echo 1)" ] || bad "$mode: exit $rc, want $verdict"
	expect "$d" verdict "$verdict"
	expect "$d" lost_total "$lost"
	for x in "$@"; do
		IFS=: read -r move counted excused <<<"$x"
		expect "$d" "handovers.$move.streams.mn1>mn2.lost" "$counted"
		expect "$d" "handovers.$move.streams.mn1>mn2.lost_dead_link" "$excused"
		expect "$d" "handovers.$move.streams.mn2>mn1.lost" 0
	done
}

# The uplink's edge: packets the MN's own end of the link dropped as the
# other end went down, sent before the L2 down stamp, at most its
# tx_dropped across the move, none that a later packet overtook.
case_run edge-in PASS 0 0:0:9
case_run edge-over FAIL 1 0:1:9
case_run edge-after FAIL 1 2:1:0
case_run edge-overtaken FAIL 1 1:1:0
case_run edge-snmp FAIL 1 0:1:8

# The sender's log: refusals marked per packet, true send times.
case_run marked FAIL 2 0:1:9 2:1:0
case_run marked-stall PASS 0 1:0:10

# The MN's own link watcher: its transmit queue stopped until it ran.
case_run own FAIL 2 0:1:15 1:1:0

# A lost packet's send time: the sender's pace, not the next one's lateness.
d=$tmp/sched
gen "$d" 0 0 sched
python3 lab/report.py "$d" --no-plots >/dev/null 2>&1
expect "$d" verdict PASS
expect "$d" "handovers.1.streams.mn1>mn2.lost" 0
expect "$d" "handovers.1.streams.mn1>mn2.lost_dead_link" 15

rm -rf "$tmp/bad" && mkdir "$tmp/bad"
python3 lab/report.py "$tmp/bad" >/dev/null 2>&1
[ $? = 2 ] || bad "missing input should exit 2"

if command -v gnuplot >/dev/null; then
	for p in arrivals interruption; do
		[ -s "$tmp/lossy/$p.png" ] || bad "$p.png not written"
	done
fi
[ $fail = 0 ] && echo "demo_report: ok"
exit $fail
