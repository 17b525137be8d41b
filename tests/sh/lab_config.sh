#!/bin/bash
# The dmmd configurations dmmlab generates are in dmmd.conf(5)'s grammar:
#   - every node of every lab/topologies/*.topo passes `dmmd -n`;
#   - for figure 1, each generated config normalizes (`dmmd -n -v`) to the
#     same settings as the hand-written examples/figure1/NODE.conf, apart
#     from the per-lab paths (keys, control socket, event log, state);
#   - every network block lists the network's MRs (`mr ADDRESS`, topology
#     order, right after haa);
#   - --dataplane SPEC (and DMM_DATAPLANE): each MR's config names its
#     driver (`dataplane DRIVER`, none for auto), LMs and HAAs none, dmmd -nv
#     agrees; a bad driver or a node that is no MR is refused;
#   - the sanitizer build's `dmmd -n -v` reports nothing (leaks included).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
make -s build/dmmd 2>/dev/null
[ -x build/dmmd ] || { echo "FAIL: build/dmmd not built"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: needs python3 (make deps)"; exit 1; }
unset DMM_DATAPLANE
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
paths='^(keys|control|event-log|state) '
for c in "$tmp"/ex/*.conf; do
	node=$(basename "$c" .conf)
	[ -f "$tmp/figure1/$node.conf" ] || { bad "figure1.topo has no node $node"; continue; }
	build/dmmd -n -v -f "$c" 2>&1 | grep -Ev "$paths" >"$tmp/want"
	build/dmmd -n -v -f "$tmp/figure1/$node.conf" 2>&1 | grep -Ev "$paths" >"$tmp/got"
	diff -u "$tmp/want" "$tmp/got" >"$tmp/diff" || { bad "figure1 $node differs from the example"; cat "$tmp/diff"; }
done

# The MRs of each network, in topology order, right after its haa.
sed -n '/^network ln2 {/,/^}/p' "$tmp/figure1/mr11.conf" >"$tmp/ln2"
printf 'network ln2 {\n\tprefix 2001:db8:2::/48\n\tlm 2001:db8:ff::2\n\thaa 2001:db8:ff::2\n\tmr 2001:db8:ff::20\n\tmr 2001:db8:ff::29\n}\n' |
	diff -u - "$tmp/ln2" || bad "figure1 network ln2 block"
nmr=$(awk '$1 == "node" && $3 ~ /(^|\+)mr(\+|$)/' lab/topologies/walk8.topo | grep -c .)
for c in "$tmp"/walk8/*.conf; do
	[ "$(grep -c $'^\tmr ' "$c")" = "$nmr" ] ||
		bad "walk8 $(basename "$c"): $(grep -c $'^\tmr ' "$c") mr lines, want $nmr"
done

# Data-plane drivers.
spec='mr11=bpf,mr2=tun,mr31=auto,*=seg6'
DMMLAB_RUN=$tmp/run lab/dmmlab config figure1 --dataplane "$spec" --dir "$tmp/dp" || bad "config --dataplane $spec"
DMM_DATAPLANE=$spec DMMLAB_RUN=$tmp/run lab/dmmlab config figure1 --dir "$tmp/dpenv" ||
	bad "config with DMM_DATAPLANE=$spec"
for n in lm1haa1 mr11 mr12 lm2haa2 mr2 mrgw lm3 haa3 mr31 mr32; do
	case $n in mr11) want=bpf ;; mr2) want=tun ;; mr31|lm*|haa*) want="" ;; *) want=seg6 ;; esac
	for d in dp dpenv; do
		got=$(sed -n 's/^dataplane \([a-z0-9]*\)$/\1/p' "$tmp/$d/$n.conf" | tr '\n' ' ')
		[ "$got" = "${want:+$want }" ] || bad "$d/$n.conf: dataplane '$got', want '$want'"
	done
	build/dmmd -n -f "$tmp/dp/$n.conf" >"$tmp/out" 2>&1 || { bad "dp/$n.conf does not parse"; cat "$tmp/out"; }
	nv=$(build/dmmd -nv -f "$tmp/dp/$n.conf" 2>&1 | sed -n 's/^dataplane \([a-z0-9]*\) {$/\1/p')
	case $n in lm*|haa*) ;; *) [ "$nv" = "${want:-auto}" ] || bad "dmmd -nv of dp/$n.conf: dataplane '$nv'" ;; esac
done
for badspec in 'mr11=fast' 'lm1haa1=bpf' 'nosuch=tun' 'bpf,mr11=' ; do
	DMMLAB_RUN=$tmp/run lab/dmmlab config figure1 --dataplane "$badspec" >/dev/null 2>&1 &&
		bad "dmmlab config accepted --dataplane '$badspec'"
done

# dmmd -n under ASan+UBSan: nothing to report, leaks included.
if [ "$DMM_SAN" = 1 ]; then
	if make -s build/san/dmmd >/dev/null 2>&1; then
		for c in "$tmp"/ex/*.conf "$tmp"/dp/*.conf; do
			build/san/dmmd -n -v -f "$c" >"$tmp/san.out" 2>&1
			san_check "$tmp/san.out" >"$tmp/san.rep" ||
				{ bad "build/san/dmmd -n -v -f $(basename "$c")"; head -20 "$tmp/san.rep"; break; }
		done
	else
		bad "cannot build build/san/dmmd"
	fi
fi
[ $fail = 0 ] && echo "ok: generated configs parse and match examples/figure1; mr lines; dataplane SPEC"
exit $fail
