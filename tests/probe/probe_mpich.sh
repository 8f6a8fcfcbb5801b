#!/bin/bash
# The installed mpiguard-probe, unchanged, measures real MPICH (MPICH ABI, libmpich.so.12)
# launched by MPICH's own mpiexec.
. "$(dirname "$0")/common.sh"
need_mpich
need_probe
t0=$(now)
timeout 60 mpiexec.mpich -n 2 "$MPIGUARD_PROBE" --libmpi "$LIBDIR/libmpich.so.12" \
    --legs mpi --sizes 8,64K,1M,4M >"$TMP/out" 2>"$TMP/err" || fail "probe exited $?: $(cat "$TMP/err")"
grep -q "^info	libmpi	$LIBDIR/libmpich.so.12	mpich$" "$TMP/out" || fail "ABI not detected as mpich"
grep -q "^info	mpi_version	4" "$TMP/out" || fail "no MPICH version: $(cat "$TMP/out")"
check_probe_out "$TMP/out" mpi 8 65536 1048576 4194304
[ "$(grep -c '^status	mpi	' "$TMP/out")" = 1 ] || fail "rank 1 wrote records too"
note "took $(elapsed "$t0") s"
