#!/bin/bash
# Issue #8, point 6: the listing cache (~/.cache/mpiguard) can neither hang `module` nor make
# mpiguard lie.
#  - A cache file cut at a line boundary (a full disk, a crash) is not trusted: the conda
#    env's MPI record it would hide is still found.
#  - A cache folder that another user owns (a shared or symlinked XDG_CACHE_HOME) is not used:
#    a planted listing that hides the record is ignored, planted FIFOs hang nothing.
#  - A FIFO at the name of the file being written (the user's own folder): no hang.
#  - HOME pointing at a folder that does not exist: nothing is created.
# Checked with `mpiguard check --json` (the same cache as `module load`) and real Lmod.
. "$(dirname "$0")/lib.sh"
MPG=$BUILD/src/mpiguard
conda_mpi() { # the conda_mpi names `mpiguard check --json` reports, or TIMEOUT
    local out
    out=$(timeout -s KILL 20 "$@" "$MPG" check --json 2>/dev/null) || [ $? -lt 4 ] || { echo TIMEOUT; return; }
    python3 -c 'import json,sys; print(" ".join(c["name"] for c in json.loads(sys.stdin.read())["conda_mpi"]) or "-")' <<<"$out" 2>/dev/null || echo BROKEN
}

make_conda_bundled "$T/conda" 30
activate_conda "$T/conda"
load_mpich() { export LMOD_FAMILY_MPI=mpich LMOD_FAMILY_MPI_VERSION=4.0.2 MPI_HOME=$MPICH_HOME_DIR; }
load_mpich
# an env is not installed in the second before it is used: folders older than the cache's
# 2-second guard, so their listings are kept
find "$T/conda" -type d -exec touch -d '1 minute ago' {} +

expect_eq "$(conda_mpi)" "mpich" "first check: the bundled mpich record is found"
cache=$(ls -d "$HOME"/.cache/mpiguard/listings-v* 2>/dev/null | grep -v '\.tmp$' | head -1)
[ -n "$cache" ] && pass "the listing was cached ($cache)" || fail "no cache file written"
expect_eq "$(conda_mpi)" "mpich" "second check, from the cache: same answer"

# ---- 1. cut at a line boundary: just after the conda-meta folder's D line -----------------
if [ -n "$cache" ]; then
    line=$(grep -n "^D.*conda-meta$" "$cache" | head -1 | cut -d: -f1)
    if [ -n "$line" ]; then
        head -n "$line" "$cache" > "$cache.cut" && cat "$cache.cut" > "$cache" && rm -f "$cache.cut"
        expect_eq "$(conda_mpi)" "mpich" "cache cut after a D line: not trusted, the record is still found"
    else
        fail "no conda-meta listing in the cache: $(head -5 "$cache")"
    fi
fi

# ---- 2. a shared cache folder another user owns -----------------------------------------------
# The victim is `nobody`; the folder, its planted listing and FIFOs belong to root (here the
# attacker). The listing claims conda-meta holds nothing but python.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
    chmod 755 "$T" "$HOME"
    chmod -R a+rX "$T/conda"
    shared=$T/shared
    mkdir -p "$shared/mpiguard"
    chmod 1777 "$shared"
    chmod 777 "$shared/mpiguard"
    dev=$(stat -c %d "$T/conda/conda-meta") ino=$(stat -c %i "$T/conda/conda-meta")
    mt=$(stat -c %Y "$T/conda/conda-meta") ns=$(stat -c %y "$T/conda/conda-meta" | sed -E 's/.*\.([0-9]+).*/\1/' | sed 's/^0*//')
    for v in 1 2; do
        { printf 'mpiguard-dircache %s\n' $v
          printf 'D\t%s\t%s\t%s\t%s\tconda\t%s\n' "$dev" "$ino" "$mt" "${ns:-0}" "$T/conda/conda-meta"
          printf 'N\tpython-3.11.7-hab00c5b_0.json\n'
          printf 'end 1\n'; } > "$shared/mpiguard/listings-v$v"
        for p in $(seq 1 5); do mkfifo "$shared/mpiguard/listings-v$v.$p.tmp" 2>/dev/null; done
    done
    # as nobody, in a pid namespace where it is pid 1: the FIFOs sit at its file names
    if unshare --pid --fork true 2>/dev/null; then
        expect_eq "$(conda_mpi unshare --pid --fork --kill-child setpriv --reuid=nobody --regid=nogroup \
            --clear-groups env XDG_CACHE_HOME="$shared")" "mpich" "shared cache folder: the planted listing is ignored, no hang"
    else
        expect_eq "$(conda_mpi setpriv --reuid=nobody --regid=nogroup --clear-groups env XDG_CACHE_HOME="$shared")" \
            "mpich" "shared cache folder: the planted listing is ignored"
    fi
    # through the real Lmod too: the finding names the bundled package
    timeout -s KILL 20 setpriv --reuid=nobody --regid=nogroup --clear-groups env XDG_CACHE_HOME="$shared" \
        LD_PRELOAD="$SAN_PRELOAD" "$LMOD_CMD" bash load mpich > "$OUT" 2> "$ERR"; rc=$?
    expect_eq "$rc" 0 "shared cache folder, module load as nobody: exit 0"
    expect_grep "conda package mpich 4.1.2" "$ERR" "shared cache folder, module load: the record is reported"

    # ---- 3. a FIFO at the name of the file being written, in the user's own folder -------
    own=$T/own
    mkdir -p "$own/mpiguard"
    chown -R nobody "$own"
    chmod 700 "$own" "$own/mpiguard"
    for v in 1 2; do setpriv --reuid=nobody --regid=nogroup --clear-groups mkfifo "$own/mpiguard/listings-v$v.1.tmp"; done
    if unshare --pid --fork true 2>/dev/null; then
        got=$(conda_mpi unshare --pid --fork --kill-child setpriv --reuid=nobody --regid=nogroup --clear-groups \
            env XDG_CACHE_HOME="$own")
        expect_eq "$got" "mpich" "FIFO at the temporary file's name: no hang"
        ls "$own/mpiguard"/listings-v* 2>/dev/null | grep -qv '\.tmp$' && pass "FIFO at the temporary name: the cache is still written" ||
            fail "FIFO at the temporary name: no cache written: $(ls -l "$own/mpiguard")"
    else
        echo "note: no pid namespaces here: FIFO-at-the-temporary-name case skipped" >&2
    fi
else
    echo "note: not root, or no nobody/setpriv: the shared-folder and FIFO cases are skipped" >&2
fi

# ---- 4. many writers at once: 24 cold-cache checks in one HOME ----------------------------
rm -rf "$HOME/.cache"
for i in $(seq 24); do conda_mpi > "$T/conc.$i" & done
wait
right=$(cat "$T"/conc.* | grep -cx mpich)
expect_eq "$right" 24 "24 concurrent cold-cache checks: every one finds the record"
f=$(ls "$HOME"/.cache/mpiguard/listings-v* 2>/dev/null | grep -v '\.tmp$' | head -1)
[ -n "$f" ] && tail -1 "$f" | grep -q '^end [0-9]*$' && pass "24 concurrent writers: the cache is complete" ||
    fail "24 concurrent writers: cache $(ls -l "$HOME/.cache/mpiguard" 2>&1)"
expect_eq "$(ls "$HOME/.cache/mpiguard" | grep -c '\.tmp$')" 0 "24 concurrent writers: no temporary file left"
expect_eq "$(conda_mpi)" "mpich" "after the concurrent writers: the cache still answers right"

# ---- 5. HOME pointing at a folder that does not exist --------------------------------------
expect_eq "$(conda_mpi env HOME="$T/gone/home" XDG_CACHE_HOME=)" "mpich" "missing HOME: the check runs"
[ -e "$T/gone" ] && fail "missing HOME: created $(find "$T/gone" | head -3 | tr '\n' ' ')" ||
    pass "missing HOME: nothing created"
finish
