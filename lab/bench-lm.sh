#!/bin/bash
# bench-lm.sh: the numbers of docs/BENCHMARKS.md, "Location management", in
# one run on one machine (run by `make bench`; root).
#
#   lab/bench-lm.sh [--out DIR] [--sizes "1000 100000 1000000"] [--time S]
#                   [--outstanding C] [--no-redis] [--no-redis-store]
#                   [--startup-sizes "1000 100000 1000000"] [--startup-reps R]
#
# Two network namespaces joined by a veth pair: lmb-gen-PID (the
# generator, 2001:db8:ff::100) and lmb-srv-PID (the server,
# 2001:db8:ff::1). The generator runs pinned to CPU 0 (taskset), every
# server pinned to CPU 1. Rows, each a fresh server process:
#   floor  build/dmmbench echo: answers each request with the same bytes
#   dmm N  build/dmmd as the LM (signalling udp) with N bindings, loaded by
#          build/dmmbench gen -L (sealed LOC_UPDATEs), then queried (sealed
#          LOC_QUERY, ids uniform over N), then (unless --no-redis-store)
#          the 90 % query / 10 % update mix of the dmm-redis rows
#   redis N  redis-server (Debian's 7.0) with N keys key:%012d (40-byte
#          values, loaded with redis-cli --pipe), then redis-benchmark -t get
#          -r N -c C -P 1 (C connections, one request each: C outstanding)
#   dmm-redis N  build/dmmd as the LM with lm { store redis [::1]:6379 }:
#          the bindings written through to a redis-server beside it (same
#          namespace, also on CPU 1: the server side is one core;
#          appendonly yes, appendfsync always: each acknowledged update is
#          on disk). Loaded like dmm N (every update waits for Redis), then
#          queried (answered from dmmd's own tables), then a 90 % query /
#          10 % update mix; then a new dmmd is started on the N bindings in
#          Redis: start-up to first answer includes reading them all.
# Each query phase runs S seconds (default 10) after a 1 s warm-up, with C
# requests outstanding (default 50). Also: start-up to first answer (dmmd:
# the first LOC_QUERY answered after exec; redis: the first GET answered,
# empty and with the N keys persisted in an RDB file), RSS before and
# after loading, dmmbench mac (the MAC's cost in-process) and, per size,
# dmmbench engine: the LM in-process on CPU 1 (no socket), ns per sealed
# LOC_QUERY through dmm_node_recv and the binding structure's own bytes.
# Raw data goes to DIR (default bench/lm/DATE-UTC): rows.jsonl, one JSON
# object per row, and machine.txt; then lab/bench-lm-report.py DIR prints
# the table, the goals and the ratios (also DIR/table.md) and draws
# DIR/throughput.png. Everything started is stopped by PID on exit.
# Start-up with bindings persisted (--startup-sizes, "" for none; its own
# section below): dmmd as the LM with `state DIR`, N bindings loaded by
# dmmbench gen -L (each committed to LMDB before its answer), stopped
# (SIGTERM), started again on the same state R times (default 3): from the script's
# CLOCK_REALTIME just before it runs `ip netns exec ... taskset ... dmmd`
# to the kernel's receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME) of
# the first LOC_QUERY answer dmmbench gets (gen -F: one query every 2 ms,
# each for a persisted binding; its status is recorded); after the last
# start 2 s of queries uniform over the N (gen -n N): each answered OK if
# its binding came back.
set -u
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=""
SIZES="1000 100000 1000000"
TIME=10
C=50
REDIS=1
STARTUP_SIZES="1000 100000 1000000"
STARTUP_REPS=3
RSTORE=1
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift 2 ;;
	--sizes) SIZES=$2; shift 2 ;;
	--time) TIME=$2; shift 2 ;;
	--outstanding) C=$2; shift 2 ;;
	--no-redis) REDIS=0; shift ;;
	--startup-sizes) STARTUP_SIZES=$2; shift 2 ;;
	--startup-reps) STARTUP_REPS=$2; shift 2 ;;
	--no-redis-store) RSTORE=0; shift ;;
	*) echo "usage: $0 [--out DIR] [--sizes \"N...\"] [--time S] [--outstanding C] [--no-redis] [--no-redis-store] [--startup-sizes \"N...\"] [--startup-reps R]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench-lm: run as root (network namespaces)" >&2; exit 3; }
[ -n "$OUT" ] || OUT=bench/lm/$(date -u +%Y-%m-%d)
for b in build/dmmd build/dmmbench; do
	[ -x "$b" ] || { echo "bench-lm: $b missing (make all)" >&2; exit 3; }
done
if [ "$REDIS$RSTORE" != 00 ] && ! command -v redis-server >/dev/null; then
	echo "bench-lm: installing redis-server redis-tools"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		redis-server redis-tools >/dev/null || { echo "bench-lm: no redis" >&2; exit 3; }
fi
mkdir -p "$OUT"
RUN=$(mktemp -d /tmp/bench-lm.XXXXXX)
G=lmb-gen-$$
S=lmb-srv-$$
GA=2001:db8:ff::100
SA=2001:db8:ff::1
SRV_PID=""

stop_server() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
		SRV_PID=""
	fi
}
cleanup() {
	stop_server
	[ -n "${RS_PID:-}" ] && kill "$RS_PID" 2>/dev/null
	ip netns del "$G" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$G" && ip netns add "$S" || exit 3
ip link add lmb0 netns "$G" type veth peer name lmb1 netns "$S" || exit 3
for ns in "$G" "$S"; do
	ip -n "$ns" link set lo up
done
ip -n "$G" link set lmb0 up
ip -n "$S" link set lmb1 up
ip -n "$G" addr add $GA/64 dev lmb0 nodad
ip -n "$S" addr add $SA/64 dev lmb1 nodad
# let the link come up (carrier) before the first packet
for _ in $(seq 50); do
	ip netns exec "$G" ping -6 -c1 -W1 $SA >/dev/null 2>&1 && break
	sleep 0.1
done

printf '1 %s\n' "$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$RUN/keys"
chmod 600 "$RUN/keys"
GEN() { ip netns exec "$G" taskset -c 0 "$REPO/build/dmmbench" "$@"; }
# Servers are started as `ip netns exec "$S" taskset -c 1 CMD &` (no shell
# function or subshell between): ip and taskset exec, so $! is the server.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime
now_ns() { date +%s%N; }

{
	echo "date: $(date -u +%FT%TZ)"
	echo "kernel: $(uname -r)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	echo "cpus: $(nproc)"
	echo "flags: $(grep -m1 -o -w 'sha_ni' /proc/cpuinfo || echo no-sha_ni)"
	echo "loadavg at start: $(cat /proc/loadavg)"
	echo "redis: $(redis-server --version 2>/dev/null)"
	echo "openssl: $(openssl version 2>/dev/null)"
	echo "commit: $(git rev-parse HEAD 2>/dev/null)"
	echo "sizes: $SIZES; time: $TIME s; outstanding: $C"
} > "$OUT/machine.txt"
ROWS=$OUT/rows.jsonl
: > "$ROWS"

echo "bench-lm: MAC cost"
MAC=$(taskset -c 1 build/dmmbench mac -k "$RUN/keys")
echo "{\"system\":\"mac\",\"mac\":$MAC}" >> "$ROWS"

# ---- floor ----
# Measured before every row (the machine is shared: its load moves), each
# row's ratio is to its own floor; the first one is also a row of its own.
floor_run() { # sets FLOOR (the generator's JSON)
	ip netns exec "$S" taskset -c 1 "$REPO/build/dmmbench" echo -l $SA > /dev/null 2>&1 &
	SRV_PID=$!
	GEN gen -F -s $GA -d $SA -k "$RUN/keys" -t 10 > /dev/null || exit 3
	local c0 c1
	c0=$(cpu_ticks $SRV_PID)
	FLOOR=$(GEN gen -s $GA -d $SA -k "$RUN/keys" -n 1000 -c "$C" -t "$TIME" -w 0)
	c1=$(cpu_ticks $SRV_PID)
	stop_server
	FLOOR="${FLOOR%\}},\"cpu_ticks\":$(( c1 - c0 )),\"hz\":$(getconf CLK_TCK)}"
	echo "  floor $FLOOR"
}
echo "bench-lm: floor"
floor_run
echo "{\"system\":\"floor\",\"n\":0,\"run\":$FLOOR}" >> "$ROWS"

# ---- dmmd as LM ----
dmm_conf() { # N
	cat > "$RUN/lm.conf" <<EOF
node lmbench
address $SA
roles lm
local-network ln1
keys "keys"
control "$RUN/dmmd.sock"
signalling udp
network ln1 {
	prefix 2001:db8:100::/40
	lm $SA
	haa $SA
	mr $GA
}
limits {
	bindings $(( $1 + $1 / 8 + 16 ))
	subscribers 4
}
timers {
	binding 1h
}
EOF
}
X=""
for N in $SIZES; do
	echo "bench-lm: dmm $N"
	floor_run
	dmm_conf "$N"
	T0=$(now_ns)
	ip netns exec "$S" taskset -c 1 "$REPO/build/dmmd" -d -f "$RUN/lm.conf" > "$RUN/dmmd.out" 2> "$RUN/dmmd.err" &
	SRV_PID=$!
	F=$(GEN gen -F -s $GA -d $SA -k "$RUN/keys" -t 20) || { cat "$RUN/dmmd.err"; exit 3; }
	START_MS=$(( ($(echo "$F" | sed 's/.*"wall_ns":\([0-9]*\).*/\1/') - T0) / 1000000 ))
	RSS0=$(rss_kb $SRV_PID)
	L=$(GEN gen -L -s $GA -d $SA -k "$RUN/keys" -n "$N" -c "$C" -t 0)
	RSS1=$(rss_kb $SRV_PID)
	CPU0=$(cpu_ticks $SRV_PID)
	R=$(GEN gen -s $GA -d $SA -k "$RUN/keys" -n "$N" -c "$C" -t "$TIME" -w 0)
	CPU1=$(cpu_ticks $SRV_PID)
	RSS2=$(rss_kb $SRV_PID)
	[ "$RSTORE" = 1 ] && X=$(GEN gen -s $GA -d $SA -k "$RUN/keys" -n "$N" -c "$C" -t "$TIME" -w 0 -q 0.9)
	stop_server
	E=$(taskset -c 1 build/dmmbench engine -k "$RUN/keys" -n "$N" -t 3)
	echo "  engine $E"
	echo "{\"system\":\"dmm\",\"engine\":$E,\"n\":$N,\"startup_ms\":$START_MS,\"rss_start_kb\":$RSS0,\"rss_loaded_kb\":$RSS1,\"rss_end_kb\":$RSS2,\"cpu_ticks\":$(( CPU1 - CPU0 )),\"hz\":$(getconf CLK_TCK),\"load\":$L,\"run\":$R,${X:+\"mix\":$X,}\"floor\":$FLOOR}" >> "$ROWS"
	echo "  start ${START_MS} ms, rss $RSS0 -> $RSS1 kB"
	echo "  $L"
	echo "  $R"
done

# ---- dmmd: start-up to first answer with N bindings persisted ----
# (issue 11 §3: <= 0.5 s at 1M.) The configuration of the dmm rows plus
# `state DIR`; the rows are "dmm-startup".
startup_run() { # N
	local n=$1 st=$RUN/state-$1 f t0 l r v ms db pid runs="" k
	dmm_conf "$n"
	echo "state \"$st\"" >> "$RUN/lm.conf"
	rm -rf "$st"
	ip netns exec "$S" taskset -c 1 "$REPO/build/dmmd" -d -f "$RUN/lm.conf" > "$RUN/dmmd.out" 2> "$RUN/dmmd.err" &
	SRV_PID=$!
	f=$(GEN gen -F -s $GA -d $SA -k "$RUN/keys" -t 20) || { cat "$RUN/dmmd.err"; exit 3; }
	l=$(GEN gen -L -s $GA -d $SA -k "$RUN/keys" -n "$n" -c "$C" -t 0)
	stop_server
	db=$(stat -c %s "$st/data.mdb")
	for ((k = 1; k <= STARTUP_REPS; k++)); do
		t0=$(now_ns)
		ip netns exec "$S" taskset -c 1 "$REPO/build/dmmd" -d -f "$RUN/lm.conf" > "$RUN/dmmd.out" 2> "$RUN/dmmd.err" &
		SRV_PID=$!
		pid=$SRV_PID
		f=$(GEN gen -F -s $GA -d $SA -k "$RUN/keys" -n "$n" -t 60) || { cat "$RUN/dmmd.err"; exit 3; }
		ms=$(awk -v a="$t0" -v b="$(echo "$f" | sed 's/.*"rx_ns":\([0-9]*\).*/\1/')" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
		r=$(rss_kb "$pid")
		# the bindings came back: queries uniform over the N, each OK if so
		[ "$k" = "$STARTUP_REPS" ] && v=$(GEN gen -s $GA -d $SA -k "$RUN/keys" -n "$n" -c "$C" -t 2 -w 0)
		stop_server
		runs="$runs${runs:+,}{\"startup_ms\":$ms,\"rss_kb\":$r,\"first\":$f,\"log\":\"$(grep -m1 'records restored' "$RUN/dmmd.err" | tr -d '"\\' | sed 's/^.*state/state/')\"}"
		echo "  start ${ms} ms with $n persisted ($db bytes of LMDB)"
	done
	echo "{\"system\":\"dmm-startup\",\"n\":$n,\"db_bytes\":$db,\"load\":$l,\"runs\":[$runs],\"check\":$v}" >> "$ROWS"
	echo "  $v"
}
for N in $STARTUP_SIZES; do
	echo "bench-lm: dmm start-up, $N persisted"
	startup_run "$N"
done

# ---- redis ----
redis_start() { # DIR: start, wait for the first answer to GET; sets UP_MS
	local t0 t1
	t0=$(now_ns)
	ip netns exec "$S" taskset -c 1 redis-server --bind $SA --port 6379 --protected-mode no --save '' \
		--appendonly no --dir "$1" --dbfilename dump.rdb --daemonize no \
		--logfile "$1/redis.log" > /dev/null 2>&1 &
	SRV_PID=$!
	for _ in $(seq 20000); do
		if ip netns exec "$G" redis-cli -h $SA GET key:000000000000 2>/dev/null |
			grep -qv LOADING; then
			break
		fi
		sleep 0.001
	done
	t1=$(now_ns)
	UP_MS=$(( (t1 - t0) / 1000000 ))
}
if [ "$REDIS" = 1 ]; then
	for N in $SIZES; do
		echo "bench-lm: redis $N"
		floor_run
		D=$RUN/redis-$N
		mkdir -p "$D"
		redis_start "$D"
		START_MS=$UP_MS
		RSS0=$(rss_kb $SRV_PID)
		M0=$(ip netns exec "$G" redis-cli -h $SA info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
		awk -v n="$N" 'BEGIN { v = "0123456789012345678901234567890123456789";
			for (i = 0; i < n; i++) { k = sprintf("key:%012d", i);
				printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$40\r\n%s\r\n", length(k), k, v } }' > "$RUN/load.resp"
		L0=$(now_ns)
		ip netns exec "$G" taskset -c 0 redis-cli -h $SA --pipe < "$RUN/load.resp" > "$RUN/pipe.out" 2>&1
		L1=$(now_ns)
		RSS1=$(rss_kb $SRV_PID)
		M1=$(ip netns exec "$G" redis-cli -h $SA info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
		# warm-up, whose rate sizes the measured run to about TIME seconds
		W=$(ip netns exec "$G" taskset -c 0 redis-benchmark -h $SA -p 6379 -c "$C" -P 1 \
			-n 50000 -r "$N" -t get --csv 2>/dev/null | tail -1 | tr -d '"' | cut -d, -f2)
		REQ=$(awk -v r="${W:-0}" -v t="$TIME" 'BEGIN { n = int(r * t); print n < 50000 ? 50000 : n }')
		CPU0=$(cpu_ticks $SRV_PID)
		B0=$(now_ns)
		ip netns exec "$G" taskset -c 0 redis-benchmark -h $SA -p 6379 -c "$C" -P 1 \
			-n "$REQ" -r "$N" -t get --csv > "$RUN/rb.csv" 2>/dev/null
		B1=$(now_ns)
		CPU1=$(cpu_ticks $SRV_PID)
		# persisted start-up: save, restart on the RDB, time to first answer
		ip netns exec "$G" redis-cli -h $SA save > /dev/null
		stop_server
		redis_start "$D"
		PSTART_MS=$UP_MS
		stop_server
		RB=$(tail -1 "$RUN/rb.csv" | tr -d '"')
		echo "{\"system\":\"redis\",\"n\":$N,\"startup_ms\":$START_MS,\"startup_persisted_ms\":$PSTART_MS,\"rss_start_kb\":$RSS0,\"rss_loaded_kb\":$RSS1,\"used_memory_start\":$M0,\"used_memory_loaded\":$M1,\"load_seconds\":$(awk -v a="$L0" -v b="$L1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'),\"bench_seconds\":$(awk -v a="$B0" -v b="$B1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'),\"requests\":$REQ,\"cpu_ticks\":$(( CPU1 - CPU0 )),\"hz\":$(getconf CLK_TCK),\"csv\":\"$RB\",\"floor\":$FLOOR,\"pipe\":\"$(tail -1 "$RUN/pipe.out" | tr -d '\r"')\"}" >> "$ROWS"
		echo "  start ${START_MS} ms (persisted ${PSTART_MS} ms), rss $RSS0 -> $RSS1 kB"
		echo "  $RB"
	done
fi
# ---- dmmd LM on Redis (lm { store redis }) ----
rstore_redis() { # DIR: a redis-server for dmmd on [::1]:6379 in the server's namespace
	ip netns exec "$S" taskset -c 1 redis-server --bind ::1 --port 6379 --protected-mode no \
		--save '' --appendonly yes --appendfsync always --dir "$1" --daemonize no \
		--logfile "$1/redis.log" > /dev/null 2>&1 &
	RS_PID=$!
	for _ in $(seq 5000); do
		ip netns exec "$S" redis-cli -h ::1 ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.002
	done
	echo "bench-lm: the store's redis-server did not start" >&2
	exit 3
}
rstore_dmmd() { # start dmmd (lm.conf); sets SRV_PID and START_MS (exec to first answer)
	local t0 f
	t0=$(now_ns)
	ip netns exec "$S" taskset -c 1 "$REPO/build/dmmd" -d -f "$RUN/lm.conf" >> "$RUN/dmmd.out" 2>> "$RUN/dmmd.err" &
	SRV_PID=$!
	f=$(GEN gen -F -s $GA -d $SA -k "$RUN/keys" -t 120) || { cat "$RUN/dmmd.err"; exit 3; }
	START_MS=$(( ($(echo "$f" | sed 's/.*"wall_ns":\([0-9]*\).*/\1/') - t0) / 1000000 ))
}
redis_mem() { ip netns exec "$S" redis-cli -h ::1 info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
RS_PID=""
if [ "$RSTORE" = 1 ]; then
	for N in $SIZES; do
		echo "bench-lm: dmm-redis $N"
		floor_run
		D=$RUN/rstore-$N
		mkdir -p "$D"
		rstore_redis "$D"
		dmm_conf "$N"
		printf 'lm {\n\tstore redis [::1]:6379 timeout 5s\n}\n' >> "$RUN/lm.conf"
		rstore_dmmd
		START0_MS=$START_MS
		RSS0=$(rss_kb $SRV_PID)
		M0=$(redis_mem)
		RC0=$(cpu_ticks $RS_PID)
		L=$(GEN gen -L -s $GA -d $SA -k "$RUN/keys" -n "$N" -c "$C" -t 0)
		RC1=$(cpu_ticks $RS_PID)
		RSS1=$(rss_kb $SRV_PID)
		M1=$(redis_mem)
		CPU0=$(cpu_ticks $SRV_PID)
		R=$(GEN gen -s $GA -d $SA -k "$RUN/keys" -n "$N" -c "$C" -t "$TIME" -w 0)
		CPU1=$(cpu_ticks $SRV_PID)
		X=$(GEN gen -s $GA -d $SA -k "$RUN/keys" -n "$N" -c "$C" -t "$TIME" -w 0 -q 0.9)
		RSS2=$(rss_kb $SRV_PID)
		stop_server
		# a new front end on the N bindings in Redis: it reads them all first
		rstore_dmmd
		RSS3=$(rss_kb $SRV_PID)
		stop_server
		kill "$RS_PID" 2>/dev/null
		wait "$RS_PID" 2>/dev/null
		RS_PID=""
		echo "{\"system\":\"dmm-redis\",\"n\":$N,\"startup_ms\":$START0_MS,\"startup_persisted_ms\":$START_MS,\"rss_start_kb\":$RSS0,\"rss_loaded_kb\":$RSS1,\"rss_end_kb\":$RSS2,\"rss_synced_kb\":$RSS3,\"used_memory_start\":$M0,\"used_memory_loaded\":$M1,\"cpu_ticks\":$(( CPU1 - CPU0 )),\"redis_load_cpu_ticks\":$(( RC1 - RC0 )),\"hz\":$(getconf CLK_TCK),\"load\":$L,\"run\":$R,\"mix\":$X,\"floor\":$FLOOR}" >> "$ROWS"
		echo "  start ${START0_MS} ms empty, ${START_MS} ms on $N in Redis; rss $RSS0 -> $RSS1 kB"
		echo "  $L"
		echo "  $R"
		echo "  $X"
	done
fi
echo "loadavg at end: $(cat /proc/loadavg)" >> "$OUT/machine.txt"
python3 lab/bench-lm-report.py "$OUT"
