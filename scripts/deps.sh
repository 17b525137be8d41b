#!/bin/sh
# Install the Debian packages dmm needs to build and test, if missing.
# Safe to run repeatedly; does nothing when everything is present.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev libfuzzer-14-dev
libsodium-dev libssl-dev liblmdb-dev libseccomp-dev lmdb-utils libhiredis-dev libjansson-dev libcmocka-dev libmnl-dev libbpf-dev bpftool jq tshark iproute2 nftables iperf3 python3-scapy
tcpdump procps kmod man-db iptables ethtool iputils-ping libnetfilter-queue-dev python3 groff-base gnuplot-nox
bird2
systemd python3-jsonschema redis-server redis-tools prometheus python3-prometheus-client curl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
