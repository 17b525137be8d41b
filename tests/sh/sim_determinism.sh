#!/bin/bash
# dmm-test: plain
# dmmsim is deterministic: the same seed gives byte-identical JSON and CSV
# (with signalling loss on, in a DMM mode and in the centralized-anchor
# baseline); another seed gives another run. The outputs are sane: every
# session packet is accounted for, the central anchor carries every packet
# and stretches paths more than DMM's query mode on the same scenario.
set -u
cd "$(dirname "$0")/../.."
sim=build/san/dmmsim # ASan+UBSan (make tests), else the -O2 build
[ "${DMM_SAN:-1}" = 1 ] && [ -x $sim ] || sim=build/dmmsim
[ -x $sim ] || { echo "FAIL: build $sim first (make)"; exit 1; }
tmp=$(mktemp -d /tmp/sim_det.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
args="-n 400 -L 4 -M 3 -t 120 --warmup 10 --dwell 60 --pkt 500 --flows 30 --flow-len 20"

for mode in query central; do
	for run in a b; do
		$sim $args -m $mode --loss 0.01 -s 7 -o "$tmp/$mode.$run" || bad "$mode $run exited $?"
	done
	$sim $args -m $mode --loss 0.01 -s 8 -o "$tmp/$mode.c" || bad "$mode c exited $?"
	for ext in json nodes.csv latency.csv stretch.csv; do
		cmp -s "$tmp/$mode.a.$ext" "$tmp/$mode.b.$ext" || bad "$mode: seed 7 twice, $ext differs"
	done
	cmp -s "$tmp/$mode.a.json" "$tmp/$mode.c.json" && bad "$mode: seeds 7 and 8 gave the same run"
done
$sim $args -m query -s 7 -o "$tmp/q0" || bad "query without loss exited $?"

python3 - "$tmp" <<'PY' || fail=1
import json, sys
d = sys.argv[1]
q = json.load(open(d + "/q0.json"))
c = json.load(open(d + "/central.a.json"))
ql = json.load(open(d + "/query.a.json"))
errs = []
def want(cond, what):
    if not cond:
        errs.append(what)
for name, r in (("query", q), ("central", c), ("query+loss", ql)):
    dd = r["data"]
    want(dd["packets"] > 1000, name + ": packets sent")
    want(r["mobility"]["handovers"] > 300, name + ": handovers happened")
    want(dd["delivered"] + sum(dd["dropped"].values()) <= dd["packets"], name + ": packets accounted")
want(q["data"]["delivered"] >= 0.99 * q["data"]["packets"], "query: >= 99% delivered without loss")
want(q["engine"]["recv_errors"] == 0, "query: every message accepted")
want(ql["signalling"]["lost"] > 0, "loss 1%: messages lost")
want(c["load"]["anchor_packets"] == c["data"]["delivered"] + c["data"]["dropped"]["central_handover"],
     "central: every packet crosses the anchor")
want(c["data"]["stretch_mean"] > q["data"]["stretch_mean"] > 0.99, "central stretches paths more than DMM")
want(q["latency_ms"]["handover"]["n"] > 0.95 * q["mobility"]["handovers"], "query: handovers completed")
for e in errs:
    print("FAIL:", e)
sys.exit(1 if errs else 0)
PY
[ $fail = 0 ] && echo "sim_determinism: ok"
exit $fail
