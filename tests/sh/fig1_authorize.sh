#!/bin/bash
# dmm-test: netns
# MN authorization (draft 4.1, mr { authorize FILE }) on figure 1 with real
# MNs. Every MR reads one list naming MN1 and MN2; both attach. Then MN1 is
# removed from the list and MR11 reloaded (SIGHUP): MN1 moving MR12 -> MR11
# is refused there (attach_denied counted, no MN at MR11, no prefix route,
# MN2 cannot reach it), while MR12, not reloaded, still serves. MN1 is put
# back, MR11 reloaded, MN1 moves to MR12 and back to MR11: attached with
# its prefix, MN2 reaches it. A list with a bad line on reload keeps the
# running one, logged with its line. Then the optional fields: MN9, new,
# listed with a fixed prefix (`prefix 2001:db8:1:11ff::/64`, inside MR11's
# range) on both MRs of network 1, attaches at MR11: it gets that prefix
# without any HAA lease, LM1 binds it at MR11 and MN2 reaches it; it moves
# to MR12, which keeps the prefix without a lease retrieval, and MN2
# reaches it there. A home network outside the domain map is refused on
# reload, with its reason. Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

list=$DMMLAB_RUN/authorized
printf '# the lab MNs\n02:00:00:00:00:01\n02:00:00:00:00:02\n' >"$list"
lab_up "mr-conf authorize \"$list\""
authz_lines() { grep -c "authorize:" "$LABDIR/logs/$1.log"; }
more_lines() { [ "$(authz_lines "$1")" -gt "$2" ]; }
hup() { # NODE: SIGHUP its dmmd, wait for the list to be read again
	local n=$1 before
	before=$(authz_lines $n)
	kill -HUP "$(cat "$LABDIR/pids/$DMMLAB_PREFIX$n.dmmd.pid")"
	wait_until 5 more_lines $n "$before" || bad "$n: no authorize line after SIGHUP"
}
p1=$(mn_prefixes mn1 mr12)
a2=$(mn_addr mn2 "$(mn_prefixes mn2 mr31)") || bad "mn2 has no address"
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
grep -q "authorize: 2 MN ids" "$LABDIR/logs/mr11.log" || bad "mr11 did not read 2 MN ids"

note "MN1 removed from the list, MR11 reloaded"
printf '02:00:00:00:00:02\n' >"$list"
hup mr11
grep -q "authorize: 1 MN ids" "$LABDIR/logs/mr11.log" || bad "mr11 did not read 1 MN id"
d0=$(counter mr11 attach_denied)
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
denied() { [ "$(counter mr11 attach_denied)" -gt "$d0" ]; }
wait_until 5 denied || bad "mr11 counted no attach_denied"
[ "$(ctl mr11 show mns | jq length)" = 0 ] || bad "mr11 serves an MN: $(ctl mr11 show mns)"
ip -n "${DMMLAB_PREFIX}mr11" -6 route show "$p1" | grep -q . &&
	bad "mr11 routes $p1: $(ip -n "${DMMLAB_PREFIX}mr11" -6 route show "$p1")"
x mn2 ping -6 -c 2 -W 1 "$a1" >/dev/null 2>&1 && bad "mn2 reaches the refused mn1"
grep -q "02:00:00:00:00:01 on link [0-9]* not authorized" "$LABDIR/logs/mr11.log" ||
	bad "mr11 did not log the refusal"

note "a broken list on reload keeps the running one"
printf '02:00:00:00:00:02\n02:00:00:00:00:01 extra\n' >"$list"
hup mr11
grep -q "authorized:2: 'extra': expected home NETWORK or prefix PREFIX.*keeping the running list" \
	"$LABDIR/logs/mr11.log" ||
	bad "no error with its line for the broken list"

note "MN1 back on the list: attached at MR11 with its prefix"
printf '02:00:00:00:00:01\n02:00:00:00:00:02\n' >"$list"
hup mr11
$L -l $LAB move mn1 mr12 >/dev/null || bad "move mn1 mr12"
wait_until 10 mn_ready mn1 mr12 || bad "mn1 not attached at mr12 again"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11 again"
wait_until 10 mn_ready mn1 mr11 || bad "mn1 not attached at mr11 once authorized"
[ "$(mn_prefixes mn1 mr11)" = "$p1" ] || bad "mn1 at mr11 has '$(mn_prefixes mn1 mr11)', want $p1"
wait_until 5 x mn2 ping -6 -c 1 -W 1 "$a1" >/dev/null 2>&1 || bad "mn2 cannot reach mn1 at mr11"

note "optional fields: MN9 with a fixed prefix"
FIX=2001:db8:1:11ff::/64
printf '02:00:00:00:00:01\n02:00:00:00:00:02\n02:00:00:00:00:09 prefix %s\n' "$FIX" >"$list"
hup mr11
hup mr12
new_mn mn9 mr11 02:00:00:00:00:09
wait_until 10 mn_ready mn9 mr11 || bad "mn9 not attached at mr11 with an address"
[ "$(mn_prefixes mn9 mr11)" = "$FIX" ] || bad "mn9 at mr11 has '$(mn_prefixes mn9 mr11)', want $FIX"
a9=$(mn_addr mn9 "$FIX") || bad "mn9 has no address in $FIX"
lease9() { jq_ lm1haa1 show leases -- ".[] | select(.mnid == \"02:00:00:00:00:09\") | .prefix"; }
bind9() { jq_ lm1haa1 show bindings -- ".[] | select(.prefix == \"$FIX\") | .location"; }
[ -z "$(lease9)" ] || bad "haa1 leased '$(lease9)' to mn9"
wait_for 5 '[ "$(bind9)" = 2001:db8:ff::11 ]' || bad "lm1 binds $FIX at '$(bind9)', not mr11"
wait_until 5 x mn2 ping -6 -c 1 -W 1 "$a9" || bad "mn2 cannot reach mn9 at mr11"
# (dmmlab moves only the topology's MNs: the same link move by hand)
ip -n "${DMMLAB_PREFIX}mr11" link set mn9 netns "${DMMLAB_PREFIX}mr12" || bad "move mn9 mr12"
wait_until 10 mn_ready mn9 mr12 || bad "mn9 not attached at mr12"
[ "$(mn_prefixes mn9 mr12)" = "$FIX" ] || bad "mn9 at mr12 has '$(mn_prefixes mn9 mr12)', want $FIX"
[ -z "$(lease9)" ] || bad "haa1 leased '$(lease9)' to mn9 after the move"
wait_for 5 '[ "$(bind9)" = 2001:db8:ff::12 ]' || bad "lm1 binds $FIX at '$(bind9)', not mr12"
wait_until 5 x mn2 ping -6 -c 1 -W 1 "$a9" || bad "mn2 cannot reach mn9 at mr12"

note "a home network the domain map lacks is refused on reload"
printf '02:00:00:00:00:01\n02:00:00:00:00:02 home ln9\n' >"$list"
hup mr11
grep -q "home ln9 is no network of the domain map; keeping the running list" \
	"$LABDIR/logs/mr11.log" || bad "no error for home ln9"
lab_result "an MN off the list gets nothing at MR11; back on it, attached with its prefix; a fixed prefix is installed without a lease and kept across a move"
