#!/bin/bash
# Issue #8, point 7: the syslog line cannot be made to lie or to lose its code. A venv whose
# prefix is ~4,000 characters long, and one whose name holds a newline and terminal escapes:
# each finding still gives one line under 2 kB that starts with code= and action=, has all
# twelve fields, and shows the prefix escaped (\xHH), never raw or silently changed.
. "$(dirname "$0")/../lmod/lib.sh"

SOCK=$T/log.sock
LOG=$T/log.txt
. "$MPG_TOP_SRCDIR/tests/common/syslog_listener.sh"
start_syslog_listener "$SOCK" "$LOG" 30 nul || skip "could not start a test syslog listener"   # a datagram may hold a newline
trap 'kill $LISTENER 2>/dev/null; rm -rf "$T"' EXIT
printf '[general]\nlog_socket = %s\n' "$SOCK" > "$POLICY"

# check_lines WHAT: every datagram is one line < 2048 bytes with all fields in order.
check_lines() {
    python3 - "$LOG" "$1" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().split(b"\0")[:-1]
keys = ["code", "action", "source", "user", "module", "env", "env_name", "prefix", "job", "step", "node", "fix"]
val = r'(?:"(?:[^"\\]|\\.)*"|[^ "]+)'
pat = re.compile(rb"^<\d+>.{15} mpiguard\[\d+\]: " + " ".join(k + "=" + val for k in keys).encode() + rb"$")
bad = [d for d in data if len(d) >= 2048 or b"\n" in d or not pat.match(d)]
if not data or bad:
    print("%s: %d datagrams, bad: %r" % (sys.argv[2], len(data), bad[:1]))
    sys.exit(1)
print("%s: %d lines, longest %d bytes" % (sys.argv[2], len(data), max(map(len, data))))
PY
}

# 1. A 4,000-character prefix.
long=$T/v
for i in $(seq 18); do long=$long/$(printf 'd%.0s' $(seq 200)); done
mkdir -p "$(dirname "$long")"
make_venv "$long"
base_path=$PATH
activate_venv "$long"
mod load mpich
sleep 0.5
if check_lines "long prefix"; then pass "long prefix: every line complete and under 2 kB"; else fail "long prefix: a line lost a field"; fi
expect_grep "code=ABI_MISMATCH action=warn source=lmod " "$LOG" "long prefix: code and action kept"
expect_grep 'prefix="[^"]*\.\.\."' "$LOG" "long prefix: cut with ... inside the quotes"
mod purge
export PATH=$base_path
unset VIRTUAL_ENV

# 2. A venv name with a newline and terminal escapes.
: > "$LOG"
odd=$T/$'evil\n\e]0;owned\a\e[2Jname'
make_venv "$odd"
# Only VIRTUAL_ENV: a newline in a PATH entry is Lmod's own hole (it does not escape newlines
# in the PATH it prints), not one mpiguard can close.
export VIRTUAL_ENV=$odd
mod load mpich
sleep 0.5
if check_lines "odd name"; then pass "odd name: one complete line per finding"; else fail "odd name: line broken"; fi
expect_grep 'env_name="evil\\x0a\\x1b]0;owned\\x07\\x1b\[2Jname"' "$LOG" "odd name: escaped as \\xHH, not dropped"
if grep -q $'\e' "$LOG"; then fail "odd name: a raw escape reached the log"; else pass "odd name: no raw escape in the log"; fi
mod purge
finish
