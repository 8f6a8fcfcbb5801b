# stats.sh: the benchmarks' statistics, sourced (bench/check, bench/envmodules, bench/lmod,
# bench/slurm).
#
# median: the median of the numbers on stdin, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# median_ci FORMAT: the median of the numbers on stdin with its distribution-free 95% interval,
# the order statistics N/2 -+ 0.98 sqrt(N) (meaningful from N >= 6), and the min and max,
# printed with FORMAT (awk's printf, given median, low, high, min, max in that order; a FORMAT
# may use the first few only), e.g. "%.3f [%.3f-%.3f] (%.2f-%.2f)".
median_ci() {
    sort -g | awk -v fmt="$1" '{ v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              h = 0.98 * sqrt(NR); lo = int(NR / 2 - h); hi = int(NR / 2 + h + 1)
              if (lo < 1) lo = 1; if (hi > NR) hi = NR
              printf fmt, m, v[lo], v[hi], v[1], v[NR] }'
}
