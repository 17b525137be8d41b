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
	make -s "$tool" || exit 1
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
. "$(dirname "$0")/lib_tshark.sh"
ts_judge "$(ts_k3_frames)"
# Types Wireshark does not name are not errors, but worth seeing.
ts -V | grep -E 'Mobility Header Type: Unknown' | sort | uniq -c | sed 's/^/note: /'
if [ $fail -ne 0 ]; then
	echo "--- tshark -V"
	ts -V | grep -vE '^\s*\[?(Time|Epoch|Frame|Arrival|Encapsulation|Capture)'
	exit 1
fi
echo "ok: $npkt packets, $ntypes message types, all Mobility Header, no unexplained warnings"
