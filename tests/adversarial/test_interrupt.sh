#!/bin/bash
# Issue #8, point 2: Ctrl-C (and SIGTERM, SIGHUP) during `module test-mpi` or `mpiguard
# test-mpi` leaves no process of the run behind, and the shell sees the signal's status
# (130, 143, 129). The run is kept busy by an mpi4py leg that never ends (ranks that meet,
# then sleep), under Open MPI's real launcher; the signal goes to the whole foreground
# process group, as a terminal sends it, or to mpiguard alone, as `kill` does. Afterwards
# `ps` must show no process of the run's session.
. "$(dirname "$0")/lib.sh"
[ -x "$BUILD/src/mpiguard-probe" ] || skip "no $BUILD/src/mpiguard-probe (run make)"
[ -d /usr/lib/python3/dist-packages/mpi4py ] || skip "python3-mpi4py is not installed"
command -v setsid >/dev/null || skip "no setsid (util-linux)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export MPIGUARD_PROBE=$BUILD/src/mpiguard-probe

marker=mpg-hang-$$
cat > "$T/$marker.py" <<'PY'
import time
from mpi4py import MPI
MPI.COMM_WORLD.Barrier()
print("hanging", flush=True)
time.sleep(600)
PY
printf 'sleep 600\n' > "$T/$marker.sh"
make_venv "$T/venv"
activate_venv "$T/venv"
mod load openmpi
# what the run launches (the mpi4py leg: the env's python and the hanging script) and how its
# two ranks look in ps
LEG=(--legs mpi4py --timeout 120 --script "$T/$marker.py")
RANKS="^$T/venv/bin/python $T/$marker.py"

session_left() { ps -eo sid=,pid=,args= | awk -v s="$1" '$1 == s' | grep -v ' ps -eo' ; }
# wait_ranks: until both hanging ranks run (30 s at most): two processes whose program is the
# venv's python and whose script is the marker (not mpiguard's or the launcher's command line)
wait_ranks() {
    local i
    for i in $(seq 300); do
        [ "$(pgrep -fc "$RANKS")" -ge 2 ] && return 0
        sleep 0.1
    done
    return 1
}
# after SID WHAT: nothing of session SID may be left (10 s at most), nor any rank
after() {
    local i left
    for i in $(seq 100); do
        left=$(session_left "$1")
        [ -z "$left" ] && ! pgrep -f "$marker" >/dev/null && break
        sleep 0.1
    done
    left=$(session_left "$1"; pgrep -af "$marker")
    if [ -n "$left" ]; then
        fail "$2: processes left behind: $left"
        pkill -KILL -s "$1" 2>/dev/null; pkill -KILL -f "$marker" 2>/dev/null
    else
        pass "$2: no process of the run is left"
    fi
}

# interrupt SIG STATUS HOW: one run, SIG sent to the group (HOW=group) or to mpiguard (HOW=mpiguard)
# (SIGNALS_AT_START: env options for the signals the run starts with; a terminal's by default)
interrupt() {
    local sig=$1 want=$2 how=$3 via=$4 pid rc target
    local at_start=${SIGNALS_AT_START:---default-signal=INT,QUIT,HUP,TERM}
    # `env --default-signal`: a background job of a script starts with SIGINT and SIGQUIT
    # ignored, and one run under nohup with SIGHUP ignored, which a terminal's foreground job
    # does not (a shell that ignores SIGHUP rightly carries on: exit 0, not 129)
    if [ "$via" = module ]; then
        setsid env $at_start bash -c 'pre=$1 lmod=$2; shift 2; eval "$(LD_PRELOAD="$pre" "$lmod" bash test-mpi -- "$@")"' \
            _ "$SAN_PRELOAD" "$LMOD_CMD" "${LEG[@]}" > "$T/int.out" 2> "$T/int.err" &
    else
        setsid env $at_start "$BUILD/src/mpiguard" test-mpi "${LEG[@]}" > "$T/int.out" 2> "$T/int.err" &
    fi
    pid=$!
    if ! wait_ranks; then
        fail "$via $sig: the ranks never started: $(tail -5 "$T/int.err")"
        pkill -KILL -s "$pid"; wait "$pid"; return
    fi
    if [ -n "${HANGUP_FIRST:-}" ]; then
        # under nohup a hangup leaves the run going, as it does any command
        kill -s HUP -- "-$pid"
        sleep 2
        [ "$(pgrep -fc "$RANKS")" -ge 2 ] && pass "$via test-mpi under nohup: SIGHUP leaves the run going" ||
            fail "$via test-mpi under nohup: SIGHUP stopped the run: $(tail -3 "$T/int.err")"
    fi
    if [ "$how" = group ]; then
        kill -s "$sig" -- "-$pid"
    else
        target=$(pgrep -s "$pid" -f 'mpiguard test-mpi' | head -1)
        kill -s "$sig" "$target"
    fi
    wait "$pid"; rc=$?
    expect_eq "$rc" "$want" "$via test-mpi, SIG$sig to the $how: exit status"
    after "$pid" "$via test-mpi, SIG$sig to the $how"
    grep -q "^mpiguard test-mpi: interrupted" "$T/int.err" && pass "$via $sig: says it was interrupted" ||
        fail "$via $sig: no word of the interruption: $(tail -3 "$T/int.err")"
}

interrupt INT 130 group module
interrupt TERM 143 group module
interrupt HUP 129 group module
SIGNALS_AT_START="--default-signal=INT,QUIT,TERM --ignore-signal=HUP" HANGUP_FIRST=1 \
    interrupt INT 130 group module
interrupt INT 130 mpiguard mpiguard
interrupt TERM 143 mpiguard mpiguard

# MPICH's launcher (Hydra: mpiexec, hydra_pmi_proxy, the ranks), two ranks of /bin/sh sleeping
mod swap openmpi mpich
LEG=(--legs mpi4py --timeout 120 --python /bin/sh --script "$T/$marker.sh")
RANKS="^/bin/sh $T/$marker.sh"
interrupt INT 130 group module
interrupt TERM 143 mpiguard mpiguard
finish
