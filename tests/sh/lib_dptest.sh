# Shared by dp_routes.sh and dp_attach.sh (sourced, not a test): drive
# tools/dptest instances, commands through a FIFO, answers and events in
# $T/NAME.out. The caller sets T, BIN (dmm_bins: $DPTEST), PIDS=() and
# defines fail(). Each instance runs the driver DMM_DATAPLANE gives its
# name without trailing digits (lib_dmm.sh dmm_driver: one driver for all,
# or a=bpf,b=tun,...);
# quit_dp fails on a sanitizer report in its output.
declare -F dmm_driver >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib_dmm.sh"
declare -A FD PID
start_dp() { # name netns args...
	local name=$1 ns=$2 drv; shift 2
	drv=$(dmm_driver "${name%%[0-9]*}") # a2, a3: the driver of a
	rm -f "$T/$name.in"; mkfifo "$T/$name.in"; : >"$T/$name.out"
	ip netns exec "$ns" "$BIN" ${drv:+-D "$drv"} "$@" <"$T/$name.in" >"$T/$name.out" 2>&1 &
	PID[$name]=$!; PIDS+=($!)
	exec {fd}>"$T/$name.in"; FD[$name]=$fd
	wait_least "$name" '^ready$' 1 5 || fail "$name did not start"
}
wait_count() { # name regex count seconds: until exactly count lines match
	local i
	for ((i = 0; i < $4 * 20; i++)); do
		[ "$(grep -cE "$2" "$T/$1.out")" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}
wait_least() { # name regex count seconds: until at least count lines match
	local i
	for ((i = 0; i < $4 * 20; i++)); do
		[ "$(grep -cE "$2" "$T/$1.out")" -ge "$3" ] && return 0
		sleep 0.05
	done
	return 1
}
cmd() { # name command... : the answer must be ok
	local n before
	before=$(grep -cE '^(ok|err)' "$T/$1.out")
	echo "${*:2}" >&"${FD[$1]}"
	for ((n = 0; n < 100; n++)); do
		[ "$(grep -cE '^(ok|err)' "$T/$1.out")" -gt "$before" ] && break
		sleep 0.05
	done
	[ "$(grep -E '^(ok|err)' "$T/$1.out" | tail -1)" = ok ] || fail "$1: '${*:2}' failed"
}
stat() { # name key
	cmd "$1" stats
	grep '^stats ' "$T/$1.out" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
expect_stat() { # name key value
	local v; v=$(stat "$1" "$2")
	[ "$v" = "$3" ] || fail "$1 $2=$v, expected $3"
}
quit_dp() {
	echo quit >&"${FD[$1]}"
	wait "${PID[$1]}" || fail "$1 exited with an error"
	grep -q '^closed$' "$T/$1.out" || fail "$1 did not close"
	san_check "$T/$1.out" || fail "$1: sanitizer report"
}
# The driver instance NAME runs: DMM_DATAPLANE's, or the one auto takes
# on this kernel (the last line of dmmd -P, "auto NAME", run in netns).
dp_driver_of() { # name netns
	local d
	d=$(dmm_driver "$1")
	[ -n "$d" ] || d=$(ip netns exec "$2" "$DMMD" -P 2>>"$T/probe.err" | awk '$1 == "auto" { print $2 }')
	echo "${d:-seg6}"
}
