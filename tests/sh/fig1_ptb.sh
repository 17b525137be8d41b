#!/bin/bash
# dmm-test: netns per-driver
# Figure 1, path MTU through a tunnel: MN1 moves to MR11, so MR31 tunnels
# MN2's packets to it (40 bytes more on a 1500-byte core).
#   - every driver: MR31's RAs give MN2 an MTU of 1460 (link MTU - 40);
#   - MN2 then ignores the RA's MTU and sends 1500-byte packets to MN1:
#     bpf: the kernel answers with a Packet Too Big (MTU 1460) that reaches
#          MN2 from MR31, and 1460-byte packets then get through;
#     tun: dmmd's raw socket fragments the outer packet (RFC 2473 7.1) and
#          the 1500-byte packets arrive whole;
#     seg6: the kernel drops them silently (its PTB goes to the MR itself):
#          the RA's MTU is the only protection, checked above.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require tcpdump

lab_up
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
drv=$(ctl mr31 show config | jq -r '.dataplane')
echo "mr31 data plane: $drv"

mtu=$(x mn2 cat /proc/sys/net/ipv6/conf/eth0/mtu)
[ "$mtu" = 1460 ] || bad "mn2's MTU from the RA is $mtu, want 1460"
x mn2 ping -6 -c 3 -i 0.2 -w 5 -q "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"

# MN2 forgets the RA's MTU: 1500 on its link, a route to MN1 without one.
x mn2 sysctl -qw net.ipv6.conf.eth0.accept_ra_mtu=0 net.ipv6.conf.eth0.mtu=1500
x mn2 ip -6 route add "$p1" via fe80::1 dev eth0
cap=$DMMLAB_RUN/ptb.txt
x mn2 timeout 8 tcpdump -lnni eth0 -c 1 'icmp6 and ip6[40] == 2' >"$cap" 2>/dev/null &
tcpd=$!
wait_until 3 x mn2 sh -c "ss -H -A packet | grep -q ."
big=$(x mn2 ping -6 -c 3 -i 0.3 -w 4 -M do -s 1452 "$a1" 2>&1)
echo "$big" | tail -4
case $drv in
bpf)
	wait $tcpd
	echo "captured: $(cat "$cap")"
	grep -q "2001:db8:ff::31 > .*packet too big, mtu 1460" "$cap" ||
		bad "no Packet Too Big (mtu 1460) from mr31 reached mn2"
	x mn2 ping -6 -c 3 -i 0.2 -w 5 -q -M do -s 1412 "$a1" >/dev/null ||
		bad "1460-byte packets do not get through after the Packet Too Big"
	;;
tun)
	kill $tcpd 2>/dev/null; wait $tcpd 2>/dev/null
	echo "$big" | grep -q "1460 bytes from $a1" ||
		bad "1500-byte packets did not arrive whole through the tun driver"
	;;
seg6)
	kill $tcpd 2>/dev/null; wait $tcpd 2>/dev/null
	note "seg6 drops over-size packets silently: the RA's MTU (checked) protects MNs"
	;;
*)
	kill $tcpd 2>/dev/null; wait $tcpd 2>/dev/null
	bad "unknown data plane '$drv'"
	;;
esac
[ $fail = 0 ] || dump mr31 mr11
lab_result "path MTU through the $drv tunnel: the MN learns it or the packet arrives"
