#!/bin/sh
# make deb-check (root): install build/deb/dmm_*.deb with apt, as README's
# "Installing" says, into a throwaway copy of this machine's root (an
# overlay over / in a private mount namespace; its writes go to a tmpfs
# that vanishes at exit), run the autopkgtest smoke test
# (debian/tests/smoke: user, modes, dmmd -n, man pages, systemd-analyze
# verify), then purge the package. This machine's files, users and dpkg
# database are not touched.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "deb-check: needs root (mount namespace, chroot)" >&2; exit 1; }
deb=
for f in build/deb/dmm_*_*.deb; do
	[ -f "$f" ] && deb=$f && break
done
[ -n "$deb" ] || { echo "deb-check: no build/deb/dmm_*.deb: make deb" >&2; exit 1; }
dir=$(mktemp -d /tmp/dmm-deb-check.XXXXXX)
trap 'rmdir "$dir" 2>/dev/null || true' EXIT
cp "$deb" "$dir.deb"
cp debian/tests/smoke "$dir.smoke"
trap 'rmdir "$dir" 2>/dev/null || true; rm -f "$dir.deb" "$dir.smoke"' EXIT
# shellcheck disable=SC2016 # the script runs in the new namespace
unshare -m --propagation private sh -eu -c '
	d=$1 deb=$2 smoke=$3 name=$4
	mount -t tmpfs tmpfs "$d"
	mkdir "$d/upper" "$d/work" "$d/root"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/root"
	R=$d/root
	mount --rbind /proc "$R/proc"
	mount --rbind /dev "$R/dev"
	mount --rbind /sys "$R/sys"
	mount -t tmpfs tmpfs "$R/run"
	mount -t tmpfs tmpfs "$R/tmp"
	cp "$deb" "$R/tmp/dmm.deb"
	cp "$smoke" "$R/tmp/smoke"
	chroot "$R" sh -eu -c "
		cd /tmp
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q --no-install-recommends ./dmm.deb >/tmp/apt.log 2>&1 ||
			{ cat /tmp/apt.log; exit 1; }
		echo \"deb-check: apt installed $name\"
		sh /tmp/smoke
		apt-get purge -y -q dmm >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 1; }
		[ ! -e /etc/dmm ] || { echo \"deb-check: /etc/dmm left after purge\"; exit 1; }
		! dpkg -s dmm >/dev/null 2>&1 || { echo \"deb-check: dmm still installed\"; exit 1; }
		echo deb-check: purged
	"
' sh "$dir" "$dir.deb" "$dir.smoke" "$(basename "$deb")"
echo "deb-check: ok"
