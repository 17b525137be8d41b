#!/bin/bash
# dmm-test: netns per-driver
# Figure 1: an MR decapsulates IPv6-in-IPv6 only from the MRs of the domain
# map (network { mr }). MN1 moves to MR11, which then decapsulates MR31's
# tunnel for MN2's pings. A rogue namespace on the core bridge
# (2001:db8:ff::99, no MR) sends MR11 100 tunnel packets whose inner
# packets are echo requests to MN1 from MN2's address:
#   - none reaches MN1 (an ip6tables counter in MN1's namespace);
#   - bpf and tun count them as refused (dmmctl dp_decap_rejected >= 100);
#   - MN2 -> MN1 through MR31's real tunnel still works, and MR11 counts
#     MR31's packets per peer (show peers tun_rx_packets), not the rogue's.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require python3

lab_up
lab_rogue || bad "cannot set up the rogue host"

p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
a2=$(mn_addr mn2 "$(mn_prefixes mn2 mr31)") || bad "mn2 has no address"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
drv=$(ctl mr11 show config | jq -r '.dataplane')
echo "mr11 data plane: $drv"
x mn1 ip6tables -I INPUT -p icmpv6 --icmpv6-type echo-request -s "$a2" -j ACCEPT
echoes() { x mn1 ip6tables -L INPUT -v -x -n | awk '/ipv6-icmp/ && $1 ~ /^[0-9]+$/ {print $1; exit}'; }
rej0=$(counter mr11 dp_decap_rejected)

# 100 forged tunnel packets: outer ::99 -> MR11, inner MN2 -> MN1 echo.
ip netns exec "$rogue" python3 - "$a2" "$a1" <<'EOF' || bad "rogue sender failed"
import socket, struct, sys
src, dst = (socket.inet_pton(socket.AF_INET6, a) for a in sys.argv[1:3])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
icmp = struct.pack("!BBHHH", 128, 0, 0, 0x4242, 1) + b"rogue" * 8
pseudo = src + dst + struct.pack("!I3xB", len(icmp), 58)
icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
inner = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 64) + src + dst + icmp
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 41)
s.bind(("2001:db8:ff::99", 0))
for _ in range(100):
    s.sendto(inner, ("2001:db8:ff::11", 0))
EOF
sleep 0.5
got=$(echoes)
rej=$(($(counter mr11 dp_decap_rejected) - rej0))
echo "forged: mn1 received $got echo requests, mr11 refused $rej"
[ "${got:-0}" = 0 ] || bad "mn1 received $got echo requests tunnelled by a non-MR"
case $drv in
bpf|tun) [ "$rej" -ge 100 ] || bad "mr11 counted $rej refused tunnel packets, want >= 100" ;;
seg6) note "seg6: no decap rule matches ::99, the kernel drops the packets (not counted)" ;;
*) bad "unknown data plane '$drv'" ;;
esac

# The real peer still gets through, and is counted as MR31's.
x mn2 ping -6 -c 20 -i 0.02 -w 5 -q "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
got=$(echoes)
[ "${got:-0}" -ge 20 ] || bad "mn1 received ${got:-0} of mn2's 20 echo requests"
if [ "$drv" != seg6 ]; then
	t31=$(jq_ mr11 show peers -- '.[] | select(.address == "2001:db8:ff::31") | .tun_rx_packets')
	t99=$(jq_ mr11 show peers -- '.[] | select(.address == "2001:db8:ff::99") | .tun_rx_packets')
	echo "mr11 tunnel packets from mr31: $t31, from ::99: ${t99:-none}"
	[ "${t31:-0}" -ge 20 ] || bad "mr11 counted ${t31:-0} tunnel packets from mr31"
	[ -z "$t99" ] || [ "$t99" = 0 ] || bad "mr11 counted $t99 tunnel packets from the rogue"
fi
[ $fail = 0 ] || dump mr11
lab_result "mr11 ($drv) decapsulates MR31's tunnel and refuses a non-MR's"
