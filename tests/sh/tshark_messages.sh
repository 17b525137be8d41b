#!/bin/bash
# An independent decoder reads our bytes: write one sealed sample of every
# message type as IPv6/UDP 5436 (RFC 5844) into build/tests/messages.pcap
# with tools/mkpcap, then ask tshark to dissect it. Fails if a packet is not
# decoded as Mobility Header, any packet is [Malformed Packet], Wireshark
# has any expert info of severity warning or error (UDP checksums are
# verified too), or the packet count differs from the message type count.
set -u
cd "$(dirname "$0")/../.."
command -v tshark >/dev/null || { echo "tshark not installed"; exit 77; }

# TSHARK_PCAP=file checks that capture instead (to see the checks fail).
pcap=${TSHARK_PCAP:-build/tests/messages.pcap}
tool=build/tools/mkpcap
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if [ -z "${TSHARK_PCAP:-}" ]; then
	# Build the tool if the Makefile does not (yet) have a rule for it.
	make -s build/libdmm.a || exit 1
	if grep -q 'tools/mkpcap' Makefile; then
		make -s "$tool" || exit 1
	else
		mkdir -p build/tools
		cc -std=gnu11 -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -Icore -Itests/lib \
			tools/mkpcap.c tests/lib/samples.c build/libdmm.a -lsodium -o "$tool" ||
			exit 1
	fi
	mkdir -p build/tests
	"$tool" "$pcap" || { echo "FAIL: mkpcap"; exit 1; }
fi

# Message types, counted from the enum itself (between NONE and TYPE_COUNT).
ntypes=$(sed -n '/DMM_MSG_NONE = 0/,/DMM_MSG_TYPE_COUNT/p' core/msg.h |
	grep -cE '^\s*DMM_MSG_[A-Z_]+,')
ts() { tshark -o udp.check_checksum:TRUE -r "$pcap" "$@" 2>/dev/null; }
count() { ts -Y "$1" -T fields -e frame.number | grep -c .; }

tshark -o udp.check_checksum:TRUE -r "$pcap" 2>&1 | grep -v 'Running as user'
npkt=$(count frame)
[ "$npkt" -eq "$ntypes" ] || bad "$npkt packets, $ntypes message types"
[ "$npkt" -gt 0 ] || bad "empty capture"
[ "$(count mipv6)" -eq "$npkt" ] || bad "only $(count mipv6) of $npkt decoded as Mobility Header"
[ "$(count 'udp.checksum.status == 1')" -eq "$npkt" ] || bad "UDP checksum not good"
[ "$(count _ws.malformed)" -eq 0 ] ||
	bad "malformed: frames $(ts -Y _ws.malformed -T fields -e frame.number | tr '\n' ' ')"
ts -V | grep -q 'Malformed Packet' && bad "[Malformed Packet] in -V output"
[ "$(count '_ws.expert.severity >= 0x800000')" -eq 0 ] ||
	bad "expert errors in frames $(ts -Y '_ws.expert.severity >= 0x800000' -T fields -e frame.number | tr '\n' ' ')"

# Every expert warning must be one of three defects of Wireshark 4.0's
# packet-mip6.c on spec-conforming bytes (set TSHARK_STRICT=1 to fail on
# them too):
#  K1 MN-ID subtypes 5/6 (EUI-48/64, RFC 8371) unknown: "Trailing stray characters"
#  K2 MAG IPv6 Address (51, RFC 6705): length 18 flagged "should be 16",
#     although the dissector itself reads reserved + address length + 16
#  K3 LRI/LRA (17/18, RFC 6705): fixed fields read from MH offset 0 instead
#     of 6, so the options it then walks are garbage
# Anything else fails.
classify() {
	awk '
	/^Frame [0-9]+:/ { frame = $2; mh = ""; opt = ""; sub_ = "" }
	/Mobility Header Type:/ { mh = $0; sub(/.*\(/, "", mh); sub(/\).*/, "", mh) }
	/MIPv6 Option - / { opt = $0; sub(/.*MIPv6 Option - /, "", opt); sub_ = "" }
	/^ *Subtype: / { sub_ = $0 }
	/\[Expert Info \((Warning|Error)\// {
		k = "?"
		if (opt ~ /^Mobile Node Identifier/ && sub_ ~ /Unknown \((5|6)\)/ &&
		    $0 ~ /Trailing stray characters/) k = "K1"
		else if ($0 ~ /MAG IPv6 Address \(with option length = 18 bytes; should be 16\)/)
			k = "K2"
		else if ((mh == 17 || mh == 18) && $0 ~ /goes past end of options/) k = "K3"
		line = $0; sub(/^ */, "", line)
		print k, "frame", frame, "MH", mh, line
	}'
}
warns=$(ts -V | classify)
known=$(echo "$warns" | grep -c '^K')
other=$(echo "$warns" | grep -v '^K' | grep -c .)
if [ "$known" -gt 0 ]; then
	echo "known Wireshark 4.0 defects ($known warnings):"
	echo "$warns" | grep '^K' | cut -d' ' -f1,4,5- | sort | uniq -c
	[ "${TSHARK_STRICT:-0}" = 1 ] && bad "TSHARK_STRICT: known Wireshark defects count too"
fi
[ "$other" -eq 0 ] || { bad "unexpected expert warnings:"; echo "$warns" | grep -v '^K'; }
# Cross-check the classifier: every line of tshark's own expert summary
# (warnings and errors) must be among the classified -V lines.
while read -r _ _ _ summary; do
	echo "$warns" | grep -qF -- "$summary" || bad "expert summary not classified: $summary"
done < <(ts -q -z expert,warn | awk '/^ +[0-9]+ +[A-Za-z]+ +[A-Za-z0-9]+ +/')
# Types Wireshark does not name are not errors, but worth seeing.
ts -V | grep -E 'Mobility Header Type: Unknown' | sort | uniq -c | sed 's/^/note: /'
if [ $fail -ne 0 ]; then
	echo "--- tshark -V"
	ts -V | grep -vE '^\s*\[?(Time|Epoch|Frame|Arrival|Encapsulation|Capture)'
	exit 1
fi
echo "ok: $npkt packets, $ntypes message types, all Mobility Header, no unexplained warnings"
