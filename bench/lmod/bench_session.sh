#!/bin/bash
# bench_session.sh [K] [MODULES]: what the hooks cost a non-MPI command (`load hello`) in a
# session that has MODULES non-MPI modules loaded (default 20: a toolchain's worth), the
# instructions of the same Lmod without mpiguard ("off"), with an empty finalize hook ("empty")
# and with mpiguard ("on"), all processes, under libfaketime and `setarch -R`; the mean over K
# set-ups (default 3: each has its own temporary folder, whose name moves Lmod's own counts).
# The finalize hook looks for the loaded MPI before and after every command; this is where a
# cost per loaded module shows. MPG_TOP_BUILDDIR selects the build (bench/baseline.sh makes an
# older one). A benchmark: nothing passes or fails.
export MPG_TOP_SRCDIR=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export MPG_TOP_BUILDDIR=${MPG_TOP_BUILDDIR:-$MPG_TOP_SRCDIR}
k=${1:-3} mods=${2:-20}
command -v valgrind >/dev/null || { echo "bench_session: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
for ((i = 0; i < k; i++)); do
    MPG_BENCH_N=$mods bash "$MPG_TOP_SRCDIR/bench/lmod/bench_session_inner.sh" | tail -n 1
done | awk '{for (i = 1; i < NF; i++) {if ($i == "off") off += $(i + 1); if ($i == "empty") empty += $(i + 1); if ($i == "on") on += $(i + 1)}
            n++; print}
    END {printf "mean of %d: on-off %+.3f M (%.4f), on-empty %+.3f M (%.4f)\n", n, (on - off) / n / 1e6, on / off,
         (on - empty) / n / 1e6, on / empty}'
