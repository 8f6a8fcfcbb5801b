#!/bin/bash
# guest-bench.sh: the guest half of bench-softroce.sh (run by guest.sh).
# For every round and size, runs the probe's verbs leg and ib_write_bw back
# to back (same size, iterations and warm-up: one tx-depth window, the leg's
# default and perftest's --perform_warm_up), flipping which goes first each
# time. The emulated machine changes speed by up to 2x over tens of seconds,
# so each ratio pairs two runs taken seconds apart.
# Prints "B <round> verbs|perftest <size> <value>" lines: verbs in MB/s,
# perftest as printed (MiB/s). Environment: MPIGUARD_B_BIN, MPIGUARD_B_SIZES,
# MPIGUARD_B_ITERS, MPIGUARD_B_ROUNDS, MPIGUARD_B_UCX.

. "$(dirname "$(readlink -f "$0")")/../../tests/softroce/lib-guest.sh"
out=$MPIGUARD_RESULTS
port=18515

# MPIGUARD_B_UCX: rxe (MPI itself over rxe0, as the test does), shm (MPI
# over shared memory, only the measured traffic on rxe0) or both.
run_verbs() {
	local r=$1 size=$2 mode name
	for mode in ${MPIGUARD_B_UCX//,/ }; do
		name=verbs
		[ "$mode" = rxe ] || name=verbs_$mode
		SR_UCX=$mode sr_verbs "$MPIGUARD_B_BIN/verbs_driver" "$size" \
			"$MPIGUARD_B_ITERS" 0 -1 "$out/$name-$r-$size.out" ||
			echo "B $r ${name}_failed $(head -n 1 "$out/$name-$r-$size.out")"
		awk -v r="$r" -v n="$name" '/^[0-9]+ [0-9.]+$/ { print "B", r, n, $1, $2 }' \
			"$out/$name-$r-$size.out"
	done
}

run_perftest() {
	local r=$1 size=$2 mib
	mib=$(sr_perftest "$size" "$MPIGUARD_B_ITERS" "$port" "$out/perftest-$r-$size.out" \
		--perform_warm_up)
	port=$((port + 1))
	if [ -n "$mib" ]; then
		echo "B $r perftest $size $mib"
	else
		echo "B $r perftest_failed $size"
	fi
}

for r in $(seq 1 "$MPIGUARD_B_ROUNDS"); do
	k=0
	for size in ${MPIGUARD_B_SIZES//,/ }; do
		if [ $(((r + k) % 2)) = 1 ]; then
			run_verbs "$r" "$size"
			run_perftest "$r" "$size"
		else
			run_perftest "$r" "$size"
			run_verbs "$r" "$size"
		fi
		k=$((k + 1))
	done
done
exit 0
