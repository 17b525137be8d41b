#!/bin/bash
# dmm-test: netns per-driver
# Figure 1 under attack from a rogue namespace on the core bridge
# (2001:db8:ff::99):
#   1. real signalling captured on the core bridge (tcpdump) is replayed
#      from the rogue port, frame for frame (own MAC, the original IPv6
#      source): the newest request to LM1 (a duplicate within the timestamp
#      window) and the oldest (older than the window);
#   2. a rogue dmmd with a key of its own (same key id) claims MN1: it asks
#      LM1 where MN1 is and HAA1 for a prefix, retransmitting;
#   3. the oldest request again, now older than the window.
# No route of any MR, no LM binding, HAA lease or MR location cache changes
# (snapshots before/after); LM1/HAA1 count dup_request/drop_replay/
# drop_stale for 1, drop_auth for 2, drop_stale for 3.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require tcpdump

lab_up
LAB_CLEANUP_HOOK="rogue_cleanup"
LAB_SAN_LOGS=$DMMLAB_RUN/rogue/log
rogue_cleanup() {
	[ -n "${rpid:-}" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	[ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null
}
pcap=$DMMLAB_RUN/core.pcap
ip netns exec "${DMMLAB_PREFIX}core" tcpdump -i br0 -U -w "$pcap" \
	'ip6 proto 135 or (ip6 and udp port 5436)' 2>/dev/null &
tpid=$!
sleep 0.5

# The rogue port; the rogue dmmd (an MR) routes.
lab_rogue || bad "cannot set up the rogue host"
ip netns exec "$rogue" sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns exec "$rogue" ip link add mn9 type veth peer name r9
ip netns exec "$rogue" ip link set r9 up
ip netns exec "$rogue" ip link set mn9 up

# Real signalling to capture: MN2 reaches MN1, MN1 moves to MR11.
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1")
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
x mn2 ping -6 -c2 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
sleep 0.3

MRS="mr11 mr12 mr2 mrgw mr31 mr32"
snapshot() {
	local n
	for n in $MRS; do
		echo "== $n"
		x "$n" ip -6 route show table $TABLE
		x "$n" ip -6 rule
		ctl "$n" show mns | jq -c 'map(del(.age_ms))'
		ctl "$n" show cache | jq -c 'map(del(.expires_ms))'
	done
	for n in lm1haa1 lm2haa2 lm3; do
		ctl "$n" show bindings | jq -c 'map(del(.expires_ms))'
	done
	for n in lm1haa1 lm2haa2 haa3; do
		ctl "$n" show leases | jq -c 'map(del(.expires_ms))'
	done
}
snapshot >"$DMMLAB_RUN/before"
c0=$(ctl lm1haa1 show counters)

# 1. Replays of captured requests (MH type 5, PBU: HOA_REQ, LOC_UPDATE) to
# LM1/HAA1 (2001:db8:ff::1), from the rogue port with the rogue's MAC.
kill "$tpid"; wait "$tpid" 2>/dev/null; tpid=
replay() { # which: first | last
	ip netns exec "$rogue" python3 - "$pcap" "$1" <<-'EOF'
	import socket, struct, sys
	data = open(sys.argv[1], "rb").read()
	magic = struct.unpack("<I", data[:4])[0]
	e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
	off, frames = 24, []
	while off + 16 <= len(data):
	    _, _, cap, _ = struct.unpack(e + "IIII", data[off:off + 16])
	    f = data[off + 16:off + 16 + cap]
	    off += 16 + cap
	    # Ethernet, IPv6 nh 135 (MH: payload proto, hdr len, type), dst ::1
	    if len(f) > 60 and f[12:14] == b"\x86\xdd" and f[20] == 135 and \
	       f[38:54] == socket.inet_pton(socket.AF_INET6, "2001:db8:ff::1") and f[56] == 5:
	        frames.append(f)
	if not frames:
	    sys.exit("no PBU to 2001:db8:ff::1 captured")
	f = frames[0] if sys.argv[2] == "first" else frames[-1]
	s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
	s.bind(("core", 0))
	mac = open("/sys/class/net/core/address").read().strip()
	f = f[:6] + bytes.fromhex(mac.replace(":", "")) + f[12:]
	s.send(f)
	print("replayed %s of %d PBUs to ::1, from %s" % (sys.argv[2], len(frames),
	      socket.inet_ntop(socket.AF_INET6, f[22:38])))
	EOF
}
replay last || bad "replay of the newest request failed"
# The oldest one (the move's HOA_REQ) is a few seconds old: still in the window.
replay first || bad "replay of the oldest request failed"
sleep 0.5
c1=$(ctl lm1haa1 show counters)
rep=$(jq -n --argjson a "$c0" --argjson b "$c1" \
	'($b.dup_request - $a.dup_request) + ($b.drop_replay - $a.drop_replay) + ($b.drop_stale - $a.drop_stale)')
echo "replay: lm1haa1 $(jq -n -c --argjson a "$c0" --argjson b "$c1" \
	'{dup_request: ($b.dup_request - $a.dup_request), drop_replay: ($b.drop_replay - $a.drop_replay), drop_stale: ($b.drop_stale - $a.drop_stale), drop_auth: ($b.drop_auth - $a.drop_auth)}')"
[ "$rep" -ge 2 ] || bad "lm1haa1 counted $rep of the 2 replays (dup_request + drop_replay + drop_stale)"

# 2. Wrong key: a dmmd with the lab's configuration of MR11, moved to ::99
# (and, in its own map only, listed as an MR of ln1: dmmd -n wants an MR
# among its network's MRs; the lab's nodes do not list it).
mkdir -p "$DMMLAB_RUN/rogue"
umask 077
printf '1 %s\n' "$(head -c32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$DMMLAB_RUN/rogue/keys"
sed -e 's/^node mr11/node rogue/' -e 's/^address .*/address 2001:db8:ff::99/' \
	-e 's/^\(\s*mr 2001:db8:ff::11\)$/\1\n\tmr 2001:db8:ff::99/' \
	-e "s|^keys .*|keys \"$DMMLAB_RUN/rogue/keys\"|" \
	-e "s|^control .*|control \"$DMMLAB_RUN/rogue/sock\"|" -e '/^event-log/d' \
	"$LABDIR/conf/mr11.conf" >"$DMMLAB_RUN/rogue/conf"
cmp -s "$LABDIR/keys" "$DMMLAB_RUN/rogue/keys" && bad "rogue key equals the lab's"
ip netns exec "$rogue" "$DMMD" -d -f "$DMMLAB_RUN/rogue/conf" >"$DMMLAB_RUN/rogue/log" 2>&1 &
rpid=$!
wait_until 3 test -S "$DMMLAB_RUN/rogue/sock" || bad "rogue dmmd did not start: $(tail -3 "$DMMLAB_RUN/rogue/log")"
"$DMMCTL" -s "$DMMLAB_RUN/rogue/sock" attach mn9 02:00:00:00:00:01 ||
	bad "rogue dmmctl attach failed"
# Its requests are retransmitted 4 times (250 ms .. 1 s), then time out.
wait_for 6 '[ "$("$DMMCTL" -j -s "$DMMLAB_RUN/rogue/sock" show counters | jq .timeout)" -ge 2 ]' ||
	echo "note: rogue timeouts $("$DMMCTL" -j -s "$DMMLAB_RUN/rogue/sock" show counters | jq .timeout)"
c2=$(ctl lm1haa1 show counters)
auth=$(jq -n --argjson a "$c1" --argjson b "$c2" '$b.drop_auth - $a.drop_auth')
echo "wrong key: lm1haa1 drop_auth +$auth; rogue sent $("$DMMCTL" -j -s "$DMMLAB_RUN/rogue/sock" show counters | jq -c '{tx, retransmit, timeout}')"
[ "$auth" -ge 2 ] || bad "lm1haa1 drop_auth +$auth, want the rogue's requests counted"
kill "$rpid"; wait "$rpid" 2>/dev/null; rpid=

# 3. The oldest request once more, now surely outside the 5 s timestamp
# window (captured at the move, before the wrong-key phase): dropped as stale.
sleep 1
replay first || bad "second replay of the oldest request failed"
sleep 0.3
stale=$(($(counter lm1haa1 drop_stale) - $(echo "$c2" | jq .drop_stale)))
echo "stale replay: lm1haa1 drop_stale +$stale"
[ "$stale" -ge 1 ] || bad "lm1haa1 drop_stale +$stale for a replay older than the window"

snapshot >"$DMMLAB_RUN/after"
if ! diff -u "$DMMLAB_RUN/before" "$DMMLAB_RUN/after"; then
	bad "routes, rules or tables changed under the rogue's messages"
fi
lab_result "wrong key and replays dropped and counted; no route, binding, lease or cache changed"
