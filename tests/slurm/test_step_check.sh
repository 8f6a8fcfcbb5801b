#!/bin/bash
# The plugin's checker without Slurm (spank/step_check_driver runs the same mpg_step_check()
# slurmstepd runs): it reads the user's files as the user, never hangs past its budget, and
# copes with bad input: a symlink to a root-only file, FIFOs, a hung file server (a FUSE
# mount nobody answers), 100,000 variables, a 1 MB PATH, an env deleted while being checked,
# a missing libmpiguard.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "the checker drops to another user: run as root"
MOD=$W/mod
mkdir -p "$MOD/bin" "$MOD/lib"
ln -s /usr/bin/mpicc.mpich "$MOD/bin/mpicc"
ln -s /usr/lib/x86_64-linux-gnu/libmpich.so.12 "$MOD/lib/libmpich.so.12"
make_venv "$U/venv"
chown -R nobody: "$U"
POL=$W/policy.conf
printf '[general]\nlog = no\n' > "$POL"
OUT=$W/out
mpich_env() { # ENV...: the driver with the MPICH module loaded and the venv active
    env -i PATH="$U/venv/bin:$MOD/bin:/usr/bin:/bin" VIRTUAL_ENV="$U/venv" LMOD_FAMILY_MPI=mpich \
        LMOD_FAMILY_MPI_VERSION=4.0.2 MPI_HOME="$MOD" LD_LIBRARY_PATH="$MOD/lib" HOME="$U" "$@"
}
drive() { # TIMEOUT_MS [driver args]: as nobody, first node
    local t=$1
    shift
    timeout 30 "$DRIVER" "$CORELIB" "$POL" "$t" "$USER_UID" "$USER_GID" --first "$@" >"$OUT" 2>&1
    RC=$?
}
field() { sed -n "s/^$1 //p" "$OUT" | head -1; }

mpich_env "$DRIVER" "$CORELIB" "$POL" 5000 "$USER_UID" "$USER_GID" --first >"$OUT" 2>&1
expect_eq "$(field status) $(field codes)" "done ABI_MISMATCH=warn" "the checker finds the mismatch"
expect_grep '(mpiguard findings for job 1 step 0: ABI_MISMATCH=warn' "$OUT" "the user's text, with job and step"

# A user's file pointing at a root-only file: read as the user (denied), never as root.
cp -a "$U/venv" "$U/evil"
rm "$U/evil/pyvenv.cfg"
ln -s /etc/shadow "$U/evil/pyvenv.cfg"
env -i PATH="$U/evil/bin:/usr/bin:/bin" VIRTUAL_ENV="$U/evil" HOME="$U" "$DRIVER" "$CORELIB" "$POL" 5000 "$USER_UID" "$USER_GID" --first --verbose >"$OUT" 2>&1
expect_eq "$(field status)" done "pyvenv.cfg -> /etc/shadow: the check completes"
expect_grep "cannot read $U/evil/pyvenv.cfg" "$OUT" "pyvenv.cfg -> /etc/shadow: unreadable for the user, said so"
expect_nogrep 'root:' "$OUT" "pyvenv.cfg -> /etc/shadow: nothing of it leaks"

# FIFOs where the check reads files: no hang.
cp -a "$U/venv" "$U/fifo"
rm "$U/fifo/pyvenv.cfg"
mkfifo "$U/fifo/pyvenv.cfg" "$U/fifo/lib/python3.11/site-packages/mpi4py.pth"
chown -R nobody: "$U/fifo"
env -i PATH="$U/fifo/bin:/usr/bin:/bin" VIRTUAL_ENV="$U/fifo" HOME="$U" "$DRIVER" "$CORELIB" "$POL" 3000 "$USER_UID" "$USER_GID" --first >"$OUT" 2>&1
expect_eq "$(field status)" done "FIFOs in the env: the check completes"

# A policy that is a FIFO is the caller's business (the plugin reads it as root): the reader
# must not block on it either.
mkfifo "$W/fifo.conf"
"$DRIVER" "$CORELIB" "$W/fifo.conf" 3000 "$USER_UID" "$USER_GID" >"$OUT" 2>&1 </dev/null
expect_grep "policy_error $W/fifo.conf: not a regular file" "$OUT" "policy FIFO: an error, not a hang"

# 100,000 variables, and a 1 MB PATH (through a file: neither fits on a command line).
/usr/bin/python3 - "$W/env100k" "$W/env1m" "$U" "$MOD" <<'PY'
import sys
w100k, w1m, u, mod = sys.argv[1:]
base = ["PATH=%s/venv/bin:%s/bin:/usr/bin:/bin" % (u, mod), "VIRTUAL_ENV=%s/venv" % u, "LMOD_FAMILY_MPI=mpich",
        "MPI_HOME=" + mod, "LD_LIBRARY_PATH=%s/lib" % mod, "HOME=" + u]
with open(w100k, "wb") as f:
    f.write(b"\0".join(("V%06d=%d" % (i, i)).encode() for i in range(100000)) + b"\0")
    f.write(b"\0".join(v.encode() for v in base) + b"\0")
with open(w1m, "wb") as f:
    f.write(("PATH=" + ":".join("/nonexistent/%07d" % i for i in range(80000)) + ":/usr/bin").encode() + b"\0")
    f.write(b"\0".join(v.encode() for v in base[1:]) + b"\0")
PY
drive 5000 --env-file "$W/env100k"
expect_eq "$(field status) $(field codes)" "done ABI_MISMATCH=warn" "100,000 variables: checked (the env's variables after them still count)"
note "100,000 variables: $(field elapsed_ms) ms"
drive 5000 --env-file "$W/env1m"
expect_eq "$(field status)" done "a 1 MB PATH: checked, no hang"
note "1 MB PATH: $(field elapsed_ms) ms: $(grep -m1 -i path "$OUT")"

# A hung file server on PATH: the checker is killed at the budget, the caller goes on.
FUSE_DIR=$W/hung
mkdir -p "$FUSE_DIR"
( exec 9<>/dev/fuse && mount -i -t fuse -o fd=9,rootmode=40000,user_id=0,group_id=0,allow_other mpg-hung "$FUSE_DIR" &&
    exec sleep 100000 ) 2>/dev/null &
FUSE_PID=$!
mounted() { grep -q " $FUSE_DIR fuse" /proc/mounts; }
for _ in 1 2 3 4 5 6 7 8 9 10; do mounted && break; sleep 0.1; done
if mounted; then
    env -i PATH="$FUSE_DIR/bin:/usr/bin:/bin" HOME="$U" "$DRIVER" "$CORELIB" "$POL" 500 "$USER_UID" "$USER_GID" --first >"$OUT" 2>&1
    ms=$(field elapsed_ms)
    expect_eq "$(field status)" timeout "hung file system: timeout"
    awk -v m="$ms" 'BEGIN { exit !(m >= 500 && m < 1500) }' && pass "hung file system: gave up after the 500 ms budget ($ms ms)" ||
        fail "hung file system: took $ms ms for a 500 ms budget"
    expect_grep 'no answer within 500 ms' "$OUT" "hung file system: says so"
else
    note "cannot mount a FUSE file system here: hung-file-system case not run"
fi

# An env deleted and re-created while it is being checked: every check ends, none crashes.
( for _ in $(seq 200); do rm -rf "$U/flap"; cp -a "$U/venv" "$U/flap"; done ) &
flapper=$!
bad=0
for _ in $(seq 30); do
    env -i PATH="$U/flap/bin:$MOD/bin:/usr/bin:/bin" VIRTUAL_ENV="$U/flap" LMOD_FAMILY_MPI=mpich MPI_HOME="$MOD" \
        LD_LIBRARY_PATH="$MOD/lib" HOME="$U" "$DRIVER" "$CORELIB" "$POL" 5000 "$USER_UID" "$USER_GID" --first >"$OUT" 2>&1
    [ "$(field status)" = done ] || { bad=$((bad + 1)); cat "$OUT" >&2; }
done
kill "$flapper" 2>/dev/null
wait "$flapper" 2>/dev/null
expect_eq "$bad" 0 "env deleted mid-check (30 checks racing 200 delete/copy cycles): every check completed"

# libmpiguard missing or not ours.
"$DRIVER" "$W/nonexistent.so" "$POL" 1000 "$USER_UID" "$USER_GID" >"$OUT" 2>&1
expect_grep "cannot load $W/nonexistent.so" "$OUT" "libmpiguard missing: a clear error"
"$DRIVER" "$(ldconfig -p | sed -n 's/.*libz.so.1.*=> //p' | head -1)" "$POL" 1000 "$USER_UID" "$USER_GID" >"$OUT" 2>&1
expect_grep "has no mpg_check (a libmpiguard older than this plugin?)" "$OUT" "a library that is not libmpiguard: a clear error"
finish
