#!/bin/bash
# dmm-test: netns
# build/dmmbench against a real dmmd LM over UDP 5436 between two network
# namespaces (what `make bench` measures, small): it loads 300 bindings with
# sealed LOC_UPDATEs (every one acknowledged OK), queries them for a second
# (every answer OK, no timeout, each reply's MAC verified with -V), and
# dmmctl then shows the 300 bindings; dmmd reads and answers in batches
# (recvmmsg / sendmmsg), so 50 requests in flight exercise them. Then the
# no-op floor (dmmbench echo) answers the same generator. dmmd is the
# sanitizer build: no report allowed. Root only (else exit 77). The key
# and dmmd's configuration are the benchmark's own (lab/lib-bench-lm.sh:
# lmb_keys, lmb_conf).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
. lab/lib-bench-lm.sh
[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
dmm_bins build/dmmbench || { echo "FAIL: make"; exit 1; }
G=lmbt-g-$$
S=lmbt-s-$$
GA=2001:db8:ff::100
SA=2001:db8:ff::1
tmp=$(mktemp -d)
chmod 755 "$tmp"
RUN=$tmp # lmb_keys, lmb_conf write there
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$G" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

ip netns add "$G" && ip netns add "$S" || exit 1
ip link add lmbt0 netns "$G" type veth peer name lmbt1 netns "$S" || exit 1
ip -n "$G" link set lmbt0 up
ip -n "$S" link set lmbt1 up
ip -n "$G" addr add $GA/64 dev lmbt0 nodad
ip -n "$S" addr add $SA/64 dev lmbt1 nodad
lmb_keys
lmb_conf lmbt 300
ip netns exec "$S" "$DMMD" -d -f "$tmp/lm.conf" >"$tmp/dmmd.log" 2>&1 &
pid=$!
gen() { ip netns exec "$G" build/dmmbench gen -s $GA -d $SA -k "$tmp/keys" "$@"; }
F=$(gen -F -t 10) || bad "no first answer from dmmd"
L=$(gen -L -n 300 -c 50 -t 0 -V)
echo "load: $L"
[ "$(field "$L" ok)" = 300 ] || bad "load: not 300 bindings acknowledged OK"
R=$(gen -n 300 -c 50 -t 1 -w 0.2 -V)
echo "query: $R"
[ "$(field "$R" answered)" -gt 1000 ] 2>/dev/null || bad "query: too few answers"
[ "$(field "$R" not_ok)" = 0 ] || bad "query: answers not OK"
[ "$(field "$R" errors)" = 0 ] || bad "query: errors (bad MAC or send)"
[ "$(field "$R" timeouts)" = 0 ] || bad "query: timeouts"
n=$("$DMMCTL" -s "$tmp/dmmd.sock" -j show bindings | grep -o '"prefix"' | wc -l)
[ "$n" = 300 ] || bad "dmmctl shows $n bindings, not 300"
kill "$pid"; wait "$pid" 2>/dev/null; pid=""
san_check "$tmp/dmmd.log" || fail=1

ip netns exec "$S" build/dmmbench echo -l $SA >/dev/null 2>&1 &
pid=$!
gen -F -t 10 >/dev/null || bad "no first answer from the floor"
E=$(gen -n 300 -c 50 -t 0.5 -w 0.1)
echo "floor: $E"
[ "$(field "$E" answered)" -gt 1000 ] 2>/dev/null || bad "floor: too few answers"
[ "$(field "$E" timeouts)" = 0 ] || bad "floor: timeouts"
[ $fail = 0 ] && echo "lm_bench: ok"
exit $fail
