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

signalling_scenario "$pcap"
lua_check_capture "$pcap"

[ $fail = 0 ] || cp "$pcap" build/test-logs/fig1_tshark_lua.pcap 2>/dev/null
lab_result "$npkt captured signalling packets: the Lua dissector agrees with dmm's decoder on every field"
