#!/bin/bash
# test_man.sh: each man page renders with `man -l` and groff -ww without a warning, names this
# build's paths (no @...@ left), and documents every option its command's --help lists.
set -u
BUILD=${MPG_TOP_BUILDDIR:?}
MAN=$BUILD/man
command -v man > /dev/null && command -v groff > /dev/null ||
    { echo "SKIP: man-db or groff is not installed (apt-get install man-db groff-base)" >&2; exit 77; }
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
T=$(mktemp -d /tmp/mpg-man.XXXXXX)
trap 'rm -rf "$T"' EXIT
for page in mpiguard.1 mpiguard-policy.5 mpiguard-site.7; do
    f=$MAN/$page
    [ -f "$f" ] || { bad "$page not built"; continue; }
    # man-db's own warnings (e.g. a bad macro, a line too long to break) and groff's, all of them.
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$f" > "$T/out" 2> "$T/err"
    rc=$?
    [ $rc = 0 ] && [ ! -s "$T/err" ] && ok "man --warnings -l $page: no warnings" || bad "man -l $page (exit $rc): $(head -5 "$T/err")"
    groff -ww -z -man -Tutf8 "$f" 2> "$T/err"
    [ ! -s "$T/err" ] && ok "groff -ww $page: no warnings" || bad "groff -ww $page: $(head -5 "$T/err")"
    grep -n '@[a-zA-Z_]*@' "$f" > "$T/left" && bad "$page: unsubstituted $(head -1 "$T/left")" || ok "$page: paths substituted"
    [ "$(wc -l < "$T/out")" -gt 20 ] && ok "$page: renders ($(wc -l < "$T/out") lines)" || bad "$page: renders to almost nothing"
done

# Every long option of each subcommand's --help is in mpiguard(1).
M=$BUILD/src/mpiguard
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$MAN/mpiguard.1" 2> /dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g' > "$T/page"
for cmd in check test-mpi report; do
    "$M" $cmd --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u > "$T/opts"
    missing=$(while read -r o; do grep -q -- "$o" "$T/page" || echo "$o"; done < "$T/opts")
    [ -s "$T/opts" ] && [ -z "$missing" ] && ok "mpiguard(1) documents every option of '$cmd' ($(wc -l < "$T/opts"))" ||
        bad "mpiguard(1) lacks options of '$cmd': $missing"
done
grep -q "$(sed -n 's/^POLICY_FILE = //p' "$BUILD/man/Makefile" | sed "s|\${sysconfdir}|$(sed -n 's/^sysconfdir = //p' "$BUILD/man/Makefile")|; s|\${prefix}|$(sed -n 's/^prefix = //p' "$BUILD/man/Makefile")|")" "$T/page" &&
    ok "mpiguard(1) names this build's policy file" || bad "policy file path not in mpiguard(1)"
echo "$fails failed"
[ $fails = 0 ]
