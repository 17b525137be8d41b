# Interruption per handover and stream: the longest silence between two
# arrivals around each move.
# usage: gnuplot -e "dir='RESULTS_DIR'" lab/plots/interruption.gp
# Reads dir/marks.gp and dir/handovers.dat (lab/report.py); writes
# dir/interruption.png.
load dir.'/marks.gp'
unset arrow
unset label
set terminal pngcairo size 1000, 450 font ",9"
set output dir.'/interruption.png'
set title "Interruption per handover (longest gap between arrivals)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "ms"
set yrange [0:*]
set xtics rotate by -30
set key top left
plot for [k = 0:nstreams - 1] dir.'/handovers.dat' using (column(3 + k)):xtic(2) \
	title word(names, k + 1)
