#!/bin/bash
# The dmmd configurations dmmlab generates are in dmmd.conf(5)'s grammar:
#   - every node of every lab/topologies/*.topo passes `dmmd -n`;
#   - for figure 1, each generated config normalizes (`dmmd -n -v`) to the
#     same settings as the hand-written examples/figure1/NODE.conf, apart
#     from the per-lab paths (keys, control socket, event log).
set -u
cd "$(dirname "$0")/../.."
make -s build/dmmd 2>/dev/null
[ -x build/dmmd ] || { echo "build/dmmd not built"; exit 77; }
command -v python3 >/dev/null || { echo "needs python3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for t in lab/topologies/*.topo; do
	name=$(basename "$t" .topo)
	DMMLAB_RUN=$tmp/run lab/dmmlab config "$t" --dir "$tmp/$name" || { bad "$t: config"; continue; }
	n=0
	for c in "$tmp/$name"/*.conf; do
		n=$((n + 1))
		build/dmmd -n -f "$c" >"$tmp/out" 2>&1 || { bad "$name/$(basename "$c")"; cat "$tmp/out"; }
	done
	echo "$name: $n configs"
	[ $n -gt 0 ] || bad "$name: no configs"
done

cp -r examples/figure1 "$tmp/ex"
chmod 600 "$tmp/ex/keys"
paths='^(keys|control|event-log) '
for c in "$tmp"/ex/*.conf; do
	node=$(basename "$c" .conf)
	[ -f "$tmp/figure1/$node.conf" ] || { bad "figure1.topo has no node $node"; continue; }
	build/dmmd -n -v -f "$c" 2>&1 | grep -Ev "$paths" >"$tmp/want"
	build/dmmd -n -v -f "$tmp/figure1/$node.conf" 2>&1 | grep -Ev "$paths" >"$tmp/got"
	diff -u "$tmp/want" "$tmp/got" >"$tmp/diff" || { bad "figure1 $node differs from the example"; cat "$tmp/diff"; }
done
[ $fail = 0 ] && echo "ok: generated configs parse and match examples/figure1"
exit $fail
