# Shared by dp_routes.sh and dp_attach.sh (sourced, not a test): drive
# tools/dptest instances, commands through a FIFO, answers and events in
# $T/NAME.out. The caller sets T, BIN, PIDS=() and defines fail().
declare -A FD PID
start_dp() { # name netns args...
	local name=$1 ns=$2; shift 2
	rm -f "$T/$name.in"; mkfifo "$T/$name.in"; : >"$T/$name.out"
	ip netns exec "$ns" "$BIN" "$@" <"$T/$name.in" >"$T/$name.out" 2>&1 &
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
}
