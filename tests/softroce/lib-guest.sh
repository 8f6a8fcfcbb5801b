# lib-guest.sh: helpers for scripts that guest.sh runs inside the Soft-RoCE
# guest (sourced by tests/softroce/guest-test.sh and bench/softroce/guest-bench.sh).
# All of them run as root in the chroot, on rxe0 (RoCE v2 GID index 1).

SR_DEV=rxe0
SR_GID=1

# MPICH (ch4:ucx) over rxe; without the DGID check off, UD endpoints time out
# after ~30 s (FACTS 5).
sr_ucx_env() {
	export UCX_NET_DEVICES=$SR_DEV:1 UCX_TLS=rc_verbs,ud_verbs,self UCX_UD_VERBS_ETH_DGID_CHECK=n
}

# sr_verbs DRIVER SIZES ITERS WARMUP OUT: the probe's verbs leg between two
# MPICH ranks; OUT gets the driver's output ("<size> <MB/s>" lines). Returns
# the driver's status (0 measured, 77 skipped, 1 failed, 124 timeout).
sr_verbs() {
	local driver=$1 sizes=$2 iters=$3 warmup=$4 out=$5
	sr_ucx_env
	timeout -k 5 120 mpiexec.mpich -n 2 "$driver" --device "$SR_DEV" --sizes "$sizes" \
		--iters "$iters" --warmup "$warmup" --lat-iters 200 > "$out" 2>&1
}

# sr_perftest SIZE ITERS PORT OUT [EXTRA...]: ib_write_bw server and client
# on rxe0 in iteration mode (-D once reported 0.00 here). OUT gets the
# client's output; prints the client's BW average (perftest's MB/sec, which
# is MiB/s) or nothing. Returns the client's status.
sr_perftest() {
	local size=$1 iters=$2 port=$3 out=$4 rc
	shift 4
	timeout -k 5 120 ib_write_bw -d "$SR_DEV" -x "$SR_GID" -F -s "$size" -n "$iters" \
		-p "$port" "$@" > "$out.server" 2>&1 &
	local server=$!
	sleep 0.5
	timeout -k 5 120 ib_write_bw -d "$SR_DEV" -x "$SR_GID" -F -s "$size" -n "$iters" \
		-p "$port" "$@" localhost > "$out" 2>&1
	rc=$?
	wait "$server"
	awk -v s="$size" '$1 == s && NF >= 5 { print $4; exit }' "$out"
	return $rc
}
