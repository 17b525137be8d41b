#!/bin/bash
# dmm-test: plain
# dmmsim against the scenario tests' virtual network, on figure 1: the same
# trace (tests/sim/fig1_p5.trace: MN1 attaches at MR12, moves to MR11, MN2
# at MR31 talks to it, MN1 moves to MR2 while MR11 holds, then to MR12) run
# by build/dmmsim --fig1 and by build/tools/vnetseq (tests/lib/vnet.c +
# fig1.c) gives the same delivered messages: time, type, sender, receiver,
# in order, in every mode. The handover's part equals the exp[] list that
# p5_handover_with_session in tests/unit/test_fig1_handover.c asserts (read
# from that file, so the two cannot drift apart). The packets
# follow the route model: held ones are flushed, none lost; without
# holding, the three sent during the handover are lost. Bad input is
# refused with a message.
set -u
cd "$(dirname "$0")/../.."
# the ASan+UBSan builds when there (make tests), else the -O2 ones
san=build/san; [ "${DMM_SAN:-1}" = 1 ] && [ -x $san/dmmsim ] && [ -x $san/tools/vnetseq ] || san=build
sim=$san/dmmsim vseq=$san/tools/vnetseq trace=tests/sim/fig1_p5.trace
[ -x $sim ] && [ -x $vseq ] || { echo "FAIL: build $sim and $vseq first (make)"; exit 1; }
tmp=$(mktemp -d /tmp/sim_fig1.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for mode in "--mode query" "--mode redirect" "--mode none" "--new-hoa" "--no-hold" \
	    "--mode redirect --new-hoa"; do
	tag=$(echo "$mode" | tr -d ' -')
	$sim --fig1 --trace $trace -t 20 $mode --msglog "$tmp/$tag.sim" -o "$tmp/$tag" \
		|| { bad "dmmsim $mode exited $?"; continue; }
	$vseq --time 20 $mode $trace >"$tmp/$tag.vnet" || { bad "vnetseq $mode exited $?"; continue; }
	n=$(wc -l <"$tmp/$tag.sim")
	[ "$n" -ge 40 ] || bad "$mode: only $n messages"
	if ! cmp -s "$tmp/$tag.sim" "$tmp/$tag.vnet"; then
		bad "$mode: dmmsim and vnet message sequences differ"
		diff "$tmp/$tag.sim" "$tmp/$tag.vnet" | head -20
	fi
done

# the P5 handover (MN1 attaches at MR2 at 6.75 s = node time 7750, and the
# unit test looks at the next 500 ms) against the unit test's exp[] list:
# { DMM_MSG_LOC_QUERY, "MR2", "LMHAA2" } -> "loc-query MR2 LMHAA2"
awk '$1 >= 7750 && $1 < 8250 { print $2, $3, $4 }' "$tmp/modequery.sim" >"$tmp/p5"
sed -n '/^static void p5_handover_with_session/,/^}/p' tests/unit/test_fig1_handover.c |
	sed -n '/vnet_exp exp\[\] = {/,/};/p' |
	sed -n 's/.*{ DMM_MSG_\([A-Z_]*\), "\([A-Z0-9]*\)", "\([A-Z0-9]*\)" }.*/\1 \2 \3/p' |
	awk '{ t = tolower($1); gsub("_", "-", t); print t, $2, $3 }' >"$tmp/p5.expect"
[ "$(wc -l <"$tmp/p5.expect")" -ge 10 ] || bad "could not read P5's list from test_fig1_handover.c"
if ! cmp -s "$tmp/p5.expect" "$tmp/p5"; then
	bad "P5 differs from the list of tests/unit/test_fig1_handover.c"
	diff "$tmp/p5.expect" "$tmp/p5"
fi

python3 - "$tmp" <<'PY' || fail=1
import json, sys
d = sys.argv[1]
q = json.load(open(d + "/modequery.json"))
nh = json.load(open(d + "/nohold.json"))
errs = []
def want(cond, what):
    if not cond:
        errs.append(what)
want(q["data"]["packets"] == 7 and q["data"]["delivered"] == 7, "query: 7 packets delivered")
want(q["data"]["held"] >= 3 and q["data"]["flushed"] == q["data"]["held"], "query: held packets flushed")
want(sum(q["data"]["dropped"].values()) == 0, "query: no drop")
want(q["latency_ms"]["handover"]["n"] == 3, "query: 3 handovers timed")
want(q["engine"]["recv_errors"] == 0, "query: every message accepted")
want(nh["data"]["delivered"] == 4 and nh["data"]["dropped"]["miss_unresolved"] == 3,
     "no-hold: the 3 packets sent during the handover are lost")
for e in errs:
    print("FAIL:", e)
sys.exit(1 if errs else 0)
PY

# bad input: a clear error, exit 2
printf '1.0 1 MR99\n' >"$tmp/bad1"
printf '1.0 x MR11\n' >"$tmp/bad2"
printf '1.0 1\n' >"$tmp/bad3"
for t in bad1 bad2 bad3; do
	$sim --fig1 --trace "$tmp/$t" -t 5 >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc = 2 ] && grep -q "dmmsim: " "$tmp/err" || bad "trace $t: exit $rc, $(cat "$tmp/err")"
done
$sim -L 17 >/dev/null 2>"$tmp/err"; [ $? = 2 ] || bad "-L 17 accepted"
$sim --mode fast >/dev/null 2>"$tmp/err"; [ $? = 2 ] || bad "--mode fast accepted"
$sim --fig1 >/dev/null 2>&1; [ $? = 2 ] || bad "--fig1 without a trace accepted"

[ $fail = 0 ] && echo "sim_fig1: ok"
exit $fail
