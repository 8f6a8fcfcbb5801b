#!/bin/bash
# guest-bench.sh: the guest half of bench-softroce.sh (run by guest.sh).
# Alternates the probe's verbs leg and ib_write_bw, same sizes, iterations
# and warm-up (one tx-depth window: the leg's default, perftest's
# --perform_warm_up), MPIGUARD_B_ROUNDS rounds; the order flips every round
# so a drift of the emulated machine hits both alike.
# Prints "B <round> verbs|perftest <size> <value>" lines: verbs in MB/s,
# perftest as printed (MiB/s). Environment: MPIGUARD_B_BIN, MPIGUARD_B_SIZES,
# MPIGUARD_B_ITERS, MPIGUARD_B_ROUNDS, MPIGUARD_B_UCX.

. "$(dirname "$(readlink -f "$0")")/../../tests/softroce/lib-guest.sh"
out=$MPIGUARD_RESULTS
port=18515

# MPIGUARD_B_UCX: rxe (MPI itself over rxe0, as the test does), shm (MPI
# over shared memory, only the measured traffic on rxe0) or both.
run_verbs() {
	local r=$1 mode name
	for mode in ${MPIGUARD_B_UCX//,/ }; do
		name=verbs
		[ "$mode" = rxe ] || name=verbs_$mode
		SR_UCX=$mode sr_verbs "$MPIGUARD_B_BIN/verbs_driver" "$MPIGUARD_B_SIZES" \
			"$MPIGUARD_B_ITERS" 0 -1 "$out/$name-$r.out" ||
			echo "B $r ${name}_failed $(head -n 1 "$out/$name-$r.out")"
		awk -v r="$r" -v n="$name" '/^[0-9]+ [0-9.]+$/ { print "B", r, n, $1, $2 }' \
			"$out/$name-$r.out"
	done
}

run_perftest() {
	local r=$1 size mib
	for size in ${MPIGUARD_B_SIZES//,/ }; do
		mib=$(sr_perftest "$size" "$MPIGUARD_B_ITERS" "$port" "$out/perftest-$r-$size.out" \
			--perform_warm_up)
		port=$((port + 1))
		if [ -n "$mib" ]; then
			echo "B $r perftest $size $mib"
		else
			echo "B $r perftest_failed $size"
		fi
	done
}

for r in $(seq 1 "$MPIGUARD_B_ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		run_verbs "$r"
		run_perftest "$r"
	else
		run_perftest "$r"
		run_verbs "$r"
	fi
done
exit 0
