#!/bin/bash
# One syslog line per finding in the shared format (mpiguard.h: code and action first, then
# source, user, module, env kind, name and prefix, job, step, node, and the fix), read back
# from a test syslog socket named by the site policy's log_socket.
. "$(dirname "$0")/lib.sh"

SOCK=$T/log.sock
LOG=$T/log.txt
. "$MPG_TOP_SRCDIR/tests/common/syslog_listener.sh"
start_syslog_listener "$SOCK" "$LOG" 20 || skip "could not start a test syslog listener"
trap 'kill $LISTENER 2>/dev/null; rm -rf "$T"' EXIT

make_venv "$T/venv"
activate_venv "$T/venv"
printf '[general]\nlog_socket = %s\n' "$SOCK" > "$POLICY"
mod load mpich
sleep 0.5
expect_grep "^<12>.* mpiguard\[[0-9]*\]: code=ABI_MISMATCH action=warn source=lmod user=$(id -un) module=mpich/4.0.2 env=venv env_name=venv prefix=$T/venv job=- step=- node=- fix=\"MPICC=$MPICH_HOME_DIR/bin/mpicc python -m pip install " "$LOG" "syslog line written"
n=$(grep -c . "$LOG")
expect_eq "$n" "$(grep -c "^(mpiguard findings" "$ERR" >/dev/null; grep -o "[A-Z_]*=\(note\|warn\|block\)" "$ERR" | wc -l)" "one line per finding shown"
mod purge

: > "$LOG"
printf '[general]\nlog_socket = %s\nlog = no\n' "$SOCK" > "$POLICY"
mod load mpich
sleep 0.5
expect_empty "$LOG" "log = no: nothing written"
expect_grep "ABI_MISMATCH" "$ERR" "log = no: still shown"
mod purge
finish
