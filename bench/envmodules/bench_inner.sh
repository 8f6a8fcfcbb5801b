#!/bin/bash
# The body of bench_load.sh, run in the tests' clean environment (tests/envmodules/lib.sh).
. "$MPG_TOP_SRCDIR/tests/envmodules/lib.sh"
. "$MPG_TOP_SRCDIR/bench/common/callgrind.sh"
N=${MPG_BENCH_N:-40}
# The program a site installs, never libtool's wrapper script of an older build (a shell that
# execs the real program: ~100 ms more; bench/common/cli.sh). An older build's program finds the
# uninstalled libmpiguard through LD_LIBRARY_PATH (set for both arms alike).
. "$MPG_TOP_SRCDIR/bench/common/cli.sh"
mpg_cli_of "$BUILD"
[ -z "$MPG_CLI_LIBS" ] || export LD_LIBRARY_PATH=$MPG_CLI_LIBS
MPIGUARD=$MPG_CLI
"$MPIGUARD" --version >/dev/null || skip "$MPIGUARD does not run"
siteconfig
: > "$T/site/empty.tcl"          # a site without mpiguard
ON=$T/site/siteconfig.tcl        # the check in-process (the Tcl extension)
OFF=$T/site/empty.tcl
TCLEXT= siteconfig
mv "$T/site/siteconfig.tcl" "$T/site/command.tcl"
CMD=$T/site/command.tcl          # the check by `mpiguard module-hook` (no extension)
siteconfig
[ -f "$TCLEXT" ] || skip "no Tcl extension at $TCLEXT (configure found no tcl8.6-dev?)"

# cpu_one SITECONFIG ARGS...: CPU microseconds (user + system of modulecmd.tcl and children,
# from wait4(): bash's `time` gives milliseconds, 3-4% steps on a 25-30 ms command).
cc -O2 -o "$T/cputime" "$MPG_TOP_SRCDIR/bench/common/cputime.c" || { echo "bench_load: cannot build cputime" >&2; exit 2; }
cpu_one() {
    local site=$1; shift
    MODULES_SITECONFIG=$site "$T/cputime" "$TCLSH" "$MODULECMD" bash "$@" >/dev/null 2>"$T/bench.err"
    sed -n 's/^cputime_us=//p' "$T/bench.err"
    sed -i '/^cputime_us=/d' "$T/bench.err"
}
. "$MPG_TOP_SRCDIR/bench/common/stats.sh"

# run_case NAME ARGS...: N alternated pairs (the site with mpiguard: $WITH, default $ON).
run_case() {
    local name=$1 i a b on=${WITH:-$ON}; shift
    : > "$T/pairs.txt"
    cpu_one "$on" "$@" >/dev/null; cpu_one "$OFF" "$@" >/dev/null   # warm caches
    for i in $(seq "$N"); do
        a=$(cpu_one "$OFF" "$@"); b=$(cpu_one "$on" "$@")
        echo "$a $b" >> "$T/pairs.txt"
    done
    local off on ratio
    off=$(awk '{print $1}' "$T/pairs.txt" | median)
    on=$(awk '{print $2}' "$T/pairs.txt" | median)
    ratio=$(awk '$1 > 0 {print $2 / $1}' "$T/pairs.txt" | median)
    printf '%-44s cpu %6.2f -> %6.2f ms, median pair ratio %.3f [%d lines]\n' "$name" \
        "$(echo "$off/1000" | bc -l)" "$(echo "$on/1000" | bc -l)" "$ratio" "$(grep -c . "$T/bench.err")"
}

# instr SITECONFIG ARGS...: instructions of one command, modulecmd.tcl and its children.
instr() {
    local site=$1; shift
    rm -f "$T"/cg.out.*
    MODULES_SITECONFIG=$site "${CALLGRIND_ALL[@]}" \
        --callgrind-out-file="$T/cg.out.%p" "$TCLSH" "$MODULECMD" bash "$@" >/dev/null 2>&1
    cg_sum "$T" cg.out.
}
instr_case() {
    local name=$1 off on; shift
    off=$(instr "$OFF" "$@"); on=$(instr "${WITH:-$ON}" "$@")
    printf '%-44s instructions %d -> %d (x%.3f)\n' "$name" "$off" "$on" "$(echo "$on/$off" | bc -l)"
}

echo "Environment Modules $EM_VERSION, $TCLSH; $N alternated pairs; without -> with mpiguard"
run_case "non-MPI module (hello), no env" load hello
run_case "mpich, no env" load mpich
WITH=$CMD run_case "  same, through mpiguard module-hook" load mpich
make_venv "$T/venv"
( activate_venv "$T/venv"; run_case "openmpi, healthy venv (python3-mpi4py)" load openmpi
  WITH=$CMD run_case "  same, through mpiguard module-hook" load openmpi
  run_case "mpich, mismatched venv (message)" load mpich )
make_conda_bundled "$T/big" 5000
( activate_conda "$T/big"; run_case "mpich, 5,000-record conda env (message)" load mpich )
# A command that does not touch the MPI, with one loaded: the integration returns at once.
mpich_env=$(MODULES_SITECONFIG=$OFF "$TCLSH" "$MODULECMD" bash load mpich 2>/dev/null)
( eval "$mpich_env"; run_case "module list, mpich loaded" list )
# A purge of the MPI mpiguard exported MPICC & co. for: they are given back.
mpich_on_env=$(MODULES_SITECONFIG=$ON "$TCLSH" "$MODULECMD" bash load mpich 2>/dev/null)
mpich_cmd_env=$(MODULES_SITECONFIG=$CMD "$TCLSH" "$MODULECMD" bash load mpich 2>/dev/null)
( eval "$mpich_on_env"; run_case "purge, mpich loaded" purge )
( eval "$mpich_cmd_env"; WITH=$CMD run_case "  same, through mpiguard module-hook" purge )

if command -v valgrind >/dev/null; then
    instr_case "non-MPI module (hello), no env" load hello
    instr_case "mpich, no env" load mpich
    WITH=$CMD instr_case "  same, through mpiguard module-hook" load mpich
    ( activate_venv "$T/venv"; instr_case "openmpi, healthy venv" load openmpi
      WITH=$CMD instr_case "  same, through mpiguard module-hook" load openmpi )
    ( eval "$mpich_env"; instr_case "module list, mpich loaded" list )
    ( eval "$mpich_on_env"; instr_case "purge, mpich loaded" purge )
    ( eval "$mpich_cmd_env"; WITH=$CMD instr_case "  same, through mpiguard module-hook" purge )
else
    echo "(no valgrind: instruction counts skipped; apt-get install valgrind)"
fi

# The CLI on its own, in the environment a `load mpich` produces: what one MPI change forks.
(
    eval "$mpich_env"
    activate_venv "$T/venv"
    : > "$T/cli.txt"
    for i in $(seq "$N"); do
        TIMEFORMAT='%3U %3S'
        t=$( { time "$MPIGUARD" module-hook --module mpich/4.0.2 --policy "$POLICY" >/dev/null 2>&1; } 2>&1 )
        set -- $t; echo "($1+$2)*1000000/1" | bc >> "$T/cli.txt"
    done
    printf '%-44s cpu %6.2f ms (median of %d)\n' "mpiguard module-hook alone, venv" \
        "$(echo "$(median < "$T/cli.txt")/1000" | bc -l)" "$N"
    # What one exec from Tcl costs: tclsh running 20 of each (CPU per call, children included),
    # minus tclsh alone.
    per_exec() { # TCL-COMMAND
        local TIMEFORMAT='%3U %3S' t
        t=$( { time "$TCLSH" <<<"for {set i 0} {\$i < 20} {incr i} { $1 }" >/dev/null 2>&1; } 2>&1 )
        set -- $t; echo "($1+$2)*1000/20" | bc -l
    }
    base=$(per_exec "")
    for c in "exec /bin/true" "exec $MPIGUARD --version" \
             "exec $MPIGUARD module-hook --module mpich/4.0.2 --policy $POLICY"; do
        printf '%-44s cpu %6.2f ms a call\n' "tclsh: ${c%% --module*}" "$(echo "$(per_exec "$c") - $base" | bc -l)"
    done
    if command -v valgrind >/dev/null; then
        rm -f "$T"/cg.out.*
        valgrind --tool=callgrind --callgrind-out-file="$T/cg.out.1" "$MPIGUARD" module-hook \
            --module mpich/4.0.2 --policy "$POLICY" >/dev/null 2>&1
        printf '%-44s instructions %d\n' "mpiguard module-hook alone, venv" \
            "$(sed -n 's/^summary: //p' "$T/cg.out.1")"
        valgrind --tool=callgrind --callgrind-out-file="$T/cg.out.2" "$MPIGUARD" --version >/dev/null 2>&1
        printf '%-44s instructions %d\n' "mpiguard --version (start-up alone)" \
            "$(sed -n 's/^summary: //p' "$T/cg.out.2")"
    fi
)
