#!/bin/bash
# A missing tool is a failure, never a silent skip (issue 7: without jq all
# the figure-1 tests skipped and `make check` stayed green):
#   - scripts/deps.sh installs the package of every tool the tests use;
#   - lab_require (lib_lab.sh), with jq (or iperf3) not found, fails
#     (exit 1, naming the tool and `make deps`), whether root or not: it
#     does not skip (77).
set -u
cd "$(dirname "$0")/../.."
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# tool -> Debian package
pkgs=$(sed -n '/^PKGS="/,/"$/p' scripts/deps.sh | tr -d '"' | sed 's/^PKGS=//' | tr -s ' \n' '\n')
while read -r tool pkg; do
	grep -qx "$pkg" <<<"$pkgs" || bad "scripts/deps.sh does not install $pkg (for $tool)"
done <<'EOF'
jq jq
iperf3 iperf3
tcpdump tcpdump
tshark tshark
nft nftables
ip6tables iptables
ip iproute2
ping iputils-ping
ethtool ethtool
python3 python3
man man-db
groff groff-base
gnuplot gnuplot-nox
bpftool bpftool
clang clang
jsonschema python3-jsonschema
bird bird2
birdc bird2
promtool prometheus
curl curl
systemd-analyze systemd
EOF

# lab_require as if one tool were not installed (command -v fails for it).
for missing in jq iperf3; do
	out=$(MISSING=$missing "$BASH" -c '
		command() { [ "$1 $2" = "-v $MISSING" ] && return 1; builtin command "$@"; }
		. tests/sh/lib_lab.sh; lab_require iperf3; echo "NOT REACHED"' tests/sh/deps_tools.sh 2>&1)
	rc=$?
	echo "lab_require without $missing: exit $rc: $out"
	[ $rc = 1 ] || bad "lab_require without $missing exited $rc, want 1 (a failure, not a skip)"
	grep -q "$missing" <<<"$out" || bad "lab_require does not name $missing: $out"
	grep -q "deps" <<<"$out" || bad "lab_require does not point to make deps: $out"
done
[ $fail = 0 ] && echo "ok: deps.sh installs every tool the tests use; a missing one fails lab_require"
exit $fail
