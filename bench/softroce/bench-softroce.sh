#!/bin/bash
# bench-softroce.sh: the probe's verbs leg against ib_write_bw, side by side
# in one Soft-RoCE guest boot (a benchmark: it reports, it does not time out
# on a number).
#
#   bench/softroce/bench-softroce.sh
#
# Environment: BENCH_SIZES (default 65536,262144,1048576), BENCH_ITERS (200),
# BENCH_ROUNDS (5), BENCH_TIMEOUT (guest limit, 900 s), MPIGUARD_CACHE,
# BENCH_UCX (default rxe: MPI's own traffic over rxe0, as in the test; "shm"
# puts MPI on shared memory so only the measured writes use rxe0; "rxe,shm"
# runs both).
# For each size and round: ratio = verbs MB/s / (ib_write_bw MiB/s * 1.048576)
# (perftest prints MiB/s under the label MB/sec). Reports the median ratio per
# size and the median bandwidths; target: median ratio >= 0.95 at 64 KiB and
# above. Emulated RDMA runs at 20-60 MB/s and jitters 2x: only ratios taken
# inside one boot mean anything. Exit 0 when every size met the target,
# 1 when one did not or a run failed, 77 when the guest cannot run.

set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
sizes=${BENCH_SIZES:-65536,262144,1048576}
iters=${BENCH_ITERS:-200}
rounds=${BENCH_ROUNDS:-5}
ucx=${BENCH_UCX:-rxe}
target=0.95
start=$(date +%s)

for t in mpicc.mpich ib_write_bw; do
	command -v "$t" > /dev/null || { echo "SKIP: bench-softroce: $t not found" >&2; exit 77; }
done
cache=${MPIGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mpiguard-test}
mkdir -p "$cache" || exit 77
results=$(mktemp -d "$cache/bench-softroce.XXXXXX") || exit 77
mkdir -p "$results/bin"
mpicc.mpich -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 \
	"$top/src/probe/verbs_bw.c" "$top/tests/softroce/verbs_driver.c" \
	-o "$results/bin/verbs_driver" -libverbs || { echo "FAIL: bench-softroce: build failed"; exit 1; }

"$top/tests/softroce/guest.sh" -t "${BENCH_TIMEOUT:-900}" -r "$results" \
	-e "MPIGUARD_B_BIN=$results/bin" -e "MPIGUARD_B_SIZES=$sizes" \
	-e "MPIGUARD_B_ITERS=$iters" -e "MPIGUARD_B_ROUNDS=$rounds" -e "MPIGUARD_B_UCX=$ucx" \
	"$here/guest-bench.sh" > "$results/bench.raw" 2> "$results/guest.err"
grc=$?
if [ "$grc" = 77 ]; then
	sed 's/^/bench-softroce: /' "$results/guest.err" >&2
	exit 77
fi
if [ "$grc" != 0 ]; then
	echo "FAIL: bench-softroce: guest status $grc: $(head -n 1 "$results/guest.err"); kept $results"
	exit 1
fi

echo "# bench-softroce: $rounds rounds, $iters iterations, Soft-RoCE rxe0 in QEMU (TCG)"
echo "# MPI for the leg's exchange: rxe = UCX over rxe0 (as the test), shm = UCX shared memory"
echo "# leg           size[B]  median leg[MB/s]  median ib_write_bw[MB/s]  median ratio  ratios by round"
awk -v target="$target" -v sizes="$sizes" -v rounds="$rounds" -v modes="$ucx" '
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$1 == "B" && $3 ~ /^verbs/ && $3 !~ /_failed$/ { v[$3, $4, $2] = $5 }
$1 == "B" && $3 == "perftest" { p[$4, $2] = $5 * 1.048576 }
$1 == "B" && $3 ~ /_failed$/ { bad++; print "# failed run: " $0 }
END {
	ns = split(sizes, sz, ",")
	nm = split(modes, md, ",")
	for (k = 1; k <= nm; k++) {
		name = md[k] == "rxe" ? "verbs" : "verbs_" md[k]
		for (i = 1; i <= ns; i++) {
			s = sz[i]; n = 0; line = ""
			for (r = 1; r <= rounds; r++) {
				if (!((name, s, r) in v) || !((s, r) in p) || p[s, r] <= 0) { line = line " -"; continue }
				n++
				ra[n] = v[name, s, r] / p[s, r]; va[n] = v[name, s, r]; pa[n] = p[s, r]
				line = line sprintf(" %.3f", ra[n])
			}
			if (n == 0) { printf "%-12s  %-9s  no complete round\n", name, s; bad++; continue }
			m = median(ra, n)
			printf "%-12s  %-9s  %16.2f  %24.2f  %12.3f %s\n", name, s, median(va, n), median(pa, n), m, line
			if (s >= 65536 && m < target) miss++
		}
	}
	if (bad) exit 2
	exit miss ? 1 : 0
}' "$results/bench.raw"
rc=$?
secs=$(($(date +%s) - start))
case "$rc" in
0) echo "PASS: bench-softroce: median ratio >= $target at every size >= 64 KiB (${secs}s)"; rm -rf "$results" ;;
1) echo "BELOW TARGET: bench-softroce: a median ratio < $target (${secs}s); raw data in $results/bench.raw" ;;
*) echo "FAIL: bench-softroce: incomplete runs (${secs}s); see $results"; rc=1 ;;
esac
exit "$rc"
