# lib-bench-lm.sh: the set-up, the server start and the teardown that
# lab/bench-lm.sh, lab/bench-lm-ab.sh and lab/bench-lm-mem.sh share;
# sourced (not run) once they are at the repository's top with REPO=$PWD
# and OUT holding --out (empty: the default).
#
#   lmb_root NAME           exit 3 unless root (network namespaces)
#   lmb_out DEFAULT         OUT defaults to DEFAULT; mkdir; ROWS=OUT/rows.jsonl
#                           (emptied)
#   lmb_begin NAME          RUN=$(mktemp -d /tmp/NAME.XXXXXX), SRV_PID="", the
#                           traps: on exit lmb_cleanup, INT/TERM exit 130
#   lmb_pair GNS SNS DEV GA SA  network namespaces GNS (the generator, GA on
#                           DEV0) and SNS (the server, SA on DEV1) joined by a
#                           veth pair DEV0-DEV1, up, waited for until a ping
#                           crosses (the carrier); sets G, S, GA, SA
#   lmb_one NS GA SA        one namespace NS, GA and SA on its loopback (G=S=NS)
#   lmb_keys                a fresh random key, id 1, in $RUN/keys (mode 600)
#   lmb_conf NODE N         $RUN/lm.conf: dmmd as the LM at SA (signalling udp,
#                           control socket $RUN/dmmd.sock), GA the MR of the
#                           domain map, room for N bindings (N + N/8 + 16),
#                           bindings kept an hour
#   lmb_dmmd DMMD [-a]      DMMD -d -f $RUN/lm.conf in S pinned to CPU 1,
#                           stdout/stderr to $RUN/dmmd.out/.err (-a: appended);
#                           SRV_PID is that process
#   lmb_echo                the floor: this build's dmmbench echo at SA in S on
#                           CPU 1 (SRV_PID), waited for until it answers (10 s;
#                           else exit 3)
#   lmb_gen ARGS...         this build's dmmbench gen in G pinned to CPU 0,
#                           from GA to SA with $RUN/keys, plus ARGS
#   lmb_fail                print $RUN/dmmd.err and exit 3 (after a server did
#                           not answer: `F=$(lmb_gen -F -t 20) || lmb_fail`)
#   lmb_stop [VAR]          kill the process whose PID VAR holds (default
#                           SRV_PID), reap it, empty VAR
#   lmb_cleanup             lmb_stop of every variable in LMB_STOP (default
#                           SRV_PID), the namespaces made, RUN removed
#   lmb_machine [LINE...]   machine.txt's first lines (date, kernel, cpu,
#                           cpus, LINE..., load average at start) on stdout
#   lmb_machine_end         the load average at end, appended to machine.txt
#   rss_kb PID, cpu_ticks PID (utime + stime), run_ns PID (schedstat), now_ns
#
# Servers start as `ip netns exec "$S" taskset -c 1 CMD &` straight in the
# current shell (no subshell, no pipe between): ip and taskset exec, so $!
# is the server itself, whose /proc the scripts read.

lmb_root() {
	[ "$(id -u)" = 0 ] || { echo "$1: run as root (network namespaces)" >&2; exit 3; }
}

lmb_out() {
	[ -n "$OUT" ] || OUT=$1
	mkdir -p "$OUT"
	ROWS=$OUT/rows.jsonl
	: > "$ROWS"
}

lmb_begin() {
	RUN=$(mktemp -d "/tmp/$1.XXXXXX")
	SRV_PID=""
	LMB_NETNS=""
	trap lmb_cleanup EXIT
	trap 'exit 130' INT TERM
}

lmb_stop() {
	local var=${1:-SRV_PID}
	local pid=${!var:-}
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		printf -v "$var" ''
	fi
}

lmb_cleanup() {
	local v ns
	for v in ${LMB_STOP:-SRV_PID}; do
		lmb_stop "$v"
	done
	for ns in $LMB_NETNS; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$RUN"
}

lmb_pair() {
	G=$1 S=$2 GA=$4 SA=$5
	local ns
	ip netns add "$G" || exit 3
	LMB_NETNS=$G
	ip netns add "$S" || exit 3
	LMB_NETNS="$G $S"
	ip link add "${3}0" netns "$G" type veth peer name "${3}1" netns "$S" || exit 3
	for ns in "$G" "$S"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$G" link set "${3}0" up
	ip -n "$S" link set "${3}1" up
	ip -n "$G" addr add "$GA/64" dev "${3}0" nodad
	ip -n "$S" addr add "$SA/64" dev "${3}1" nodad
	# let the link come up (carrier) before the first packet
	for _ in $(seq 50); do
		ip netns exec "$G" ping -6 -c1 -W1 "$SA" >/dev/null 2>&1 && break
		sleep 0.1
	done
}

lmb_one() {
	G=$1 S=$1 GA=$2 SA=$3
	ip netns add "$G" || exit 3
	LMB_NETNS=$G
	ip -n "$G" link set lo up
	ip -n "$G" addr add "$SA/128" dev lo nodad
	ip -n "$G" addr add "$GA/128" dev lo nodad
}

lmb_keys() {
	printf '1 %s\n' "$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$RUN/keys"
	chmod 600 "$RUN/keys"
}

lmb_conf() {
	cat > "$RUN/lm.conf" <<EOF
node $1
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
	bindings $(( $2 + $2 / 8 + 16 ))
	subscribers 4
}
timers {
	binding 1h
}
EOF
}

lmb_dmmd() {
	if [ "${2:-}" = -a ]; then
		ip netns exec "$S" taskset -c 1 "$1" -d -f "$RUN/lm.conf" >> "$RUN/dmmd.out" 2>> "$RUN/dmmd.err" &
	else
		ip netns exec "$S" taskset -c 1 "$1" -d -f "$RUN/lm.conf" > "$RUN/dmmd.out" 2> "$RUN/dmmd.err" &
	fi
	SRV_PID=$!
}

lmb_gen() { ip netns exec "$G" taskset -c 0 "$REPO/build/dmmbench" gen -s "$GA" -d "$SA" -k "$RUN/keys" "$@"; }

lmb_echo() {
	ip netns exec "$S" taskset -c 1 "$REPO/build/dmmbench" echo -l "$SA" > /dev/null 2>&1 &
	SRV_PID=$!
	lmb_gen -F -t 10 > /dev/null || exit 3
}

lmb_fail() {
	cat "$RUN/dmmd.err"
	exit 3
}

lmb_machine() {
	echo "date: $(date -u +%FT%TZ)"
	echo "kernel: $(uname -r)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	echo "cpus: $(nproc)"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo "loadavg at start: $(cat /proc/loadavg)"
}

lmb_machine_end() { echo "loadavg at end: $(cat /proc/loadavg)" >> "$OUT/machine.txt"; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
now_ns() { date +%s%N; }
