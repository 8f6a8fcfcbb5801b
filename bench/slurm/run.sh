#!/bin/bash
# bench/slurm/run.sh [ROUNDS]: what the SPANK plugin costs a job step, and what the profile.d
# snippet costs a prompt. Not a test: prints numbers, asserts nothing.
#
# 1. srun step launch time (srun -N2 -n2 /bin/true as nobody, on the private two-slurmd
#    cluster of tests/slurm/lib.sh) with and without the plugin in plugstack.conf (Slurm
#    re-reads it at every launch), paired and alternated (on/off, then off/on), ROUNDS pairs
#    (default 15) for each of: no env, a healthy venv, a mismatched env (a warning shown), on
#    two nodes (both slurmd share this machine's cores) and on one (srun -N1 -n1, "-1node":
#    one slurmd per host, as on a real cluster, and a core free for the checker while
#    slurmstepd sets the step up, as on a real many-core node); "-standin": the same with a
#    checker that answers at once, which leaves the plugin's own cost without the check's.
#    Reports the medians, the median of the paired ratios and of the paired differences (with
#    its 95% interval), and
#    what the check took on each node (the plugin's "checked in" lines, SlurmdDebug=verbose):
#    wall time from fork to reaped, how long of it user_init waited for the answer (the
#    checker starts in init_post_opt and works while slurmstepd sets the step up), the
#    checker's CPU (exec and loader included), and the CPU slurmstepd's own thread spent (fork,
#    sending the environment, reading the answer), and how long slurmstepd was held in the
#    plugin's hooks in all (loading libmpiguard, the policy, starting the checker, waiting for
#    and deciding on its answer): what a step waits for on a node with a core free for the
#    checker, as a real node has at step launch (the step's cores are still idle). Then bench/slurm/spawn_floor.sh: what one
#    process start costs here, the unit the checker's CPU is to be read in.
# 2. The prompt hook: __mpiguard_prompt against an empty function, 20,000 calls each,
#    alternated over 5 rounds, in an interactive bash; and strace -c syscall counts of 1,000
#    prompts of each (equal counts: the hook makes no syscall when nothing changed).
set -u
export top_srcdir=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_builddir=${MPG_TOP_BUILDDIR:-$top_srcdir/_build}
ROUNDS=${1:-15}
export SLURMD_DEBUG=verbose
. "$top_srcdir/tests/slurm/lib.sh"
skip() { echo "bench/slurm: skipped: $*" >&2; exit 0; }

start_cluster
make_modules
make_venv "$U/venv"
chown -R nobody: "$U"
MPICH=$W/base/debian-mpi/mpich
OMPI=$W/base/debian-mpi/openmpi
declare -A ENVS=(
    [none]="PATH=/usr/local/bin:/usr/bin:/bin"
    [healthy]="PATH=$U/venv/bin:$OMPI/bin:/usr/bin:/bin VIRTUAL_ENV=$U/venv LMOD_FAMILY_MPI=openmpi LMOD_FAMILY_MPI_VERSION=4.1.4 MPI_HOME=$OMPI LD_LIBRARY_PATH=$OMPI/lib"
    [mismatch]="PATH=$U/venv/bin:$MPICH/bin:/usr/bin:/bin VIRTUAL_ENV=$U/venv LMOD_FAMILY_MPI=mpich LMOD_FAMILY_MPI_VERSION=4.0.2 MPI_HOME=$MPICH LD_LIBRARY_PATH=$MPICH/lib"
)
policy ""
# A stand-in checker that answers "nothing to report" at once: the plugin's own cost (loading
# libmpiguard in slurmstepd, the policy, fork and exec, the answer) without the check's.
printf '#include <unistd.h>\nint main(void) { char b[65536]; while (read(0, b, sizeof b) > 0) {}\n static const char r[] = "mpiguard-step-report 1\\nenv_kind 4\\nnone\\nend 0\\n\\n";\n return write(1, r, sizeof r - 1) < 0; }\n' > "$W/standin.c"
cc -O2 -static -o "$W/standin-checker" "$W/standin.c" 2>/dev/null || cc -O2 -o "$W/standin-checker" "$W/standin.c"
launch() { # SCENARIO MODE -> prints milliseconds
    if [ "$2" != on ]; then : > "$S/plugstack.conf"
    elif [ "${1%-standin}" != "$1" ]; then plugstack "checker=$W/standin-checker"
    else plugstack; fi
    local t0 t1 nodes=2 sc=${1%-standin}
    [ "${sc%-1node}" != "$sc" ] && nodes=1
    t0=$(date +%s%N)
    USER_ENV="${ENVS[${sc%-1node}]}" as_user /usr/bin/srun -N$nodes -n$nodes /bin/true >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}
. "$top_srcdir/bench/common/stats.sh"

echo "# srun -N2 -n2 /bin/true as nobody (-1node: -N1 -n1), $ROUNDS alternated pairs per scenario (times in ms)"
printf '%-22s %8s %8s %8s %-24s %11s %9s %12s %15s %10s\n' scenario "with" "without" "ratio" "diff(ms) [95% interval]" "check(wall)" "waited" "checker(CPU)" "slurmstepd(CPU)" "held"
for sc in none healthy mismatch mismatch-standin none-1node healthy-1node mismatch-1node mismatch-1node-standin; do
    : > "$W/$sc.on"; : > "$W/$sc.off"; : > "$W/$sc.ratio"; : > "$W/$sc.diff"
    launch "$sc" on >/dev/null # warm-up
    before1=$(wc -l < "$S/slurmd-n1.log") before2=$(wc -l < "$S/slurmd-n2.log")
    for i in $(seq "$ROUNDS"); do
        if [ $((i % 2)) = 1 ]; then a=$(launch "$sc" on); b=$(launch "$sc" off); else b=$(launch "$sc" off); a=$(launch "$sc" on); fi
        echo "$a" >> "$W/$sc.on"
        echo "$b" >> "$W/$sc.off"
        awk -v a="$a" -v b="$b" 'BEGIN { print a / b }' >> "$W/$sc.ratio"
        awk -v a="$a" -v b="$b" 'BEGIN { print (a - b) / 1000 }' >> "$W/$sc.diff"
    done
    lines=$({ tail -n +"$((before1 + 1))" "$S/slurmd-n1.log"; tail -n +"$((before2 + 1))" "$S/slurmd-n2.log"; } | grep 'checked in')
    inside=$(echo "$lines" | sed -n 's/.*checked in \([0-9.]*\) ms.*/\1/p' | median)
    waited=$(echo "$lines" | sed -n 's/.*waited \([0-9.]*\) ms.*/\1/p' | median)
    cpu=$(echo "$lines" | sed -n 's/.*checker CPU \([0-9.]*\) ms.*/\1/p' | median)
    own=$(echo "$lines" | sed -n 's/.*slurmstepd CPU \([0-9.]*\) ms.*/\1/p' | median)
    held=$(echo "$lines" | sed -n 's/.*held in the plugin \([0-9.]*\) ms.*/\1/p' | median)
    printf '%-22s %8.1f %8.1f %8.3f %-24s %8s ms %6s ms %9s ms %12s ms %7s ms\n' "$sc" "$(median < "$W/$sc.on" | awk '{ print $1 / 1000 }')" \
        "$(median < "$W/$sc.off" | awk '{ print $1 / 1000 }')" "$(median < "$W/$sc.ratio")" "$(median_ci "%.2f [%.2f-%.2f]" < "$W/$sc.diff")" "${inside:-?}" \
        "${waited:-?}" "${cpu:-?}" "${own:-?}" "${held:-?}"
done

echo
echo "# what starting one process costs on this machine (the checker is one per node per step)"
bash "$top_srcdir/bench/slurm/spawn_floor.sh" 100 2>&1 | tail -n +2

echo
echo "# the prompt hook (site/mpiguard.sh) when nothing changed, in an interactive bash"
SNIPPET=$top_builddir/site/mpiguard.sh
{
    echo ". $SNIPPET"
    echo '__noop() { return $?; }'
    echo "export VIRTUAL_ENV=$U/venv LMOD_FAMILY_MPI=mpich"
    echo '__mpiguard_prompt 2>/dev/null  # the first prompt after the change runs the check: not timed'
    echo 'TIMEFORMAT=%R'
    echo 'for r in 1 2 3 4 5; do for f in __noop __mpiguard_prompt; do'
    echo '  t=$( { time for ((i = 0; i < 20000; i++)); do $f; done; } 2>&1 ); echo "$f $t"'
    echo 'done; done'
} > "$W/hook.sh"
env -i PATH=/usr/bin:/bin HOME="$W" bash --norc -i "$W/hook.sh" 2>/dev/null > "$W/hook.out"
for f in __noop __mpiguard_prompt; do
    m=$(awk -v f="$f" '$1 == f { print $2 }' "$W/hook.out" | median)
    printf '%-18s %8.2f us per prompt (median of 5 x 20,000 calls)\n' "$f" "$(awk -v m="$m" 'BEGIN { print m / 20000 * 1e6 }')"
done
for f in __noop __mpiguard_prompt; do
    {
        echo ". $SNIPPET"
        echo '__noop() { return $?; }'
        echo "export VIRTUAL_ENV=$U/venv LMOD_FAMILY_MPI=mpich __MPIGUARD_ENV_SEEN=$U/venv:"
        echo "for ((i = 0; i < 1000; i++)); do $f; done"
    } > "$W/hook-$f.sh"
    env -i PATH=/usr/bin:/bin HOME="$W" strace -f -c -o "$W/strace-$f" bash --norc -i "$W/hook-$f.sh" >/dev/null 2>&1
    printf '%-18s %8s syscalls in all for a bash running 1,000 prompts, %s forks\n' "$f" \
        "$(awk '$NF == "total" { print $4 }' "$W/strace-$f")" "$(awk '$NF ~ /^(clone|clone3|fork|vfork)$/ { s += $4 } END { print s + 0 }' "$W/strace-$f")"
done
