#!/bin/bash
# The body of bench_session.sh, in the tests' clean environment; MPG_BENCH_N is the number of
# modules loaded before the measured `load hello`.
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/common/callgrind.sh"
printf '[general]\nlog = no\n' > "$POLICY"
mkdir -p "$T/site-off" "$T/site-empty"
: > "$T/site-off/SitePackage.lua"
printf 'local hook = require("Hook")\nhook.register("finalize", function(kind) end)\n' > "$T/site-empty/SitePackage.lua"
declare -A SITE=([off]=$T/site-off [empty]=$T/site-empty [on]=$T/site)
names=()
for ((i = 1; i <= ${MPG_BENCH_N:-20}; i++)); do # names of an EasyBuild toolchain's modules, numbered
    n=$(printf 'GCCcore zlib binutils ncurses bzip2 XZ SQLite Tcl GMP libxml2 OpenBLAS FFTW ScaLAPACK Boost CMake HDF5 netCDF Python SciPy-bundle Perl' |
        cut -d' ' -f$(( (i - 1) % 20 + 1 )))
    ((i > 20)) && n=$n$i
    mkdir -p "$T/base/modulefiles/debian/$n"
    printf 'setenv("BENCH_MODULE_%d", "1")\n' "$i" > "$T/base/modulefiles/debian/$n/1.0.lua"
    names+=("$n")
done
faketime=(/usr/lib/*/faketime/libfaketime.so.1)
fake=()
[ -f "${faketime[0]}" ] && fake=(env LD_PRELOAD="${faketime[0]}" FAKETIME="2099-01-01 00:00:00" NO_FAKE_STAT=1 TZ=UTC)
setarch=()
setarch -R true 2>/dev/null && setarch=(setarch -R)
printf 'Lmod %s, `load hello` with %d modules loaded:' "$LMOD_VERSION" "${#names[@]}"
for cfg in off empty on; do
    (
        eval "$(LMOD_PACKAGE_PATH=${SITE[$cfg]} "$LMOD_CMD" bash load "${names[@]}" 2>/dev/null)"
        rm -rf "$T/cg"; mkdir -p "$T/cg"
        LMOD_PACKAGE_PATH=${SITE[$cfg]} "${fake[@]}" "${setarch[@]}" "${CALLGRIND_ALL[@]}" \
            --callgrind-out-file="$T/cg/cg.%p" "$LMOD_CMD" bash load hello >/dev/null 2>&1
        printf ' %s %d' "$cfg" "$(cg_sum "$T/cg" cg.)"
    )
done
echo
