#!/bin/bash
# dmm-test: netns
# lm { store redis }: two dmmd LM front ends share one binding store, a
# redis-server of the test's own (appendonly, appendfsync always) on ::1
# inside the servers' namespace.
#
#   ns G  2001:db8:ff::100 (build/dmmbench: the MR's signalling)
#    | veth
#   ns S  2001:db8:ff::1 (LM front end A)   2001:db8:ff::2 (LM front end B)
#         redis-server [::1]:6379
#
# 1. 300 bindings loaded through A (sealed LOC_UPDATEs, each acknowledged
#    OK) are answered OK through B, are in B's table (dmmctl show bindings)
#    and in Redis; 100 more through B are answered through A.
# 2. Redis is killed (SIGKILL) right after its last acknowledged write:
#    both front ends say so (dmmctl show store: down), an update is refused
#    (status NO_RESOURCES, counted as lm_store_refused), queries are still
#    answered from what the front end holds.
# 3. Redis restarts on the same directory: both front ends reconnect by
#    themselves (no signal, no restart), every acknowledged binding is
#    there (Redis and both front ends: 400), and updates go through again.
# 4. A third front end started afterwards loads the 400 bindings from Redis
#    before it answers (show store: sync_bindings 400).
# dmmd is the sanitizer build: no report allowed. Root only (else exit 77).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
command -v redis-server >/dev/null || { echo "no redis-server (scripts/deps.sh)"; exit 77; }
dmm_bins build/dmmbench || { echo "FAIL: make"; exit 1; }
# wait_for SECONDS 'CONDITION': CONDITION evaluated anew every 0.1 s
wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		eval "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
G=lmrd-g-$$
S=lmrd-s-$$
GA=2001:db8:ff::100
A=2001:db8:ff::1
B=2001:db8:ff::2
C=2001:db8:ff::3
tmp=$(mktemp -d)
chmod 755 "$tmp"
mkdir "$tmp/redis"
declare -A pid=()
rpid=""
stop() { # NAME
	local p=${pid[$1]:-}
	[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	pid[$1]=""
}
cleanup() {
	for k in "${!pid[@]}"; do stop "$k"; done
	[ -n "$rpid" ] && kill -9 "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	ip netns del "$G" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

ip netns add "$G" && ip netns add "$S" || exit 1
ip link add lmrd0 netns "$G" type veth peer name lmrd1 netns "$S" || exit 1
ip -n "$S" link set lo up
ip -n "$G" link set lmrd0 up
ip -n "$S" link set lmrd1 up
ip -n "$G" addr add $GA/64 dev lmrd0 nodad
for a in $A $B $C; do ip -n "$S" addr add $a/64 dev lmrd1 nodad; done
printf '1 %s\n' "$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$tmp/keys"
chmod 600 "$tmp/keys"

redis_start() {
	ip netns exec "$S" redis-server --bind ::1 --port 6379 --dir "$tmp/redis" \
		--appendonly yes --appendfsync always --save '' --protected-mode no \
		--logfile "$tmp/redis.log" &
	rpid=$!
	wait_for 10 'ip netns exec "$S" redis-cli -h ::1 ping 2>/dev/null | grep -q PONG' ||
		bad "redis-server did not start"
}
rcli() { ip netns exec "$S" redis-cli -h ::1 "$@"; }

lm_start() { # NAME ADDRESS [LINE]
	cat >"$tmp/$1.conf" <<EOC
node lm$1
address $2
roles lm
local-network ln1
keys "keys"
control "$tmp/$1.sock"
signalling udp
network ln1 {
	prefix 2001:db8:100::/40
	lm $2
	haa $2
	mr $GA
}
lm {
	store redis [::1]:6379 timeout 500ms
}
limits {
	bindings 1000
}
${3:-}
EOC
	ip netns exec "$S" "$DMMD" -d -f "$tmp/$1.conf" >"$tmp/$1.log" 2>&1 &
	pid[$1]=$!
}
ctl() { "$DMMCTL" -s "$tmp/$1.sock" "${@:2}"; }
store_state() { ctl "$1" -j show store | sed -n 's/.*"state": *"\([a-z]*\)".*/\1/p'; }
nbind() { ctl "$1" -j show bindings | grep -o '"prefix"' | wc -l; }
gen() { # LM ARGS...: the MR's signalling to one front end
	local to=$1
	shift
	ip netns exec "$G" build/dmmbench gen -s $GA -d "$to" -k "$tmp/keys" "$@"
}

redis_start
lm_start a $A "metrics [$A]:9464"
lm_start b $B
wait_for 10 '[ "$(store_state a)" = up ] && [ "$(store_state b)" = up ]' ||
	bad "front ends not up: a $(store_state a), b $(store_state b)"
ctl a show store

# 1. an update through one is seen by a query through the other
L=$(gen $A -L -n 300 -c 50 -t 0 -V)
echo "load through A: $L"
[ "$(field "$L" ok)" = 300 ] || bad "load through A: not 300 bindings acknowledged OK"
wait_for 5 '[ "$(nbind b)" = 300 ]' || bad "B holds $(nbind b) bindings, not 300"
R=$(gen $B -n 300 -c 50 -t 0.5 -w 0.1 -V)
echo "query through B: $R"
[ "$(field "$R" answered)" -gt 100 ] 2>/dev/null || bad "query through B: too few answers"
[ "$(field "$R" not_ok)" = 0 ] || bad "query through B: answers not OK (not found?)"
[ "$(field "$R" timeouts)" = 0 ] || bad "query through B: timeouts"
[ "$(rcli --scan --pattern 'dmm:b:*' | wc -l)" = 300 ] || bad "Redis does not hold 300 bindings"
# 100 more, through B this time (ids 0-399: the first 300 are refreshed)
L=$(gen $B -L -n 400 -c 50 -t 0 -V)
[ "$(field "$L" ok)" = 400 ] || bad "load through B: not 400 acknowledged OK: $L"
wait_for 5 '[ "$(nbind a)" = 400 ]' || bad "A holds $(nbind a) bindings, not 400"
R=$(gen $A -n 400 -c 50 -t 0.3 -w 0.1 -V)
[ "$(field "$R" not_ok)" = 0 ] && [ "$(field "$R" timeouts)" = 0 ] ||
	bad "query through A after B's updates: $R"

# every dmmctl counter (redis_* among them) is on A's metrics page
scrape() { ip netns exec "$S" curl -sS -m 5 "http://[$A]:9464/metrics" >"$1"; }
scrape "$tmp/m1" && ctl a -j show counters >"$tmp/ctl.json" && scrape "$tmp/m2" &&
	/usr/bin/python3 tests/sh/metrics_check.py counters "$tmp/m1" "$tmp/ctl.json" "$tmp/m2" ||
	bad "A's metrics do not match its counters"
grep -q '^dmm_lm_store_up 1' "$tmp/m2" || bad "metrics: dmm_lm_store_up is not 1"

# 2. the primary dies right after its last acknowledged write
kill -9 "$rpid"; wait "$rpid" 2>/dev/null; rpid=""
wait_for 5 '[ "$(store_state a)" != up ] && [ "$(store_state b)" != up ]' ||
	bad "front ends still say up with Redis dead: a $(store_state a), b $(store_state b)"
ctl a show store
L=$(gen $A -L -n 10 -c 5 -t 0 -T 300)
echo "update while down: $L"
[ "$(field "$L" ok)" = 0 ] || bad "updates acknowledged OK while the store is down: $L"
ref=$(ctl a -j show counters | sed -n 's/.*"lm_store_refused": *\([0-9]*\).*/\1/p')
[ "${ref:-0}" -gt 0 ] || bad "lm_store_refused not counted"
R=$(gen $B -n 400 -c 20 -t 0.3 -w 0.1 -V)
echo "query through B while down: $R"
[ "$(field "$R" not_ok)" = 0 ] && [ "$(field "$R" timeouts)" = 0 ] ||
	bad "queries not answered from the front end's bindings while the store is down"

# 3. the primary comes back on its append-only file: nothing acknowledged lost
redis_start
wait_for 15 '[ "$(store_state a)" = up ] && [ "$(store_state b)" = up ]' ||
	bad "front ends did not reconnect: a $(store_state a), b $(store_state b)"
n=$(rcli --scan --pattern 'dmm:b:*' | wc -l)
[ "$n" = 400 ] || bad "Redis holds $n bindings after its restart, not the 400 acknowledged"
[ "$(nbind a)" = 400 ] && [ "$(nbind b)" = 400 ] ||
	bad "front ends hold $(nbind a) / $(nbind b) bindings, not 400"
L=$(gen $A -L -n 10 -c 5 -t 0 -V)
[ "$(field "$L" ok)" = 10 ] || bad "updates not acknowledged after the reconnection: $L"
R=$(gen $B -n 400 -c 50 -t 0.3 -w 0.1 -V)
[ "$(field "$R" not_ok)" = 0 ] && [ "$(field "$R" timeouts)" = 0 ] ||
	bad "query through B after the restart: $R"

# 4. a new front end learns every binding before it answers
lm_start c $C
F=$(gen $C -F -t 10) || bad "no first answer from front end C"
[ "$(store_state c)" = up ] || bad "C answered before it was in step with the store"
[ "$(nbind c)" = 400 ] || bad "C holds $(nbind c) bindings, not 400"
ctl c -j show store | grep -q '"sync_bindings": *400' || bad "C's show store: $(ctl c show store)"

for k in a b c; do stop $k; done
san_check "$tmp"/a.log "$tmp"/b.log "$tmp"/c.log || fail=1
[ $fail = 0 ] || { tail -20 "$tmp"/a.log "$tmp"/b.log; }
[ $fail = 0 ] && echo "lm_redis: ok"
exit $fail
