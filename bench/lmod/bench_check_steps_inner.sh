#!/bin/bash
# The body of bench_check_steps.sh, run in the tests' clean environment (tests/lmod/lib.sh),
# with MPG_TOP_BUILDDIR the stamped copy's build (its hooks and binding).
. "$MPG_TOP_SRCDIR/tests/lmod/lib.sh"
. "$MPG_TOP_SRCDIR/bench/lmod/shapes.sh"
N=${MPG_BENCH_N:-100}
printf '[general]\nlog = no\n' > "$POLICY"
echo "Lmod $("$LMOD_CMD" --version 2>&1 | grep -o 'Version [0-9.]*'), check{} step by step in microseconds (elapsed, CLOCK_MONOTONIC), N=$N runs a row: median [25%-75%]"

# row NAME PRE ARGS...: N runs of `module ARGS` from the state `module PRE` leaves, each
# printing its check{} stamps on stderr; the report
row() {
    local name=$1 pre=$2 i; shift 2
    (
        if [ -n "$pre" ]; then eval "$("$LMOD_CMD" bash $pre 2>/dev/null)"; fi
        export -p > "$T/state"
        "$LMOD_CMD" bash "$@" >/dev/null 2>&1 # the caches Lmod keeps, and the listing cache
        : > "$T/stamps"
        for ((i = 0; i < N; i++)); do
            (
                . "$T/state"
                [ -n "${COLD:-}" ] && rm -rf "$HOME/.cache/mpiguard"
                MPG_CHECK_STAMPS=1 "$LMOD_CMD" bash "$@" 2>&1 >/dev/null | grep '^MPGCHECK ' >> "$T/stamps"
            )
        done
        python3 - "$name" "$N" "$T/stamps" <<'PY'
import statistics, sys
name, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
labels = {
    "options": "the binding: check{}'s options read",
    "envsnap": "the binding: the environment snapshot",
    "policy": "the policy file read and parsed",
    "core_start": "the core: the pass begun (variables it ignores noted)",
    "env_found": "the env found: python on PATH, pyvenv.cfg, conda-meta, the user's site",
    "m_named": "the module: its name (family, LOADEDMODULES)",
    "m_prefix": "the module: its prefix variable resolved",
    "m_path": "the module: mpicc (or mpiexec) on PATH, and its prefix",
    "m_mpicc": "the module: its mpicc",
    "m_libmpi_found": "the module: its libmpi found (lib folders, LD_LIBRARY_PATH)",
    "m_libmpi_identified": "the module: that libmpi identified (its ELF, or the listing cache)",
    "m_wrappers": "the module: mpicxx, mpifort, mpiexec",
    "module_end": "the module: the rest",
    "exports_taken": "the exports taken from the module",
    "extensions": "the env's MPI-linked extensions found and resolved (the loader)",
    "conda": "conda-meta's MPI records",
    "libs_identified": "the extensions' libmpi identified",
    "findings": "the findings worked out",
    "pass_end": "the pass's own memory freed",
    "core_end": "the core: the listing cache written, the report handed back",
    "policy_applied": "the policy applied to the findings",
    "message": "the message composed (brief)",
    "log": "the site log (findings only)",
    "sync": "the sync plan of MPICC & co., the result tables, frees",
}
runs = []
for line in open(path):
    run = {}
    for kv in line.split()[1:]:
        k, v = kv.split("=")
        run[k] = run.get(k, 0.0) + float(v)
    run["total"] = sum(run.values())
    runs.append(run)
print("%s (%d of %d runs ran check{})" % (name, len(runs), n))
if not runs:
    sys.exit(0)
order = []
for r in runs:
    for k in r:
        if k not in order and k != "total":
            order.append(k)
order.append("total")
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]
for k in order:
    v = [r[k] for r in runs if k in r]
    if len(v) * 2 < len(runs):
        continue
    label = labels.get(k, "check{} in all (the sum of the steps)" if k == "total" else k)
    print("  %-72s %7.1f [%.1f-%.1f]" % (label, statistics.median(v), q(v, 0.25), q(v, 0.75)))
PY
    )
}
each_shape row
