# Sourced after tests/lmod/lib.sh by bench_breakdown_inner.sh and bench_nocheck_inner.sh: the
# stand-in for a verdict cached from an earlier check (verdict_standin.lua), for `load mpich`.

# standin_file N OUT: the stand-in's file: the four exports the check finds for the MPICH
# module, and N paths with their modification and change times as recorded now.
standin_file() {
    local n=$1 out=$2 v p
    {
        for v in MPICC:mpicc MPI4PY_BUILD_MPICC:mpicc MPICXX:mpicxx MPIFC:mpifort; do
            echo "${v%%:*}=$MPICH_HOME_DIR/bin/${v#*:}"
        done
        find /usr/lib/*-linux-gnu -maxdepth 1 | head -n "$n" | while read -r p; do
            echo "$(stat -L -c '%Y %Z' "$p") $p"
        done
    } > "$out"
}

# standin_sed LUAC FILE: the sed command that makes mpiguard_hooks_register.lua run the
# stand-in (LUAC, verdict_standin.lua precompiled) on FILE in place of the check's chunk.
standin_sed() {
    printf 's|^   local a = actions("mpiguard_hooks_act", what, e)$|   local a = loadfile("%s")(e, "%s")|' "$1" "$2"
}
