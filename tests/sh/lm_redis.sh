#!/bin/bash
# dmm-test: netns
# lm { store redis }: two dmmd LM front ends of one network share one
# binding store, a redis-server of the test's own (appendonly, appendfsync
# always). Both front ends are the network's LM address L (anycast, as
# the MAC covers the addresses: every front end answers as L); the MR's
# route to L decides which one it reaches.
#
#                  .-- lmrd-ga == lmrd-a  ns S1: L, front end A --.   ns R: redis-server
#   ns G (the MR) <                                                 >   primary [::]:6379
#    GA                '-- lmrd-gb == lmrd-b  ns S2: L, front end B --'   replica [::]:6380
#
# The front ends name both (the primary is the one whose ROLE says so)
# and wait for one replica per write (replicas 1).
#
# 1. 300 bindings loaded through A (sealed LOC_UPDATEs from build/dmmbench,
#    each acknowledged OK) are answered OK through B, are in B's table
#    (dmmctl show bindings) and in Redis; 400 through B (100 new) are
#    answered through A. A record made newer in Redis behind the front
#    ends' back wins over A's later write of it, and A takes it (superseded).
#    A's metrics match its counters.
#    A silent partition between A and Redis (nftables drops A's packets):
#    A notices by its heartbeat and refuses updates while B takes them;
#    once healed, A reconnects and has B's changes.
# 2. 500 bindings through A (100 new), and the primary is killed (SIGKILL)
#    right after the last is acknowledged: both front ends say so (dmmctl
#    show store: not up), an update is refused (status NO_RESOURCES,
#    counted as lm_store_refused), queries are still answered from what
#    the front end holds.
# 3. The primary restarts on its append-only file: both front ends
#    reconnect by themselves, every acknowledged binding is there (Redis
#    and both front ends: 500), and updates go through again.
# 4. Front end A is restarted (a new process, nothing of its own kept): it
#    reads the 500 bindings from Redis before it answers.
# 5. Failover: the primary is killed for good, the replica promoted and the
#    old primary restarted as its replica: both front ends move to the new
#    primary by themselves, it has every acknowledged binding, and an
#    update through A is answered through B.
# dmmd is the sanitizer build: no report allowed. Root only (else exit 77).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
command -v redis-server >/dev/null || { echo "FAIL: no redis-server (make deps)"; exit 1; }
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
S1=lmrd-s1-$$
S2=lmrd-s2-$$
RN=lmrd-r-$$
GA=2001:db8:ff::100
LMA=2001:db8:ff::1
tmp=$(mktemp -d)
chmod 755 "$tmp"
declare -A pid=()
rpid="" qpid=""
stop() { # NAME
	local p=${pid[$1]:-}
	[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	pid[$1]=""
}
cleanup() {
	for k in "${!pid[@]}"; do stop "$k"; done
	[ -n "$rpid" ] && kill -9 "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	[ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	for n in "$G" "$S1" "$S2" "$RN"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

for n in "$G" "$S1" "$S2" "$RN"; do
	ip netns add "$n" || exit 1
	ip -n "$n" link set lo up
done
for x in a b; do
	s=$S1 k=1
	[ $x = b ] && s=$S2 k=2
	ip link add lmrd-g$x netns "$G" type veth peer name lmrd-$x netns "$s" || exit 1
	ip link add lmrd-r$x netns "$RN" type veth peer name lmrd-f$x netns "$s" || exit 1
	ip -n "$G" link set lmrd-g$x up
	ip -n "$G" addr add $GA/128 dev lmrd-g$x nodad
	ip -n "$s" link set lmrd-$x up
	ip -n "$s" addr add $LMA/64 dev lmrd-$x nodad
	ip -n "$s" link set lmrd-f$x up
	ip -n "$s" addr add 2001:db8:f$k::1/64 dev lmrd-f$x nodad
	ip -n "$RN" link set lmrd-r$x up
	ip -n "$RN" addr add 2001:db8:f$k::10/64 dev lmrd-r$x nodad
done
printf '1 %s\n' "$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$tmp/keys"
chmod 600 "$tmp/keys"

# redis_start PORT [PRIMARY_PORT]: a redis-server on [::]:PORT (a replica
# of [::1]:PRIMARY_PORT if given), its files in $tmp/redis-PORT; sets PID
redis_start() {
	mkdir -p "$tmp/redis-$1"
	ip netns exec "$RN" redis-server --bind '* -::*' --port "$1" --dir "$tmp/redis-$1" \
		--appendonly yes --appendfsync always --save '' --protected-mode no \
		--repl-diskless-sync-delay 0 ${2:+--replicaof ::1 "$2"} \
		--logfile "$tmp/redis-$1.log" &
	PID=$!
	wait_for 10 'ip netns exec "$RN" redis-cli -h ::1 -p '"$1"' ping 2>/dev/null | grep -q PONG' ||
		bad "redis-server on port $1 did not start"
}
rcli() { ip netns exec "$RN" redis-cli -h ::1 "$@"; }
replica_up() { # PORT: the primary on PORT has its replica, in sync
	rcli -p "$1" info replication | grep -q '^slave0:.*state=online'
}

lm_start() { # NAME [LINE]: front end NAME (a in S1, b in S2)
	local ns=$S1 k=1
	[ "$1" = b ] && ns=$S2 k=2
	cat >"$tmp/$1.conf" <<EOC
node lm$1
address $LMA
roles lm
local-network ln1
keys "keys"
control "$tmp/$1.sock"
signalling udp
network ln1 {
	prefix 2001:db8:100::/40
	lm $LMA
	haa $LMA
	mr $GA
}
lm {
	store redis [2001:db8:f$k::10]:6379 [2001:db8:f$k::10]:6380 replicas 1 timeout 2s
}
limits {
	bindings 1000
}
${2:-}
EOC
	ip netns exec "$ns" "$DMMD" -d -f "$tmp/$1.conf" >>"$tmp/$1.log" 2>&1 &
	pid[$1]=$!
}
ctl() { "$DMMCTL" -s "$tmp/$1.sock" "${@:2}"; }
store_state() { ctl "$1" -j show store | sed -n 's/.*"state": *"\([a-z]*\)".*/\1/p'; }
nbind() { ctl "$1" -j show bindings | grep -o '"prefix"' | wc -l; }
gen() { # a|b ARGS...: the MR's signalling to L, routed to front end A or B
	ip -n "$G" -6 route replace $LMA/128 dev lmrd-g$1
	shift
	ip netns exec "$G" build/dmmbench gen -s $GA -d $LMA -k "$tmp/keys" "$@"
}

redis_start 6379; rpid=$PID
redis_start 6380 6379; qpid=$PID
wait_for 10 'replica_up 6379' || bad "the replica did not connect"
lm_start a "metrics [$LMA]:9464"
lm_start b
wait_for 10 '[ "$(store_state a)" = up ] && [ "$(store_state b)" = up ]' ||
	bad "front ends not up: a $(store_state a), b $(store_state b)"
ctl a show store
# show store's JSON follows docs/dmmctl.schema.json (up, then down below)
schema_ok() { # FILE
	python3 - docs/dmmctl.schema.json "$1" <<'PY'
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
sub = dict(s, **{"$ref": "#/$defs/show_store"})
del sub["anyOf"]
jsonschema.Draft202012Validator(sub).validate(json.load(open(sys.argv[2])))
PY
}
ctl a -j show store >"$tmp/store.up" && schema_ok "$tmp/store.up" || bad "show store (up): schema"

# 1. an update through one is seen by a query through the other
LD=$(gen a -L -n 300 -c 50 -t 0 -V)
echo "load through A: $LD"
[ "$(field "$LD" ok)" = 300 ] || bad "load through A: not 300 bindings acknowledged OK"
wait_for 5 '[ "$(nbind b)" = 300 ]' || bad "B holds $(nbind b) bindings, not 300"
R=$(gen b -n 300 -c 50 -t 0.5 -w 0.1 -V)
echo "query through B: $R"
[ "$(field "$R" answered)" -gt 100 ] 2>/dev/null || bad "query through B: too few answers"
[ "$(field "$R" not_ok)" = 0 ] || bad "query through B: answers not OK (not found?)"
[ "$(field "$R" timeouts)" = 0 ] || bad "query through B: timeouts"
[ "$(rcli -p 6379 --scan --pattern 'dmm:b:*' | wc -l)" = 300 ] || bad "Redis does not hold 300 bindings"
# 100 more, through B this time (ids 0-399: the first 300 are refreshed)
LD=$(gen b -L -n 400 -c 50 -t 0 -V)
[ "$(field "$LD" ok)" = 400 ] || bad "load through B: not 400 acknowledged OK: $LD"
wait_for 5 '[ "$(nbind a)" = 400 ]' || bad "A holds $(nbind a) bindings, not 400"
R=$(gen a -n 400 -c 50 -t 0.3 -w 0.1 -V)
[ "$(field "$R" not_ok)" = 0 ] && [ "$(field "$R" timeouts)" = 0 ] ||
	bad "query through A after B's updates: $R"

# a write older than the record in Redis does not replace it, and the
# front end takes the newer one: binding 0's record, made "accepted" far in
# the future at another location, then an update of binding 0 through A
ip netns exec "$RN" python3 - <<'PY' || bad "cannot rewrite binding 0 in Redis"
import socket
def cmd(s, *args):
    s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    f = s.makefile("rb")
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:])
        return f.read(n + 2)[:n] if n >= 0 else None
    return line
s = socket.create_connection(("::1", 6379))
key = b"dmm:b:2001:db8:100::/64"
v = bytearray(cmd(s, b"GET", key))
v[0:16] = b"9999999999999999"
peer = 16 + 18 + 3 + v[16 + 18 + 2]
v[peer:peer + 16] = socket.inet_pton(socket.AF_INET6, "2001:db8:ff::99")
assert cmd(s, b"SET", key, bytes(v)).startswith(b"+OK")
PY
LD=$(gen a -L -n 1 -c 1 -t 0 -V)
[ "$(field "$LD" ok)" = 1 ] || bad "update of binding 0 not acknowledged: $LD"
ctl a show bindings 2001:db8:100::/64 | grep -q 'location 2001:db8:ff::99' ||
	bad "A did not take the newer record: $(ctl a show bindings 2001:db8:100::/64)"
ctl a -j show store | grep -q '"superseded": *1' || bad "superseded not counted: $(ctl a show store)"

# every dmmctl counter (redis_* among them) is on A's metrics page
scrape() { ip netns exec "$S1" curl -sS -m 5 "http://[$LMA]:9464/metrics" >"$1"; }
scrape "$tmp/m1" && ctl a -j show counters >"$tmp/ctl.json" && scrape "$tmp/m2" &&
	/usr/bin/python3 tests/sh/metrics_check.py counters "$tmp/m1" "$tmp/ctl.json" "$tmp/m2" ||
	bad "A's metrics do not match its counters"
grep -q '^dmm_lm_store_up 1' "$tmp/m2" || bad "metrics: dmm_lm_store_up is not 1"

# 1b. a silent partition: Redis drops everything from A (no reset, nothing
#    in flight). A's heartbeat notices, A refuses updates while B takes
#    them; healed, A reconnects by itself and has what B changed meanwhile.
bview() { ctl "$1" show bindings 2001:db8:100:5::/64 | grep -o 'location .* seq [0-9]*'; }
ip netns exec "$RN" nft -f - <<'EON' || bad "nft"
table inet lmrd {
	chain in {
		type filter hook input priority 0;
		ip6 saddr 2001:db8:f1::1 drop
	}
}
EON
wait_for 5 '[ "$(store_state a)" != up ]' || bad "A did not notice a silent partition"
ctl a -j show store | grep -q '"last_error": *"no heartbeat' || bad "A's last error: $(ctl a show store)"
LD=$(gen b -L -n 10 -c 5 -t 0 -V)
[ "$(field "$LD" ok)" = 10 ] || bad "updates through B during A's partition: $LD"
LD=$(gen a -L -n 10 -c 5 -t 0 -T 300)
[ "$(field "$LD" ok)" = 0 ] || bad "A acknowledged updates while cut off from the store: $LD"
[ "$(bview a)" != "$(bview b)" ] || bad "binding 5 did not change through B"
ip netns exec "$RN" nft delete table inet lmrd
wait_for 15 '[ "$(store_state a)" = up ]' || bad "A did not come back after the partition"
[ "$(bview a)" = "$(bview b)" ] || bad "A did not catch up: A: $(bview a); B: $(bview b)"

# 2. the primary dies right after its last acknowledged writes (100 new)
LD=$(gen a -L -n 500 -c 50 -t 0 -V)
kill -9 "$rpid"; wait "$rpid" 2>/dev/null; rpid=""
[ "$(field "$LD" ok)" = 500 ] || bad "load of 500 through A: $LD"
wait_for 5 '[ "$(store_state a)" != up ] && [ "$(store_state b)" != up ]' ||
	bad "front ends still say up with Redis dead: a $(store_state a), b $(store_state b)"
ctl a show store
ctl a -j show store >"$tmp/store.down" && schema_ok "$tmp/store.down" ||
	bad "show store (down): schema"
LD=$(gen a -L -n 10 -c 5 -t 0 -T 300)
echo "update while down: $LD"
[ "$(field "$LD" ok)" = 0 ] || bad "updates acknowledged OK while the store is down: $LD"
ref=$(ctl a -j show counters | sed -n 's/.*"lm_store_refused": *\([0-9]*\).*/\1/p')
[ "${ref:-0}" -gt 0 ] || bad "lm_store_refused not counted"
R=$(gen b -n 500 -c 20 -t 0.3 -w 0.1 -V)
echo "query through B while down: $R"
[ "$(field "$R" not_ok)" = 0 ] && [ "$(field "$R" timeouts)" = 0 ] ||
	bad "queries not answered from the front end's bindings while the store is down"

# 3. the primary comes back on its append-only file: nothing acknowledged lost
redis_start 6379; rpid=$PID
wait_for 10 'replica_up 6379' || bad "the replica did not reconnect"
wait_for 15 '[ "$(store_state a)" = up ] && [ "$(store_state b)" = up ]' ||
	bad "front ends did not reconnect: a $(store_state a), b $(store_state b)"
n=$(rcli -p 6379 --scan --pattern 'dmm:b:*' | wc -l)
[ "$n" = 500 ] || bad "Redis holds $n bindings after its restart, not the 500 acknowledged"
[ "$(nbind a)" = 500 ] && [ "$(nbind b)" = 500 ] ||
	bad "front ends hold $(nbind a) / $(nbind b) bindings, not 500"
LD=$(gen a -L -n 10 -c 5 -t 0 -V)
[ "$(field "$LD" ok)" = 10 ] || bad "updates not acknowledged after the reconnection: $LD"
R=$(gen b -n 500 -c 50 -t 0.3 -w 0.1 -V)
[ "$(field "$R" not_ok)" = 0 ] && [ "$(field "$R" timeouts)" = 0 ] ||
	bad "query through B after the restart: $R"

# 4. a front end restarted (stateless) reads every binding before it answers
stop a
lm_start a
F=$(gen a -F -t 10) || bad "no first answer from the restarted front end A"
[ "$(store_state a)" = up ] || bad "A answered before it was in step with the store"
[ "$(nbind a)" = 500 ] || bad "restarted A holds $(nbind a) bindings, not 500"
ctl a -j show store | grep -q '"sync_bindings": *500' || bad "A's show store: $(ctl a show store)"
R=$(gen a -n 500 -c 50 -t 0.3 -w 0.1 -V)
[ "$(field "$R" not_ok)" = 0 ] && [ "$(field "$R" timeouts)" = 0 ] ||
	bad "query through the restarted A: $R"

# 5. failover: the primary dies for good, its replica is promoted (what
#    Sentinel does), the old primary returns as the new one's replica; the
#    front ends find the primary among their addresses by themselves (ROLE)
kill -9 "$rpid"; wait "$rpid" 2>/dev/null; rpid=""
rcli -p 6380 replicaof no one >/dev/null
redis_start 6379 6380; rpid=$PID
wait_for 10 'replica_up 6380' || bad "the old primary did not follow the new one"
wait_for 20 '[ "$(store_state a)" = up ] && [ "$(store_state b)" = up ]' ||
	bad "front ends did not fail over: a $(store_state a), b $(store_state b)"
ctl a -j show store | grep -q '"address": *"\[2001:db8:f1::10\]:6380"' ||
	bad "A is not on the promoted replica: $(ctl a show store)"
n=$(rcli -p 6380 --scan --pattern 'dmm:b:*' | wc -l)
[ "$n" = 500 ] || bad "the promoted replica holds $n bindings, not the 500 acknowledged"
LD=$(gen a -L -n 510 -c 50 -t 0 -V)
[ "$(field "$LD" ok)" = 510 ] || bad "updates through A after the failover: $LD"
wait_for 5 '[ "$(nbind b)" = 510 ]' || bad "B holds $(nbind b) bindings after the failover, not 510"
R=$(gen b -n 510 -c 50 -t 0.3 -w 0.1 -V)
[ "$(field "$R" not_ok)" = 0 ] && [ "$(field "$R" timeouts)" = 0 ] ||
	bad "query through B after the failover: $R"

for k in a b; do stop $k; done
san_check "$tmp"/a.log "$tmp"/b.log || fail=1
[ $fail = 0 ] || tail -n 20 "$tmp"/a.log "$tmp"/b.log
[ $fail = 0 ] && echo "lm_redis: ok"
exit $fail
