#!/bin/bash
# dmm-test: netns
# Two LMs and two HAAs in one local network (draft §3.2;
# lab/topologies/multilm.topo): lm1a and lm1b share the bindings of ln1,
# haa1a and haa1b split its pools. mn1, mn2 and mn4 pick lm1a (rendezvous
# hashing of their MN ids), mn3 picks lm1b. Checks:
#   1. every MN's requests go to the LM its id picks, and its binding is at
#      both LMs (lm_sync), at its MR; each HAA leased only from its half;
#   2. churn with traffic: a TCP flow mn5 (network 2) -> mn1 and pings
#      mn5 -> mn2 run while mn3 moves, lm1a is SIGKILLed, mn1, mn2 and mn4
#      move to the other MR and two MNs never seen before attach (mn6,
#      which picks lm1a, and mn7, which picks lm1b);
#   3. the moves keep working: each moved MN keeps its prefix, at its new
#      MR (found at lm1b after the MRs' failover from lm1a); the new MNs
#      get a prefix and a binding;
#   4. no binding is lost: lm1b binds every MN's prefix at its current MR,
#      and mn5 reaches each MN there (MR2's query for it goes through
#      lm2haa2 to an LM of ln1: lm1b); the TCP flow delivers every byte;
#   5. the failover is counted (failover > 0 at the MRs) and shown
#      (dmmctl show peers: lm1a down_ms > 0 at mr12), and show peers and
#      show config follow docs/dmmctl.schema.json.
# Fails without failover: the MRs would ask the dead lm1a forever, treat
# moved MNs as new (another prefix) and leave lm1b without their bindings.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
. "$(dirname "$0")/lib_flow.sh"
lab_require
LAB=multilm
LABDIR=$DMMLAB_RUN/$LAB

$L -l $LAB up lab/topologies/multilm.topo --build "$BUILD" --dmmd "$DMMD" ||
	{ echo "FAIL: dmmlab up"; exit 1; }

for m in "mn1 mr11" "mn2 mr12" "mn3 mr11" "mn4 mr12" "mn5 mr2"; do
	set -- $m
	wait_until 15 mn_ready $1 $2 || bad "$1 not attached at $2 with an address"
done
[ $fail = 0 ] || lab_result
declare -A P AT
for m in "mn1 mr11" "mn2 mr12" "mn3 mr11" "mn4 mr12"; do
	set -- $m
	P[$1]=$(mn_prefixes $1 $2) AT[$1]=$2
done
mr_addr_of() { case $1 in mr11) echo 2001:db8:ff::11 ;; mr12) echo 2001:db8:ff::12 ;; esac; }
# bound LM PREFIX MR: LM binds PREFIX at MR
bound() {
	[ "$(jq_ "$1" show bindings -- ".[] | select(.prefix == \"$2\") | .location")" = \
		"$(mr_addr_of "$3")" ]
}
in_half() { # PREFIX HALF(0|1): the /64 is in the lower (0) or upper (1) half of its /56
	python3 -c '
import ipaddress, sys
n = ipaddress.ip_network(sys.argv[1]); i = int(n.network_address) >> 64
sys.exit(0 if ((i >> 7) & 1) == int(sys.argv[2]) else 1)' "$1" "$2"
}

# 1. picks, sync, split pools
for mn in mn1 mn2 mn3 mn4; do
	for lm in lm1a lm1b; do
		wait_until 5 bound $lm "${P[$mn]}" "${AT[$mn]}" ||
			bad "$lm does not bind $mn's ${P[$mn]} at ${AT[$mn]}"
	done
done
for h in "haa1a 0" "haa1b 1"; do
	set -- $h
	for p in $(jq_ $1 show leases -- '.[].prefix'); do
		in_half "$p" $2 || bad "$1 leased $p, outside its half of the pool"
	done
done
[ "$(counter lm1a lm_sync)" -gt 0 ] && [ "$(counter lm1b lm_sync)" -gt 0 ] ||
	bad "lm_sync: lm1a $(counter lm1a lm_sync), lm1b $(counter lm1b lm_sync)"
# mn1 picks lm1a: its binding's updates came to lm1a, which sent them on
a1=$(mn_addr mn1 "${P[mn1]}") || bad "mn1 has no address in ${P[mn1]}"
a2=$(mn_addr mn2 "${P[mn2]}") || bad "mn2 has no address in ${P[mn2]}"
[ $fail = 0 ] || lab_result
x mn5 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn5 cannot ping mn1 before the churn"
fo0=$(( $(counter mr11 failover) + $(counter mr12 failover) ))
[ "$fo0" = 0 ] || bad "failover before any LM stopped: $fo0"

# 2. churn with traffic, lm1a killed in the middle
flow_start mn5 mn1 "$a1" 5311 20
x mn5 ping -6 -i 0.1 -w 22 -q "$a2" >"$DMMLAB_RUN/ping" 2>&1 &
png=$!
$L -l $LAB move mn3 mr12 >/dev/null || bad "move mn3 mr12"
AT[mn3]=mr12
pid=$(cat "$LABDIR/pids/${DMMLAB_PREFIX}lm1a.dmmd.pid")
kill -9 "$pid"
wait_for 5 "! kill -0 $pid 2>/dev/null" || bad "lm1a (pid $pid) survived SIGKILL"
t_kill=$SECONDS
$L -l $LAB move mn1 mr12 >/dev/null || bad "move mn1 mr12"
AT[mn1]=mr12
$L -l $LAB move mn2 mr11 >/dev/null || bad "move mn2 mr11"
AT[mn2]=mr11
$L -l $LAB move mn4 mr11 >/dev/null || bad "move mn4 mr11"
AT[mn4]=mr11
new_mn mn6 mr11 02:00:00:00:01:0a # picks lm1a
new_mn mn7 mr12 02:00:00:00:01:06 # picks lm1b
AT[mn6]=mr11 AT[mn7]=mr12

# 3. moves and attaches complete
for mn in mn1 mn2 mn3 mn4 mn6 mn7; do
	wait_until 20 mn_ready $mn ${AT[$mn]} || bad "$mn not attached at ${AT[$mn]} after the kill"
done
echo "all attached $((SECONDS - t_kill)) s after the kill"
for mn in mn1 mn2 mn3 mn4; do
	now=$(mn_prefixes $mn ${AT[$mn]})
	[ "$now" = "${P[$mn]}" ] || bad "$mn at ${AT[$mn]} has '$now', not its ${P[$mn]}"
done
P[mn6]=$(mn_prefixes mn6 mr11) P[mn7]=$(mn_prefixes mn7 mr12)

# 4. no binding lost: all at lm1b, at the MN's MR; real packets reach them
for mn in mn1 mn2 mn3 mn4 mn6 mn7; do
	wait_until 10 bound lm1b "${P[$mn]}" "${AT[$mn]}" ||
		bad "lm1b does not bind $mn's ${P[$mn]} at ${AT[$mn]}: $(ctl lm1b show bindings)"
done
for mn in mn1 mn2 mn3 mn4 mn6 mn7; do
	a=$(mn_addr $mn "${P[$mn]}") || { bad "$mn has no address in ${P[$mn]}"; continue; }
	x mn5 ping -6 -c2 -i0.3 -w10 "$a" >/dev/null || bad "mn5 cannot reach $mn at ${AT[$mn]}"
done
flow_check
wait $png
echo "mn5 -> mn2 across the kill and its move: $(grep -E 'transmitted' "$DMMLAB_RUN/ping")"

# 5. counted and shown
fo11=$(counter mr11 failover) fo12=$(counter mr12 failover)
echo "failover: mr11 $fo11, mr12 $fo12, lm2haa2 $(counter lm2haa2 failover)"
[ "$fo11" -gt 0 ] && [ "$fo12" -gt 0 ] || bad "failover not counted at both MRs"
down=$(jq_ mr12 show peers -- '.[] | select(.address == "2001:db8:ff::1") | .down_ms')
fos=$(jq_ mr12 show peers -- '.[] | select(.address == "2001:db8:ff::1") | .failovers')
echo "mr12 show peers lm1a: down_ms $down, failovers $fos"
[ "${down:-null}" != null ] && [ "$down" -gt 0 ] || bad "mr12 does not show lm1a passed over"
[ "${fos:-0}" = "$fo12" ] || bad "mr12 lm1a failovers $fos, counter $fo12"

# the JSON (with down_ms and failovers set, more_lms and more_haas listed)
# follows docs/dmmctl.schema.json
python3 -c 'import jsonschema' 2>/dev/null ||
	bad "python3-jsonschema is not installed (make deps)"
for c in "show peers" "show config"; do
	ctl mr12 $c >"$DMMLAB_RUN/json" || bad "mr12 $c failed"
	python3 - docs/dmmctl.schema.json "$DMMLAB_RUN/json" "${c// /_}" <<'PY' || bad "mr12 $c: schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
sub = dict(schema, **{"$ref": "#/$defs/" + sys.argv[3]})
del sub["anyOf"]
doc = json.load(open(sys.argv[2]))
errs = list(jsonschema.Draft202012Validator(sub).iter_errors(doc))
for e in errs[:3]:
    print("FAIL: %s at %s" % (e.message, list(e.absolute_path)))
sys.exit(1 if errs else 0)
PY
done
[ "$(jq_ mr12 show config -- '.networks[] | select(.name == "ln1") | .more_lms[]')" = \
	2001:db8:ff::5 ] || bad "mr12 show config: more_lms of ln1 is not lm1b"

[ $fail = 0 ] || dump mr11 mr12 lm1b
lab_result "lm1a SIGKILLed during churn: moves and attaches went on through lm1b, every binding there, the flow unbroken"
