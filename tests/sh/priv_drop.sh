#!/bin/bash
# dmm-test: netns per-driver
# Privilege separation on a running figure-1 lab (whose configurations have
# no 'user': the default applies, _dmmd or nobody):
#   - every dmmd runs with a non-zero uid, NoNewPrivs 1, its seccomp filter
#     (Seccomp 2: daemon/sandbox.c's allow-list), and CapEff exactly
#     the kept set: cap_net_admin + cap_net_raw on an MR (+ cap_bpf with the
#     bpf driver), nothing on an LM/HAA-only node; CapPrm the same, CapBnd
#     nothing more;
#   - its privileged helper (dmmd-priv, a child) is uid 0 with only
#     cap_dac_override, cap_dac_read_search and cap_fowner, unfiltered;
#   - MN traffic still works across handovers that need new tunnel routes
#     (mr12 -> mr11 -> mr2: with bpf, an encapsulation program loaded after
#     the drop), ping both ways;
#   - SIGHUP still reloads (root-only key file and configuration, read by
#     the helper) and reopens a rotated event log, which gets the next
#     move's events; SIGTERM still removes the control socket.
# Root only (else exit 77).
. "$(dirname "$0")/lib_lab.sh"
lab_require

lab_up
CAP_NET_ADMIN=12 CAP_NET_RAW=13 CAP_PERFMON=38 CAP_BPF=39
CAP_DAC_OVERRIDE=1 CAP_DAC_READ_SEARCH=2 CAP_FOWNER=3
mask() { local m=0 c; for c in "$@"; do m=$((m | (1 << c))); done; printf '%016x' $m; }
dmmd_pid() { cat "$LABDIR/pids/$DMMLAB_PREFIX$1.dmmd.pid"; }
field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# want NODE: the capability mask NODE's dmmd should keep
want() {
	case $1 in
	mr*) if [ "$(node_driver "$1")" = bpf ]; then
			mask $CAP_NET_ADMIN $CAP_NET_RAW $CAP_BPF $CAP_PERFMON
		else
			mask $CAP_NET_ADMIN $CAP_NET_RAW
		fi ;;
	*) mask ;;
	esac
}

for n in lm1haa1 lm2haa2 lm3 haa3 mr11 mr12 mr2 mrgw mr31 mr32; do
	pid=$(dmmd_pid $n)
	uid=$(field "$pid" Uid) eff=$(field "$pid" CapEff) w=$(want $n)
	echo "$n: pid $pid uid $uid CapEff $eff (want $w) driver $(node_driver $n)"
	[ -n "$uid" ] && [ "$uid" != 0 ] || bad "$n: dmmd runs as uid '$uid'"
	[ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' /proc/$pid/status)" = "$uid$uid$uid$uid" ] ||
		bad "$n: real, effective, saved and fs uids differ: $(grep ^Uid: /proc/$pid/status)"
	[ "$eff" = "$w" ] || bad "$n: CapEff $eff, want $w"
	[ "$(field "$pid" CapPrm)" = "$w" ] || bad "$n: CapPrm $(field "$pid" CapPrm), want $w"
	[ "$(field "$pid" CapBnd)" = "$w" ] || bad "$n: CapBnd $(field "$pid" CapBnd), want $w"
	[ "$(field "$pid" CapAmb)" = 0000000000000000 ] || bad "$n: ambient capabilities"
	[ "$(field "$pid" NoNewPrivs)" = 1 ] || bad "$n: NoNewPrivs not set"
	[ "$(field "$pid" Seccomp)" = 2 ] || bad "$n: Seccomp $(field "$pid" Seccomp), want 2 (filter)"
	grep -q "running as user .* (uid $uid), capabilities .*, seccomp filter on" "$LABDIR/logs/$n.log" ||
		bad "$n: no log line about the drop"
	h=$(pgrep -P "$pid" -x dmmd-priv)
	[ "$(echo "$h" | wc -w)" = 1 ] || { bad "$n: helper processes: '$h'"; continue; }
	hw=$(mask $CAP_DAC_OVERRIDE $CAP_DAC_READ_SEARCH $CAP_FOWNER)
	[ "$(field "$h" Uid)" = 0 ] || bad "$n: helper uid $(field "$h" Uid)"
	[ "$(field "$h" CapEff)" = "$hw" ] || bad "$n: helper CapEff $(field "$h" CapEff), want $hw"
	[ "$(field "$h" NoNewPrivs)" = 1 ] || bad "$n: helper NoNewPrivs not set"
	[ "$(field "$h" Seccomp)" = 0 ] || bad "$n: helper Seccomp $(field "$h" Seccomp), want 0"
done
# The key file is root's, 0600: the unprivileged daemon cannot read it.
[ "$(stat -c %u:%a "$LABDIR/keys")" = 0:600 ] || bad "lab keys $(stat -c %u:%a "$LABDIR/keys")"

# Handovers after the drop: new tunnel routes (a new encap program with bpf).
p1=$(mn_prefixes mn1 mr12)
a2=$(mn_addr mn2 "$(mn_prefixes mn2 mr31)") || bad "mn2 has no address"
for to in mr11 mr2; do
	$L -l $LAB move mn1 $to >/dev/null || bad "move mn1 $to"
	wait_until 5 mn_ready mn1 $to || bad "mn1 not attached at $to"
	a1=$(mn_addr mn1 "$p1") || bad "mn1 lost its address in $p1 at $to"
	x mn2 ping -6 -c3 -i0.2 -w5 "$a1" >/dev/null || bad "mn2 cannot ping mn1 at $to"
	x mn1 ping -6 -c3 -i0.2 -w5 "$a2" >/dev/null || bad "mn1 at $to cannot ping mn2"
	echo "mn1 at $to ($a1): ping both ways with mn2 at mr31"
done
wait_until 5 tunnel_route mr31 "$p1" 2001:db8:ff::20 || bad "mr31 has no tunnel route for $p1 to mr2"
grep -iE "cannot load|operation not permitted|permission denied" "$LABDIR"/logs/*.log &&
	bad "a daemon lacked a privilege"

# SIGHUP on mr2 after rotating its event log: reloaded, events in the new file.
ev=$LABDIR/logs/mr2.events
mv "$ev" "$ev.1"
kill -HUP "$(dmmd_pid mr2)"
wait_until 5 grep -q "reload: configuration unchanged" "$LABDIR/logs/mr2.log" ||
	bad "mr2 did not reload: $(grep reload: "$LABDIR/logs/mr2.log")"
wait_until 5 test -f "$ev" || bad "mr2 did not reopen its event log"
$L -l $LAB move mn1 mr12 >/dev/null || bad "move mn1 mr12"
wait_until 5 mn_ready mn1 mr12 || bad "mn1 not attached at mr12"
wait_until 5 grep -q . "$ev" || bad "no event in mr2's reopened event log"
x mn2 ping -6 -c3 -i0.2 -w5 "$(mn_addr mn1 "$p1")" >/dev/null || bad "mn2 cannot ping mn1 back at mr12"

# SIGTERM: the control socket goes (removed by the helper).
pid=$(dmmd_pid mr2)
kill -TERM "$pid"
wait_until 5 sh -c "! kill -0 $pid" || bad "mr2 still running after SIGTERM"
[ -e "$LABDIR/mr2.sock" ] && bad "mr2's control socket left behind"
grep -q "mr2 shutting down" "$LABDIR/logs/mr2.log" || bad "mr2: no shutdown line"

lab_result "every dmmd unprivileged with exactly its capabilities; handovers, reload, rotation, shutdown work"
