#!/bin/bash
# dmm-test: netns
# The Wireshark dissector (tools/wireshark/dmm.lua) on live signalling: the
# scenario of fig1_tshark (attach, pings, moves MR12 -> MR11 -> MR2 with
# traffic: HoA, location update and query, LM forwarding, context transfer,
# redirect, LM notification) is captured on the figure-1 core bridge; every
# signalling packet must be dissected by the plugin with no expert info and
# no Lua error, every byte of it named by a dmm.* field, and every field
# equal to what dmm_msg_decode says of the same bytes (tools/wireshark/
# dmmdump; tools/wireshark/dmm_check.py compare). The message kinds of the
# procedures must all be there. Once, not per data-plane driver (the
# signalling does not depend on it). Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require tcpdump tshark

pcap=$DMMLAB_RUN/core.pcap

${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	-Icore -Itests/lib tools/wireshark/dmmdump.c tests/lib/samples.c build/libdmm.a \
	-lcrypto -lsodium -o "$DMMLAB_RUN/dmmdump" || { echo "FAIL: building dmmdump"; exit 1; }

signalling_scenario "$pcap"

tshark -X lua_script:tools/wireshark/dmm.lua -r "$pcap" -T pdml >"$DMMLAB_RUN/core.pdml" \
	2>"$DMMLAB_RUN/tshark.err"
if grep -v 'Running as user' "$DMMLAB_RUN/tshark.err" | grep -q .; then
	bad "tshark with the plugin said:"
	grep -v 'Running as user' "$DMMLAB_RUN/tshark.err" | head -5
fi
"$DMMLAB_RUN/dmmdump" "$pcap" >"$DMMLAB_RUN/core.json" || bad "dmmdump"
npkt=$(grep -c '"dmm":true' "$DMMLAB_RUN/core.json")
echo "$npkt signalling packets captured"
[ "$npkt" -ge 20 ] || bad "only $npkt signalling packets captured"
python3 tools/wireshark/dmm_check.py compare --pdml "$DMMLAB_RUN/core.pdml" \
	--dump "$DMMLAB_RUN/core.json" --expect valid --label "live capture" --names \
	--require hoa-req,hoa-rep,loc-update,loc-ack,loc-query,loc-reply,ctx-req,ctx-ack,redirect,redirect-ack,lm-notify,lm-notify-ack,lm-fwd,lm-fwd-reply ||
	fail=1
echo "transport: $(tshark -X lua_script:tools/wireshark/dmm.lua -r "$pcap" -Y 'dmm && !udp' 2>/dev/null |
	grep -c .) over raw IPv6 (next header 135), $(tshark -X lua_script:tools/wireshark/dmm.lua \
	-r "$pcap" -Y 'dmm && udp' 2>/dev/null | grep -c .) over UDP"

[ $fail = 0 ] || cp "$pcap" build/test-logs/fig1_tshark_lua.pcap 2>/dev/null
lab_result "$npkt captured signalling packets: the Lua dissector agrees with dmm's decoder on every field"
