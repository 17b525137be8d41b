#!/bin/bash
# dmm-test: netns per-driver
# Figure 1, P1/P2 with real hosts: MN1 (a plain Linux namespace) attaches at
# MR12 and configures its HoA by SLAAC from MR12's Router Advertisement; MN2
# at MR31 (another local network) pings it and exchanges data over TCP.
#
# Checks: the prefix MR12 reports (dmmctl show mns) is in MR12's pool, MN1
# has an address inside it, the LM1 binding says MR12, the RA's MTU is the
# link MTU - 40, ping and a 1 MB TCP transfer MN2 -> MN1 (checked
# byte for byte by size and hash) work. Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

lab_up
p1=$(mn_prefixes mn1 mr12)
echo "mn1 prefix at mr12: $p1"
case "$p1" in 2001:db8:1:12??::/64) ;; *) bad "mn1 prefix '$p1' not from mr12's pool" ;; esac
[ "$(echo "$p1" | wc -w)" = 1 ] || bad "mn1 has $(echo "$p1" | wc -w) prefixes, want 1"
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in $p1"
a2=$(mn_addr mn2 "$(mn_prefixes mn2 mr31)") || bad "mn2 has no address"
echo "mn1 $a1  mn2 $a2"
x mn1 ip -6 -d addr show dev eth0 scope global | grep -q 'dynamic' || bad "mn1 address not SLAAC (dynamic)"
[ "$(x mn1 ip -6 route show default | grep -c 'proto ra')" = 1 ] || bad "mn1 has no default route from the RA"
mtu=$(x mn1 sysctl -n net.ipv6.conf.eth0.mtu)
[ "$mtu" = 1460 ] || bad "mn1 link MTU $mtu, want 1460 from the RA (1500 - 40)"
loc=$(jq_ lm1haa1 show bindings -- ".[] | select(.prefix == \"$p1\") | .location")
[ "$loc" = 2001:db8:ff::12 ] || bad "lm1 binding of $p1 at '$loc', want mr12"

x mn2 ping -6 -c3 -i0.2 -w5 "$a1" || bad "mn2 cannot ping mn1"

tcp_xfer mn2 mn1 "$a1" 5001
tcp_xfer mn1 mn2 "$a2" 5002

lab_result "mn1 got $a1 by SLAAC at mr12; ping and TCP both ways with mn2 at mr31"
