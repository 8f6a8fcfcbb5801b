# lib-guest.sh: helpers for scripts that guest.sh runs inside the Soft-RoCE
# guest (sourced by tests/softroce/guest-test.sh and bench/softroce/guest-bench.sh).
# All of them run as root in the chroot, on rxe0 (RoCE v2 GID index 1).

SR_DEV=rxe0
SR_GID=1

# MPICH (ch4:ucx) over rxe; without the DGID check off, UD endpoints time out
# after ~30 s (FACTS 5).
# SR_UCX=shm instead keeps MPI itself off rxe0 (shared memory between the two
# local ranks), so only the measured traffic uses the device.
sr_ucx_env() {
	if [ "${SR_UCX:-rxe}" = shm ]; then
		export UCX_TLS=sm,self
		unset UCX_NET_DEVICES UCX_UD_VERBS_ETH_DGID_CHECK
	else
		export UCX_NET_DEVICES=$SR_DEV:1 UCX_TLS=rc_verbs,ud_verbs,self UCX_UD_VERBS_ETH_DGID_CHECK=n
	fi
}

# sr_verbs DRIVER SIZES ITERS WARMUP LAT_ITERS OUT: the probe's verbs leg
# between two MPICH ranks (WARMUP 0: one tx-depth window; LAT_ITERS -1: no
# latency); OUT gets the driver's output ("<size> <MB/s>" lines). Returns the
# driver's status (0 measured, 77 skipped, 1 failed, 124 timeout).
sr_verbs() {
	local driver=$1 sizes=$2 iters=$3 warmup=$4 lat=$5 out=$6
	sr_ucx_env
	timeout -k 5 180 mpiexec.mpich -n 2 "$driver" --device "$SR_DEV" --sizes "$sizes" \
		--iters "$iters" --warmup "$warmup" --lat-iters "$lat" > "$out" 2>&1
}

# sr_perftest SIZE ITERS PORT OUT [EXTRA...]: ib_write_bw server, then (once
# it listens) the client, on rxe0 in iteration mode (-D once reported 0.00 here). OUT gets the
# client's output; prints the client's BW average (perftest's MB/sec, which
# is MiB/s) or nothing. Returns the client's status.
# perftest times with the TSC after calibrating it against gettimeofday; on a busy emulated
# machine that fit can fail ("Correlation coefficient r^2: 0.77 < 0.9"), and perftest then
# prints 0.00 for every rate. That is perftest's clock, not the device: such a run is
# repeated (up to 3 attempts, each on its own port); OUT.attempts says how many it took, and
# the failed attempts' output is kept as OUT.tryN.
sr_perftest() {
	local size=$1 iters=$2 port=$3 out=$4 rc attempt mib
	shift 4
	for attempt in 1 2 3; do
		sr_perftest_once "$size" "$iters" "$((port + 1000 * (attempt - 1)))" "$out" "$@"
		rc=$?
		mib=$(awk -v s="$size" '$1 == s && NF >= 5 { print $4; exit }' "$out")
		echo "$attempt" > "$out.attempts"
		if [ "$rc" = 0 ] && awk -v v="${mib:-0}" 'BEGIN { exit !(v + 0 == 0) }' &&
			grep -q 'Correlation coefficient' "$out"; then
			cp "$out" "$out.try$attempt"
			continue
		fi
		break
	done
	[ -n "$mib" ] && echo "$mib"
	return $rc
}

sr_perftest_once() {
	local size=$1 iters=$2 port=$3 out=$4 rc
	shift 4
	timeout -k 5 120 ib_write_bw -d "$SR_DEV" -x "$SR_GID" -F -s "$size" -n "$iters" \
		-p "$port" "$@" > "$out.server" 2>&1 &
	local server=$! i
	# Wait for the server to listen: a fixed sleep was too short on a busy
	# emulated machine ("Couldn't connect to localhost").
	for i in $(seq 1 100); do
		[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && break
		kill -0 "$server" 2>/dev/null || break
		sleep 0.1
	done
	timeout -k 5 120 ib_write_bw -d "$SR_DEV" -x "$SR_GID" -F -s "$size" -n "$iters" \
		-p "$port" "$@" localhost > "$out" 2>&1
	rc=$?
	wait "$server"
	return $rc
}
