#!/bin/bash
# dmm-test: netns per-driver
# Figure 1: SIGKILL of an MR serving an MN, then a restart. MN1 (prefix
# anchored at MR12) is at MR11, with traffic to MN2 and the CN, so MR11
# holds every kind of state: a LOCAL route for a foreign prefix, tunnel
# routes, its rules, its TUN device, and with the bpf driver its programs
# and maps (a tc filter on the core link, LWT routes). MR11 is killed
# (SIGKILL: it cleans nothing up), which leaves all of that in the kernel,
# then restarted from the same configuration. Checked:
#   - reconciled: the restarted MR serves MN1 again (attached, its address,
#     reachable from MN2 and the CN, MN1 reaches the CN), and its kernel
#     table is what it was before the kill once the same traffic flowed:
#     same routes, none twice; its policy rules are there once each;
#   - nothing leaked: one TUN device, the core link's tc filters as before
#     (bpf: one ingress program), and every BPF program and map the killed
#     process held is gone from the kernel (bpftool), as is its privileged
#     helper process;
#   - the kill is real: right after it, its stale routes are still there.
# Per driver (what leaks differs). Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require bpftool

lab_up
MR=mr11
NS=$DMMLAB_PREFIX$MR
PIDF=$LABDIR/pids/$NS.dmmd.pid
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
p2=$(mn_prefixes mn2 mr31)
a2=$(mn_addr mn2 "$p2") || bad "mn2 has no address in '$p2'"
$L -l $LAB move mn1 $MR >/dev/null || bad "move mn1 $MR"
wait_until 5 mn_ready mn1 $MR || bad "mn1 not attached at $MR"

traffic() {
	x mn2 ping -6 -c3 -i0.2 -w8 "$a1" >/dev/null || bad "$1: mn2 cannot ping mn1"
	x cn ping -6 -c3 -i0.2 -w8 "$a1" >/dev/null || bad "$1: cn cannot ping mn1"
	x mn1 ping -6 -c3 -i0.2 -w8 "$a2" >/dev/null || bad "$1: mn1 cannot ping mn2"
	x mn1 ping -6 -c3 -i0.2 -w8 2001:db8:100::1 >/dev/null || bad "$1: mn1 cannot ping cn"
}
# The MR's kernel state, normalized (no ids, no counters).
routes() { x $MR ip -6 route show table $TABLE | sed 's/ id [0-9]*//g' | sort; }
rules() { x $MR ip -6 rule show | grep -E "^($RULE_PREF|$((RULE_PREF + 1))|$((RULE_PREF + 2))):|proto $PROTO\b" | sort; }
tuns() { x $MR ip -d -o link show | grep -cE '(^| )tun( |$)|tun type'; }
tcf() { x $MR tc filter show dev core ingress 2>/dev/null | grep -c 'bpf'; }
bpf_ids() { # PID KIND: the ids of the BPF programs (prog) or maps (map) PID holds
	cat /proc/"$1"/fdinfo/* 2>/dev/null | sed -n "s/^$2_id:[[:space:]]*//p" | sort -u
}

traffic "before the kill"
routes >"$DMMLAB_RUN/routes0"
rules >"$DMMLAB_RUN/rules0"
tun0=$(tuns) tcf0=$(tcf)
old=$(cat "$PIDF")
helper=$(pgrep -P "$old" -x dmmd-priv)
bpf_ids "$old" prog >"$DMMLAB_RUN/progs"
bpf_ids "$old" map >"$DMMLAB_RUN/maps"
drv=$(node_driver $MR)
echo "$MR ($drv): $(grep -c . "$DMMLAB_RUN/routes0") routes, $(grep -c . "$DMMLAB_RUN/rules0") rules, $tun0 TUN, $tcf0 tc bpf filters, BPF programs $(tr '\n' ' ' <"$DMMLAB_RUN/progs")maps $(grep -c . "$DMMLAB_RUN/maps"); helper ${helper:-none}"
[ "$tun0" = 1 ] || bad "$MR has $tun0 TUN devices before the kill"
grep -q "^$p1 dev mn1 " "$DMMLAB_RUN/routes0" || bad "$MR has no LOCAL route for $p1 before the kill"
if [ "$drv" = bpf ]; then
	[ -s "$DMMLAB_RUN/progs" ] || bad "$MR holds no BPF program with the bpf driver"
	[ "$tcf0" -ge 1 ] || bad "$MR: no tc bpf filter on core with the bpf driver"
fi

kill -9 "$old"
wait_until 5 sh -c "! kill -0 $old 2>/dev/null" || bad "$MR (pid $old) survived SIGKILL"
[ -z "$helper" ] || wait_until 5 sh -c "! kill -0 $helper 2>/dev/null" ||
	bad "$MR's helper $helper outlived it"
left=$(routes | grep -c .)
echo "after SIGKILL: $left routes left in table $TABLE, $(rules | grep -c .) rules"
[ "$left" -gt 0 ] || bad "SIGKILL left no route: nothing to reconcile (the test proves nothing)"

ip netns exec "$NS" "$DMMD" -d -f "$LABDIR/conf/$MR.conf" >>"$LABDIR/logs/$MR.log" 2>&1 &
echo $! >"$PIDF"
new=$!
wait_until 10 ctl $MR show counters || bad "restarted $MR does not answer"
# MN1 is still on its link; its next frame (any traffic) attaches it.
x mn1 ping -6 -c1 -w3 2001:db8:100::1 >/dev/null
wait_until 15 mn_ready mn1 $MR || bad "mn1 not served by the restarted $MR: $(ctl $MR show mns)"
p1b=$(mn_prefixes mn1 $MR)
echo "mn1 at the restarted $MR: prefixes $p1b (before: $p1)"
[ "$p1b" = "$p1" ] || bad "mn1's prefix changed across the restart: $p1 -> $p1b"
traffic "after the restart"

# Reconciled: the same routes as before the kill, none twice.
routes_back() { [ "$(routes)" = "$(cat "$DMMLAB_RUN/routes0")" ]; }
wait_until 10 routes_back ||
	{ bad "$MR routes differ from before the kill"; diff <(cat "$DMMLAB_RUN/routes0") <(routes); }
dup=$(routes | uniq -d)
[ -z "$dup" ] || bad "$MR has routes twice: $dup"
[ "$(rules)" = "$(cat "$DMMLAB_RUN/rules0")" ] ||
	{ bad "$MR rules differ"; diff <(cat "$DMMLAB_RUN/rules0") <(rules); }
[ "$(tuns)" = "$tun0" ] || bad "$MR has $(tuns) TUN devices, had $tun0"
[ "$(tcf)" = "$tcf0" ] || bad "$MR core link has $(tcf) tc bpf filters, had $tcf0"
# The killed process's programs and maps are freed (by the flush of its
# routes and filters; freeing is deferred by RCU: wait).
gone() { # KIND FILE: none of FILE's ids is still loaded
	local live
	live=$(bpftool "$1" show -j | jq -r '.[].id')
	! grep -qxF -f "$2" <<<"$live"
}
if [ -s "$DMMLAB_RUN/progs" ]; then
	wait_until 10 gone prog "$DMMLAB_RUN/progs" ||
		bad "BPF programs of the killed $MR still loaded: $(bpftool prog show -j | jq -r '.[].id' | grep -xF -f "$DMMLAB_RUN/progs" | tr '\n' ' ')"
	wait_until 10 gone map "$DMMLAB_RUN/maps" ||
		bad "BPF maps of the killed $MR still loaded"
	echo "$MR: the killed process's $(grep -c . "$DMMLAB_RUN/progs") programs and $(grep -c . "$DMMLAB_RUN/maps") maps are gone; the new one holds $(bpf_ids "$new" prog | tr '\n' ' ')"
fi
[ $fail = 0 ] || dump $MR
lab_result "$MR SIGKILLed and restarted: routes reconciled, nothing leaked, mn1 served again"
