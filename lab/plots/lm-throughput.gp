# Location management: answers per second against the number of bindings.
# usage: gnuplot -e "dir='RESULTS_DIR'" lab/plots/lm-throughput.gp
# Reads dir/throughput.dat (bindings floor dmm redis dmm-on-redis; written by
# lab/bench-lm-report.py); writes dir/throughput.png.
set terminal pngcairo size 800, 500 font ",10"
set output dir.'/throughput.png'
set title "Location management: lookups answered per second (one core each, 50 outstanding, veth)"
set xlabel "bindings / keys"
set ylabel "answers per second"
set logscale x
set format x "%.0s%c"
set yrange [0:*]
set key bottom left
set grid
plot dir.'/throughput.dat' using 1:2 with lines dt 2 lw 2 title "no-op floor (dmmbench echo, measured before each dmm row)", \
     '' using 1:3 with linespoints lw 2 pt 7 title "dmmd LM (sealed LOC\\_QUERY)", \
     '' using 1:4 with linespoints lw 2 pt 5 title "redis-server 7.0 GET (redis-benchmark)", \
     '' using 1:5 with linespoints lw 2 pt 9 title "dmmd LM on Redis (lm store redis)"
