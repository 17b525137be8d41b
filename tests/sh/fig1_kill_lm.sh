#!/bin/bash
# dmm-test: netns
# Figure 1: SIGKILL of LM1+HAA1 (the LM and HAA of local network 1) during
# churn, then a restart. Bindings have a short lifetime here (10 s:
# refreshed at 80 % minus jitter), so that the MRs' refreshes come within
# the test. MN1 (prefix anchored at MR12, leased by HAA1) is at MR11; a TCP
# flow MN2 -> MN1 and pings CN -> MN1 run while:
#   1. MN2 moves MR31 -> MR32 -> MR31 (network 3) and LM1+HAA1 is killed
#      (SIGKILL: nothing cleaned up), then restarted from the same
#      configuration;
#   2. the restarted daemon answers with every lease and every binding it
#      had (its state directory), at the same MR, and the MRs' refreshes
#      keep them so;
#   3. MN1 then moves to MR2 (another local network, which finds its binding
#      at LM1 and retrieves its lease from HAA1) and keeps its prefix, bound
#      there by LM1;
#   4. established flows are unbroken: the TCP flow delivers every byte
#      (same SHA-256), the CN and MN2 reach MN1 at the end; LM3's binding
#      of MN2 is where it was.
#   5. the subscriptions persist too (issue 9 finding 7): right after the
#      restart, before any MR queried again, every binding has at least
#      the subscribers it had before the kill (there are some: the MRs of
#      MN2 and the CN subscribed to MN1's prefix).
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
. "$(dirname "$0")/lib_flow.sh"
lab_require

lab_up "timers-conf binding 10s"
LH=lm1haa1
NS=$DMMLAB_PREFIX$LH
PIDF=$LABDIR/pids/$NS.dmmd.pid
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
p2=$(mn_prefixes mn2 mr31)
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
x cn ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "cn cannot ping mn1 at mr11"

bindings() { jq_ $LH show bindings -- '.[] | "\(.prefix) \(.location)"' | sort; }
leases() { jq_ $LH show leases -- '.[] | "\(.prefix) \(.mr)"' | sort; }
same() { [ "$($1)" = "$2" ]; } # same bindings|leases TEXT
bindings >"$DMMLAB_RUN/bind0"
leases >"$DMMLAB_RUN/lease0"
echo "before: $LH bindings: $(tr '\n' ';' <"$DMMLAB_RUN/bind0") leases: $(tr '\n' ';' <"$DMMLAB_RUN/lease0")"
grep -q "^$p1 2001:db8:ff::11$" "$DMMLAB_RUN/bind0" || bad "$LH does not bind $p1 at mr11 before the kill"
grep -q "^$p1 " "$DMMLAB_RUN/lease0" || bad "$LH has no lease of $p1 before the kill"
subs() { jq_ $LH show bindings -- '.[] | "\(.prefix) \(.subscribers)"' | sort; }
subs >"$DMMLAB_RUN/subs0"
nsubs0=$(awk '{ n += $2 } END { print n + 0 }' "$DMMLAB_RUN/subs0")
echo "before: $LH subscriptions: $(tr '\n' ';' <"$DMMLAB_RUN/subs0")"
[ "$nsubs0" -gt 0 ] || bad "$LH has no subscription before the kill: nothing to check"
lm3b0=$(jq_ lm3 show bindings -- ".[] | select(.prefix == \"$p2\") | .location")

# Established flows: TCP MN2 -> MN1 for 16 s; CN pings MN1 10 times a second.
flow_start mn2 mn1 "$a1" 5301 16
x cn ping -6 -i 0.1 -w 18 -q "$a1" >"$DMMLAB_RUN/ping" 2>&1 &
png=$!

# Churn (MN2 in network 3, whose LM lives on) with the kill in the middle.
$L -l $LAB move mn2 mr32 >/dev/null || bad "move mn2 mr32"
old=$(cat "$PIDF")
kill -9 "$old"
wait_until 5 sh -c "! kill -0 $old 2>/dev/null" || bad "$LH (pid $old) survived SIGKILL"
r=$(x $LH ss -Hlnuw)
[ -z "$r" ] || bad "$LH: sockets left after SIGKILL: $r"
t_kill=$SECONDS
wait_until 10 mn_ready mn2 mr32 || bad "mn2 not attached at mr32"
$L -l $LAB move mn2 mr31 >/dev/null || bad "move mn2 mr31"
wait_until 10 mn_ready mn2 mr31 || bad "mn2 not attached at mr31"
# Restart as dmmlab starts it.
ip netns exec "$NS" "$DMMD" -d -f "$LABDIR/conf/$LH.conf" >>"$LABDIR/logs/$LH.log" 2>&1 &
echo $! >"$PIDF"
wait_until 10 ctl $LH show counters || bad "restarted $LH does not answer"
# What the restarted daemon knows before any refresh reached it.
nb=$(jq_ $LH show bindings -- length) nl=$(jq_ $LH show leases -- length)
echo "restarted $((SECONDS - t_kill)) s after the kill: it holds $nl of $(grep -c . "$DMMLAB_RUN/lease0") leases and $nb of $(grep -c . "$DMMLAB_RUN/bind0") bindings (both persist)"
[ "$nl" = "$(grep -c . "$DMMLAB_RUN/lease0")" ] || bad "restarted $LH holds $nl leases"
[ "$nb" = "$(grep -c . "$DMMLAB_RUN/bind0")" ] || bad "restarted $LH holds $nb bindings"
subs >"$DMMLAB_RUN/subs1"
echo "restarted: $LH subscriptions: $(tr '\n' ';' <"$DMMLAB_RUN/subs1")"
while read -r pfx n; do
	now=$(awk -v p="$pfx" '$1 == p { print $2 }' "$DMMLAB_RUN/subs1")
	[ "${now:-0}" -ge "$n" ] ||
		bad "restarted $LH has ${now:-0} subscribers of $pfx, had $n: subscriptions lost"
done <"$DMMLAB_RUN/subs0"

# What was bound is there, at the same MR (and stays so with the refreshes).
t0=$SECONDS
wait_until 15 same bindings "$(cat "$DMMLAB_RUN/bind0")" ||
	bad "$LH bindings after the restart: '$(bindings)', want '$(cat "$DMMLAB_RUN/bind0")'"
echo "bindings back $((SECONDS - t0)) s after the restart: $(bindings | tr '\n' ';')"
# Leases persist (the HAA's state directory): all there, to the same MR.
same leases "$(cat "$DMMLAB_RUN/lease0")" ||
	bad "$LH leases after the restart: '$(leases)', want '$(cat "$DMMLAB_RUN/lease0")'"
# Then MN1 moves to another local network: MR2 finds its binding at LM1
# and retrieves its lease from HAA1; it keeps its prefix.
$L -l $LAB move mn1 mr2 >/dev/null || bad "move mn1 mr2 (after the restart)"
wait_until 10 mn_ready mn1 mr2 || bad "mn1 not attached at mr2 after the restart"
[ "$(mn_prefixes mn1 mr2)" = "$p1" ] || bad "mn1 at mr2 has '$(mn_prefixes mn1 mr2)', not $p1"
wait_until 10 same bindings "$p1 2001:db8:ff::20" ||
	bad "$LH binds '$(bindings)' after mn1 moved to mr2"

flow_check
wait $png
echo "cn -> mn1: $(grep -E 'transmitted' "$DMMLAB_RUN/ping")"
x cn ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "cn cannot ping mn1 at the end"
x mn2 ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at the end"
lm3b=$(jq_ lm3 show bindings -- ".[] | select(.prefix == \"$p2\") | .location")
[ "$lm3b" = "$lm3b0" ] || bad "lm3 binding of $p2 changed: '$lm3b0' -> '$lm3b'"
[ "$(grep -c "^$LH started" "$LABDIR/logs/$LH.log")" = 2 ] || bad "$LH log shows no restart"

[ $fail = 0 ] || dump mr11 mr12 mr2
lab_result "$LH SIGKILLed during churn and restarted: leases, bindings and subscriptions kept, mn1 moved on with its prefix, the flows went on"
