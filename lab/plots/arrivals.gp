# Arrivals over time, one panel per probe stream, handovers marked.
# usage: gnuplot -e "dir='RESULTS_DIR'" lab/plots/arrivals.gp
# Reads dir/marks.gp and dir/arrivals-K.dat (written by lab/report.py);
# writes dir/arrivals.png. A handover shows as a step in a line (a silence)
# next to its dashed marker; a lost packet as a missing point.
load dir.'/marks.gp'
set terminal pngcairo size 1200, 300 * nstreams font ",9"
set output dir.'/arrivals.png'
set multiplot layout nstreams, 1 title "Probe arrivals (sequence number over receive time); dashed: link down"
set xlabel "time (s)"
set ylabel "sequence"
set key top left
do for [k = 0:nstreams - 1] {
	plot dir.'/arrivals-'.k.'.dat' using 1:2 with dots lc k + 1 title word(names, k + 1)
}
unset multiplot
