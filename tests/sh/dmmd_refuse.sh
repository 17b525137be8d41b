#!/bin/bash
# dmm-test: netns per-driver
# dmmd refuses to start, with a clear message and a non-zero exit, when it
# cannot work: IPv6 forwarding off on an MR, a key file others can read,
# no privileges; and it starts when all is well (the control case proves
# the refusals are not something else); a data-plane driver the kernel
# cannot run (dmmd -P), named in the configuration, is refused naming the
# missing kernel option. The MR runs the data-plane driver DMM_DATAPLANE
# names (lib_dmm.sh); no run may print a sanitizer report.
# Root only (else exit 77).
set -u
cd "$(dirname "$0")/../.."
. tests/sh/lib_dmm.sh
[ "$(id -u)" = 0 ] || { echo "not root"; exit 77; }
command -v setpriv >/dev/null || { echo "FAIL: no setpriv(1) (util-linux)"; exit 1; }
dmm_bins || { echo "FAIL: make"; exit 1; }
ns=dmmr-$$
tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

ip netns add "$ns" || exit 1
ip -n "$ns" link set lo up
ip -n "$ns" addr add 2001:db8:ff::12/128 dev lo nodad
cp examples/figure1/keys "$tmp/keys" && chmod 600 "$tmp/keys"
sed -e "s|^control .*|control \"$tmp/ctl.sock\"|" -e "s|^keys .*|keys \"$tmp/keys\"|" \
	examples/figure1/mr12.conf >"$tmp/mr12.conf"
dmm_conf_driver mr12 "$tmp/mr12.conf"

# start CONF: run dmmd in the foreground for at most 3 s; prints its output,
# returns its exit status (124 = still running after 3 s: it started).
start() {
	timeout 3 ip netns exec "$ns" "${@:2}" "$DMMD" -d -f "$1" </dev/null 2>&1 | tee -a "$tmp/all.out"
	return "${PIPESTATUS[0]}"
}

ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=0
out=$(start "$tmp/mr12.conf"); rc=$?
echo "forwarding off: rc=$rc: $out" | head -3
[ $rc -ne 0 ] && [ $rc -ne 124 ] || bad "dmmd started with forwarding off (rc $rc)"
echo "$out" | grep -q "forwarding" || bad "no word about forwarding in: $out"

ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
chmod 644 "$tmp/keys"
out=$(start "$tmp/mr12.conf"); rc=$?
echo "key file 0644: rc=$rc: $out" | head -3
[ $rc -ne 0 ] && [ $rc -ne 124 ] || bad "dmmd started with a world-readable key file"
echo "$out" | grep -qi "key" || bad "no word about the key file in: $out"
chmod 600 "$tmp/keys"

chown 65534 "$tmp/keys"
out=$(start "$tmp/mr12.conf" setpriv --reuid=65534 --regid=65534 --clear-groups); rc=$?
echo "unprivileged: rc=$rc: $out" | head -3
[ $rc -ne 0 ] && [ $rc -ne 124 ] || bad "dmmd started without privileges"
echo "$out" | grep -qiE "root|permission|privilege|CAP_NET" ||
	bad "no word about privileges in: $out"
chown 0 "$tmp/keys"

out=$(start "$tmp/mr12.conf"); rc=$?
echo "all well: rc=$rc" 
[ $rc -eq 124 ] || bad "dmmd did not keep running when all is well (rc $rc): $out"
[ -z "$(ip -n "$ns" -6 route show table all proto 177)" ] ||
	bad "routes left after dmmd was stopped: $(ip -n "$ns" -6 route show table all proto 177)"

# A driver this kernel cannot run (dmmd -P: "NAME no REASON"), named in
# the configuration: refused at start, naming the missing kernel option.
ip netns exec "$ns" "$DMMD" -P >"$tmp/probe" 2>>"$tmp/all.out" || bad "dmmd -P failed: $(cat "$tmp/probe")"
while read -r drv ok _; do
	[ "$ok" = no ] || continue
	grep -v '^dataplane [a-z0-9]*$' "$tmp/mr12.conf" >"$tmp/no.conf"
	echo "dataplane $drv" >>"$tmp/no.conf"
	out=$(start "$tmp/no.conf"); rc=$?
	echo "dataplane $drv (unavailable): rc=$rc: $out" | head -3
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || bad "dmmd started with dataplane $drv, which dmmd -P says is unavailable"
	echo "$out" | grep -q "CONFIG_" || bad "dataplane $drv refused without naming the kernel option: $out"
done <"$tmp/probe"

san_check "$tmp/all.out" || fail=1
[ $fail = 0 ] && echo "dmmd_refuse: all passed"
exit $fail
