#!/bin/bash
# demo.sh: the draft's story on a live testbed, measured (run by `make demo`).
#
#   lab/demo.sh [options]
#     --rate PPS        probe rate of every stream (default 1000)
#     --down-ms N       the link stays down N ms at each move (default 0)
#     --pause S         seconds between moves (default 3)
#     --moves "A B ..." MRs MN1 visits in turn (default "mr11 mr2 mr31")
#     --mn tuned|optimistic|stock
#                       the MNs' IPv6 settings for the moves (default tuned;
#                       see "What the demo tunes on the MNs" in lab/README)
#     --no-hold         MRs do not hold packets during a handover (mr hold no)
#     --no-tcp          no iperf3 transfer
#     --kstats          also kernel counters around each move (nstat.jsonl: nstat
#                       per namespace, TUN drops, ndisc unresolved discards;
#                       slows the moves down, off for measurements)
#     --out DIR         results folder (default results/demo-TIMESTAMP)
#     --static-routes   no dmmd at all: the script moves a static route after
#                       the MN (plumbing test of this script, not of DMM)
#     --dataplane SPEC  the MRs' data-plane drivers (dmmlab(8) DATA-PLANE
#                       DRIVERS: bpf, or mr11=bpf,mr2=tun,*=seg6; default
#                       $DMM_DATAPLANE, else each dmmd's auto)
#     --topo FILE       the topology (default lab/topologies/figure1.topo)
#     --oracle          the oracle baseline in the same run (a topology with
#                       the oracle MN on1, e.g. lab/topologies/handover.topo):
#                       on1 makes the same moves as MN1, each half a pause
#                       after MN1's, its prefix routed by the lab itself (no
#                       signalling); streams MN2<->MN1 and MN2<->ON1 only
#     --load LABEL      record the load average in run.json (bench.sh does)
#
# The MR end of each moving MN's link is watched in every MR's namespace
# (dmmprobe link: links-MN.jsonl): the L2 outage of a move runs from that
# end going down at the old MR to its coming up at the new one.
#
# Brings up figure1 (namespaces prefixed $DMMLAB_PREFIX, default "dmo-",
# state in $DMMLAB_RUN, default /run/dmmdemo, so it never touches another
# lab), starts probe streams MN2<->MN1, MN1<->CN and an iperf3 transfer
# MN2 -> MN1, moves MN1 from MR12 along --moves, snapshots every MR's
# counters and caches around each move, collects CSV, JSON, event and daemon
# logs into the results folder, tears the lab down (also on error or
# Ctrl-C) and has lab/report.py print the handover table and draw the plots.
# Exit status: report.py's (0 pass; 1 a TCP session broke or a packet that
# should have been delivered was lost; 2 bad data), 3 if the lab failed.
set -u
cd "$(dirname "$0")/.."
REPO=$PWD
B=$REPO/build
export DMMLAB_PREFIX=${DMMLAB_PREFIX:-dmo-}
export DMMLAB_RUN=${DMMLAB_RUN:-/run/dmmdemo}
LAB=demo
RATE=1000 TCP_RATE=5M DOWN_MS=0 PAUSE=3 MOVES="mr11 mr2 mr31" MNSET=tuned HOLD=yes TCP=yes
OUT="" STATIC=no KSTATS=no TOPO=lab/topologies/figure1.topo DATAPLANE=${DMM_DATAPLANE:-}
ORACLE=no LOADAVG=""

die() { echo "demo: $*" >&2; exit 3; }
while [ $# -gt 0 ]; do
	case $1 in
	--rate) RATE=$2; shift ;;
	--down-ms) DOWN_MS=$2; shift ;;
	--pause) PAUSE=$2; shift ;;
	--moves) MOVES=$2; shift ;;
	--mn) MNSET=$2; shift ;;
	--no-hold) HOLD=no ;;
	--no-tcp) TCP=no ;;
	--kstats) KSTATS=yes ;;
	--out) OUT=$2; shift ;;
	--static-routes) STATIC=yes ;;
	--dataplane) DATAPLANE=$2; shift ;;
	--topo) TOPO=$2; shift ;;
	--oracle) ORACLE=yes ;;
	--load) LOADAVG=$2; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (--help)" ;;
	esac
	shift
done
[ -n "$LOADAVG" ] || LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
case $MNSET in tuned|optimistic|stock) ;; *) die "--mn tuned|optimistic|stock" ;; esac
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for p in dmmd dmmctl dmmprobe; do [ -x "$B/$p" ] || die "$B/$p missing: make all"; done
command -v iperf3 >/dev/null || TCP=no

OUT=${OUT:-results/demo-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/events" "$OUT/logs" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
dmmlab() { "$REPO/lab/dmmlab" -l $LAB "$@"; }
lx() { local n=$1; shift; ip netns exec "$DMMLAB_PREFIX$n" "$@"; }
MRS="mr11 mr12 mr2 mrgw mr31 mr32"
declare -A ADDR=([mr11]=2001:db8:ff::11 [mr12]=2001:db8:ff::12 [mr2]=2001:db8:ff::20
	[mrgw]=2001:db8:ff::29 [mr31]=2001:db8:ff::31 [mr32]=2001:db8:ff::32)
CN=2001:db8:100::1

# ---- teardown, whatever happens
PIDS=()
LAB_UP=no
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ $LAB_UP = yes ]; then
		cp "$DMMLAB_RUN/$LAB"/logs/*.events "$OUT/events/" 2>/dev/null
		cp "$DMMLAB_RUN/$LAB"/logs/*.log "$OUT/logs/" 2>/dev/null
		dmmlab down >/dev/null 2>&1 || echo "demo: dmmlab down failed" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

# ---- the lab
topo=$OUT/$(basename "$TOPO")
cp "$TOPO" "$topo" || die "no topology $TOPO"
[ $ORACLE = no ] || grep -q '^node on1 .*oracle' "$topo" || die "--oracle: $TOPO has no oracle MN on1"
[ $HOLD = no ] && echo "mr-conf hold no" >>"$topo"
if [ -e "$DMMLAB_RUN/$LAB/state.json" ]; then
	echo "demo: a previous demo lab is still up, taking it down"
	dmmlab down >/dev/null 2>&1
fi
LAB_UP=yes
if [ $STATIC = yes ]; then
	dmmlab up "$topo" --no-daemons || die "dmmlab up failed"
else
	dmmlab up "$topo" ${DATAPLANE:+--dataplane "$DATAPLANE"} || die "dmmlab up failed"
	dmmlab status | grep -E '^  mr[a-z0-9]* +dataplane' | sed 's/^ */demo: /'
fi

# global_addr NODE: the node's first non-tentative global address on eth0.
global_addr() {
	lx "$1" ip -6 -o addr show dev eth0 scope global -tentative 2>/dev/null |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}

static_attach() {  # static_attach MN PREFIX ADDR AT
	lx "$1" ip addr add "$3/64" dev eth0 nodad
	lx "$1" ip route add default via fe80::1 dev eth0
	lx "$4" ip route replace "$2" dev "$1"
}

# static_move MN PREFIX ANCHOR TO: what dmmd would do, by hand: the new MR
# routes the prefix on its access link, the anchor sends it to the new MR.
static_move() {
	lx "$4" ip route replace "$2" dev "$1"
	[ "$4" != "$3" ] && lx "$3" ip route replace "$2" via "${ADDR[$4]}" dev core
	return 0
}

if [ $STATIC = yes ]; then
	static_attach mn1 2001:db8:1:1200::/64 2001:db8:1:1200::1 mr12
	static_attach mn2 2001:db8:3:3100::/64 2001:db8:3:3100::1 mr31
fi
MN1="" MN2=""
for _ in $(seq 100); do
	MN1=$(global_addr mn1) MN2=$(global_addr mn2)
	[ -n "$MN1" ] && [ -n "$MN2" ] && break
	sleep 0.1
done
[ -n "$MN1" ] && [ -n "$MN2" ] || die "MNs got no address in 10 s (MN1 '$MN1', MN2 '$MN2'); see $OUT/logs"
PFX1=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1] + "/64", strict=False))' "$MN1")
START=$(awk '$1 == "node" && $2 == "mn1" { for (i = 3; i < NF; i++) if ($i == "at") print $(i + 1) }' "$topo")
echo "demo: MN1 $MN1 (prefix $PFX1) at $START, MN2 $MN2 at mr31, CN $CN"

# ---- MN settings for the moves (lab/README: what the lab tunes on MNs)
mn_settings() {
	local k v
	case $MNSET in
	tuned) set -- accept_dad=0 router_solicitation_delay=0 router_solicitation_interval=1 ;;
	optimistic) set -- accept_dad=1 dad_transmits=1 optimistic_dad=1 use_optimistic=1 \
		router_solicitation_delay=0 router_solicitation_interval=1 ;;
	stock) set -- accept_dad=1 dad_transmits=1 optimistic_dad=0 use_optimistic=0 \
		router_solicitation_delay=1 router_solicitation_interval=4 router_solicitations=3 ;;
	esac
	for kv in "$@"; do
		for mn in mn1 mn2 $([ $ORACLE = yes ] && echo on1); do
			lx $mn sysctl -qw "net.ipv6.conf.eth0.$kv" || die "sysctl $kv on $mn"
		done
	done
}
mn_settings

# ---- traffic: first one ping each way, so that neighbour discovery and
# the first-packet route lookups are done before anything is measured.
prime() {  # prime FROM DST
	for _ in $(seq 20); do
		lx "$1" ping -6 -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	die "no path from $1 to $2 before the first move"
}
ON1=2001:db8:99:1::1
if [ $ORACLE = yes ]; then
	prime mn2 "$MN1"; prime mn1 "$MN2"; prime mn2 "$ON1"; prime on1 "$MN2"
else
	prime mn2 "$MN1"; prime mn1 "$MN2"; prime mn1 "$CN"; prime cn "$MN1"
fi
n_moves=$(wc -w <<<"$MOVES")
LEAD=2
# 50 % slack: a loaded machine (10k packets/s on 2 vCPUs) lets the move
# schedule slip by seconds over 20 moves, and a
# move after the end of the streams is not measured.
# Without the TCP transfer the senders are stopped (SIGINT) a second after
# the last move: the duration is only an upper bound.
DUR=$(python3 -c "print(int($LEAD + $n_moves * $PAUSE * $([ $TCP = yes ] && echo 1.5 || echo 3) + 2))")
probe=$B/dmmprobe
# Probes run SCHED_FIFO: a sender the loaded machine leaves waiting sends a
# burst late, a gap no handover made (sendmmsg_max_ms in NAME.send); a
# receiver left waiting stamps right (kernel stamps) but its socket buffer
# overflows (rx_user_lag_ms in NAME.json).
# Not above 1k packets/s: eight real-time probes at 10k starved the daemons
# and the moves of the 2-vCPU machine (the first move came 23 s late).
RT=$([ "$RATE" -le 1000 ] && command -v chrt >/dev/null && echo "chrt -f 20")
# stream NAME FROM TO PORT: a receiver now, a sender later
STREAMS=()
recv_on() {  # recv_on NAME NODE PORT
	# no function around it: $! is the probe itself (ip netns exec execs
	# it), so that a signal reaches it
	ip netns exec "$DMMLAB_PREFIX$2" $RT "$probe" recv -p "$3" --csv "$OUT/$1.csv" \
		>"$OUT/$1.json" 2>"$OUT/$1.err" &
	PIDS+=($!) RX+=($!)
}
RX=() WATCH=()
if [ $ORACLE = yes ]; then
	STREAMS=("mn2-mn1 mn2 mn1 5001 $MN1" "mn1-mn2 mn1 mn2 5002 $MN2"
		"mn2-on1 mn2 on1 5005 $ON1" "on1-mn2 on1 mn2 5006 $MN2")
else
	STREAMS=("mn2-mn1 mn2 mn1 5001 $MN1" "mn1-mn2 mn1 mn2 5002 $MN2"
		"mn1-cn mn1 cn 5003 $CN" "cn-mn1 cn mn1 5004 $MN1")
fi
for st in "${STREAMS[@]}"; do
	read -r name from to port dst <<<"$st"
	recv_on "$name" "$to" "$port"
done
# The MR end of each moving MN's link, in every MR (dmmprobe link).
MOVERS="mn1$([ $ORACLE = yes ] && echo ' on1')"
for mn in $MOVERS; do
	"$probe" link "$mn" $(for n in $MRS; do printf -- '--netns %s ' "$DMMLAB_PREFIX$n"; done) \
		>"$OUT/links-$mn.jsonl" 2>"$OUT/links-$mn.err" &
	PIDS+=($!) WATCH+=($!)
	# and the MN's own end (eth0 in its namespace): its carrier events come
	# from the MN kernel's link watcher, which stops its transmit queue on
	# carrier loss and starts it again only when it runs (tens of ms late
	# on a loaded machine; a quick down and up may be one event, or none)
	"$probe" link eth0 --netns "$DMMLAB_PREFIX$mn" \
		>"$OUT/links-$mn-own.jsonl" 2>"$OUT/links-$mn-own.err" &
	PIDS+=($!) WATCH+=($!)
done
if [ $TCP = yes ]; then
	lx mn1 iperf3 -s -1 -B "$MN1" -p 5201 >"$OUT/iperf3-server.txt" 2>&1 &
	PIDS+=($!)
	sleep 0.3
	( timeout $((DUR + 30)) ip netns exec "${DMMLAB_PREFIX}mn2" iperf3 -c "$MN1" -p 5201 \
		-t "$((DUR + 1))" -b "$TCP_RATE" -J --connect-timeout 3000 \
		>"$OUT/iperf3.json" 2>"$OUT/iperf3.err"
	  echo $? >"$OUT/iperf3.rc" ) &
	PIDS+=($!) TCPJOB=$!
fi
sleep 1
send() {  # send FROM DST PORT NAME: in the background, TX gets its PID
	ip netns exec "$DMMLAB_PREFIX$1" $RT "$probe" send -6 "$2" -p "$3" -r "$RATE" -d "$DUR" \
		--stream 1 --send-log "$OUT/$4.sendlog" >"$OUT/$4.send" 2>"$OUT/$4.send.err" &
	PIDS+=($!) TX+=($!)
}
TX=()
for st in "${STREAMS[@]}"; do
	read -r name from to port dst <<<"$st"
	send "$from" "$dst" "$port" "$name"
done

# ---- moves, with every MR's counters around each and caches after
snapshot() {  # snapshot MOVE PHASE
	[ $STATIC = yes ] && return
	for n in $MRS; do
		c=$("$B/dmmctl" -j -s "$DMMLAB_RUN/$LAB/$n.sock" show counters 2>/dev/null) || continue
		echo "{\"move\": $1, \"phase\": \"$2\", \"node\": \"$n\", \"counters\": $c}"
	done >>"$OUT/counters.jsonl"
	# Kernel counters of every router and MN namespace (where packets die:
	# Ip6InNoRoutes, Ip6OutDiscards, ...), and the neighbour table's
	# unresolved_discards (one table for all namespaces; one line per CPU,
	# summed).
	[ $KSTATS = yes ] && for n in $MRS mn1 mn2; do
		c=$(lx $n nstat -asz --json 2>/dev/null) || continue
		echo "{\"move\": $1, \"phase\": \"$2\", \"node\": \"$n\", \"nstat\": $c}"
	done >>"$OUT/nstat.jsonl"
	[ $KSTATS = yes ] && for n in $MRS; do  # the TUN's tx_dropped: packets dp could not take in time
		c=$(lx $n ip -j -s link show dmm0 2>/dev/null) || continue
		echo "{\"move\": $1, \"phase\": \"$2\", \"node\": \"$n\", \"tun\": $c}"
	done >>"$OUT/nstat.jsonl"
	[ $KSTATS = yes ] && printf '{"move": %s, "phase": "%s", "ndisc_unresolved_discards": %d}\n' "$1" "$2" \
		"$(($(awk 'NR > 1 { printf "+0x%s", $12 }' /proc/net/stat/ndisc_cache)))" \
		>>"$OUT/nstat.jsonl"
	[ "$2" = after ] || return
	for n in $MRS; do
		c=$("$B/dmmctl" -j -s "$DMMLAB_RUN/$LAB/$n.sock" show cache 2>/dev/null) || c=null
		m=$("$B/dmmctl" -j -s "$DMMLAB_RUN/$LAB/$n.sock" show mns 2>/dev/null) || m=null
		echo "{\"move\": $1, \"node\": \"$n\", \"cache\": $c, \"mns\": $m}"
	done >>"$OUT/caches.jsonl"
	c=$(lx mn1 ip -j -6 route show 2>/dev/null) || c=null
	m=$(lx mn1 ip -j -6 neigh show dev eth0 2>/dev/null) || m=null
	echo "{\"move\": $1, \"node\": \"mn1\", \"routes\": $c, \"neigh\": $m}" >>"$OUT/caches.jsonl"
}
# Tuned and optimistic MNs solicit the moment their carrier returns
# (lab/mn_rs.py, started ahead of the move); stock ones get the Router
# Solicitation dmmlab move sends after the move, like a network manager
# that has to be woken up first.
RSPID=""
RS_LIMIT=$(python3 -c "print(max(0.5, min(5.0, $PAUSE - 0.6)))")
rs_helper_start() {
	[ $MNSET = stock ] || [ $STATIC = yes ] && return
	: >"$OUT/rs.tmp"
	# Bounded by the pause: a helper that missed the carrier flap must not
	# delay the next move (the streams are sized for the schedule).
	lx mn1 python3 "$REPO/lab/mn_rs.py" eth0 02:00:00:00:00:01 "$RS_LIMIT" \
		>"$OUT/rs.tmp" 2>>"$OUT/rs.err" &
	RSPID=$!
	PIDS+=($RSPID)
	for _ in $(seq 200); do grep -q ready "$OUT/rs.tmp" && return; sleep 0.01; done
	die "lab/mn_rs.py did not start"
}
rs_helper_wait() {
	[ -n "$RSPID" ] || return
	wait "$RSPID" || echo "demo: mn1 got no Router Advertisement (lab/mn_rs.py)" >&2
	grep -v ready "$OUT/rs.tmp" >>"$OUT/rs.jsonl"
	RSPID=""
}
# The MR end of MN1's link counts the packets the kernel dropped on it as
# it was torn down (in flight to the MN at that instant); the count moves
# with the device, so after - before is this move's (links.jsonl). The MN's
# own end (eth0 in its namespace, "end": "mn") counts what the MN sent as
# the other end went down: veth drops a packet whose peer is not up, as
# tx_dropped of the sending end (and rx_dropped of the peer).
link_drops() {  # link_drops MOVE PHASE NODE [MN]
	[ $STATIC = yes ] && return
	local mn=${4:-mn1} c
	# report.py reads stats64.tx.dropped (no python here: it costs a move)
	c=$(lx "$3" ip -j -s link show "$mn" 2>/dev/null) &&
		printf '{"move": %d, "phase": "%s", "node": "%s", "mn": "%s", "link": %s}\n' \
			"$1" "$2" "$3" "$mn" "$c" >>"$OUT/links.jsonl"
	# With it, in one process, the MN's Ip6OutDiscards and Udp6SndbufErrors
	# (/proc/net/snmp6 of its namespace): the datagrams its kernel could
	# not hand to the link (the probe's sender does not ask for ENOBUFS).
	c=$(lx "$mn" sh -c 'ip -j -s link show eth0 | tr -d "\n" && echo &&
		awk '\''BEGIN { printf "{" } /^(Ip6OutDiscards|Udp6SndbufErrors)[ \t]/ {
			printf "%s\"%s\": %s", sep, $1, $2; sep = ", " } END { print "}" }'\'' \
		/proc/net/snmp6' 2>/dev/null) &&
		printf '{"move": %d, "phase": "%s", "node": "%s", "mn": "%s", "end": "mn", "link": %s, "snmp6": %s}\n' \
			"$1" "$2" "$mn" "$mn" "${c%%$'\n'*}" "${c#*$'\n'}" >>"$OUT/links.jsonl"
	return 0
}
: >"$OUT/moves.jsonl"
# Moves on an absolute schedule (LEAD s after the streams start, then every
# PAUSE s), so the streams, sized for it, cover them all.
# Times in microseconds (bash's EPOCHREALTIME: no process per step).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
sleep_until() {  # sleep_until US
	local d=$(($1 - $(now_us)))
	[ $d -gt 0 ] && sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
	return 0
}
at_us() {  # at_us MOVE [OFFSET_S [PAUSE_FRACTION]]: when that move's step is due
	awk -v t0="$T0" -v lead="$LEAD" -v p="$PAUSE" -v k="$1" -v off="${2:-0}" -v f="${3:-0}" \
		'BEGIN { printf "%.0f", t0 + (lead + (k + f) * p + off) * 1e6 }'
}
T0=$(now_us)
i=0 at=$START
for to in $MOVES; do
	sleep_until "$(at_us $i)"
	snapshot $i before
	link_drops $i before "$at"
	echo "demo: handover $((i + 1)): mn1 $at -> $to"
	rs_helper_start
	dmmlab move mn1 "$to" --down-ms "$DOWN_MS" >>"$OUT/moves.jsonl" ||
		die "dmmlab move mn1 $to failed"
	[ $STATIC = yes ] && static_move mn1 "$PFX1" mr12 "$to"
	rs_helper_wait
	if [ $ORACLE = yes ]; then
		# The oracle MN: the same move, half a pause later, no signalling.
		sleep_until "$(at_us "$i" 0 0.5)"
		link_drops $i before "$at" on1
		dmmlab move on1 "$to" >>"$OUT/moves.jsonl" || die "dmmlab move on1 $to failed"
	fi
	sleep_until "$(at_us $((i + 1)) -0.4)"
	snapshot $i after
	link_drops $i after "$to"
	[ $ORACLE = yes ] && link_drops $i after "$to" on1
	i=$((i + 1)) at=$to
done

# ---- the end of the traffic: a second after the last move, or at the
# stream's end if the TCP transfer sets the pace
[ $TCP = yes ] || { sleep 1.2; for p in "${TX[@]}"; do kill -INT "$p" 2>/dev/null; done; }
for p in "${TX[@]}"; do wait "$p"; done
[ $TCP = yes ] && wait "$TCPJOB"
sleep 1
for p in "${RX[@]}"; do kill -INT "$p" 2>/dev/null; done
for p in "${RX[@]}"; do wait "$p"; done
for p in "${WATCH[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p"; done

python3 - "$OUT" "$RATE" "$HOLD" "$MNSET" "$DOWN_MS" "$PFX1" "$TCP" "$STATIC" "$ORACLE" \
	"$LOADAVG" "$(basename "$TOPO")" "$PAUSE" "${STREAMS[@]}" <<'EOF'
import json, os, sys
out, rate, hold, mnset, down_ms, pfx, tcp, static, oracle, load, topo, pause = sys.argv[1:13]
st = lambda n, a, b: {"name": n, "csv": n + ".csv", "summary": n + ".json", "from": a, "to": b}
run = {"kind": "demo", "rate": int(rate), "hold": hold == "yes", "mn_settings": mnset,
       "down_ms": float(down_ms), "mn": "mn1", "mn_prefixes": [pfx], "static_routes": static == "yes",
       "oracle_mn": "on1" if oracle == "yes" else None, "loadavg": load, "topology": topo,
       "ns_prefix": os.environ.get("DMMLAB_PREFIX", ""),
       "pause_s": float(pause),
       "link_events": ["links-mn1.jsonl"] + (["links-on1.jsonl"] if oracle == "yes" else []),
       "own_link_events": dict([("mn1", "links-mn1-own.jsonl")] +
                               ([("on1", "links-on1-own.jsonl")] if oracle == "yes" else [])),
       "streams": [st(*x.split()[:3]) for x in sys.argv[13:]],
       "tcp": [{"name": "iperf3 mn2-mn1", "json": "iperf3.json", "rc": "iperf3.rc"}] if tcp == "yes" else [],
       "corr_mrs": ["mr31", "mrgw"],
       "addrs": {"2001:db8:ff::11": "mr11", "2001:db8:ff::12": "mr12", "2001:db8:ff::20": "mr2",
                 "2001:db8:ff::29": "mrgw", "2001:db8:ff::31": "mr31", "2001:db8:ff::32": "mr32"}}
json.dump(run, open(out + "/run.json", "w"), indent=1)
EOF
cp "$DMMLAB_RUN/$LAB"/logs/*.events "$OUT/events/" 2>/dev/null
cp "$DMMLAB_RUN/$LAB"/logs/*.log "$OUT/logs/" 2>/dev/null
dmmlab down >/dev/null 2>&1
LAB_UP=no

echo
echo "MN1 at $START, then ${MOVES// / -> }; $RATE packets/s per stream, MN settings $MNSET," \
	"holding $HOLD, link down ${DOWN_MS} ms per move$([ $STATIC = yes ] && echo ', STATIC ROUTES (no dmmd)')"
python3 lab/report.py "$OUT"
rc=$?
echo "results: $OUT"
exit $rc
