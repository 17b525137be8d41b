#!/bin/bash
# dmm-test: netns per-driver
# Figure 1 with `routing locator` on every MR (draft 4.3, per-host
# locators). With DMM_DATAPLANE seg6 or tun: every MR's configuration of
# the lab with `routing locator` is refused by dmmd, naming the line and
# the bpf driver (only bpf translates). With bpf (or none: auto takes bpf
# where the kernel has it):
#   - MN1 moves MR12 -> MR11; MN2 (at MR31) reaches it: MR31 translates
#     MN1's prefix to MR11's per-host locator of it, MR11 translates back.
#     Counted on the core bridge (nftables, bridge family): no IPv6-in-IPv6
#     (next header 41) at all, every packet to MN1 with the locator as
#     destination, none with MN1's home prefix; MR31 and MR11 count their
#     translations and encapsulate/decapsulate nothing;
#   - a 1500-byte packet (the RA gives the whole link MTU: no tunnel
#     overhead) from MN2 reaches MN1 whole, where a tunnel needs MTU - 40;
#   - a TCP transfer MN2 -> MN1, SHA-256 checked (transport checksums
#     stay valid: the locator is checksum-neutral);
#   - a move MR11 -> MR2 under a paced TCP transfer and 200 pings/s: MR11
#     holds, then flushes by translation to MR2's locator (it translates,
#     encapsulates nothing), MR31 translates to MR2's locator, the TCP
#     stream's SHA-256 matches, no ping is lost, still no next header 41 on
#     the core;
#   - the fixed server behind MRGW reaches MN1 at MR2 by MRGW's translation.
# LOC_MODE=redirect (tests/sh/fig1_locator_redirect.sh): the same with
# `mode redirect` (figure 4, P4): MN2's first packets reach the anchor MR12
# by regular routing (counted on the core with the home prefix as
# destination), MR12 translates them and redirects MR31 with the locator;
# the rest as above, MR31 redirected again by MR11 after the move, and the
# fixed server's packets translated by MR12 (anchor) and MRGW (redirected).
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require
case ${DMM_DATAPLANE:-bpf} in
bpf | auto) ;;
*)
	drv=$DMM_DATAPLANE
	$L config "$(lab_topo "mr-conf routing locator")" --dir "$DMMLAB_RUN/conf" >/dev/null ||
		bad "dmmlab config"
	n=0
	for c in "$DMMLAB_RUN"/conf/mr*.conf; do
		n=$((n + 1))
		out=$(dmmd_n -n -f "$c" 2>&1) && bad "$(basename "$c"): dmmd accepted routing locator with $drv"
		echo "$out" | grep -q "routing locator: the $drv data-plane driver cannot translate per-host locators; use dataplane bpf" ||
			bad "$(basename "$c"): no clear refusal: $out"
	done
	[ $n = 6 ] || bad "$n MR configurations, want 6"
	echo "$(basename "$c"): $(echo "$out" | grep 'routing locator' | head -1)"
	lab_result "routing locator refused with the $drv data plane ($n MRs)"
	;;
esac
export DMM_DATAPLANE=bpf

LOC_MODE=${LOC_MODE:-query}
if [ "$LOC_MODE" = redirect ]; then
	lab_up "mr-conf routing locator" "mr-conf mode redirect"
else
	lab_up "mr-conf routing locator"
fi
# packets to the home prefix on the core: none in query mode; in redirect
# mode a sender's first ones, to the anchor (which translates each), until
# its MR is redirected. How many depends on how fast the REDIRECT lands
# (CI: 64 of MN2's first 100/s pings under load; the old bound of 40 was a
# guess at that latency), so: any number in the first phase, all
# translated by the anchor; after it, none more from MN2 (its MR stays
# redirected across the move), and at most the CN's 5 pings in its phase.
# hnp_ok COUNT [ALLOWED]: ALLOWED, the most expected by now (redirect mode)
hnp_ok() {
	if [ "$LOC_MODE" = redirect ]; then [ "$1" -le "${2:-$1}" ]; else [ "$1" = 0 ]; fi
}
for n in mr11 mr12 mr2 mr31 mrgw; do
	d=$(node_driver $n)
	[ "$d" = bpf ] || bad "$n runs data plane '$d', want bpf"
	[ "$(ctl $n show config | jq -r '.routing')" = locator ] || bad "$n: not routing locator"
done
p1=$(mn_prefixes mn1 mr12)
a1=$(mn_addr mn1 "$p1") || bad "mn1 has no address in '$p1'"
p2=$(mn_prefixes mn2 mr31)
a2=$(mn_addr mn2 "$p2") || bad "mn2 has no address in '$p2'"

# the locator MR's dmmctl shows for PREFIX of the MN attached there
locator_of() { jq_ "$1" show mns -- ".[] | .prefixes[] | select(.prefix == \"$2\") | .locator // empty"; }
# packets (or, with a second argument "bytes", bytes) of an nft counter on
# the core bridge
core_cnt() {
	ip netns exec "${DMMLAB_PREFIX}core" nft -j list counter bridge loccore "$1" |
		jq -r ".nftables[] | select(.counter) | .counter.${2:-packets}"
}
# counters on the core bridge: next header 41, to MN1's prefix, to LOC
core_counters() { # LOC
	ip netns exec "${DMMLAB_PREFIX}core" nft delete table bridge loccore 2>/dev/null
	ip netns exec "${DMMLAB_PREFIX}core" nft -f - <<-EOT || bad "nft counters on the core bridge"
	table bridge loccore {
		counter t41 {}
		counter to_hnp {}
		counter to_loc {}
		chain carry {
			type filter hook forward priority 0;
			ether type ip6 ip6 nexthdr 41 counter name t41
			ether type ip6 ip6 daddr $p1 counter name to_hnp
			ether type ip6 ip6 daddr $1 counter name to_loc
		}
	}
	EOT
}

$L -l $LAB move mn1 mr11 >/dev/null || bad "move mn1 mr11"
wait_until 5 mn_ready mn1 mr11 || bad "mn1 not attached at mr11"
loc11=$(locator_of mr11 "$p1")
echo "mn1's prefix $p1: locator $loc11 at mr11"
[ -n "$loc11" ] || bad "mr11 gave mn1's prefix no locator"
python3 - "$p1" "$loc11" <<-'EOF' || bad "locator $loc11 is not checksum-neutral to $p1"
	import ipaddress, sys
	def s(p):
	    b = ipaddress.ip_network(sys.argv[p]).network_address.packed[:8]
	    v = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, 8, 2))
	    while v >> 16: v = (v & 0xffff) + (v >> 16)
	    return v % 0xffff
	sys.exit(0 if s(1) == s(2) else 1)
EOF
[ "$(jq_ lm1haa1 show bindings -- ".[] | select(.prefix == \"$p1\") | .phl")" = "$loc11" ] ||
	bad "lm1 does not keep mn1's locator beside mr11's address"
core_counters "$loc11"

note "mn2 -> mn1 at mr11: pings, a 1500-byte packet, TCP"
x mn2 ping -6 -c 50 -i 0.01 -w 5 -q "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr11"
[ "$(jq_ mr31 show cache -- ".[] | select(.prefix == \"$p1\") | .phl")" = "$loc11" ] ||
	bad "mr31 does not translate $p1 to $loc11: $(ctl mr31 show cache)"
mtu=$(x mn2 cat /proc/sys/net/ipv6/conf/eth0/mtu)
[ "$mtu" = 1500 ] || bad "mn2's MTU from the RA is $mtu, want 1500 (no tunnel overhead)"
x mn2 ping -6 -c 3 -i 0.2 -w 5 -q -M do -s 1452 "$a1" >/dev/null ||
	bad "a 1500-byte packet from mn2 does not reach mn1 unfragmented"
tcp_xfer mn2 mn1 "$a1" 5101
tcp_xfer mn1 mn2 "$a2" 5102
t41=$(core_cnt t41) toh=$(core_cnt to_hnp) tol=$(core_cnt to_loc) tolb=$(core_cnt to_loc bytes)
echo "core: next header 41: $t41, to $p1: $toh, to $loc11: $tol packets, $tolb bytes"
[ "$t41" = 0 ] || bad "$t41 IPv6-in-IPv6 packets crossed the core"
hnp_ok "$toh" || bad "$toh packets crossed the core to mn1's home prefix (untranslated)"
toh1=$toh
if [ "$LOC_MODE" = redirect ]; then
	[ "$toh" -ge 1 ] || bad "no packet reached the anchor by regular routing (redirect mode)"
	[ "$(counter mr12 dp_xlate_out)" -ge "$toh" ] ||
		bad "the anchor mr12 translated $(counter mr12 dp_xlate_out) of the $toh packets to the home prefix"
	echo "anchor mr12: $toh first packets by regular routing, translated $(counter mr12 dp_xlate_out)"
fi
# 1 MB of TCP payload and 53 pings (GRO may merge packets: bytes, not packets)
[ "$tolb" -ge 1048576 ] || bad "only $tolb bytes crossed the core to the locator $loc11 (1 MB sent)"
for n in mr31 mr11; do
	echo "$n: xlate out $(counter $n dp_xlate_out) in $(counter $n dp_xlate_in)" \
		"errors $(counter $n dp_xlate_errors), encap $(counter $n dp_encap_packets)" \
		"decap $(counter $n dp_decap_packets)"
	[ "$(counter $n dp_encap_packets)" = 0 ] && [ "$(counter $n dp_decap_packets)" = 0 ] ||
		bad "$n encapsulated or decapsulated"
	[ "$(counter $n dp_xlate_errors)" = 0 ] || bad "$n: translation errors"
done
# MR31 translated them (and, in redirect mode, the anchor MR12 the first)
[ "$(($(counter mr31 dp_xlate_out) + $(counter mr12 dp_xlate_out)))" -ge "$tol" ] ||
	bad "mr31 (and mr12) translated fewer packets than crossed"
[ "$(counter mr11 dp_xlate_in)" -ge "$tol" ] || bad "mr11 translated back fewer packets than crossed"

note "move mn1 mr11 -> mr2 under TCP and 200 pings/s"
held0=$(counter mr11 dp_held) xo0=$(counter mr11 dp_xlate_out)
x mn1 python3 -c '
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 5103)); s.listen(1); s.settimeout(30)
open(sys.argv[1], "w").close()
c, a = s.accept(); c.settimeout(30); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' "$DMMLAB_RUN/ready.5103" >"$DMMLAB_RUN/rx.move" &
srv=$!
wait_until 10 test -e "$DMMLAB_RUN/ready.5103" || bad "tcp server on mn1 did not start"
# 4 MB in 64 KiB pieces every 25 ms: about 1.6 s, the move in the middle
x mn2 python3 -c '
import hashlib, os, socket, sys, time
d = os.urandom(4 << 20)
s = socket.create_connection((sys.argv[1], 5103), timeout=30)
for i in range(0, len(d), 65536):
    s.sendall(d[i:i + 65536]); time.sleep(0.025)
s.close()
print(len(d), hashlib.sha256(d).hexdigest())' "$a1" >"$DMMLAB_RUN/tx.move" &
cli=$!
x mn2 ping -6 -c 600 -i 0.005 -w 15 -q "$a1" >"$DMMLAB_RUN/ping.move" &
png=$!
sleep 0.6
$L -l $LAB move mn1 mr2 >/dev/null || bad "move mn1 mr2"
wait $cli || bad "tcp client mn2 -> mn1 failed across the move"
wait $srv || bad "tcp server on mn1 failed across the move"
wait $png
echo "tcp across the move: sent $(cat "$DMMLAB_RUN/tx.move"), received $(cat "$DMMLAB_RUN/rx.move")"
[ -s "$DMMLAB_RUN/tx.move" ] && [ "$(cat "$DMMLAB_RUN/tx.move")" = "$(cat "$DMMLAB_RUN/rx.move")" ] ||
	bad "the TCP stream across the move differs"
grep -E 'packets transmitted' "$DMMLAB_RUN/ping.move"
grep -q ' 0% packet loss' "$DMMLAB_RUN/ping.move" || bad "pings lost across the move"
wait_until 5 mn_ready mn1 mr2 || bad "mn1 not attached at mr2"
loc2=$(locator_of mr2 "$p1")
echo "mn1's locator at mr2: $loc2"
[ -n "$loc2" ] || bad "mr2 gave mn1's prefix no locator"
held=$(($(counter mr11 dp_held) - held0)) xo=$(($(counter mr11 dp_xlate_out) - xo0))
echo "mr11 (pmr): held $held, translated out $xo, encapsulated $(counter mr11 dp_encap_packets)"
[ "$held" -gt 0 ] || bad "mr11 held no packet of mn1"
[ "$xo" -ge "$held" ] || bad "mr11 translated $xo packets, fewer than the $held it held"
[ "$(counter mr11 dp_encap_packets)" = 0 ] || bad "mr11 forwarded by tunnel"
wait_for 5 '[ "$(jq_ mr31 show cache -- ".[] | select(.prefix == \"$p1\") | .phl")" = "$loc2" ]' ||
	bad "mr31 does not translate $p1 to mr2's locator $loc2: $(ctl mr31 show cache)"
x mn2 ping -6 -c 5 -i 0.05 -w 5 -q "$a1" >/dev/null || bad "mn2 cannot ping mn1 at mr2"
t41=$(core_cnt t41) toh=$(core_cnt to_hnp)
echo "core after the move: next header 41: $t41, to $p1: $toh"
[ "$t41" = 0 ] || bad "$t41 IPv6-in-IPv6 packets crossed the core"
hnp_ok "$toh" "$toh1" || bad "$toh packets crossed the core to mn1's home prefix (untranslated)"
note "the fixed server (behind mrgw) -> mn1 at mr2"
xg=$(($(counter mrgw dp_xlate_out) + $(counter mr12 dp_xlate_out)))
x cn ping -6 -c 5 -i 0.05 -w 5 -q "$a1" >/dev/null || bad "cn cannot ping mn1 at mr2"
xg=$(($(counter mrgw dp_xlate_out) + $(counter mr12 dp_xlate_out) - xg))
echo "mrgw (and the anchor mr12) translated $xg of cn's packets to $loc2"
[ "$xg" -ge 5 ] || bad "cn's packets were not translated"
t41=$(core_cnt t41) toh=$(core_cnt to_hnp)
[ "$t41" = 0 ] && hnp_ok "$toh" "$((toh1 + 5))" || bad "cn's packets: $t41 IPv6-in-IPv6, $toh to the home prefix on the core"
for n in mr31 mr11 mr2 mrgw; do
	[ "$(counter $n dp_xlate_errors)" = 0 ] || bad "$n: translation errors"
done
[ $fail = 0 ] || dump mr31 mr11 mr2
lab_result "routing locator ($LOC_MODE mode): no tunnel on the core, the locator as destination, TCP intact across a move"
