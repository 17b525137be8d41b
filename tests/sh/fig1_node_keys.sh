#!/bin/bash
# dmm-test: netns
# Figure 1 with node keys (dmmd.conf(5) keys, issue 9 finding 8): dmmlab's
# `node-keys` gives every router a key of its own beside the domain key;
# the LMs and HAAs hold every router's. Checked on the real daemons:
#   1. MN1 moves mr12 -> mr11 -> mr2 (another local network) -> mr11; MN2
#      and the CN reach it after each move; LM1 binds its prefix there;
#   2. nothing was dropped for its key anywhere (drop_node_key, drop_auth,
#      drop_key all 0): every message went out under the key its receiver
#      wants (an MR to a server: its own key; a server to an MR: the MR's;
#      MR to MR: the domain key);
#   3. mr12, an insider with the domain key and its own node key, sends LM1
#      a LOC_UPDATE of MN1's prefix (tests/sh/insider_mh.py, scapy):
#        a. as itself under the domain key, naming itself: drop_node_key;
#        b. from mr11's address under its own key, naming itself:
#           drop_node_key;
#        c. as itself under its own key, naming mr2 (MN1 is at mr11):
#           LOC_ACK PROHIBITED, drop_location;
#      LM1's binding of MN1 stays at mr11 and the CN still reaches MN1.
# Driver-independent: run once. Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require
PY=/usr/bin/python3 # Debian's: python3-scapy is installed for it
$PY -c 'import scapy.all' 2>/dev/null ||
	{ echo "FAIL: python3-scapy is not installed (scripts/deps.sh installs it: make deps)"; exit 1; }

lab_up "node-keys"
NODES="lm1haa1 lm2haa2 lm3 haa3 mr11 mr12 mr2 mrgw mr31 mr32"
grep -q " node 2001:db8:ff::11$" "$LABDIR/keys.mr11" || bad "no node key in $LABDIR/keys.mr11"
[ "$(grep -c '^[0-9].* node ' "$LABDIR/keys.lm1haa1")" = 10 ] || bad "lm1haa1 does not hold every node key"
[ "$(grep -c '^[0-9].* node ' "$LABDIR/keys.mr12")" = 1 ] || bad "mr12 holds another node's key"

# 1. moves, within and across local networks
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
bound() { [ "$(jq_ lm1haa1 show bindings -- ".[] | select(.prefix == \"$p1\") | .location")" = "$1" ]; }
for to in mr11 mr2 mr11; do
	$L -l $LAB move mn1 $to >/dev/null || bad "move mn1 $to"
	wait_until 10 mn_ready mn1 $to || bad "mn1 not attached at $to"
	wait_until 10 bound "$(mr_addr $to)" || bad "lm1haa1 does not bind $p1 at $to"
	x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at $to"
	x cn ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "cn cannot ping mn1 at $to"
done

# 2. every message under the right key
for n in $NODES; do
	for c in drop_node_key drop_auth drop_key drop_location; do
		v=$(counter $n $c)
		[ "$v" = 0 ] || bad "$n counted $c $v"
	done
done

# 3. the insider mr12
mnid=$(jq_ lm1haa1 show bindings -- ".[] | select(.prefix == \"$p1\") | .mnid")
k12=$(awk '$3 == "node" && $4 == "2001:db8:ff::12" { print $1 }' "$LABDIR/keys.mr12")
[ -n "$mnid" ] && [ -n "$k12" ] || bad "no MN id ('$mnid') or no key of mr12 ('$k12')"
nk0=$(counter lm1haa1 drop_node_key) loc0=$(counter lm1haa1 drop_location)
tx0=$(counter lm1haa1 tx)
insider() { # KEYID SRC LOCATION
	x mr12 $PY "$(dirname "$0")/insider_mh.py" "$LABDIR/keys.mr12" "$1" "$2" \
		2001:db8:ff::1 "$mnid" "$p1" "$3" || bad "insider_mh.py $*"
}
insider 1 2001:db8:ff::12 2001:db8:ff::12
wait_for 5 '[ "$(counter lm1haa1 drop_node_key)" = $((nk0 + 1)) ]' ||
	bad "a: lm1haa1 drop_node_key $(counter lm1haa1 drop_node_key), want $((nk0 + 1))"
insider "$k12" 2001:db8:ff::11 2001:db8:ff::12
wait_for 5 '[ "$(counter lm1haa1 drop_node_key)" = $((nk0 + 2)) ]' ||
	bad "b: lm1haa1 drop_node_key $(counter lm1haa1 drop_node_key), want $((nk0 + 2))"
[ "$(counter lm1haa1 tx)" = "$tx0" ] || bad "lm1haa1 answered a message it dropped"
insider "$k12" 2001:db8:ff::12 2001:db8:ff::20
wait_for 5 '[ "$(counter lm1haa1 drop_location)" = $((loc0 + 1)) ]' ||
	bad "c: lm1haa1 drop_location $(counter lm1haa1 drop_location), want $((loc0 + 1))"
bound 2001:db8:ff::11 ||
	bad "lm1haa1 binds $p1 at '$(jq_ lm1haa1 show bindings -- ".[] | select(.prefix == \"$p1\") | .location")' after the insider"
x cn ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "cn cannot ping mn1 after the insider"

[ $fail = 0 ] || dump mr11 mr12 mr2
lab_result "node keys: mn1 moved across networks, every message under its receiver's key; the insider mr12 could neither pose as mr11 nor bind mn1 elsewhere"
