#!/bin/bash
# bench-routes.sh: route programming at scale in the MR (issue 11 §5), the
# numbers of docs/BENCHMARKS.md, "Route programming at scale", in one run on
# one machine (run by `make bench-routes` and `make bench`; root).
#
#   lab/bench-routes.sh [--out DIR] [--routes N] [--reps R] [--drivers "bpf tun"]
#
# Every run is in a fresh network namespace (rb-PID) with one veth link:
# self 2001:db8:ff::1/64 on v0, the locator 2001:db8:ff::2 on-link. Per
# driver the kernel runs (of bpf and tun; dmmd -P decides), R runs of each
# method, the order rotating from run to run:
#   dmm          build/dpbench: N DMM_DP_TUNNEL_ADDs through dp_apply (one /128
#                each, BASE::1...), then N TUNNEL_DELs, one request and its
#                ACK per route (no batch)
#   dmm-batch32  the same in batches of 32 ops (dp_batch_begin/end): what
#                dmmd does with one signalling round (a burst of moves)
#   dmm-batch    the same in one batch: dp sends 128 routes per sendmsg
#   dmm-batch-ack  one batch, the kernel acking every message (-A)
#   ip           `ip -6 -batch` adding and deleting the same routes, of the
#                same kind (bpf: `encap bpf xmit pinned`, build/bpf/
#                dmm_encap.bpf.o loaded once with bpftool, shared by every
#                route as dmmd shares one per locator; tun: `dev TUN`), same
#                table, protocol and metric; 10 ip processes of N/10 routes
#                one after the other, all timed (iproute2 keeps an fd per
#                LWT-BPF route)
#   restart      (bpf; tun's routes go with its TUN device) dpbench -K adds N
#                routes in one batch and exits as a crash would; a second
#                dpbench -S then opens the data plane: dp_open removes the N
#                stale routes (batched), open_s times it
# Each dmm method is timed with CLOCK_MONOTONIC around its dp_apply calls
# (and dp_batch_end), ip around the ip processes; after each phase the
# routes of BASE in table 4242 are counted with a netlink dump (outside the
# timing). Raw data: DIR (default bench/routes/DATE-UTC)/runs/DRIVER-METHOD-REP.json
# and machine.txt; then lab/bench-routes-report.py DIR prints the table and
# the goals (also DIR/table.md). The namespace is removed on exit.
set -u
cd "$(dirname "$0")/.."
REPO=$PWD
B=$REPO/build
OUT="" ROUTES=100000 REPS=3 DRIVERS=""
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--routes) ROUTES=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--drivers) DRIVERS=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--out DIR] [--routes N] [--reps R] [--drivers \"bpf tun\"]" >&2; exit 2 ;;
	esac
done
die() { echo "bench-routes: $*" >&2; exit 3; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for p in dmmd dpbench; do [ -x "$B/$p" ] || die "$B/$p missing: make all build/dpbench"; done
[ -f "$B/bpf/dmm_encap.bpf.o" ] || die "$B/bpf/dmm_encap.bpf.o missing: make bench-routes builds it"
for c in ip bpftool python3 jq; do command -v $c >/dev/null || die "$c missing: make deps"; done
[ -n "$OUT" ] || OUT=bench/routes/$(date -u +%Y-%m-%d)
mkdir -p "$OUT/runs" || die "cannot create $OUT"
TMP=$(mktemp -d /tmp/bench-routes.XXXXXX)
NS=rb-$$
SELF=2001:db8:ff::1 LOC=2001:db8:ff::2 BASE=2001:db8:aaaa::
CHUNK=$(( (ROUTES + 9) / 10 ))
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$DRIVERS" ]; then
	ip netns add "$NS" || die "cannot make a namespace"
	for d in bpf tun; do
		ip netns exec "$NS" "$B/dmmd" -P 2>/dev/null | grep -q "^$d *yes" && DRIVERS="$DRIVERS $d"
	done
	ip netns exec "$NS" "$B/dmmd" -P > "$OUT/probe.txt" 2>&1
	ip netns del "$NS"
fi
[ -n "$DRIVERS" ] || die "no driver of bpf, tun runs here (dmmd -P)"
{
	echo "date: $(date -u +%FT%TZ)"
	echo "kernel: $(uname -r)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	echo "cpus: $(nproc)"
	echo "loadavg at start: $(cat /proc/loadavg)"
	echo "iproute2: $(ip -V)"
	echo "commit: $(git rev-parse HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
	echo "routes: $ROUTES; reps: $REPS; drivers:$DRIVERS"
} > "$OUT/machine.txt"

mkns() {
	ip netns del "$NS" 2>/dev/null
	ip netns add "$NS" &&
	ip -n "$NS" link set lo up &&
	ip -n "$NS" link add v0 type veth peer name v1 &&
	ip -n "$NS" link set v0 up && ip -n "$NS" link set v1 up &&
	ip -n "$NS" addr add $SELF/64 dev v0 nodad &&
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.forwarding=1 ||
		die "cannot make namespace $NS"
}

# ip -batch files: dpbench's routes (BASE::1 ...), table 4242, protocol
# 177, metric 1024, as dp makes them.
python3 - "$TMP" "$ROUTES" "$BASE" <<'PY'
import sys
tmp, n, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tail = "table 4242 proto 177 metric 1024"
kinds = {"bpf": "encap bpf xmit pinned /sys/fs/bpf/rb_encap headroom 40 dev v0",
         "tun": "dev rbtun0"}
def addr(i):
    return "%s%x:%x/128" % (base, i >> 16, i & 0xffff)
for k, enc in kinds.items():
    with open("%s/add-%s.txt" % (tmp, k), "w") as f:
        for i in range(1, n + 1):
            f.write("route add %s %s %s\n" % (addr(i), enc, tail))
with open("%s/del.txt" % tmp, "w") as f:
    for i in range(1, n + 1):
        f.write("route del %s %s\n" % (addr(i), tail))
PY
[ -s "$TMP/del.txt" ] || die "cannot write the ip batch files"

# `ip -6 -batch` over the add file then the delete file, in chunks of CHUNK
# lines (one ip process each), CLOCK_MONOTONIC around the processes; the
# routes of BASE in table 4242 counted after each phase. In the namespace.
IPBATCH=$PWD/lab/ipbatch.py

DPB() { ip netns exec "$NS" "$B/dpbench" -D "$1" -s $SELF -l $LOC -n "$ROUTES" -b $BASE "${@:2}"; }
run() { # driver method rep
	local drv=$1 m=$2 rep=$3 f="$OUT/runs/$1-$2-$3"
	mkns
	case $m in
	dmm) DPB "$drv" >"$f.json" 2>"$f.err" ;;
	dmm-batch32) DPB "$drv" -B 32 >"$f.json" 2>"$f.err" ;;
	dmm-batch) DPB "$drv" -B "$ROUTES" >"$f.json" 2>"$f.err" ;;
	dmm-batch-ack) DPB "$drv" -B "$ROUTES" -A >"$f.json" 2>"$f.err" ;;
	restart)
		# the crash leaves N routes; the next dp_open removes them
		{ DPB "$drv" -B "$ROUTES" -K >"$f.crash.json" &&
		  ip netns exec "$NS" "$B/dpbench" -D "$drv" -s $SELF -l $LOC -n 1000 \
			-b 2001:db8:bbbb:: -S $BASE >"$f.json.tmp"; } 2>"$f.err"
		jq -c --argjson crash "$(cat "$f.crash.json")" '. + {crash: $crash}' "$f.json.tmp" >"$f.json"
		rm -f "$f.json.tmp" "$f.crash.json" ;;
	ip)
		if [ "$drv" = bpf ]; then
			# bpffs in the private mount namespace of `ip netns exec`; the
			# program loaded once, outside the timing
			ip netns exec "$NS" sh -c "mount -t bpf bpf /sys/fs/bpf &&
				bpftool prog load '$B/bpf/dmm_encap.bpf.o' /sys/fs/bpf/rb_encap type lwt_xmit &&
				python3 '$IPBATCH' '$TMP/add-bpf.txt' '$TMP/del.txt' $BASE $ROUTES $CHUNK" \
				>"$f.json" 2>"$f.err"
		else
			ip -n "$NS" tuntap add dev rbtun0 mode tun && ip -n "$NS" link set rbtun0 up ||
				die "cannot make a TUN device"
			ip netns exec "$NS" python3 "$IPBATCH" "$TMP/add-tun.txt" "$TMP/del.txt" \
				$BASE "$ROUTES" $CHUNK >"$f.json" 2>"$f.err"
		fi ;;
	esac
	ip netns del "$NS"
	[ -s "$f.err" ] || rm -f "$f.err"
	printf '  %-4s %-14s run %d: %s\n' "$drv" "$m" "$rep" \
		"$(jq -r 'if (.stale_before // -1) >= 0 then "\(.stale_before) stale routes removed by dp_open in \(.open_s * 1000 | round) ms (\(.kernel_after_open) left)" else "\(.routes) routes: add \(.add_per_s | round)/s (\(.kernel_after_add) in the kernel), del \(.del_per_s | round)/s (\(.kernel_after_del) left)" end' "$f.json" 2>/dev/null ||
		echo "failed: $(head -c 300 "$f.err" 2>/dev/null)")"
}

for drv in $DRIVERS; do
	case $drv in
	bpf) METHODS=(dmm dmm-batch32 dmm-batch dmm-batch-ack ip restart) ;;
	*) METHODS=(dmm dmm-batch32 dmm-batch dmm-batch-ack ip) ;;
	esac
	echo "bench-routes: $drv, $ROUTES /128 tunnel routes, $REPS runs per method"
	for ((rep = 1; rep <= REPS; rep++)); do
		for ((k = 0; k < ${#METHODS[@]}; k++)); do
			run "$drv" "${METHODS[(k + rep - 1) % ${#METHODS[@]}]}" $rep
		done
	done
done
echo "loadavg at end: $(cat /proc/loadavg)" >> "$OUT/machine.txt"
python3 lab/bench-routes-report.py "$OUT"
