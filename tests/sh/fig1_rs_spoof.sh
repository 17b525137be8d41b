#!/bin/bash
# dmm-test: netns per-driver
# Figure 1, issue 9 finding 1 (prefix hijack by a spoofed RS): MN1, at MR12,
# sends Router Solicitations whose source link-layer address option names
# MN2 (02:00:00:00:00:02, attached at MR31). MR12 has seen MN1 on that link,
# so it drops them (dp_rs_spoofed); nothing moves:
#   - MR12 lists only MN1, MR31 still has MN2, LM3's binding of MN2's prefix
#     still points at MR31;
#   - MN1 -> MN2 pings still work.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require python3

lab_up
p2=$(mn_prefixes mn2 mr31)
a2=$(mn_addr mn2 "$p2") || bad "mn2 has no address in '$p2'"
s0=$(counter mr12 dp_rs_spoofed)
loc0=$(jq_ lm3 show bindings -- ".[] | select(.prefix == \"$p2\") | .location")
echo "mn2's prefix $p2 at ${loc0:-nowhere} (lm3)"

# 5 RSs from MN1's link, SLLAO = MN2's MAC (an unmodified kernel would put
# MN1's own): a raw ICMPv6 socket, hop limit 255.
x mn1 python3 - <<'EOF' || bad "spoofed RS sender failed"
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("eth0"))
rs = struct.pack("!BBHI", 133, 0, 0, 0) + bytes([1, 1, 2, 0, 0, 0, 0, 2])
for _ in range(5):
    s.sendto(rs, ("ff02::2", 0, 0, socket.if_nametoindex("eth0")))
EOF
sleep 1
s1=$(counter mr12 dp_rs_spoofed)
echo "mr12 dp_rs_spoofed: $s0 -> $s1"
[ $((s1 - s0)) -ge 5 ] || bad "mr12 dropped $((s1 - s0)) of 5 spoofed RSs"
m12=$(jq_ mr12 show mns -- '[.[] | .mnid] | join(",")')
m31=$(jq_ mr31 show mns -- '[.[] | .mnid] | join(",")')
echo "mr12 mns: $m12; mr31 mns: $m31"
[ "$m12" = "02:00:00:00:00:01" ] || bad "mr12 lists '$m12', want only mn1"
case ",$m31," in *,02:00:00:00:00:02,*) ;; *) bad "mr31 lost mn2 ($m31)" ;; esac
loc1=$(jq_ lm3 show bindings -- ".[] | select(.prefix == \"$p2\") | .location")
[ "$loc1" = "$loc0" ] || bad "mn2's binding moved from $loc0 to $loc1"
x mn1 ping -6 -c 3 -i 0.2 -w 5 -q "$a2" >/dev/null || bad "mn1 cannot ping mn2"
[ $fail = 0 ] || dump mr12 mr31
lab_result "a spoofed RS naming mn2 on mn1's link is dropped; mn2 stays at mr31"
