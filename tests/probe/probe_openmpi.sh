#!/bin/bash
# The installed mpiguard-probe, unchanged, measures real Open MPI (Open MPI ABI, libmpi.so.40)
# launched by Open MPI's own mpirun.
. "$(dirname "$0")/common.sh"
need_openmpi
openmpi_env
need_probe
t0=$(now)
timeout 60 mpirun.openmpi -n 2 "$MPIGUARD_PROBE" --libmpi "$LIBDIR/libmpi.so.40" \
    --legs mpi --sizes 8,64K,1M,4M >"$TMP/out" 2>"$TMP/err" || fail "probe exited $?: $(cat "$TMP/err")"
grep -q "^info	libmpi	$LIBDIR/libmpi.so.40	openmpi$" "$TMP/out" || fail "ABI not detected as openmpi"
grep -q "^info	mpi_version	4" "$TMP/out" || fail "no Open MPI version: $(cat "$TMP/out")"
check_probe_out "$TMP/out" mpi 8 65536 1048576 4194304
[ "$(grep -c '^status	mpi	' "$TMP/out")" = 1 ] || fail "rank 1 wrote records too"
note "took $(elapsed "$t0") s"
