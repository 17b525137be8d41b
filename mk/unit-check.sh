#!/bin/sh
# make unit-check (root): the dmmd@ units of build/deb/dmm_*.deb under a
# real systemd, on a machine whose PID 1 need not be systemd. A throwaway
# overlay of this machine's root (private mount namespace, writes to a
# tmpfs) gets the package by apt, then boots under systemd-nspawn
# (systemd-container; private network) straight into one test service
# (systemd.unit=dmm-unit-check.service: nothing else of the machine starts;
# systemd-networkd-wait-online masked, there is no network to wait for)
# that:
#   - starts dmmd@dmmd (the default /etc/dmm/dmmd.conf, LM/HAA) and dmmd@mr
#     (an MR, dataplane auto) with the package's unit, hardening and all;
#   - checks both are active and dropped to _dmmd, dmmctl answers on
#     /run/dmmd/NAME.sock, systemctl reload works (SIGHUP), stopping one
#     keeps the other's socket, a missing /etc/dmm/NAME.conf fails;
#   - the journal has the running daemons' lines as dmmd[NODE] and the
#     failed start's error at priority warning;
#   - prints the journal and systemd-analyze security's verdict.
# nspawn's own seccomp filter refuses bpf(): it is let through so that the
# MR can take the bpf driver where the kernel has it.
# Nothing on this machine changes (but systemd-container, installed if
# missing).
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "unit-check: needs root" >&2; exit 1; }
deb=
for f in build/deb/dmm_*_*.deb; do
	[ -f "$f" ] && deb=$f && break
done
[ -n "$deb" ] || { echo "unit-check: no build/deb/dmm_*.deb: make deb" >&2; exit 1; }
if ! command -v systemd-nspawn >/dev/null; then
	echo "unit-check: installing systemd-container"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		systemd-container >/dev/null
fi
work=$(mktemp -d /tmp/dmm-unit-check.XXXXXX)
res=$work.res
mkdir -p "$res"
trap 'rm -rf "$res"; rmdir "$work" 2>/dev/null || true' EXIT
cp "$deb" "$res/dmm.deb"

cat >"$res/test.sh" <<'EOF'
#!/bin/sh
# Runs as the container's only service; results in /res.
exec >/res/out.txt 2>&1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ip link set lo up
ip addr add 2001:db8:ff::1/128 dev lo nodad
ip addr add 2001:db8:ff::12/128 dev lo nodad
sysctl -qw net.ipv6.conf.all.forwarding=1
cat >/etc/dmm/mr.conf <<EOC
node mrtest
address 2001:db8:ff::12
roles mr
local-network ln1
keys "keys"
control "/run/dmmd/mr.sock"
event-log "/var/log/dmmd/mr.events"
network ln1 {
	prefix 2001:db8:1::/48
	lm 2001:db8:ff::1
	haa 2001:db8:ff::1
	mr 2001:db8:ff::12
}
mr { access "mn*" }
dataplane auto
EOC
echo "kernel: $(dmmd -P 2>/dev/null | tr '\n' ';')"
systemctl start dmmd@dmmd dmmd@mr || bad "systemctl start dmmd@dmmd dmmd@mr"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -S /run/dmmd/dmmd.sock ] && [ -S /run/dmmd/mr.sock ] && break
	sleep 0.5
done
sleep 1
for i in dmmd mr; do
	systemctl is-active -q dmmd@$i || bad "dmmd@$i is not active"
	journalctl -q --no-pager -u dmmd@$i | grep -q "running as user _dmmd" ||
		bad "dmmd@$i did not drop to _dmmd"
	# once running, through syslog: the node's name and the priority kept
	journalctl -q --no-pager -u dmmd@$i -o verbose -g "running as user" |
		grep -q "SYSLOG_IDENTIFIER=dmmd\[$(sed -n 's/^node //p' /etc/dmm/$i.conf)\]" ||
		bad "dmmd@$i: no journal line with SYSLOG_IDENTIFIER=dmmd[NODE]"
	dmmctl -s /run/dmmd/$i.sock show config >/dev/null || bad "dmmctl -s /run/dmmd/$i.sock"
done
[ "$(stat -c %a /etc/dmm)" = 750 ] || bad "/etc/dmm not 0750"
systemctl reload dmmd@dmmd dmmd@mr || bad "systemctl reload"
sleep 1
[ "$(journalctl -q --no-pager -u 'dmmd@*' | grep -c 'configuration reloaded')" = 2 ] ||
	bad "reload did not reach both daemons"
systemctl stop dmmd@dmmd
[ -S /run/dmmd/mr.sock ] || bad "stopping dmmd@dmmd removed /run/dmmd/mr.sock"
[ ! -e /run/dmmd/dmmd.sock ] || bad "dmmd@dmmd left its socket"
systemctl is-active -q dmmd@mr || bad "dmmd@mr stopped with dmmd@dmmd"
systemctl stop dmmd@mr
systemctl start dmmd@nosuch 2>/dev/null
sleep 1
# Restart=on-failure: it waits to be restarted, it is not active.
! systemctl is-active -q dmmd@nosuch &&
	journalctl -q --no-pager -u dmmd@nosuch -p warning | grep -q "nosuch.conf: No such file" ||
	bad "dmmd@nosuch (no such file) did not fail with dmmd's message"
systemctl stop dmmd@nosuch
echo "---- journal"
journalctl -q --no-pager -u 'dmmd@*' -o short
echo "----"
systemd-analyze security --no-pager dmmd@dmmd.service | tail -1
[ $fail = 0 ] && echo "unit-check: ok" || echo "unit-check: FAILED"
echo $fail >/res/rc
systemctl poweroff >/dev/null 2>&1
EOF
chmod 755 "$res/test.sh"

# shellcheck disable=SC2016 # the script runs in the new namespace
unshare -m --propagation private sh -eu -c '
	d=$1 res=$2
	mount -t tmpfs tmpfs "$d"
	mkdir "$d/upper" "$d/work" "$d/root"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/root"
	R=$d/root
	mount --rbind /proc "$R/proc"
	mount --rbind /dev "$R/dev"
	mount --rbind /sys "$R/sys"
	mount -t tmpfs tmpfs "$R/run"
	mount -t tmpfs tmpfs "$R/tmp"
	cp "$res/dmm.deb" "$R/tmp/dmm.deb"
	chroot "$R" sh -c "cd /tmp && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends ./dmm.deb >/tmp/apt.log 2>&1" ||
		{ cat "$R/tmp/apt.log"; exit 1; }
	umount -l "$R/proc" "$R/dev" "$R/sys" "$R/run" "$R/tmp"
	cp "$res/test.sh" "$R/usr/local/sbin/dmm-unit-check"
	cat >"$R/etc/systemd/system/dmm-unit-check.service" <<EOF
[Unit]
Description=dmm unit check
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/dmm-unit-check
EOF
	rm -f "$R/etc/machine-id"
	# No network is configured in the container: network-online.target,
	# which the unit waits for, would wait for it until the timeout.
	ln -sf /dev/null "$R/etc/systemd/system/systemd-networkd-wait-online.service"
	timeout 180 systemd-nspawn -q -D "$R" -b --private-network --register=no \
		--keep-unit --link-journal=no --capability=all \
		--system-call-filter="bpf perf_event_open" --bind="$res:/res" \
		-- systemd.unit=dmm-unit-check.service >"$res/boot.log" 2>&1 || true
' sh "$work" "$res"
if [ -f "$res/out.txt" ]; then
	cat "$res/out.txt"
else
	echo "unit-check: the container produced no result; its console:"
	tail -30 "$res/boot.log"
fi
[ "$(cat "$res/rc" 2>/dev/null)" = 0 ]
