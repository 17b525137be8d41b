#!/bin/bash
# dmm-test: netns per-driver
# Figure 1, shutdown: after traffic and two moves (so every MR kind of state
# exists: local, tunnel, pass and miss routes, a handover context, the TUN
# device, the three rules), `dmmlab down --keep-ns` stops every daemon with
# SIGTERM and keeps the namespaces. Then, in every namespace:
#   - no route with dmmd's protocol (dmmd -nv) in any table, its table empty;
#   - no policy rule of dmmd (its protocol, or its three preferences), and the
#     kernel's "0: from all lookup local" rule is back;
#   - no TUN device (dmm0) and no address dmmd added (only the lab's own):
#     the router link-local fe80::1 that dmmd put on its access links (the
#     lab does not configure it when daemons run) is gone, and no other
#     address changed, link-local ones included;
#   - no tc filter or clsact qdisc on the core link (the bpf driver's);
#   - every dmmd exited by itself on SIGTERM (its log says so, no SIGKILL),
#     with no sanitizer report (leaks included) in its log.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

lab_up
MRS="mr11 mr12 mr2 mrgw mr31 mr32"
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1")
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1"
x mn1 ping -6 -c2 -i0.2 -w5 2001:db8:100::1 >/dev/null || bad "mn1 cannot ping cn"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
$L -l $LAB move mn1 mr2 >/dev/null || bad "move mn1 mr2"
wait_until 5 mn_ready mn1 mr2 || bad "mn1 not attached at mr2"

# Addresses per namespace before dmmd goes (the lab's plus SLAAC on MNs).
addrs() { x "$1" ip -6 -o addr show | awk '{print $2, $4}' | sort; }
for n in $MRS; do addrs "$n" >"$DMMLAB_RUN/addr.$n"; done
# dmmd's router link-local on the MNs' access links, and no other one there.
grep -qx 'mn1 fe80::1/64' "$DMMLAB_RUN/addr.mr2" || bad "mr2: no fe80::1 on mn1 (dmmd's)"
grep -qx 'mn2 fe80::1/64' "$DMMLAB_RUN/addr.mr31" || bad "mr31: no fe80::1 on mn2 (dmmd's)"
r=$(cat "$DMMLAB_RUN"/addr.* | grep -E '^mn[0-9]+ fe80::' | grep -vx 'mn[0-9]* fe80::1/64')
[ -z "$r" ] || bad "an access link has a link-local other than fe80::1: $r"
# The state worth cleaning up is there.
for n in $MRS; do
	[ "$(x "$n" ip -6 route show table all proto $PROTO | grep -c .)" -gt 0 ] ||
		bad "$n: no dmmd route before the shutdown (nothing to test)"
	x "$n" ip link show dmm0 >/dev/null 2>&1 || bad "$n: no dmm0 before the shutdown"
done
[ "$(jq_ mr11 show handovers -- length)" -ge 1 ] || echo "note: mr11 handover context already gone"

# FIG1_KILL9=NODE: SIGKILL that dmmd first, to see the checks fail.
[ -n "${FIG1_KILL9:-}" ] && kill -9 "$(cat "$LABDIR/pids/$DMMLAB_PREFIX$FIG1_KILL9.dmmd.pid")"
$L -l $LAB down --keep-ns || bad "dmmlab down --keep-ns failed"
for n in lm1haa1 lm2haa2 lm3 haa3 $MRS; do
	[ -e "/run/netns/$DMMLAB_PREFIX$n" ] || { bad "namespace of $n deleted by --keep-ns"; continue; }
	[ -z "$(ip netns pids "$DMMLAB_PREFIX$n")" ] || bad "$n: processes left: $(ip netns pids "$DMMLAB_PREFIX$n")"
	r=$(x "$n" ip -6 route show table all proto $PROTO)
	[ -z "$r" ] || bad "$n: dmmd routes left: $r"
	r=$(x "$n" ip -6 route show table $TABLE 2>/dev/null)
	[ -z "$r" ] || bad "$n: table $TABLE not empty: $r"
	r=$(x "$n" ip -6 rule show | grep -E "^($RULE_PREF|$((RULE_PREF + 1))|$((RULE_PREF + 2))):|proto $PROTO\b")
	[ -z "$r" ] || bad "$n: dmmd rules left: $r"
	x "$n" ip -6 rule show | grep -q '^0:.*lookup local' || bad "$n: rule 0 lookup local not restored"
	r=$(x "$n" ip -d link show | grep -B1 -E 'tun type|tun_type' | grep -o '^[0-9]*: [^:]*')
	[ -z "$r" ] || bad "$n: TUN device left: $r"
	x "$n" ip link show dmm0 >/dev/null 2>&1 && bad "$n: dmm0 left"
	# bpf driver: its tc programs on the core link, its qdisc
	r=$(x "$n" tc filter show dev core ingress 2>/dev/null)
	[ -z "$r" ] || bad "$n: tc ingress filter left on core: $r"
	x "$n" tc qdisc show dev core 2>/dev/null | grep -q clsact && bad "$n: clsact qdisc left on core"
	r=$(x "$n" ip -6 -o addr show | awk '$2 ~ /^mn[0-9]+$/ { print $2, $4 }')
	[ -z "$r" ] || bad "$n: address left on an access link: $r"
	if [ -e "$DMMLAB_RUN/addr.$n" ]; then
		# Expected: dmmd's fe80::1 gone from access links; dmm0's
		# address went with the device (checked above).
		addrs "$n" | diff -u "$DMMLAB_RUN/addr.$n" - | grep '^[-+][^-+]' |
			grep -vxE -- '-mn[0-9]+ fe80::1/64|-dmm0 .*' |
			sed "s/^/$n address change: /" >"$DMMLAB_RUN/addrdiff"
		[ -s "$DMMLAB_RUN/addrdiff" ] && { bad "$n: addresses changed"; cat "$DMMLAB_RUN/addrdiff"; }
	fi
	log=$LABDIR/logs/$n.log
	tail -3 "$log" | grep -q "^$n shutting down" ||
		bad "$n: dmmd log does not end with a clean shutdown: $(tail -1 "$log")"
done
san_check "$LABDIR"/logs/*.log || fail=1
# The MNs' and server's namespaces hold no dmm state either.
for n in mn1 mn2 cn core; do
	r=$(x "$n" ip -6 route show table all proto $PROTO)
	[ -z "$r" ] || bad "$n: dmmd routes left: $r"
done
$L -l $LAB down || bad "dmmlab down after --keep-ns failed"
[ -z "$(ip netns list | grep "^$DMMLAB_PREFIX")" ] || bad "namespaces left after down"
lab_result "SIGTERM left no dmm route, rule, address or TUN device in any namespace"
