#!/bin/bash
# test_report.sh: `mpiguard report` over report.syslog (every accepted line format: the socket's,
# rsyslog's BSD and RFC 3339 files, RFC 5424, journal JSON with text and byte MESSAGE; both
# field orders; other programs' lines; damaged lines): counts, distinct envs, --since/--until,
# --json, --csv, stdin, the progress line, constant memory, bad input and usage errors.
set -u
BUILD=${MPG_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SRC=${MPG_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
M=$BUILD/src/mpiguard
LOG=$SRC/tests/cli/report.syslog
[ -x "$M" ] || { echo "SKIP: $M not built" >&2; exit 77; }
T=$(mktemp -d /tmp/mpg-report.XXXXXX)
trap 'rm -rf "$T"' EXIT
export TZ=UTC
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
report() { "$M" report --year 2025 "$@" > "$T/out" 2> "$T/err"; }
PYHEAD='import json, sys
d = json.load(open(sys.argv[1]))
def row(rows, key):
    m = [r for r in rows if r["key"] == key]
    assert len(m) == 1, (key, rows)
    return m[0]
exec(sys.argv[2])'
check_json() { # label python-assertions (d: the JSON; row(rows, key): the one row of that key)
    local label=$1
    if python3 -c "$PYHEAD" "$T/out" "$2" 2> "$T/py"; then ok "$label"; else bad "$label: $(tail -3 "$T/py")"; fi
}

report --json "$LOG"
[ $? = 0 ] && ok "exit 0 with damaged lines in the log" || bad "exit status $?"
check_json "line counts" '
assert d["schema"] == "mpiguard.report/1"
assert d["lines"] == {"read": 14, "findings": 9, "other_programs": 2, "unparsable": 2, "outside_period": 0}, d["lines"]'
check_json "per code, with distinct users and envs" '
c = {r["key"]: (r["warn"], r["block"], r["note"], r["users"], r["envs"]) for r in d["by_code"]}
assert c == {"ABI_MISMATCH": (4, 0, 0, 2, 2), "ENV_BUNDLED_MPI": (1, 1, 0, 2, 2), "VERSION_MISMATCH": (0, 0, 1, 1, 0),
             "LIBMPI_NOT_FOUND": (1, 0, 0, 1, 1), "MPI_INSTALL_MISMATCH": (1, 0, 0, 1, 1)}, c'
check_json "totals: 7 users, 6 distinct envs (the same prefix in three lines and two formats is one env)" '
t = d["total"]; assert (t["total"], t["users"], t["envs"]) == (9, 7, 6), t'
check_json "per module, user, env kind, source, with per-code rows" '
m = row(d["by_module"], "mpich/4.0.2"); assert (m["total"], m["users"]) == (5, 3), m
assert m["codes"]["ABI_MISMATCH"]["total"] == 4 and m["codes"]["LIBMPI_NOT_FOUND"]["total"] == 1, m
assert row(d["by_user"], "alice")["total"] == 2 and row(d["by_user"], "erin")["envs"] == 1
k = row(d["by_env_kind"], "conda"); assert (k["total"], k["envs"]) == (3, 3), k
assert row(d["by_env_kind"], "none")["envs"] == 0
assert row(d["by_source"], "slurm")["block"] == 1 and row(d["by_source"], "modules")["total"] == 1
assert row(d["by_source"], "-")["total"] == 3   # mpiguard 0.1 lines had no source'
check_json "per day and ISO week, local time; journal time stamps; RFC 3339 offsets" '
days = {r["key"]: r["total"] for r in d["by_day"]}
assert days == {"2025-11-24": 2, "2025-11-25": 2, "2025-11-26": 2, "2025-11-27": 1, "2025-11-28": 1, "2025-12-02": 1}, days
assert [r["key"] for r in d["by_week"]] == ["2025-W48", "2025-W49"], d["by_week"]
assert d["first"] == "2025-11-24T03:10:01+0000" and d["last"] == "2025-12-02T09:00:00+0000", (d["first"], d["last"])'
check_json "top fixes: quoted values unescaped, the env prefix folded into <env>" '
f = {r["key"]: r["total"] for r in d["top_fixes"]}
assert f == {"MPICC=/opt/mpich/bin/mpicc python -m pip install --no-binary=mpi4py mpi4py": 2,
             "conda install -p \"<env>\" -c conda-forge/label/mpi-external \"openmpi=4.1\"": 1}, f'
check_json "no raw prefixes unless --envs" 'assert "by_env" not in d'
grep -q 'report.syslog:6: skipped: an unterminated quote' "$T/err" && grep -q 'report.syslog:7: skipped: a word that is not key=value' "$T/err" &&
    ok "damaged lines named on stderr with file:line and why" || bad "damaged lines: $(cat "$T/err")"

report --json --envs "$LOG"
check_json "--envs lists each env: prefixes unquoted; a byte that is not UTF-8 shown as \\xff" '
e = {r["key"] for r in d["by_env"]}
assert "/home/carol/my envs/x" in e and "/home/gina/a\x1b[31mred" in e and "/home/erin/e\\xff" in e, e
assert len(e) == 6, e'

report "$LOG"
grep -q '^  ABI_MISMATCH  *0  *4  *0  *4  *2  *2$' "$T/out" && ok "text: per-code table" || bad "text per code: $(cat "$T/out")"
grep -q '^  from 2025-11-24 03:10 to 2025-12-02 09:00: 7 users, 6 distinct envs' "$T/out" && ok "text: period and totals" || bad "text head: $(head -3 "$T/out")"
if LC_ALL=C grep -q $'\x1b' "$T/out"; then bad "text: an escape byte from a user's path reached the terminal"; else ok "text: control bytes from the log are not printed raw"; fi
"$M" report --year 2025 --envs "$LOG" 2>/dev/null | grep -qF '/home/gina/a\x1b[31mred' && ok "text: shown as \\x1b instead" || bad "text: escaped prefix missing"
grep -q '^By day' "$T/out" && ok "text: days for a short period" || bad "text: no day table"
report --period week "$LOG"
grep -q '^  2025-W49 ' "$T/out" && ok "--period week" || bad "--period week: $(cat "$T/out")"
report --top 2 "$LOG"
grep -q '^By user (top 2 of 7)' "$T/out" && ok "--top 2" || bad "--top: $(grep -A3 'By user' "$T/out")"

report --json --since 2025-11-25 --until 2025-11-26 "$LOG"
check_json "--since/--until: a bare --until date includes its whole day" '
assert d["lines"]["findings"] == 4 and d["lines"]["outside_period"] == 5, d["lines"]
assert {r["key"] for r in d["by_day"]} == {"2025-11-25", "2025-11-26"}'
report --json --since '2025-11-25 09:30' --until '2025-11-26T12:00:00' "$LOG"
check_json "--since/--until with times (until inclusive)" 'assert d["lines"]["findings"] == 2, d["lines"]'
report --json --since @1764244800 "$LOG"
check_json "--since @EPOCH" 'assert d["lines"]["findings"] == 3, d["lines"]'

report --csv "$LOG"
if python3 - "$T/out" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert list(rows[0]) == ["dimension", "key", "code", "note", "warn", "block", "total", "users", "envs"], list(rows[0])
get = lambda dim, key, code="": [r for r in rows if (r["dimension"], r["key"], r["code"]) == (dim, key, code)]
assert get("total", "")[0]["total"] == "9"
assert get("code", "ABI_MISMATCH")[0]["envs"] == "2"
assert get("day", "2025-11-25", "ENV_BUNDLED_MPI")[0]["block"] == "1"
assert get("day", "2025-11-25", "ENV_BUNDLED_MPI")[0]["users"] == ""      # not counted per code and day
fix = 'conda install -p "<env>" -c conda-forge/label/mpi-external "openmpi=4.1"'
assert get("fix", fix)[0]["total"] == "1"                                  # RFC 4180 quoting round-trips
PY
then ok "--csv: one table, RFC 4180"; else bad "--csv"; fi

"$M" report --year 2025 --json - < "$LOG" > "$T/out" 2>/dev/null
check_json "stdin as -" 'assert d["lines"]["findings"] == 9'
cat "$LOG" | "$M" report --year 2025 --json > "$T/out" 2>/dev/null
check_json "stdin when no file is named and stdin is not a terminal" 'assert d["lines"]["findings"] == 9 and d["inputs"] == ["-"]'
"$M" report --year 2025 --json "$LOG" "$LOG" > "$T/out" 2>/dev/null
check_json "several files add up" 'assert d["lines"]["findings"] == 18 and d["total"]["envs"] == 6'

# Progress: a writer that stalls 3 s in the middle, through a FIFO so that the stall starts
# only once mpiguard has opened its input; stderr is a file, so one plain line.
stalled() { # args...: mpiguard report ARGS < a log that stalls after 300 bytes
    rm -f "$T/fifo" && mkfifo "$T/fifo"
    "$M" report --year 2025 "$@" < "$T/fifo" > /dev/null 2> "$T/err" &
    local pid=$!
    { head -c 300 "$LOG"; sleep 3; tail -c +301 "$LOG"; } > "$T/fifo"
    wait $pid
}
stalled -
grep -q '^mpiguard report: stdin: 0.0 MB, [0-9]* lines, [0-9.]* MB/s$' "$T/err" && ok "progress line on stderr after a second" ||
    bad "no progress line: $(cat "$T/err")"
stalled --no-progress -
grep -q 'MB/s' "$T/err" && bad "--no-progress still shows progress" || ok "--no-progress"
"$M" report --year 2025 "$LOG" > /dev/null 2> "$T/err"
grep -q 'MB/s' "$T/err" && bad "progress shown for a run under a second" || ok "no progress line for a quick run"

# Constant memory: 10,000 copies of the log plus a 20 MB line without a newline take no more
# memory than one copy (peak RSS within 4 MB). Not under ASan: its quarantine keeps freed
# memory on purpose, so RSS grows with the number of allocations (the plain build checks it).
if ldd "$BUILD/src/.libs/libmpiguard.so" 2>/dev/null | grep -q libasan; then
    echo "SKIP (part): constant memory is checked in the plain build (ASan's quarantine holds freed memory)"
elif python3 - "$M" "$LOG" <<'PY'
import os, resource, subprocess, sys
m, log = sys.argv[1], sys.argv[2]
data = open(log, "rb").read()
def peak(feed):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.Popen([m, "report", "--year", "2025", "--json", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    import threading
    def write():
        feed(p.stdin)
        p.stdin.close()
    w = threading.Thread(target=write); w.start()
    out = p.stdout.read(); p.wait(); w.join()
    assert p.returncode == 0, p.returncode
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, out
small, _ = peak(lambda f: f.write(data))
def big(f):
    f.write(b"x" * (20 << 20))
    f.write(b"\n")
    for _ in range(10000):
        f.write(data)
large, out = peak(big)
import json
d = json.loads(out)
assert d["lines"]["findings"] == 9 * 10000 and d["lines"]["unparsable"] == 2 * 10000 + 1, d["lines"]
print("peak RSS: one copy %d kB, 10,000 copies and a 20 MB line %d kB" % (small, large))
assert large <= small + 4096, (small, large)
PY
then ok "constant memory"; else bad "memory grows with the log"; fi

# Round trip with the real writer: lines made by the core's mpg_log_format (what the Lmod and
# Environment Modules hooks, the Slurm plugin and the CLI send) read back value for value.
cat > "$T/writer.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "mpiguard.h"
int main(void)
{
    static char longp[3001], buf[MPG_LOG_MAX];
    memset(longp, 'p', 3000);
    longp[0] = '/';
    const char *odd = "/home/o'b \"q\" \\back\tslash\x1b[31m caf\xc3\xa9";
    char fix[512];
    snprintf(fix, sizeof fix, "conda install -p %s -c conda-forge mpich", odd);
    struct mpg_log_entry e[] = {
        {"ABI_MISMATCH", "warn", "lmod", "alice", "mpich/4.0.2", "venv", "sim", "/home/alice/sim", NULL, NULL, NULL, "pip install mpi4py"},
        {"ENV_BUNDLED_MPI", "block", "slurm", "bob", "openmpi/4.1.4", "conda", "x y", odd, "12", "0", "n1", fix},
        {"LIBMPI_NOT_FOUND", "note", "modules", "carol", NULL, "conda", "big", longp, NULL, NULL, NULL, "line one\nline two"},
    };
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
        mpg_log_format(&e[i], buf, sizeof buf);
        printf("<12>Nov 24 03:1%zu:00 mpiguard[4%zu]: %s\n", i, i, buf);
    }
    return 0;
}
C
SANFLAGS=
ldd "$BUILD/src/.libs/libmpiguard.so" 2>/dev/null | grep -q libasan && SANFLAGS="-fsanitize=address,undefined"
if gcc -std=c11 $SANFLAGS -I"$SRC/src" -o "$T/writer" "$T/writer.c" -L"$BUILD/src/.libs" -lmpiguard -Wl,-rpath,"$BUILD/src/.libs" 2> "$T/cc.err"; then
    ASAN_OPTIONS=detect_leaks=0 "$T/writer" > "$T/real.log"
    report --json --envs "$T/real.log"
    check_json "lines from mpg_log_format read back value for value (quotes, escapes, UTF-8, cut values)" '
assert d["lines"]["findings"] == 3 and d["lines"]["unparsable"] == 0, d["lines"]
odd = "/home/o\x27b \"q\" \\back\tslash\x1b[31m caf\u00e9"
envs = {r["key"] for r in d["by_env"]}
assert odd in envs, envs
big = [e for e in envs if e.startswith("/ppp")]
assert len(big) == 1 and big[0].endswith("...") and len(big[0]) < 2048, big
assert row(d["by_source"], "slurm")["block"] == 1 and row(d["by_module"], "-")["note"] == 1
fixes = {r["key"] for r in d["top_fixes"]}
assert fixes == {"pip install mpi4py", "conda install -p <env> -c conda-forge mpich", "line one"}, fixes'
else
    bad "could not build a writer against libmpiguard: $(head -3 "$T/cc.err")"
fi

# Usage and input errors: exit 3 and one clear line.
expect3() { # label grep-pattern args...
    local label=$1 pat=$2; shift 2
    "$M" report "$@" > "$T/out" 2> "$T/err" < /dev/null
    local rc=$?
    [ $rc = 3 ] && grep -q "$pat" "$T/err" && ok "$label" || bad "$label: exit $rc, $(cat "$T/err")"
}
expect3 "missing file" "cannot open $T/nope: No such file" "$T/nope"
expect3 "bad --since" "not a time" --since yesterdayish "$LOG"
expect3 "--until before --since" "not after" --since 2025-11-26 --until 2025-11-25 "$LOG"
expect3 "--json and --csv" "not both" --json --csv "$LOG"
expect3 "--journal with a file" "name no files" --journal "$LOG"
env PATH=/nonexistent "$M" report --journal > "$T/out" 2> "$T/err"
rc=$?
[ $rc = 3 ] && grep -q "needs journalctl" "$T/err" && ok "--journal without journalctl: exit 3, one line" ||
    bad "--journal without journalctl: exit $rc, $(cat "$T/err")"
if command -v journalctl > /dev/null; then
    "$M" report --journal --since 1h > "$T/out" 2> "$T/err"
    rc=$?
    { [ $rc = 0 ] && grep -q '^mpiguard report: journal' "$T/out"; } || { [ $rc = 3 ] && grep -q 'journalctl failed' "$T/err"; } &&
        ok "--journal runs the real journalctl (exit $rc)" || bad "--journal: exit $rc $(cat "$T/err")"
else
    echo "SKIP (part): journalctl is not installed; --journal against a real journal not run"
fi

echo "$fails failed"
[ $fails = 0 ]
