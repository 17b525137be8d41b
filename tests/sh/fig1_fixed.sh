#!/bin/bash
# dmm-test: netns per-driver
# Figure 1, P6 (draft section 5): the fixed server CN (2001:db8:100::1) sits
# behind the gateway MRGW, which registers its fixed prefix with LM2.
#   - LM2 has a fixed binding 2001:db8:100::/48 at MRGW;
#   - MN1 at MR12 pings CN and sends it 1 MB over TCP, and back;
#   - after MN1 moves to MR11, CN -> MN1 goes MRGW -> MR11 directly
#     (MRGW's IPv6-in-IPv6 packets to MR11, MR11's decapsulation) and the
#     anchor MR12 carries at most the first packets; MN1 -> CN still works.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

lab_up
cn=2001:db8:100::1
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
fx=$(jq_ lm2haa2 show bindings -- '.[] | select(.fixed) | "\(.prefix) \(.location)"')
echo "lm2 fixed bindings: $fx"
[ "$fx" = "2001:db8:100::/48 2001:db8:ff::29" ] || bad "lm2 fixed binding '$fx', want 2001:db8:100::/48 at mrgw"

x mn1 ping -6 -c3 -i0.2 -w5 "$cn" || bad "mn1 cannot ping cn"
tcp_xfer mn1 cn "$cn" 5003
tcp_xfer cn mn1 "$a1" 5004

count41_setup mrgw mr11
fwd_setup mr12 "$p1"
$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
x cn ping -6 -c 30 -i 0.01 -w 10 -q "$a1" >/dev/null || bad "cn -> mn1 pings lost after the move"
t11=$(count41 mrgw tx_mr11) t12=$(count41 mrgw tx_mr12) d11=$(decap mr11) f12=$(fwd mr12)
echo "after the move: mrgw -> mr11 tunnel $t11, mrgw -> mr12 tunnel $t12, mr11 decap $d11," \
	"mr12 forwarded $f12 (30 pings)"
[ "$t11" -ge 27 ] || bad "mrgw tunnelled $t11 of 30 to mr11"
[ "$d11" -ge 27 ] || bad "mr11 decapsulated $d11 of 30"
[ "$t12" -le 3 ] || bad "mrgw tunnelled $t12 to the anchor mr12"
[ "$f12" -le 3 ] || bad "the anchor mr12 forwarded $f12"
tcp_xfer mn1 cn "$cn" 5005
echo "mrgw cache: $(ctl mrgw show cache)"
[ $fail = 0 ] || dump mrgw mr11 mr12
lab_result "mn1 reaches the fixed server cn through mrgw, before and after its move"
