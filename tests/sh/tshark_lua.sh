#!/bin/bash
# dmm-test: plain
# The Wireshark dissector tools/wireshark/dmm.lua against dmm's own codec.
# tools/mkpcap writes one sealed sample of every message type (IPv6/UDP
# 5436); tools/wireshark/dmm_check.py derives the same messages over raw
# IPv6 (next header 135), every one cut short (by the capture's snap length,
# and as a shorter datagram), every byte of every one changed to 0x00, 0xff
# and its value + 1, and 200 of each with their options reshuffled (seeded).
# Each capture is dissected by
# `tshark -X lua_script:tools/wireshark/dmm.lua -T pdml` and decoded by
# tools/wireshark/dmmdump (dmm_msg_decode, linked with build/libdmm.a), and
# dmm_check.py compare holds the one against the other:
#   - samples, over UDP and raw IPv6: every message kind recognized and named
#     as dmm names it (dmm.type), every field of its MH type and options
#     present, every byte of the message named by a dmm.* field, every value
#     the one dmm's decoder gives and the one tests/lib/samples.c encoded, no
#     expert info at all;
#   - truncated copies: each reported with a dmm.expert.short error (dmm's
#     DMM_E_SHORT; with no MH byte captured, Wireshark's own [Packet size
#     limited during capture]);
#   - one-byte mutations, and messages whose options are dropped,
#     duplicated, moved, padded, or added (unknown, misplaced, too many):
#     where dmm's decoder refuses the message the dissector reports an error
#     of the same class (dmm.expert.malformed, .align, .unknown, .toomany,
#     .short), where it accepts it every field agrees; an MH type dmm does
#     not use goes to Wireshark's own MIPv6;
#   - everywhere: no Lua error, no [Malformed Packet], nothing on stderr.
# The same over more messages, encoded by dmm for the fields and options the
# samples leave out (dmmdump -w: NAI and EUI-64 MN-IDs, four HNPs, XO_FLAGS,
# XO_LIFETIME, every DMM flag, status and code values, unsealed messages, an
# unknown IANA option), over raw IPv6 and UDP.
# Needs tshark and python3 (scripts/deps.sh); no root.
set -u
cd "$(dirname "$0")/../.."
command -v tshark >/dev/null || { echo "tshark not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

lua=tools/wireshark/dmm.lua
check=tools/wireshark/dmm_check.py
fail=0
bad() { echo "FAIL: $*"; fail=1; }
tmp=$(mktemp -d /tmp/tshark_lua.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

make -s build/tools/mkpcap build/libdmm.a || { echo "FAIL: make"; exit 1; }
build/tools/mkpcap "$tmp/messages.pcap" || { echo "FAIL: mkpcap"; exit 1; }
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	-Icore -Itests/lib tools/wireshark/dmmdump.c tests/lib/samples.c build/libdmm.a \
	-lcrypto -lsodium -o "$tmp/dmmdump" || { echo "FAIL: building dmmdump"; exit 1; }
"$tmp/dmmdump" -s >"$tmp/samples.json" || bad "dmmdump -s"
"$tmp/dmmdump" -w "$tmp/extra.pcap" >"$tmp/extra.in.json" || bad "dmmdump -w"
python3 "$check" variants "$tmp/messages.pcap" "$tmp" &&
	python3 "$check" variants --prefix extra- "$tmp/extra.pcap" "$tmp" ||
	{ echo "FAIL: variants"; exit 1; }

# ts PCAP ARGS...: tshark with the plugin; anything on stderr but tshark's
# root notice is a failure (a Lua error while loading or dissecting).
ts() {
	local p=$1
	shift
	tshark -X "lua_script:$lua" -r "$p" "$@" 2>"$tmp/stderr"
	if grep -v 'Running as user' "$tmp/stderr" | grep -q .; then
		bad "tshark on $(basename "$p") said:"
		grep -v 'Running as user' "$tmp/stderr" | head -5
	fi
}

# The plugin loads and registers its fields.
nf=$(tshark -G fields -X "lua_script:$lua" 2>"$tmp/stderr" | awk -F'\t' '$5 == "dmm"' | wc -l)
grep -v 'Running as user' "$tmp/stderr" | grep . && bad "tshark -G fields with the plugin complained"
[ "$nf" -ge 50 ] || bad "the plugin registers $nf dmm fields"
echo "the plugin registers $nf fields"

ntypes=$(sed -n '/DMM_MSG_NONE = 0/,/DMM_MSG_TYPE_COUNT/p' core/msg.h |
	grep -cE '^\s*DMM_MSG_[A-Z_]+,')
for v in messages raw snap short mutate options extra extra-snap extra-short extra-mutate extra-options; do
	p=$tmp/$v.pcap
	case $v in
	messages | raw) expect=valid extra=(--samples "$tmp/samples.json" --names) ;;
	extra) expect=valid extra=(--samples "$tmp/extra.in.json" --names) ;;
	*snap | *short) expect=rejected extra=() ;;
	*) expect=any extra=() ;;
	esac
	ts "$p" -T pdml >"$tmp/$v.pdml"
	"$tmp/dmmdump" "$p" >"$tmp/$v.json" || bad "dmmdump $v.pcap"
	python3 "$check" compare --pdml "$tmp/$v.pdml" --dump "$tmp/$v.json" \
		--expect $expect --label "$v.pcap" "${extra[@]}" || fail=1
done

# Every message kind, each by its name, in the summary line of both
# transports (the Info column), and the protocol column says DMM.
for v in messages raw; do
	n=$(ts "$tmp/$v.pcap" -T fields -e frame.number -Y 'dmm && !_ws.expert' | grep -c .)
	[ "$n" -eq "$ntypes" ] || bad "$v.pcap: $n clean dmm frames, $ntypes message types"
	ts "$tmp/$v.pcap" -T fields -e _ws.col.Protocol -e _ws.col.Info >"$tmp/$v.cols"
	while read -r name; do
		up=$(echo "$name" | tr a-z- A-Z_)
		grep -qP "^DMM\tDMM $up seq=" "$tmp/$v.cols" || bad "$v.pcap: no DMM $up row"
	done < <(python3 -c 'import json,sys; [print(json.loads(l)["name"]) for l in open(sys.argv[1])]' \
		"$tmp/samples.json")
done
[ "$(wc -l <"$tmp/samples.json")" -eq "$ntypes" ] || bad "dmmdump -s: not $ntypes samples"

if [ $fail -ne 0 ]; then
	echo "--- tshark -V of the samples"
	ts "$tmp/messages.pcap" -V -O dmm
	exit 1
fi
echo "ok: $ntypes message kinds over UDP and raw IPv6 agree with dmm's decoder field by field;" \
	"truncated and mutated copies reported as dmm refuses them; no Lua error"
