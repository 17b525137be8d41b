# Shared by tshark_messages.sh and fig1_tshark.sh (sourced, not a test):
# judging tshark's verdict on our signalling, with the three known defects
# of Wireshark 4.0's packet-mip6.c on spec-conforming bytes allowed only
# where they are proven (TSHARK_STRICT=1 fails on them too):
#  K1 MN-ID subtypes 5/6 (EUI-48/64, RFC 8371) unknown: "Trailing stray characters"
#  K2 MAG IPv6 Address (51, RFC 6705): length 18 flagged "should be 16",
#     although the dissector itself reads reserved + address length + 16
#  K3 LRI/LRA (17/18, RFC 6705): fixed fields read from MH offset 0 instead
#     of 6, so the options it then walks are garbage (past the end, or a
#     zero-length option that throws: Malformed)
# The caller defines ts() (tshark -r CAPTURE "$@"), count() and bad().

# Frames proven to be K3: an LRI/LRA whose decoded "Sequence" is our
# payload-proto and header-length bytes, i.e. read from offset 0.
ts_k3_frames() {
	ts -Y 'mip6.mhtype == 17 || mip6.mhtype == 18' -T fields -e frame.number \
		-e mip6.proto -e mip6.hlen -e mip6.lri.sequence -e mip6.lra.sequence |
		awk '{ if ($4 == $2 * 256 + $3) printf "%s ", $1 }'
}

# ts_judge K3FRAMES: no malformed frame or expert error outside K3 frames,
# every LRI/LRA explained by K3, every expert warning one of K1-K3, and
# tshark's own expert summary fully covered by that classification.
ts_judge() {
	local k3=$1 nk3 notk3 warns known other
	nk3=$(echo "$k3" | wc -w)
	[ "$nk3" = "$(count 'mip6.mhtype == 17 || mip6.mhtype == 18')" ] ||
		bad "LRI/LRA frames not all explained by K3 (K3 frames: $k3)"
	notk3="!(frame.number in {${k3:-0}})"
	[ "$(count "_ws.malformed && $notk3")" -eq 0 ] ||
		bad "malformed: frames $(ts -Y "_ws.malformed && $notk3" -T fields -e frame.number | tr '\n' ' ')"
	[ "$(count "_ws.expert.severity >= 0x800000 && $notk3")" -eq 0 ] ||
		bad "expert errors in frames $(ts -Y "_ws.expert.severity >= 0x800000 && $notk3" -T fields -e frame.number | tr '\n' ' ')"
	warns=$(ts -V | awk -v k3=" $k3" '
	/^Frame [0-9]+:/ { frame = $2; mh = ""; opt = ""; sub_ = "" }
	/Mobility Header Type:/ { mh = $0; sub(/.*\(/, "", mh); sub(/\).*/, "", mh) }
	/MIPv6 Option - / { opt = $0; sub(/.*MIPv6 Option - /, "", opt); sub_ = "" }
	/^ *Subtype: / { sub_ = $0 }
	/\[Expert Info \((Warning|Error)\// {
		k = "?"
		if (opt ~ /^Mobile Node Identifier/ && sub_ ~ /Unknown \((5|6)\)/ &&
		    $0 ~ /Trailing stray characters/) k = "K1"
		else if ($0 ~ /MAG IPv6 Address \(with option length = 18 bytes; should be 16\)/)
			k = "K2"
		else if ((mh == 17 || mh == 18) && index(k3, " " substr(frame, 1, length(frame) - 1) " "))
			k = "K3"
		line = $0; sub(/^ */, "", line)
		print k, "frame", frame, "MH", mh, line
	}')
	known=$(echo "$warns" | grep -c '^K')
	other=$(echo "$warns" | grep -v '^K' | grep -c .)
	echo "K3 (LRI/LRA fixed fields misread by Wireshark 4.0): $nk3 frames: $k3"
	if [ "$known" -gt 0 ]; then
		echo "known Wireshark 4.0 defects ($known warnings):"
		echo "$warns" | grep '^K' | cut -d' ' -f1,4,5- | sort | uniq -c
	fi
	[ "${TSHARK_STRICT:-0}" = 1 ] && [ $((known + nk3)) -gt 0 ] &&
		bad "TSHARK_STRICT: known Wireshark defects count too"
	[ "$other" -eq 0 ] || { bad "unexpected expert warnings:"; echo "$warns" | grep -v '^K'; }
	while read -r _ _ _ summary; do
		echo "$warns" | grep -qF -- "$summary" || bad "expert summary not classified: $summary"
	done < <(ts -q -z expert,warn | awk '/^ +[0-9]+ +[A-Za-z]+ +[A-Za-z0-9]+ +/')
}
