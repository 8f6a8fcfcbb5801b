#!/bin/bash
# site/mpiguard-profile.sh (built as site/mpiguard.sh) in a real interactive bash and zsh,
# each in a tmux pseudo-terminal, with real Lmod and the reference MPICH module: `module load
# mpich` then `source venv/bin/activate` shows the finding once; deactivate and unrelated
# prompts show nothing; the user's $? and prompt are untouched; MPIGUARD_SHELL=off silences it;
# unrelated prompts fork nothing (strace -f -c on the shell).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/_build}
SNIPPET=$top_builddir/site/mpiguard.sh
TNAME=test_profile
FAILS=0
skip() { echo "SKIP $TNAME: $*" >&2; exit 77; }
fail() { echo "FAIL $TNAME: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok   $TNAME: $*"; }
note() { echo "#    $TNAME: $*"; }
[ -f "$SNIPPET" ] || skip "$SNIPPET not built (make)"
[ -x "$top_builddir/src/mpiguard" ] || skip "mpiguard not built"
command -v tmux >/dev/null || skip "tmux not found (apt-get install tmux)"
[ -f /usr/share/lmod/lmod/init/bash ] || skip "no Lmod (apt-get install lmod)"
[ -d /usr/lib/python3/dist-packages/mpi4py ] || skip "python3-mpi4py is not installed"

T=$(mktemp -d /var/tmp/mpg-shell.XXXXXX)
SOCK=mpgshell$$
cleanup() {
    tmux -L "$SOCK" kill-server 2>/dev/null
    sleep 0.3 # the shells' last writes
    [ -n "${MPG_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$T/base/modulefiles"
cp -r "$top_srcdir/modulefiles/debian" "$T/base/modulefiles/"
sh "$top_srcdir/modulefiles/mkdebian.sh" "$T/base" 2>/dev/null
/usr/bin/python3 -m venv --system-site-packages --without-pip "$T/venv" >/dev/null 2>&1 || skip "python3 -m venv failed"

# The user's own prompt hook records the status it sees: it must be the user's command's.
cat > "$T/bashrc" <<RC
PS1='PROMPT> '
. /usr/share/lmod/lmod/init/bash
export MODULEPATH=$T/base/modulefiles/debian
PROMPT_COMMAND='echo "pc=\$?" > $T/pc'
. $SNIPPET
RC
mkdir -p "$T/zdot"
cat > "$T/zdot/.zshrc" <<RC
PS1='PROMPT> '
. /usr/share/lmod/lmod/init/zsh
export MODULEPATH=$T/base/modulefiles/debian
precmd() { echo "pc=\$?" > $T/pc }
. $SNIPPET
RC

# pane SESSION: its whole text, without the blank lines below the cursor
pane() { tmux -L "$SOCK" capture-pane -p -J -S - -t "$1" | awk 'NF { n = NR } { l[NR] = $0 } END { for (i = 1; i <= n; i++) print l[i] }'; }
prompts() { pane "$1" | grep -c 'PROMPT> '; }
# send SESSION COMMAND: types it, then waits for the next prompt.
send() {
    local before
    before=$(prompts "$1")
    tmux -L "$SOCK" send-keys -t "$1" "$2" Enter
    for _ in $(seq 300); do
        [ "$(prompts "$1")" -gt "$before" ] && return 0
        sleep 0.05
    done
    fail "no prompt after '$2' in $1: $(pane "$1" | tail -5)"
}
# since SESSION: the pane's text after the last marker line before this command
mark_here() { MARK=$(pane "$1" | wc -l); }
since() { pane "$1" | tail -n +"$((MARK + 1))"; }

shell_case() { # SESSION LABEL
    local s=$1 what=$2
    send "$s" "module load mpich"
    mark_here "$s"
    send "$s" "source $T/venv/bin/activate"
    [ "$(since "$s" | grep -c 'mpiguard: warn ABI_MISMATCH')" = 1 ] && pass "$what: activate after module load shows the finding once" ||
        fail "$what: activate after load: $(pane "$s")"
    mark_here "$s"
    send "$s" ":"
    send "$s" "true"
    since "$s" | grep -q mpiguard && fail "$what: unrelated prompts repeat it: $(since "$s")" || pass "$what: unrelated prompts show nothing"
    mark_here "$s"
    send "$s" "deactivate"
    since "$s" | grep -q mpiguard && fail "$what: deactivate shows something: $(since "$s")" || pass "$what: deactivate shows nothing"
    send "$s" "false"
    [ "$(cat "$T/pc")" = "pc=1" ] && pass "$what: the user's prompt hook still sees \$? = 1" || fail "$what: \$? seen: $(cat "$T/pc")"
    send "$s" 'echo "ps1=[$PS1]"'
    pane "$s" | grep -q '^ps1=\[PROMPT> \]' && pass "$what: prompt unchanged" || fail "$what: PS1 changed: $(pane "$s" | grep ps1=)"
    mark_here "$s"
    send "$s" "export MPIGUARD_SHELL=off; source $T/venv/bin/activate"
    since "$s" | grep -q mpiguard && fail "$what: MPIGUARD_SHELL=off does not silence it" || pass "$what: MPIGUARD_SHELL=off silences it"
    send "$s" "deactivate; unset MPIGUARD_SHELL"
}

tmux -L "$SOCK" -f /dev/null new-session -d -s b -x 250 -y 50 \
    "env -i HOME=$T TERM=xterm LANG=C.UTF-8 PATH=$top_builddir/src:/usr/bin:/bin bash --noprofile --rcfile $T/bashrc -i" ||
    skip "tmux cannot start a session"
shell_case b bash

# Unrelated prompts fork nothing: strace the interactive bash while it shows 20 prompts.
bpid=$(tmux -L "$SOCK" list-panes -t b -F '#{pane_pid}')
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    send b "source $T/venv/bin/activate"   # the env is active: the hook has a key to compare
    strace -f -c -o "$T/strace" -p "$bpid" 2>/dev/null &
    st=$!
    sleep 0.5
    for i in $(seq 20); do send b ":"; done
    kill -INT "$st"
    wait "$st" 2>/dev/null
    forks=$(awk '$NF ~ /^(clone|clone3|fork|vfork|execve)$/ { s += $4 } END { print s + 0 }' "$T/strace")
    [ "$forks" = 0 ] && pass "20 unrelated prompts: 0 fork/clone/execve (strace -f -c)" ||
        fail "20 unrelated prompts forked $forks times: $(cat "$T/strace")"
    note "20 unrelated prompts, syscalls per prompt: $(awk '$NF == "total" { printf "%.1f", $3 / 20 }' "$T/strace") (bash reading the line and the prompt's own hook)"
    # ... and the prompt after an activation does run the check (the count above can be non-zero).
    send b "deactivate"
    strace -f -c -o "$T/strace2" -p "$bpid" 2>/dev/null &
    st=$!
    sleep 0.5
    send b "source $T/venv/bin/activate"
    kill -INT "$st"
    wait "$st" 2>/dev/null
    forks=$(awk '$NF ~ /^(clone|clone3|fork|vfork)$/ { s += $4 } END { print s + 0 }' "$T/strace2")
    [ "$forks" -ge 1 ] && pass "the prompt after activate runs the check ($forks fork)" || fail "no fork seen after activate: strace cannot see forks?"
else
    note "strace cannot attach here: fork count not measured"
fi

if command -v zsh >/dev/null; then
    tmux -L "$SOCK" new-session -d -s z -x 250 -y 50 \
        "env -i HOME=$T ZDOTDIR=$T/zdot TERM=xterm LANG=C.UTF-8 PATH=$top_builddir/src:/usr/bin:/bin zsh -i" ||
        fail "tmux cannot start zsh"
    shell_case z zsh
else
    fail "zsh not installed (apt-get install zsh): the zsh case did not run"
fi
[ "$FAILS" -gt 0 ] && { echo "$TNAME: $FAILS failure(s)" >&2; exit 1; }
exit 0
