#!/bin/bash
# run-seg6.sh: run a command as root in a throw-away QEMU guest whose kernel
# has seg6 LWT (CONFIG_IPV6_SEG6_LWTUNNEL), for the seg6 data-plane driver's
# netns tests on a host whose kernel lacks it. Nothing in `make check` calls it.
#
#   tests/vm/run-seg6.sh 'DMM_DATAPLANE=seg6 bash tests/sh/fig1_attach.sh'
#   tests/vm/run-seg6.sh -S 'build/dmmd -P; DMM_DATAPLANE=seg6 bash tests/sh/dp_routes.sh'
#
# The guest boots a Debian kernel (/boot/vmlinuz-VER with /lib/modules/VER)
# with a small busybox initramfs made here; its root is the host's / over
# virtio-9p, read-only, under an overlay whose writes go to guest RAM (the
# host's files, the work tree included, are never written). /tmp and /run
# are fresh tmpfs. The command runs with bash in the work tree (or, with -S,
# in a copy of it built on the host), the guest powers off, and this script
# exits with the command's status. Output: on stdout, and in OUTDIR/log.
#
# Needs (Debian 12, root; for this validation only, not project deps):
#   apt-get install --no-install-recommends linux-image-amd64 qemu-system-x86 busybox-static cpio
# (bookworm's linux-image-amd64 is 6.1 with CONFIG_IPV6_SEG6_LWTUNNEL=y.)
# Takes: software emulation (TCG, 2 vCPUs), since KVM is not usable in a VM
# without nested virtualisation (there the guest hangs at boot under
# -accel kvm, so kvm is used only with -a kvm): boot ~10 s, -S ~15 s more;
# under TCG with the ASan daemons, measured on 2 vCPUs: dp_routes 25-70 s,
# dp_attach 27 s, dmmd_refuse 7 s, each fig1_* 80-140 s (all the seg6
# netns tests, dp_* and fig1_* plus fig1_interop: about 25 min).
#
# Options:
#   -k VER    kernel version (default: the newest /boot/vmlinuz-VER whose
#             config has CONFIG_IPV6_SEG6_LWTUNNEL=y|m and modules installed)
#   -m MIB    guest memory (3072)       -c N   vCPUs (2)
#   -t SECS   kill the guest after this (3600)
#   -a ACCEL  qemu accelerator (tcg,thread=multi; kvm if it works for you)
#   -M "MOD…" modules to load before the command (default "br_netfilter":
#             dmmlab's core delay writes net.bridge.bridge-nf-call-ip6tables,
#             which a modular kernel has only once br_netfilter is loaded;
#             -M '' to see a stock kernel's behaviour). tun is always loaded
#             (no udev in the guest to create /dev/net/tun).
#   -S        snapshot: copy the work tree (without .git) and build the
#             binaries the netns tests use on the host first (make
#             san-daemon and the -O2 ones), so that concurrent edits do not
#             reach the guest and nothing compiles under emulation
#   -C DIR    the work tree (default: the one this script is in)
#   -o DIR    keep the run's files in DIR: log (the command's output),
#             console (the guest's), rc, and what the command wrote to
#             $VM_OUT (a directory shared with the host)
set -u
here=$(cd "$(dirname "$0")/../.." && pwd) # the work tree (-C to choose another)
kver="" mem=3072 cpus=2 tmo=3600 accel="tcg,thread=multi" mods="br_netfilter" snap=0 out=""
while getopts "k:m:c:t:a:M:So:C:h" o; do
	case $o in
	k) kver=$OPTARG ;; m) mem=$OPTARG ;; c) cpus=$OPTARG ;; t) tmo=$OPTARG ;;
	a) accel=$OPTARG ;; M) mods=$OPTARG ;; S) snap=1 ;; o) out=$OPTARG ;;
	C) here=$(cd "$OPTARG" && pwd) || exit 2 ;;
	*) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [options] COMMAND... (-h for help)" >&2; exit 2; }
die() { echo "run-seg6: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root"
[ -f "$here/dataplane/dp_seg6.c" ] && [ -f "$here/Makefile" ] || die "$here is not a dmm work tree (-C DIR)"
for t in qemu-system-x86_64 cpio gzip; do
	command -v $t >/dev/null || die "$t missing (apt-get install qemu-system-x86 cpio)"
done
bb=/bin/busybox # static: the initramfs has no libc
[ -x "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 || die "no static /bin/busybox (apt-get install busybox-static)"
if [ -z "$kver" ]; then
	for v in $(ls /boot | sed -n 's/^vmlinuz-//p' | sort -rV); do
		grep -qE '^CONFIG_IPV6_SEG6_LWTUNNEL=[ym]' "/boot/config-$v" 2>/dev/null &&
			[ -d "/lib/modules/$v" ] && { kver=$v; break; }
	done
	[ -n "$kver" ] || die "no /boot/vmlinuz-* with seg6 LWT and modules (apt-get install linux-image-amd64)"
fi
[ -r "/boot/vmlinuz-$kver" ] || die "/boot/vmlinuz-$kver missing"

run=$(mktemp -d /var/tmp/dmm-vm.XXXXXX) # /var/tmp: the guest masks /tmp
qpid=""
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	if [ -n "$out" ]; then
		mkdir -p "$out" && find "$run" -maxdepth 1 -type f ! -name initrd.gz ! -name guest-init \
			-exec cp -f {} "$out"/ \;
	fi
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The initramfs: busybox, the modules to mount 9p and overlay, an init that
# mounts the host's root read-only under a tmpfs overlay and switches to it.
ird=$run/initrd
mkdir -p "$ird"/{bin,proc,sys,dev,mods,mnt/lower,mnt/rw,newroot}
cp "$bb" "$ird/bin/busybox"
for a in sh mount insmod mkdir switch_root cat poweroff; do ln -s busybox "$ird/bin/$a"; done
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r f; do
	case $f in
	*.ko) cp "$f" "$ird/mods/" ;;
	*.ko.xz) xz -dc "$f" >"$ird/mods/$(basename "${f%.xz}")" ;;
	*.ko.zst) zstd -qdc "$f" >"$ird/mods/$(basename "${f%.zst}")" ;;
	esac
	echo "/mods/$(basename "${f%.ko*}").ko" >>"$ird/modlist"
done
cat >"$ird/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /modlist); do insmod $m 2>/dev/null; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /mnt/lower ||
	{ echo "run-seg6: cannot mount the host's root"; poweroff -f; }
mount -t tmpfs -o size=${rwsize:-1g} tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /newroot ||
	{ echo "run-seg6: overlay failed"; poweroff -f; }
mkdir -p /newroot/mnt/out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /newroot/mnt/out
umount /proc /sys /dev
exec switch_root /newroot /mnt/out/guest-init
EOF
chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$run/initrd.gz" || die "cpio failed"
rm -rf "$ird"

# PID 1 in the guest, after switch_root.
cat >"$run/guest-init" <<'EOF'
#!/bin/bash
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
mkdir -p /mnt/host-tmp; mount --bind /tmp /mnt/host-tmp
mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp; mkdir -p /run/netns
mount -t bpf bpf /sys/fs/bpf; mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t debugfs debugfs /sys/kernel/debug; mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ulimit -l unlimited; ulimit -n 65536
O=/mnt/out
. $O/env
modprobe tun
for m in $MODS; do modprobe "$m" || echo "run-seg6: modprobe $m failed"; done
hostname seg6vm; ip link set lo up
echo "run-seg6: guest up in $(cut -d' ' -f1 /proc/uptime) s, kernel $(uname -r)" | tee $O/boot
case $WORKDIR in /tmp/*) WORKDIR=/mnt/host-tmp/${WORKDIR#/tmp/} ;; esac
export VM_OUT=$O
cd "$WORKDIR" && bash $O/cmd > >(tee $O/log) 2>&1
echo $? >$O/rc
sleep 0.3; sync
echo o >/proc/sysrq-trigger
sleep 10
EOF
chmod +x "$run/guest-init"

wd=$here
if [ $snap = 1 ]; then
	wd=$run/tree
	mkdir -p "$wd"
	(cd "$here" && tar --exclude=./.git -cf - .) | tar -xf - -C "$wd" || die "copy failed"
	echo "run-seg6: snapshot of $here in $wd, building on the host"
	make -C "$wd" -s san-daemon build/dmmd build/dmmctl build/dptest >"$run/make.log" 2>&1 ||
		{ cat "$run/make.log"; die "make failed"; }
fi
printf '%s\n' "$*" >"$run/cmd"
printf 'export PATH=%q WORKDIR=%q MODS=%q\n' "$PATH" "$wd" "$mods" >"$run/env"
: >"$run/log"

echo "run-seg6: booting $kver (accel $accel, $cpus vCPUs, $mem MiB)"
start=$(date +%s)
timeout -s KILL "$tmo" qemu-system-x86_64 -accel "$accel" -machine q35 -cpu max -smp "$cpus" -m "$mem" \
	-nographic -no-reboot -nodefaults -serial "file:$run/console" -monitor none \
	-kernel "/boot/vmlinuz-$kver" -initrd "$run/initrd.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 rwsize=1g" \
	-fsdev local,id=root,path=/,security_model=passthrough,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
	-fsdev local,id=out,path="$run",security_model=passthrough \
	-device virtio-9p-pci,fsdev=out,mount_tag=out \
	-device virtio-rng-pci </dev/null >"$run/qemu.out" 2>&1 &
qpid=$!
tail -n +1 -f "$run/log" --pid=$qpid 2>/dev/null &
tpid=$!
wait $qpid
qrc=$?
qpid=""
sleep 0.5; kill $tpid 2>/dev/null; wait $tpid 2>/dev/null
rc=$(cat "$run/rc" 2>/dev/null)
echo "run-seg6: $(cat "$run/boot" 2>/dev/null | sed 's/^run-seg6: //'); guest gone after $(($(date +%s) - start)) s, command status ${rc:-none}"
if [ -z "$rc" ]; then
	echo "run-seg6: no status (qemu $qrc: timeout or crash); console tail:" >&2
	tail -n 30 "$run/console" "$run/qemu.out" >&2
	exit 124
fi
exit "$rc"
