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
# DIR/throughput.png. Everything started is stopped by PID on exit. The
# namespaces, the keys, the LM's configuration, the server starts and the
# teardown are lab/lib-bench-lm.sh's, shared with bench-lm-ab.sh and
# bench-lm-mem.sh.
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
. lab/lib-bench-lm.sh
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
lmb_root bench-lm
for b in build/dmmd build/dmmbench; do
	[ -x "$b" ] || { echo "bench-lm: $b missing (make all)" >&2; exit 3; }
done
if [ "$REDIS$RSTORE" != 00 ] && ! command -v redis-server >/dev/null; then
	echo "bench-lm: installing redis-server redis-tools"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		redis-server redis-tools >/dev/null || { echo "bench-lm: no redis" >&2; exit 3; }
fi
lmb_out "bench/lm/$(date -u +%Y-%m-%d)"
lmb_begin bench-lm
RS_PID="" # the store's redis-server (dmm-redis rows)
LMB_STOP="SRV_PID RS_PID"
lmb_pair lmb-gen-$$ lmb-srv-$$ lmb 2001:db8:ff::100 2001:db8:ff::1
lmb_keys

{
	lmb_machine "flags: $(grep -m1 -o -w 'sha_ni' /proc/cpuinfo || echo no-sha_ni)"
	echo "redis: $(redis-server --version 2>/dev/null)"
	echo "openssl: $(openssl version 2>/dev/null)"
	echo "commit: $(git rev-parse HEAD 2>/dev/null)"
	echo "sizes: $SIZES; time: $TIME s; outstanding: $C"
} > "$OUT/machine.txt"

echo "bench-lm: MAC cost"
MAC=$(taskset -c 1 build/dmmbench mac -k "$RUN/keys")
echo "{\"system\":\"mac\",\"mac\":$MAC}" >> "$ROWS"

# ---- floor ----
# Measured before every row (the machine is shared: its load moves), each
# row's ratio is to its own floor; the first one is also a row of its own.
floor_run() { # sets FLOOR (the generator's JSON)
	lmb_echo
	local c0 c1
	c0=$(cpu_ticks $SRV_PID)
	FLOOR=$(lmb_gen -n 1000 -c "$C" -t "$TIME" -w 0)
	c1=$(cpu_ticks $SRV_PID)
	lmb_stop
	FLOOR="${FLOOR%\}},\"cpu_ticks\":$(( c1 - c0 )),\"hz\":$(getconf CLK_TCK)}"
	echo "  floor $FLOOR"
}
echo "bench-lm: floor"
floor_run
echo "{\"system\":\"floor\",\"n\":0,\"run\":$FLOOR}" >> "$ROWS"

# ---- dmmd as LM ----
X=""
for N in $SIZES; do
	echo "bench-lm: dmm $N"
	floor_run
	lmb_conf lmbench "$N"
	T0=$(now_ns)
	lmb_dmmd "$REPO/build/dmmd"
	F=$(lmb_gen -F -t 20) || lmb_fail
	START_MS=$(( ($(echo "$F" | sed 's/.*"wall_ns":\([0-9]*\).*/\1/') - T0) / 1000000 ))
	RSS0=$(rss_kb $SRV_PID)
	L=$(lmb_gen -L -n "$N" -c "$C" -t 0)
	RSS1=$(rss_kb $SRV_PID)
	CPU0=$(cpu_ticks $SRV_PID)
	R=$(lmb_gen -n "$N" -c "$C" -t "$TIME" -w 0)
	CPU1=$(cpu_ticks $SRV_PID)
	RSS2=$(rss_kb $SRV_PID)
	[ "$RSTORE" = 1 ] && X=$(lmb_gen -n "$N" -c "$C" -t "$TIME" -w 0 -q 0.9)
	lmb_stop
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
	lmb_conf lmbench "$n"
	echo "state \"$st\"" >> "$RUN/lm.conf"
	rm -rf "$st"
	lmb_dmmd "$REPO/build/dmmd"
	f=$(lmb_gen -F -t 20) || lmb_fail
	l=$(lmb_gen -L -n "$n" -c "$C" -t 0)
	lmb_stop
	db=$(stat -c %s "$st/data.mdb")
	for ((k = 1; k <= STARTUP_REPS; k++)); do
		t0=$(now_ns)
		lmb_dmmd "$REPO/build/dmmd"
		pid=$SRV_PID
		f=$(lmb_gen -F -n "$n" -t 60) || lmb_fail
		ms=$(awk -v a="$t0" -v b="$(echo "$f" | sed 's/.*"rx_ns":\([0-9]*\).*/\1/')" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
		r=$(rss_kb "$pid")
		# the bindings came back: queries uniform over the N, each OK if so
		[ "$k" = "$STARTUP_REPS" ] && v=$(lmb_gen -n "$n" -c "$C" -t 2 -w 0)
		lmb_stop
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
# redis-server starts as lib-bench-lm.sh starts dmmd (ip netns exec ...
# taskset ... &, no subshell): $! is the server.
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
		lmb_stop
		redis_start "$D"
		PSTART_MS=$UP_MS
		lmb_stop
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
	lmb_dmmd "$REPO/build/dmmd" -a
	f=$(lmb_gen -F -t 120) || lmb_fail
	START_MS=$(( ($(echo "$f" | sed 's/.*"wall_ns":\([0-9]*\).*/\1/') - t0) / 1000000 ))
}
redis_mem() { ip netns exec "$S" redis-cli -h ::1 info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
if [ "$RSTORE" = 1 ]; then
	for N in $SIZES; do
		echo "bench-lm: dmm-redis $N"
		floor_run
		D=$RUN/rstore-$N
		mkdir -p "$D"
		rstore_redis "$D"
		lmb_conf lmbench "$N"
		printf 'lm {\n\tstore redis [::1]:6379 timeout 5s\n}\n' >> "$RUN/lm.conf"
		rstore_dmmd
		START0_MS=$START_MS
		RSS0=$(rss_kb $SRV_PID)
		M0=$(redis_mem)
		RC0=$(cpu_ticks $RS_PID)
		L=$(lmb_gen -L -n "$N" -c "$C" -t 0)
		RC1=$(cpu_ticks $RS_PID)
		RSS1=$(rss_kb $SRV_PID)
		M1=$(redis_mem)
		CPU0=$(cpu_ticks $SRV_PID)
		R=$(lmb_gen -n "$N" -c "$C" -t "$TIME" -w 0)
		CPU1=$(cpu_ticks $SRV_PID)
		X=$(lmb_gen -n "$N" -c "$C" -t "$TIME" -w 0 -q 0.9)
		RSS2=$(rss_kb $SRV_PID)
		lmb_stop
		# a new front end on the N bindings in Redis: it reads them all first
		rstore_dmmd
		RSS3=$(rss_kb $SRV_PID)
		lmb_stop
		lmb_stop RS_PID
		echo "{\"system\":\"dmm-redis\",\"n\":$N,\"startup_ms\":$START0_MS,\"startup_persisted_ms\":$START_MS,\"rss_start_kb\":$RSS0,\"rss_loaded_kb\":$RSS1,\"rss_end_kb\":$RSS2,\"rss_synced_kb\":$RSS3,\"used_memory_start\":$M0,\"used_memory_loaded\":$M1,\"cpu_ticks\":$(( CPU1 - CPU0 )),\"redis_load_cpu_ticks\":$(( RC1 - RC0 )),\"hz\":$(getconf CLK_TCK),\"load\":$L,\"run\":$R,\"mix\":$X,\"floor\":$FLOOR}" >> "$ROWS"
		echo "  start ${START0_MS} ms empty, ${START_MS} ms on $N in Redis; rss $RSS0 -> $RSS1 kB"
		echo "  $L"
		echo "  $R"
		echo "  $X"
	done
fi
lmb_machine_end
python3 lab/bench-lm-report.py "$OUT"
