# lib_lab.sh: shared helpers of the figure-1 integration tests (fig1_*.sh),
# sourced, not run. Each test builds its own lab with lab/dmmlab under a
# private namespace prefix and state directory, so it never touches another
# engineer's lab, and tears it down on exit whatever happens.
# The daemons are the sanitizer build (lib_dmm.sh: DMM_SAN), with the
# data-plane drivers DMM_DATAPLANE names (dmmlab up --dataplane); a
# sanitizer report in any daemon's log fails the test. DMMLAB_KEEP_LOGS=DIR
# copies the daemons' logs and event logs there at the teardown (the lab's
# own directory goes).
#
#   lab_require CMD...     fail (1) unless ip, nft, ip6tables, python3, jq and
#                          CMD... are installed (scripts/deps.sh installs
#                          them all: a missing one is no reason to skip);
#                          skip (77) unless root
#   lab_up [LINE...]       figure1.topo with short timers plus LINE... (topology
#                          statements, e.g. "mr-conf mode redirect"), up
#   x NODE CMD...          run CMD in NODE's namespace
#   ctl NODE ARGS...       dmmctl -j against NODE's dmmd ($DMMCTL)
#   jq_ NODE ARGS -- EXPR  the same, piped through jq EXPR (raw output)
#   wait_until SECS CMD... poll CMD every 0.1 s until it succeeds
#   mn_prefixes MN MR      MN's prefixes as MR reports them (one per line)
#   new_mn NAME MR MAC     an MN the topology does not have, attaching at MR
#   mn_addr MN PREFIX      MN's global address inside PREFIX (from ip -6 addr)
#   listening NODE PORT    something listens on TCP PORT in NODE
#   node_driver NODE       the data-plane driver NODE's dmmd runs (show config)
#   decap NODE             packets NODE decapsulated: seg6, its End.DX6
#                          route's counter; bpf and tun, dmmd's dp_decap_packets
#   tunnel_route NODE PREFIX LOCATOR  NODE tunnels PREFIX to LOCATOR: seg6,
#                          its encap.red route to LOCATOR; bpf and tun, whose
#                          routes do not show the locator, a tunnel route of
#                          theirs for PREFIX and NODE's cache entry at LOCATOR
#   tunnel_routes NODE TEXT  NODE's tunnel routes whose line has TEXT
#   count41_setup NODE...  nftables counters of IPv6-in-IPv6 on NODE's core
#                          link: tx_MRNAME per destination MR, rx (all in;
#                          not with bpf, which decapsulates before netfilter)
#   count41 NODE NAME      a counter's packets
#   fwd_setup NODE PREFIX  nftables counter of packets NODE forwards to PREFIX
#   fwd NODE               its packets
#   tcp_xfer FROM TO ADDR PORT  1 MB over TCP, checked by length and hash
#   dump NODE...           tables, rules, dmmctl state and log tail (on failure)
#   signalling_scenario PCAP [LINE...]  the lab up (lab_up LINE...) with the
#                          core bridge's signalling captured into PCAP from
#                          the first attach, then pings and moves MR12 ->
#                          MR11 -> MR2 with traffic (every procedure's
#                          messages); sets a1, p1
#   lua_check_capture PCAP [LUA]  the Lua dissector on that capture: no
#                          unknown field, every field as dmm decodes it
# Tests set `bad "why"` for each failed check and end with `lab_result`.
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh

LAB=fig1
TOPO_SRC=lab/topologies/figure1.topo
# FIG1_BUILD=DIR: take every program from DIR and build nothing.
BUILD=${FIG1_BUILD:-build}
DMMD=$BUILD/dmmd DMMCTL=$BUILD/dmmctl
TABLE=4242
PROTO=177
L=lab/dmmlab
fail=0

bad() { echo "FAIL: $*"; fail=1; }
note() { echo "--- $*"; }

lab_require() {
	local c
	for c in ip nft ip6tables python3 jq "$@"; do
		command -v "$c" >/dev/null || {
			echo "FAIL: $c is not installed (scripts/deps.sh installs it: make deps)"
			exit 1
		}
	done
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
	[ -e /proc/sys/net/ipv6/seg6_flowlabel ] || modprobe -q seg6 2>/dev/null
	if [ -z "${FIG1_BUILD:-}" ]; then
		dmm_bins build/nfqdelay build/dmmprobe || { echo "FAIL: make"; exit 1; }
	fi
	echo "--- dmmd $DMMD, data plane ${DMM_DATAPLANE:-default (auto)}"
	export DMMLAB_PREFIX="f1$$-" DMMLAB_RUN
	DMMLAB_RUN=$(mktemp -d /tmp/fig1lab.XXXXXX)
	LABDIR=$DMMLAB_RUN/$LAB
	trap lab_cleanup EXIT
}

lab_cleanup() {
	local rc=$?
	trap '' PIPE # a reader gone (| head) must not stop the teardown
	[ -n "${LAB_CLEANUP_HOOK:-}" ] && $LAB_CLEANUP_HOOK
	# Stop the daemons (SIGTERM: each exits, so the sanitizer reports its
	# leaks) and read their logs before the state directory goes.
	if [ -d "$LABDIR/logs" ]; then
		$L -l $LAB down --keep-ns >/dev/null 2>&1
		san_check "$LABDIR"/logs/*.log ${LAB_SAN_LOGS:-} || rc=1
	fi
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -d "$LABDIR/logs" ]; then
		note "daemon logs (tails)"
		for f in "$LABDIR"/logs/*.log; do
			echo "== $(basename "$f")"; tail -15 "$f"
		done
	fi
	# DMMLAB_KEEP_LOGS=DIR: keep the daemons' logs and event logs there.
	if [ -n "${DMMLAB_KEEP_LOGS:-}" ] && [ -d "$LABDIR/logs" ]; then
		mkdir -p "$DMMLAB_KEEP_LOGS" && cp -a "$LABDIR/logs/." "$DMMLAB_KEEP_LOGS/"
	fi
	$L down --all >/dev/null 2>&1
	local n
	for n in $(ip netns list | awk '{print $1}' | grep "^$DMMLAB_PREFIX"); do
		ip netns del "$n"
	done
	rm -rf "$DMMLAB_RUN"
	exit $rc
}

# figure1.topo, timers short enough for a test, plus the given lines.
lab_topo() {
	local out=$DMMLAB_RUN/$LAB.topo
	grep -v -e '^lab ' -e '^timers-conf' "$TOPO_SRC" >"$out"
	{
		echo "timers-conf retransmit 250ms max 1s count 4"
		echo "timers-conf handover-context 2s"
		echo "timers-conf hold 1s"
		local l
		for l in "$@"; do echo "$l"; done
	} >>"$out"
	echo "$out"
}

lab_up() {
	local topo
	topo=$(lab_topo "$@")
	$L -l $LAB up "$topo" --build "$BUILD" --dmmd "$DMMD" || { echo "FAIL: dmmlab up"; exit 1; }
	# The data plane's table, rule preference and route protocol, as the
	# MRs run them (dmmd -nv of the generated configuration).
	local dpc
	dpc=$(dmmd_n -nv -f "$LABDIR/conf/mr11.conf" |
		sed -n '/^dataplane.*{/,/^}/p')
	TABLE=$(echo "$dpc" | awk '$1 == "table" {print $2}')
	PROTO=$(echo "$dpc" | awk '$1 == "protocol" {print $2}')
	RULE_PREF=$(echo "$dpc" | awk '$1 == "rule-pref" {print $2}')
	[ -n "$TABLE" ] && [ -n "$PROTO" ] && [ -n "$RULE_PREF" ] ||
		{ echo "FAIL: no dataplane block in dmmd -nv"; exit 1; }
	# Both MNs attached and configured by SLAAC.
	wait_until 10 mn_ready mn1 mr12 || bad "mn1 not attached at mr12 with an address"
	wait_until 10 mn_ready mn2 mr31 || bad "mn2 not attached at mr31 with an address"
}

lab_result() {
	[ $fail = 0 ] && { echo "ok: $*"; exit 0; }
	exit 1
}

# A rogue host on the core bridge (for the attack tests): namespace
# ${DMMLAB_PREFIX}rogue, named in $rogue, its port "core" up with the
# address 2001:db8:ff::99/48 (no DAD). lab_cleanup deletes it with the
# lab's other namespaces.
lab_rogue() {
	rogue=${DMMLAB_PREFIX}rogue
	ip netns add "$rogue" &&
		ip netns exec "$rogue" ip link set lo up &&
		ip -n "${DMMLAB_PREFIX}core" link add rogue type veth peer name core netns "$rogue" &&
		ip -n "${DMMLAB_PREFIX}core" link set rogue master br0 up &&
		ip netns exec "$rogue" ip addr add 2001:db8:ff::99/48 dev core nodad &&
		ip netns exec "$rogue" ip link set core up
}

x() { local n=$1; shift; ip netns exec "$DMMLAB_PREFIX$n" "$@"; }
ctl() { local n=$1; shift; "$DMMCTL" -j -s "$LABDIR/$n.sock" "$@"; }
# jq_ NODE show WHAT -- FILTER
jq_() {
	local n=$1 args=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	ctl "$n" "${args[@]}" | jq -r "$@"
}
counter() { jq_ "$1" show counters -- ".$2"; }

wait_until() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# wait_for SECONDS 'CONDITION': CONDITION (shell text, single-quoted so that
# its $(...) is not expanded at the call) evaluated anew every 0.1 s.
wait_for() { local t=$1; shift; wait_until "$t" eval "$1"; }

# MN's prefixes at MR: its access link is named after it (dmmlab).
mn_prefixes() {
	jq_ "$2" show mns -- ".[] | select(.ifname == \"$1\") | .prefixes[] |
		select(.deprecated|not) | .prefix"
}
mn_all_prefixes() { jq_ "$2" show mns -- ".[] | select(.ifname == \"$1\") | .prefixes[] | .prefix"; }

# new_mn NAME MR MAC: an MN the topology does not have, made the way dmmlab
# makes one (namespace with the lab's prefix: torn down with the lab); it
# attaches at MR at once.
new_mn() {
	local name=$1 mr=$2 mac=$3 ns=$DMMLAB_PREFIX$1 k
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	for k in "all.forwarding=0" "default.accept_ra=2" "default.accept_dad=0" \
		"default.router_solicitation_delay=0" "default.router_solicitation_interval=1" \
		"default.router_solicitations=-1"; do
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$k"
	done
	ip -n "$ns" link add eth0 address "$mac" type veth peer name "$name" \
		netns "$DMMLAB_PREFIX$mr"
	ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1
	ip -n "$ns" link set eth0 up
}

# MN's global address inside PREFIX (a /64), or nothing.
mn_addr() {
	x "$1" ip -6 -j addr show dev eth0 scope global | python3 -c '
import ipaddress, json, sys
net = ipaddress.ip_network(sys.argv[1])
for i in json.load(sys.stdin):
    for a in i.get("addr_info", []):
        if ipaddress.ip_address(a["local"]) in net:
            print(a["local"]); sys.exit(0)
sys.exit(1)' "$2"
}

# MN attached at MR (per MR's dmmctl) and holding an address in each prefix.
mn_ready() {
	local p n=0
	for p in $(mn_prefixes "$1" "$2"); do
		mn_addr "$1" "$p" >/dev/null || return 1
		n=$((n + 1))
	done
	[ $n -gt 0 ]
}

# listening NODE PORT: a TCP socket listens on PORT in NODE.
listening() { x "$1" ss -Hltn "sport = :$2" | grep -q .; }

node_driver() { jq_ "$1" show config -- '.dataplane // "seg6"'; }

decap() {
	case $(node_driver "$1") in
	seg6)
		x "$1" ip -s -6 route show table $TABLE |
			sed -n 's/.*End.DX6.* packets \([0-9]*\) .*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
		;;
	*) counter "$1" dp_decap_packets ;;
	esac
}

# The lines of NODE's tunnel routes in table TABLE (the driver's shape).
tunnel_routes() { # NODE TEXT
	local re
	case $(node_driver "$1") in
	seg6) re='encap seg6 mode encap\.red' ;;
	bpf) re='encap bpf' ;;
	tun) re='dev dmm0 .*metric 1024' ;;
	*) re='^$' ;;
	esac
	x "$1" ip -6 route show table $TABLE | grep -F -- "$2" | grep -E "$re"
}

tunnel_route() { # NODE PREFIX LOCATOR
	local r
	r=$(tunnel_routes "$1" "$2 ") || return 1
	case $(node_driver "$1") in
	seg6) grep -qF "segs 1 [ $3 ]" <<<"$r" ;;
	*) [ "$(jq_ "$1" show cache -- ".[] | select(.prefix == \"$2\") | .locator")" = "$3" ] ;;
	esac
}

MR_ADDRS="mr11=2001:db8:ff::11 mr12=2001:db8:ff::12 mr2=2001:db8:ff::20
mrgw=2001:db8:ff::29 mr31=2001:db8:ff::31 mr32=2001:db8:ff::32"
mr_addr() {
	local e
	for e in $MR_ADDRS; do [ "${e%%=*}" = "$1" ] && echo "${e#*=}"; done
}

count41_setup() {
	local n e rules
	for n in "$@"; do
		rules=""
		for e in $MR_ADDRS; do
			rules="$rules
	counter tx_${e%%=*} {}"
		done
		{
			echo "table inet fig1cnt {$rules"
			echo "	counter rx {}"
			echo "	chain post { type filter hook postrouting priority 0;"
			for e in $MR_ADDRS; do
				echo "		oifname \"core\" ip6 nexthdr 41 ip6 daddr ${e#*=} counter name tx_${e%%=*}"
			done
			echo "	}"
			echo "	chain pre { type filter hook prerouting priority 0;"
			echo "		iifname \"core\" ip6 nexthdr 41 counter name rx"
			echo "	}"
			echo "}"
		} | x "$n" nft -f - || bad "nft counters on $n"
	done
}
# fwd_setup NODE PREFIX: counter "fwd" of packets NODE forwards to PREFIX
# (whatever the way in or out: native, decapsulated or to be tunnelled).
fwd_setup() {
	x "$1" nft -f - <<-EOT || bad "nft fwd counter on $1"
	table inet fig1fwd {
		counter carried {}
		chain fw { type filter hook forward priority 0; ip6 daddr $2 counter name carried; }
	}
	EOT
}
fwd() {
	x "$1" nft -j list counter inet fig1fwd carried |
		jq -r '.nftables[] | select(.counter) | .counter.packets'
}
count41() {
	x "$1" nft -j list counter inet fig1cnt "$2" |
		jq -r '.nftables[] | select(.counter) | .counter.packets'
}

dump() {
	local n
	for n in "$@"; do
		echo "== $n"
		x "$n" ip -s -6 route show table $TABLE
		for w in mns cache handovers; do
			echo "$w: $(ctl "$n" show $w 2>&1)"
		done
		tail -20 "$LABDIR/logs/$n.log"
	done
}

# tcp_xfer FROM TO_NODE TO_ADDR PORT: 1 MB over TCP, compared by length and
# SHA-256 at the receiver.
tcp_xfer() { # FROM TO_NODE TO_ADDR PORT
	local port=$4
	x "$2" python3 -c '
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(1); s.settimeout(15)
open(sys.argv[2], "w").close()
c, a = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest(), a[0])' "$port" "$DMMLAB_RUN/ready.$port" >"$DMMLAB_RUN/rx" &
	local srv=$!
	wait_until 10 test -e "$DMMLAB_RUN/ready.$port" || bad "tcp server on $2 did not start"
	local want
	want=$(x "$1" python3 -c '
import hashlib, os, socket, sys
d = os.urandom(1 << 20)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=15)
s.sendall(d); s.close()
print(len(d), hashlib.sha256(d).hexdigest())' "$3" "$port") || bad "tcp client $1 -> $3 failed"
	wait $srv || bad "tcp server on $2 failed"
	local got
	got=$(cat "$DMMLAB_RUN/rx")
	echo "tcp $1 -> $2: sent $want, received $got"
	[ "${got% *}" = "$want" ] || bad "tcp $1 -> $2: received '$got', sent '$want'"
}
# Run directly (tests/run.sh runs every tests/sh/*.sh): check that the
# generated topology is one dmmlab accepts, with the short timers in every
# node's configuration.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dmmlab)"; exit 77; }
	command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
	DMMLAB_RUN=$(mktemp -d /tmp/fig1lab.XXXXXX)
	export DMMLAB_RUN DMMLAB_PREFIX="f1$$-"
	topo=$(lab_topo "mr-conf mode redirect")
	conf=$($L config "$topo") || bad "dmmlab config rejects the generated topology"
	[ "$(echo "$conf" | grep -c 'handover-context 2s')" = 10 ] ||
		bad "handover-context 2s not in all 10 configurations"
	[ "$(echo "$conf" | grep -c 'mode redirect')" = 6 ] || bad "mr-conf not in all 6 MRs"
	rm -rf "$DMMLAB_RUN"
	lab_result "lib_lab.sh: generated topology accepted, timers and mr-conf applied"
fi

# The capture of every signalling message of a scenario that exercises every
# procedure (fig1_tshark, fig1_tshark_lua).
capture_tpid=
stop_capture() {
	[ -n "$capture_tpid" ] && kill "$capture_tpid" 2>/dev/null
	wait "$capture_tpid" 2>/dev/null
	capture_tpid=
}

# start_capture PCAP: capture the core bridge's signalling into PCAP (each
# packet written as seen), from before the lab is up: it starts as soon as
# the bridge is there (dmmlab up creates it first; the MNs' carriers last),
# so it sees the first attach. stop_capture ends it (also at cleanup).
start_capture() {
	local pcap=$1
	LAB_CLEANUP_HOOK=stop_capture
	(
		# until the lab has made the core bridge: 2 s was too short on a
		# loaded machine (CI 2026-12-06 19:2x: no pcap at all, sim_lab's
		# tshark failed); the daemons start after it, so nothing is missed
		for _ in $(seq 1500); do
			ip netns exec "${DMMLAB_PREFIX}core" ip link show br0 >/dev/null 2>&1 && break
			sleep 0.02
		done
		exec ip netns exec "${DMMLAB_PREFIX}core" tcpdump -i br0 -U -w "$pcap" \
			'ip6 proto 135 or (ip6 and udp port 5436)' 2>/dev/null
	) &
	capture_tpid=$!
}

signalling_scenario() {
	local pcap=$1 png
	shift
	start_capture "$pcap"
	lab_up "$@"
	p1=$(mn_prefixes mn1 mr12)
	a1=$(mn_addr mn1 "$p1")
	x mn2 ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1"
	$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
	wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
	x mn2 ping -6 -c 20 -i 0.05 -w5 -q "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
	# 200 packets/s: some are always in flight to the pMR while MN1 moves,
	# so that it redirects their sender (REDIRECT), whichever of it and
	# LM1's LM_NOTIFY reaches MR31 first.
	x mn2 ping -6 -c 600 -i 0.005 -w 10 -q "$a1" >/dev/null &
	png=$!
	sleep 1
	$L -l $LAB move mn1 mr2 >/dev/null || bad "move mn1 mr2"
	wait $png
	wait_until 5 mn_ready mn1 mr2 || bad "mn1 not attached at mr2"
	x cn ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "cn cannot ping mn1 at mr2"
	sleep 2.5 # handover context expiry, acks
	stop_capture
}

# lua_check_capture PCAP [DMM_LUA]: the Wireshark dissector (DMM_LUA,
# default tools/wireshark/dmm.lua) on a capture of signalling_scenario:
# every signalling packet dissected with no expert info and no Lua error,
# every byte of it named by a dmm.* field (no unknown field), every field
# equal to what dmm_msg_decode says of the same bytes (tools/wireshark/
# dmmdump, dmm_check.py compare), the message kinds of every procedure
# there. Sets npkt (signalling packets captured).
lua_check_capture() {
	local pcap=$1 lua=${2:-tools/wireshark/dmm.lua}
	${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
		-Icore -Itests/lib tools/wireshark/dmmdump.c tests/lib/samples.c build/libdmm.a \
		-lcrypto -lsodium -o "$DMMLAB_RUN/dmmdump" || { bad "building dmmdump"; return 1; }
	tshark -X lua_script:"$lua" -r "$pcap" -T pdml >"$DMMLAB_RUN/core.pdml" \
		2>"$DMMLAB_RUN/tshark.err"
	if grep -v 'Running as user' "$DMMLAB_RUN/tshark.err" | grep -q .; then
		bad "tshark with the plugin said:"
		grep -v 'Running as user' "$DMMLAB_RUN/tshark.err" | head -5
	fi
	"$DMMLAB_RUN/dmmdump" "$pcap" >"$DMMLAB_RUN/core.json" || bad "dmmdump"
	npkt=$(grep -c '"dmm":true' "$DMMLAB_RUN/core.json")
	echo "$npkt signalling packets captured"
	[ "$npkt" -ge 20 ] || bad "only $npkt signalling packets captured"
	python3 tools/wireshark/dmm_check.py compare --pdml "$DMMLAB_RUN/core.pdml" \
		--dump "$DMMLAB_RUN/core.json" --expect valid --label "live capture" --names \
		--require hoa-req,hoa-rep,loc-update,loc-ack,loc-query,loc-reply,ctx-req,ctx-ack,redirect,redirect-ack,lm-notify,lm-notify-ack,lm-fwd,lm-fwd-reply ||
		fail=1
	echo "transport: $(tshark -X lua_script:"$lua" -r "$pcap" -Y 'dmm && !udp' 2>/dev/null |
		grep -c .) over raw IPv6 (next header 135), $(tshark -X lua_script:"$lua" \
		-r "$pcap" -Y 'dmm && udp' 2>/dev/null | grep -c .) over UDP"
}
