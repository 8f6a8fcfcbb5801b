#!/bin/bash
# guest-test.sh: the guest half of test-softroce.sh (run by guest.sh on rxe0).
# Prints "R <check> <status> <details>" lines; the host decides pass/fail.
# Environment (kernel command line): MPIGUARD_T_BIN (folder with
# verbs_driver and verbs_selftest), MPIGUARD_T_SIZES (comma-separated bytes),
# MPIGUARD_T_ITERS, MPIGUARD_T_WARMUP.

. "$(dirname "$0")/lib-guest.sh"
bin=$MPIGUARD_T_BIN
out=$MPIGUARD_RESULTS

# 1. Both ranks agree on a skip that only one of them hits.
timeout -k 5 60 "$bin/verbs_selftest" split "$SR_DEV" bogus0 > "$out/split.out" 2>&1
echo "R split $? $(head -n 1 "$out/split.out")"

# 2. A memlock limit too low (no CAP_IPC_LOCK) is a skip naming the limit.
# The binary may live under a home only root can enter: run a copy in /tmp.
chmod 666 /dev/infiniband/uverbs0
install -m 755 "$bin/verbs_selftest" /tmp/verbs_selftest
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	bash -c "ulimit -l 64 && exec timeout -k 5 60 /tmp/verbs_selftest run $SR_DEV" \
	> "$out/memlock.out" 2>&1
echo "R memlock $? $(head -n 1 "$out/memlock.out")"

# 3. The verbs leg between two MPICH ranks.
sr_verbs "$bin/verbs_driver" "$MPIGUARD_T_SIZES" "$MPIGUARD_T_ITERS" "$MPIGUARD_T_WARMUP" 200 \
	"$out/verbs.out"
rc=$?
echo "R verbs $rc $(grep -m1 -E '^(skipped|failed):' "$out/verbs.out")"
while read -r size mbps; do
	echo "R verbs_row 0 $size $mbps"
done < <(grep -E '^[0-9]+ [0-9.]+$' "$out/verbs.out")

# 3b. The probe as test-mpi runs it: mpiguard-probe (which dlopens MPICH) loading the
# mpiguard-verbs.so plug-in, two MPICH ranks, verbs and MPI legs.
if [ -n "${MPIGUARD_T_PROBE:-}" ]; then
	sr_ucx_env
	timeout -k 5 180 mpiexec.mpich -n 2 "$MPIGUARD_T_PROBE" \
		--libmpi /usr/lib/x86_64-linux-gnu/libmpich.so.12 --legs verbs,mpi \
		--sizes "$MPIGUARD_T_SIZES" --device "$SR_DEV" > "$out/probe.out" 2> "$out/probe.err"
	echo "R probe $? $(grep -m1 -P '^status\tverbs\t' "$out/probe.out" | tr '\t' ' ')"
	awk -F'\t' '$1 == "bw" && $2 == "verbs" { print "R probe_row 0", $3, $4 }' "$out/probe.out"
fi

# 4. ib_write_bw at the same sizes and iterations.
port=18515
for size in ${MPIGUARD_T_SIZES//,/ }; do
	mib=$(sr_perftest "$size" "$MPIGUARD_T_ITERS" "$port" "$out/perftest-$size.out")
	rc=$?
	echo "R perftest_row $rc $size ${mib:-none} $(cat "$out/perftest-$size.out.attempts" 2>/dev/null || echo 1)"
	port=$((port + 1))
done
exit 0
