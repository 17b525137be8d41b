#!/bin/bash
# dmm-test: netns
# An operator's first hour, on the installed files (issue 12, "Done when"):
#   - make install into a DESTDIR (PREFIX=/usr);
#   - the installed dmmd@.service passes systemd-analyze verify (its paths
#     rewritten to the DESTDIR) and lets dmmd open its metrics socket
#     (RestrictAddressFamilies has AF_INET6 and AF_INET);
#   - the figure-1 lab runs the *installed* dmmd and dmmctl on every node,
#     each with `metrics [::1]:9442` (in its own namespace), through the
#     scenario that exercises every procedure (signalling_scenario: MN1
#     moves MR12 -> MR11 -> MR2 with traffic), its signalling captured;
#   - every node's scrape passes `promtool check metrics`; on the MRs of the
#     handovers every counter of `dmmctl -j show counters` and every peer
#     counter of `dmmctl -j show peers` is on the page (scrape before <=
#     dmmctl <= scrape after), the handover histogram counted the moves
#     (ctx_acked at the new MR), dmm_dataplane_info names the driver
#     dmmctl show config reports, the tables' sizes match dmmctl's lists;
#   - no daemon log or event log holds the lab's key;
#   - the installed Lua dissector decodes the capture with no unknown field
#     and agrees with dmm's decoder (lua_check_capture).
# Root only (else 77); once, not per driver (the lab takes dataplane auto).
. "$(dirname "$0")/lib_lab.sh"
lab_require tcpdump tshark promtool curl systemd-analyze
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
	{ echo "FAIL: python3-prometheus-client not installed (scripts/deps.sh)"; exit 1; }
chk=tests/sh/metrics_check.py

# ---- install (what make built: as tests/sh/install.sh, no rebuild here)
D=$DMMLAB_RUN/root
mk=(make -s)
for b in build/dmmd build/dmmctl build/dmmprobe; do
	[ -x "$b" ] && mk+=(-o "$b")
done
"${mk[@]}" install DESTDIR="$D" PREFIX=/usr >"$DMMLAB_RUN/install.log" 2>&1 ||
	{ echo "FAIL: make install DESTDIR=$D"; tail -20 "$DMMLAB_RUN/install.log"; exit 1; }
for f in usr/sbin/dmmd usr/sbin/dmmctl usr/share/dmm/wireshark/dmm.lua \
	lib/systemd/system/dmmd@.service; do
	[ -e "$D/$f" ] || bad "make install put no /$f"
done

# ---- the unit
unit=$D/lib/systemd/system/dmmd@.service
mkdir -p "$DMMLAB_RUN/units"
sed "s|/usr/sbin/dmmd|$D/usr/sbin/dmmd|g" "$unit" >"$DMMLAB_RUN/units/dmmd@fig1.service"
if out=$(MANPATH=$D/usr/share/man systemd-analyze verify "$DMMLAB_RUN/units/dmmd@fig1.service" 2>&1) &&
	[ -z "$out" ]; then
	echo "ok: systemd-analyze verify dmmd@fig1.service (installed unit)"
else
	bad "systemd-analyze verify the installed unit: $out"
fi
fams=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
for f in AF_INET6 AF_INET; do
	grep -qw $f <<<"$fams" || bad "the unit's RestrictAddressFamilies ($fams) lacks $f (metrics)"
done

# ---- the lab on the installed daemon, metrics on in every node
DMMD=$D/usr/sbin/dmmd DMMCTL=$D/usr/sbin/dmmctl
echo "--- from here on the installed dmmd and dmmctl: $DMMD"
pcap=$DMMLAB_RUN/core.pcap
signalling_scenario "$pcap" "node-conf metrics [::1]:9442"
grep -q "^metrics \[::1\]:9442" "$LABDIR/conf/mr11.conf" || bad "metrics not in the generated mr11.conf"
pgrep -af "$D/usr/sbin/dmmd" | grep -q mr11.conf || bad "mr11 does not run the installed dmmd"

scrape() { x "$1" curl -sS -m 5 "http://[::1]:9442/metrics"; }
get() { /usr/bin/python3 $chk get "$@"; }
nodes="lm1haa1 mr11 mr12 lm2haa2 mr2 mrgw lm3 haa3 mr31 mr32"
np=0
for n in $nodes; do
	scrape $n >"$DMMLAB_RUN/$n.prom" || { bad "$n: no metrics"; continue; }
	if out=$(promtool check metrics <"$DMMLAB_RUN/$n.prom" 2>&1); then
		np=$((np + 1))
	else
		bad "$n: promtool check metrics: $out"
	fi
done
echo "promtool check metrics passed on $np of 10 nodes"

for n in mr11 mr2; do
	ctl $n show counters >"$DMMLAB_RUN/$n.ctl"
	ctl $n show peers >"$DMMLAB_RUN/$n.peers"
	scrape $n >"$DMMLAB_RUN/$n.after"
	echo -n "$n: "
	/usr/bin/python3 $chk counters "$DMMLAB_RUN/$n.prom" "$DMMLAB_RUN/$n.ctl" \
		"$DMMLAB_RUN/$n.after" || bad "$n: counters"
	echo -n "$n: "
	/usr/bin/python3 $chk peers "$DMMLAB_RUN/$n.prom" "$DMMLAB_RUN/$n.peers" \
		"$DMMLAB_RUN/$n.after" || bad "$n: peer counters"
	h=$(get "$DMMLAB_RUN/$n.after" dmm_handover_step_duration_seconds_count step=ctx_acked)
	s=$(get "$DMMLAB_RUN/$n.after" dmm_handover_step_duration_seconds_sum step=ctx_acked)
	inf=$(get "$DMMLAB_RUN/$n.after" dmm_handover_step_duration_seconds_bucket step=ctx_acked le=+Inf)
	ho=$(jq .handover "$DMMLAB_RUN/$n.ctl")
	echo "$n: $ho handover(s) (dmmctl), histogram ctx_acked count ${h:-none} sum ${s:-none} s"
	[ "${h:-0}" -ge 1 ] && [ "$inf" = "$h" ] || bad "$n: no handover in the histogram (count $h, +Inf $inf)"
	[ "${h:-0}" -le "$ho" ] || bad "$n: more handovers timed ($h) than dmmctl counts ($ho)"
	drv=$(node_driver $n)
	[ "$(get "$DMMLAB_RUN/$n.after" dmm_dataplane_info driver="$drv")" = 1 ] ||
		bad "$n: no dmm_dataplane_info{driver=\"$drv\"}"
	[ "$(get "$DMMLAB_RUN/$n.after" dmm_node_info node=$n roles=mr)" = 1 ] || bad "$n: dmm_node_info"
	for t in mns:mns cache:cache handovers:handover_contexts; do
		v=$(get "$DMMLAB_RUN/$n.after" dmm_table_entries table=${t#*:})
		c=$(ctl $n show ${t%:*} | jq length)
		[ "$v" = "$c" ] || bad "$n: dmm_table_entries{table=${t#*:}} $v, dmmctl show ${t%:*} lists $c"
	done
done
v=$(get "$DMMLAB_RUN/lm2haa2.prom" dmm_table_entries table=bindings)
c=$(ctl lm2haa2 show bindings | jq length)
echo "lm2haa2: bindings: metrics $v, dmmctl $c"
[ "${v:-x}" -ge 1 ] || bad "lm2haa2: no bindings in the metrics ($v)"

# ---- no key of the lab's key file in any daemon's log or event log
nk=0
while read -r id hex; do
	case $id in ''|'#'*) continue ;; esac
	nk=$((nk + 1))
	for i in 0 16 32 48; do
		grep -qriF "${hex:$i:16}" "$LABDIR/logs" && bad "key $id's digits ${hex:$i:16} in a log"
	done
done <"$LABDIR/keys"
[ $nk -ge 1 ] || bad "no key read from $LABDIR/keys"
echo "no digits of the $nk lab key(s) in $(ls "$LABDIR/logs" | wc -l) log files"

# ---- the installed dissector on the capture
lua_check_capture "$pcap" "$D/usr/share/dmm/wireshark/dmm.lua"

[ $fail = 0 ] || cp "$pcap" build/test-logs/ops_first_hour.pcap 2>/dev/null
lab_result "installed dmmd: unit verified, metrics of 10 nodes pass promtool and match dmmctl, $npkt packets decoded by the installed dissector"
