#!/bin/bash
# bench-dataplane.sh: the numbers of docs/BENCHMARKS.md, "Data plane", in one
# run on one machine (run by `make bench-dataplane`; root).
#
#   lab/bench-dataplane.sh [options]
#     --out DIR      results folder (default results/dataplane; replaced at
#                    the end of a complete run, the new data is first
#                    written to DIR.new)
#     --reps N       iperf3 runs per mode (default 5)
#     --rp-reps N    route-programming runs per method (default 3)
#     --time S       seconds of each iperf3 run (default 10, plus 1 omitted)
#     --pings N      pings per mode (default 1000, 10 ms apart, in 2 blocks
#                    per mode, alternating)
#     --routes N     /128 tunnel routes per route-programming run (default 100000)
#     --obj-routes N routes of the `ip ... encap bpf xmit obj` variant
#                    (default 5000: iproute2 loads the object anew for every
#                    route and keeps 2 fds per load; this machine's
#                    20000-fd limit stops it near 10000)
#     --parts "P..." what to run: lab (throughput and latency), routes
#                    (route programming), xlate (the locator translation's
#                    checksum variants); default all three
#     --drivers "D..."  drivers to measure (default: every one `dmmd -P` says
#                    this kernel runs, of seg6 bpf tun)
#
# For every driver the kernel runs (the others are reported with the probe's
# reason), in one run:
#  1. Throughput: lab/dmmlab brings figure1 up with `--dataplane DRIVER`,
#     moves MN1 to MR11 (MR31, MN2's MR, then tunnels MN1's prefix to MR11;
#     figure1.topo holds no delay between MR31 and MR11) and runs one TCP
#     stream MN2 -> MN1 (iperf3 -t TIME -O 1 -J), REPS times per mode,
#     alternating (plain first in odd reps, tunnel first in even ones):
#       tunnel  MR31's tunnel route, as dmmd installed it
#       plain   a route for MN1's /64 via MR11's core address at metric 512
#               in MR31's table 4242, above the tunnel route (1024), which
#               stays in place and is used again when the route goes; MR11
#               delivers with the LOCAL route it already has
#     The MTU MN2 used towards MN1 is recorded after each run (the MRs
#     advertise link MTU - 40 in their RAs, so both modes send the same
#     packets), and MR31's per-peer tunnel counter (dmmctl show peers)
#     before and after proves which path the run took.
#  2. Latency: ping MN2 -> MN1, PINGS per mode (tunnel, plain), 10 ms apart,
#     in two alternating blocks per mode, in the same lab.
#  1b, 2b. routing locator (draft 4.3), when bpf is measured: right after
#     the bpf lab, a second bpf lab whose MRs run `routing locator`
#     (figure1.topo + `mr-conf routing locator`; reported as driver
#     "bpfloc"), MN1 again moved to MR11, the same iperf3 and ping runs with
#     the modes
#       locator MR31's route as dmmd installed it: MN1's prefix translated
#               to MR11's per-host locator of it (LWT-BPF dmm_xlate), back
#               at MR11's tc ingress; no encapsulation
#       plain   as above (metric 512 via MR11, untranslated)
#     MR31's dp_xlate_out counter stands in for the tunnel counter. The MRs
#     of this lab advertise the whole link MTU (1500): both its modes send
#     1500-byte packets, the tunnel lab's 1460-byte ones.
#  4. Translation checksums: build/xlatebench runs the locator translation
#     program (BPF_PROG_TEST_RUN, 1440-byte TCP packet) with a
#     checksum-neutral locator and with one that needs the TCP checksum
#     fixed up (bpf_l4_csum_replace), alternating, and checks both outputs.
#  3. Route programming: build/dpbench applies ROUTES DMM_DP_TUNNEL_ADD ops
#     (distinct /128s to one locator on a veth link) through dp_apply, then
#     as many TUNNEL_DELs, in a fresh namespace; beside it, in a fresh
#     namespace of the same kind each, `ip -6 -batch` adds and deletes the
#     same routes: of the same kind (seg6: encap seg6 mode encap.red; bpf:
#     encap bpf xmit pinned, one program shared by all routes as dmmd's are;
#     tun: dev TUN), plain `dev v0`, and for bpf `encap bpf xmit obj`
#     (OBJ_ROUTES routes). Methods rotate from rep to rep.
# Raw data (iperf3 JSON, ping output, dpbench and ip timings, the lab's
# routes and driver lines, the probe, the machine) goes to OUT; then
# lab/bench-dataplane-report.py OUT prints the tables and the goals (also
# saved as OUT/table.md). Namespaces are prefixed bd- (state in
# /run/dmmlab-bench), so no other lab is touched; everything is torn down on
# exit, also on error or Ctrl-C.
# Exit status: the report's (0: data complete; goals are reported, not
# enforced), 3 if the bench could not run.
set -u
cd "$(dirname "$0")/.."
REPO=$PWD
B=$REPO/build
export DMMLAB_PREFIX=bd- DMMLAB_RUN=/run/dmmlab-bench
OUT=results/dataplane REPS=5 RP_REPS=3 TIME=10 PINGS=1000 ROUTES=100000 OBJ_ROUTES=5000 DRIVERS="" PARTS="lab routes xlate"

die() { echo "bench-dataplane: $*" >&2; exit 3; }
say() { echo "bench-dataplane: $*"; }
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--rp-reps) RP_REPS=$2; shift ;;
	--time) TIME=$2; shift ;;
	--pings) PINGS=$2; shift ;;
	--routes) ROUTES=$2; shift ;;
	--obj-routes) OBJ_ROUTES=$2; shift ;;
	--drivers) DRIVERS=$2; shift ;;
	--parts) PARTS=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (--help)" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for p in dmmd dmmctl dpbench xlatebench; do
	[ -x "$B/$p" ] || die "$B/$p missing: make all build/dpbench build/xlatebench"
done
[ -f "$B/bpf/dmm_encap.bpf.o" ] || die "$B/bpf/dmm_encap.bpf.o missing: make build/bpf/dmm_encap.bpf.o"
for c in iperf3 ping jq bpftool python3 ethtool; do
	command -v $c >/dev/null || die "$c missing: make deps"
done

OUT=${OUT%/}
NEW=$OUT.new
rm -rf "$NEW"
mkdir -p "$NEW"/{tput,ping,routes,lab,xlate} || die "cannot create $NEW"
NEW=$(cd "$NEW" && pwd)
TMP=$(mktemp -d /tmp/bench-dataplane.XXXXXX)
lx() { local n=$1; shift; ip netns exec "$DMMLAB_PREFIX$n" "$@"; }
dmmlab() { "$REPO/lab/dmmlab" "$@"; }
SOCK=$DMMLAB_RUN/figure1
MR11=2001:db8:ff::11
RPNS=${DMMLAB_PREFIX}rp  # route-programming namespace
SELF=2001:db8:ff::1 LOC=2001:db8:ff::2 BASE=2001:db8:aaaa::
CHUNK=10000  # routes per ip -batch process (see lab/ipbatch.py)

# ---- teardown, whatever happens
IPERF_PID=""
LAB_UP=no
stop_iperf() {  # the iperf3 server we started in MN1 (dmmlab down would too)
	[ -n "$IPERF_PID" ] && [ "$(cat /proc/$IPERF_PID/comm 2>/dev/null)" = iperf3 ] &&
		kill "$IPERF_PID" 2>/dev/null
	IPERF_PID=""
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_iperf
	[ "$LAB_UP" = yes ] && dmmlab down figure1 >/dev/null 2>&1
	ip netns del "$RPNS" 2>/dev/null
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'echo "bench-dataplane: interrupted" >&2; exit 130' INT TERM

# A lab or namespace of ours left by a crashed run.
[ -e "$DMMLAB_RUN/figure1/state.json" ] && dmmlab down figure1 >/dev/null 2>&1
ip netns del "$RPNS" 2>/dev/null

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# Processes that used more than 20 % of a CPU over one second (other work
# on the machine bends throughput numbers; the report shows it).
busy() {
	python3 - <<'PY'
import os, time
def snap():
    v = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                s = open("/proc/%s/stat" % p).read()
                w = s.rsplit(")", 1)[1].split()
                v[p] = (s[s.index("(") + 1:s.rindex(")")], int(w[11]) + int(w[12]))
            except (OSError, ValueError, IndexError):
                pass
    return v
a = snap(); time.sleep(1); b = snap()
hz = os.sysconf("SC_CLK_TCK")
busy = sorted(((b[p][1] - a[p][1]) * 100 // hz, b[p][0], p) for p in b if p in a)
print(" ".join("%s[%s]:%d%%" % (n, p, c) for c, n, p in reversed(busy) if c > 20) or "none")
PY
}

# ---- the machine and the probe
{
	echo "date $(date -Is)"
	echo "kernel $(uname -r)"
	echo "cpus $(nproc)"
	echo "model $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
	echo "commit $(git rev-parse HEAD 2>/dev/null)"
	echo "dirty $(git status --porcelain -- core dataplane daemon tools lab 2>/dev/null | tr '\n' ' ')"
	echo "iproute2 $(ip -V)"
	echo "iperf3 $(iperf3 --version | head -1)"
	echo "loadavg_start $(loadavg)"
	echo "busy_start $(busy)"
	echo "parts $PARTS"
	echo "reps $REPS rp_reps $RP_REPS time $TIME pings $PINGS routes $ROUTES obj_routes $OBJ_ROUTES"
} >"$NEW/env.txt"
"$B/dmmd" -P >"$NEW/probe.txt" 2>&1 || die "dmmd -P failed: $(cat "$NEW/probe.txt")"
say "kernel $(uname -r), $(nproc) CPUs; driver probe:"
sed 's/^/  /' "$NEW/probe.txt"
if [ -z "$DRIVERS" ]; then
	for d in seg6 bpf tun; do
		grep -q "^$d yes" "$NEW/probe.txt" && DRIVERS="$DRIVERS $d"
	done
fi
for d in seg6 bpf tun; do
	case " $DRIVERS " in
	*" $d "*) ;;
	*) grep -q "^$d yes" "$NEW/probe.txt" && say "$d: not measured (not in --drivers)" ||
		say "$d: not available on this kernel ($(grep "^$d " "$NEW/probe.txt" | cut -d' ' -f3-))" ;;
	esac
done
[ -n "${DRIVERS// /}" ] || die "no driver to measure"
echo "drivers $DRIVERS" >>"$NEW/env.txt"

# ---- 1 and 2: throughput and latency in figure1, one lab per driver

mn_addr() { lx "$1" ip -6 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1 | head -1; }
tun_tx() {  # MR31's tunnel packets sent to MR11 (bpfloc: its translations)
	if [ "${LABKIND:-}" = bpfloc ]; then
		"$B/dmmctl" -s "$SOCK/mr31.sock" -j show counters 2>/dev/null | jq -r '.dp_xlate_out // 0'
		return
	fi
	"$B/dmmctl" -s "$SOCK/mr31.sock" -j show peers 2>/dev/null |
		jq -r --arg a "$MR11" '[.[] | select(.address == $a) | .tun_tx_packets // 0] | add // 0'
}
# MN2's MTU towards MN1: the route's (the RA's MTU, when below the link's),
# else eth0's IPv6 MTU (an RA MTU equal to the link's shows in no route)
used_mtu() {
	local m
	m=$(lx mn2 ip -6 route get "$MN1" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
	[ -n "$m" ] || m=$(lx mn2 cat /proc/sys/net/ipv6/conf/eth0/mtu)
	echo "$m"
}
set_mode() {  # tunnel | plain
	lx mr31 ip -6 route del "$MN1_NET" table 4242 metric 512 2>/dev/null
	[ "$1" = plain ] &&
		lx mr31 ip -6 route add "$MN1_NET" via $MR11 dev core table 4242 metric 512 proto static
}
route_at_mr31() { lx mr31 ip -6 route get "$MN1" from "$MN2" iif mn2 | head -1; }

lab_up() {
	local drv=$1 i topo=figure1 dp=$1
	if [ "$drv" = bpfloc ]; then # every MR with routing locator
		topo=$TMP/figure1.topo dp=bpf
		{ cat lab/topologies/figure1.topo; echo "mr-conf routing locator"; } >"$topo"
	fi
	LABKIND=$drv
	dmmlab up "$topo" --dataplane "$dp" >"$NEW/lab/$drv-up.txt" 2>&1 ||
		die "lab up ($drv) failed: $(cat "$NEW/lab/$drv-up.txt")"
	LAB_UP=yes
	for ((i = 0; i < 100; i++)); do
		MN1=$(mn_addr mn1) MN2=$(mn_addr mn2)
		[ -n "$MN1" ] && [ -n "$MN2" ] && break
		sleep 0.1
	done
	[ -n "$MN1" ] && [ -n "$MN2" ] || die "$drv: the MNs got no address"
	MN1_NET=$(python3 -c "import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1] + '/64', strict=False))" "$MN1")
	dmmlab move mn1 mr11 >"$NEW/lab/$drv-move.txt" 2>&1 || die "$drv: move failed"
	for ((i = 0; i < 50; i++)); do
		lx mn2 ping -n -c1 -W1 "$MN1" >/dev/null 2>&1 && break
		sleep 0.2
	done
	for ((i = 0; i < 50; i++)); do
		lx mr31 ip -6 route show table 4242 "$MN1_NET" | grep -q "metric 1024" && break
		sleep 0.1
	done
	{
		echo "mn1 $MN1 (at mr11) mn2 $MN2 (at mr31) mn1_net $MN1_NET"
		for n in mr31 mr11; do
			echo "== $n show config: $("$B/dmmctl" -s "$SOCK/$n.sock" -j show config |
				jq -c '{dataplane, dataplane_why}')"
			echo "== $n table 4242"
			lx $n ip -6 route show table 4242
		done
		echo "== mr31 route mn2 -> mn1: $(route_at_mr31)"
		echo "== mn2 eth0: $(lx mn2 ethtool -k eth0 | grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' | tr '\n' ' ')"
	} >"$NEW/lab/$drv-state.txt"
	lx mr31 ip -6 route show table 4242 "$MN1_NET" | grep -q "metric 1024" ||
		die "$drv: MR31 has no tunnel route to $MN1_NET (see $NEW/lab/$drv-state.txt)"
	"$B/dmmctl" -s "$SOCK/mr31.sock" -j show config | jq -e --arg d "$dp" '.dataplane == $d' >/dev/null ||
		die "$drv: MR31's dmmd does not run the $dp driver"
	if [ "$drv" = bpfloc ]; then
		lx mr31 ip -6 route show table 4242 "$MN1_NET" | grep -q "xmit dmm_xlate" ||
			die "$drv: MR31 does not translate $MN1_NET (see $NEW/lab/$drv-state.txt)"
	fi
}

lab_down() {
	set_mode tunnel
	stop_iperf
	for n in mr31 mr11; do dmmlab logs $n >"$NEW/lab/$drv-$n.log" 2>&1; done
	dmmlab down figure1 >/dev/null 2>&1
	LAB_UP=no
}

iperf_run() {  # driver mode rep
	local drv=$1 mode=$2 rep=$3 f="$NEW/tput/$1-$2-$3" tx0 tx1 rc
	set_mode "$mode"
	local route; route=$(route_at_mr31)
	tx0=$(tun_tx)
	timeout $((TIME + 30)) ip netns exec ${DMMLAB_PREFIX}mn2 \
		iperf3 -c "$MN1" -t "$TIME" -O 1 -J >"$f.json" 2>"$f.err"
	rc=$?
	tx1=$(tun_tx)
	jq -cn --arg driver "$drv" --arg mode "$mode" --argjson rep "$rep" --argjson rc $rc \
		--arg route "$route" --arg mtu "$(used_mtu)" --argjson tx0 "${tx0:-0}" \
		--argjson tx1 "${tx1:-0}" --arg load "$(loadavg)" \
		'{driver: $driver, mode: $mode, rep: $rep, rc: $rc, route_at_mr31: $route,
		  mn2_path_mtu_after: $mtu, tunnel_tx_packets_before: $tx0,
		  tunnel_tx_packets_after: $tx1, loadavg: $load}' >"$f.meta.json"
	set_mode tunnel
	printf '  %-6s %-10s rep %d: %s Gbit/s, mtu %s, %s packets +%s\n' "$drv" "$mode" "$rep" \
		"$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9 * 100 | round / 100' "$f.json" 2>/dev/null)" \
		"$(jq -r .mn2_path_mtu_after "$f.meta.json")" \
		"$([ "$drv" = bpfloc ] && echo translated || echo tunnel)" $(( ${tx1:-0} - ${tx0:-0} ))
}

ping_run() {  # driver mode block count
	local f="$NEW/ping/$1-$2-$3"
	set_mode "$2"
	echo "route_at_mr31 $(route_at_mr31)" >"$f.meta"
	local tx0; tx0=$(tun_tx)
	lx mn2 ping -n -i 0.01 -c "$4" "$MN1" >"$f.txt" 2>&1
	echo "tunnel_tx_packets $tx0 $(tun_tx)" >>"$f.meta"
	set_mode tunnel
	printf '  %-5s %-10s block %d: %s\n' "$1" "$2" "$3" "$(tail -1 "$f.txt")"
}

case " $PARTS " in *" lab "*) LAB_DRIVERS=$DRIVERS ;; *) LAB_DRIVERS="" ;; esac
# routing locator right after bpf, in the same run
LAB_DRIVERS=$(echo " $LAB_DRIVERS " | sed 's/ bpf / bpf bpfloc /')
for drv in $LAB_DRIVERS; do
	if [ "$drv" = bpfloc ]; then DMODE=locator; else DMODE=tunnel; fi
	MODES=(plain $DMODE)
	echo "busy_before_$drv $(busy)" >>"$NEW/env.txt"
	say "$drv: figure1 up (--dataplane $drv), MN1 moved to MR11"
	lab_up "$drv"
	lx mn1 iperf3 -s -D -B "$MN1" --pidfile "$TMP/iperf3.pid" >/dev/null 2>&1 ||
		die "$drv: iperf3 server did not start"
	sleep 0.2
	IPERF_PID=$(cat "$TMP/iperf3.pid" 2>/dev/null)
	say "$drv: iperf3 MN2 -> MN1, $REPS x ${TIME}s per mode"
	for ((rep = 1; rep <= REPS; rep++)); do
		for ((k = 0; k < ${#MODES[@]}; k++)); do
			iperf_run "$drv" "${MODES[(k + rep - 1) % ${#MODES[@]}]}" $rep
		done
	done
	say "$drv: ping MN2 -> MN1, $PINGS per mode, 10 ms apart"
	half=$(( (PINGS + 1) / 2 ))
	ping_run "$drv" $DMODE 1 $half
	ping_run "$drv" plain 1 $half
	ping_run "$drv" plain 2 $((PINGS - half))
	ping_run "$drv" $DMODE 2 $((PINGS - half))
	lab_down
done

# ---- 3: route programming

rp_ns() {
	ip netns del "$RPNS" 2>/dev/null
	ip netns add "$RPNS" &&
	ip -n "$RPNS" link set lo up &&
	ip -n "$RPNS" link add v0 type veth peer name v1 &&
	ip -n "$RPNS" link set v0 up && ip -n "$RPNS" link set v1 up &&
	ip -n "$RPNS" addr add $SELF/64 dev v0 nodad &&
	ip netns exec "$RPNS" sysctl -qw net.ipv6.conf.all.forwarding=1 ||
		die "cannot make namespace $RPNS"
}

# ip -batch files: the routes dpbench programs (BASE::1 ...), table 4242,
# protocol 177, metric 1024 as dp's.
python3 - "$TMP" "$ROUTES" "$OBJ_ROUTES" "$BASE" "$LOC" "$REPO/build/bpf/dmm_encap.bpf.o" <<'PY'
import sys
tmp, n, nobj, base, loc, obj = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
kinds = {
    "seg6": "encap seg6 mode encap.red segs %s dev v0" % loc,
    "bpf-pinned": "encap bpf xmit pinned /sys/fs/bpf/bd_encap headroom 40 dev v0",
    "bpf-obj": "encap bpf xmit obj %s section lwt_xmit headroom 40 dev v0" % obj,
    "dev-tun": "dev bdtun0",
    "dev-v0": "dev v0",
}
tail = "table 4242 proto 177 metric 1024"
def addr(i):
    return "%s%x:%x/128" % (base, i >> 16, i & 0xffff)
for k, enc in kinds.items():
    m = nobj if k == "bpf-obj" else n
    with open("%s/add-%s.txt" % (tmp, k), "w") as f:
        for i in range(1, m + 1):
            f.write("route add %s %s %s\n" % (addr(i), enc, tail))
for k, m in (("all", n), ("obj", nobj)):
    with open("%s/del-%s.txt" % (tmp, k), "w") as f:
        for i in range(1, m + 1):
            f.write("route del %s %s\n" % (addr(i), tail))
PY
[ -s "$TMP/add-dev-v0.txt" ] || die "cannot write the ip batch files"

# Times `ip -6 -batch` over FILE (CLOCK_MONOTONIC around the processes), then
# counts the routes of BASE in table 4242. Run inside the namespace. FILE is
# cut into chunks of CHUNK lines, one ip process each, run one after the
# other: iproute2 keeps one fd open per LWT-BPF route it adds (two per
# object it loads), and this machine's fd limit (20000, hard) stops one
# process before 20000 such routes. Every ip method is chunked alike; one
# ip start-up costs about a millisecond. (lab/ipbatch.py)
IPBATCH=$PWD/lab/ipbatch.py

rp_run() {  # driver method rep
	local drv=$1 m=$2 rep=$3 f="$NEW/routes/$1-$2-$3"
	rp_ns
	case $m in
	dmm)
		ip netns exec "$RPNS" "$B/dpbench" -D "$drv" -s $SELF -l $LOC -n "$ROUTES" -b $BASE \
			>"$f.json" 2>"$f.err" ;;
	ip-bpf-pinned)
		# bpffs in the private mount namespace of `ip netns exec`: the
		# program is loaded once, outside the timing, and shared by
		# every route, as dmmd shares one per locator.
		ip netns exec "$RPNS" sh -c "mount -t bpf bpf /sys/fs/bpf &&
			bpftool prog load '$B/bpf/dmm_encap.bpf.o' /sys/fs/bpf/bd_encap type lwt_xmit &&
			python3 '$IPBATCH' --method $m '$TMP/add-bpf-pinned.txt' '$TMP/del-all.txt' $BASE $ROUTES $CHUNK" \
			>"$f.json" 2>"$f.err" ;;
	ip-bpf-obj)
		ip netns exec "$RPNS" python3 "$IPBATCH" --method $m "$TMP/add-bpf-obj.txt" \
			"$TMP/del-obj.txt" $BASE "$OBJ_ROUTES" "$OBJ_ROUTES" >"$f.json" 2>"$f.err" ;;
	ip-dev-tun)
		ip -n "$RPNS" tuntap add dev bdtun0 mode tun && ip -n "$RPNS" link set bdtun0 up ||
			die "cannot make a TUN device"
		ip netns exec "$RPNS" python3 "$IPBATCH" --method $m "$TMP/add-dev-tun.txt" \
			"$TMP/del-all.txt" $BASE "$ROUTES" $CHUNK >"$f.json" 2>"$f.err" ;;
	ip-seg6|ip-dev-v0)
		ip netns exec "$RPNS" python3 "$IPBATCH" --method $m "$TMP/add-${m#ip-}.txt" \
			"$TMP/del-all.txt" $BASE "$ROUTES" $CHUNK >"$f.json" 2>"$f.err" ;;
	esac
	ip netns del "$RPNS"
	[ -s "$f.err" ] || rm -f "$f.err"
	printf '  %-5s %-14s rep %d: %s\n' "$drv" "$m" "$rep" \
		"$(jq -r '"\(.routes) routes: add \(.add_per_s | round)/s (\(.kernel_after_add) in the kernel), del \(.del_per_s | round)/s"' "$f.json" 2>/dev/null || echo "failed: $(cat "$f.err" 2>/dev/null)")"
}

case " $PARTS " in *" routes "*) RP_DRIVERS=$DRIVERS ;; *) RP_DRIVERS="" ;; esac
for drv in $RP_DRIVERS; do
	case $drv in
	seg6) METHODS=(dmm ip-seg6 ip-dev-v0) ;;
	bpf) METHODS=(dmm ip-bpf-pinned ip-dev-v0 ip-bpf-obj) ;;
	tun) METHODS=(dmm ip-dev-tun ip-dev-v0) ;;
	esac
	say "$drv: route programming, $ROUTES /128 tunnel routes, $RP_REPS runs per method"
	for ((rep = 1; rep <= RP_REPS; rep++)); do
		for ((k = 0; k < ${#METHODS[@]}; k++)); do
			rp_run "$drv" "${METHODS[(k + rep - 1) % ${#METHODS[@]}]}" $rep
		done
	done
done

# ---- 4: the locator translation with and without a checksum fix-up
case " $PARTS " in *" xlate "*)
	say "locator translation: neutral vs checksum fix-up (BPF_PROG_TEST_RUN, 10 x 1M runs each)"
	"$B/xlatebench" 1000000 10 >"$NEW/xlate/xlatebench.json" 2>"$NEW/xlate/xlatebench.err" ||
		say "xlatebench failed: $(cat "$NEW/xlate/xlatebench.err")"
	[ -s "$NEW/xlate/xlatebench.err" ] || rm -f "$NEW/xlate/xlatebench.err"
	;;
esac

echo "loadavg_end $(loadavg)" >>"$NEW/env.txt"
echo "busy_end $(busy)" >>"$NEW/env.txt"

# ---- the report; the new data replaces OUT
python3 lab/bench-dataplane-report.py "$NEW" >"$TMP/table.md"
rc=$?
rm -rf "$OUT"
mv "$NEW" "$OUT"
cp "$TMP/table.md" "$OUT/table.md"
cat "$OUT/table.md"
say "results: $OUT (lab/bench-dataplane-report.py $OUT prints this again)"
exit $rc
