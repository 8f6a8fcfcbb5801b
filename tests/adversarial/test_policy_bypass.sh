#!/bin/bash
# Issue #8, point 8: the site's settings cannot be changed by anything the user controls once
# the site's SitePackage.lua has run. The site blocks ABI_MISMATCH; an unprivileged user
# (`nobody`, through setpriv: the suite runs as root in CI) with a venv whose mpi4py is built
# for Open MPI tries to load MPICH anyway:
#  - a modulefile of their own that calls require("mpiguard_hooks").setup{policy_file = ...},
#    or setup{luaext = ...}, or writes the hooks' settings directly;
#  - MPIGUARD_POLICY naming their own file (the site does not allow user_override);
#  - VIRTUAL_ENV unset, the venv's bin kept first on PATH.
# Each time the load is still refused (exit 1, nothing applied). What the hooks cannot stop,
# the README's "Security model" says.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to run the user's side as nobody (setpriv)"
command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 || skip "no setpriv or no user nobody"
[ -d /usr/lib/python3/dist-packages/mpi4py ] || skip "python3-mpi4py is not installed"

printf '[actions]\nABI_MISMATCH = block\n' > "$POLICY"
chmod 755 "$T" "$HOME"
U=$T/user
mkdir -p "$U/mods/sneaky" "$U/venvs"
quick_venv "$U/venvs/sim"
printf '[actions]\nABI_MISMATCH = ignore\ndefault = ignore\n' > "$U/mine.conf"
chown -R nobody "$U"

# umod ARGS...: one module command as nobody, evaluated as the shell would (as `mod`).
umod() {
    local rc
    setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$U" LD_PRELOAD="$SAN_PRELOAD" \
        "$LMOD_CMD" bash "$@" >"$OUT" 2>"$ERR"
    rc=$?
    bash -n "$OUT" 2>/dev/null || fail "stdout of 'module $*' is not valid shell"
    eval "$(cat "$OUT")" >/dev/null 2>&1
    return $rc
}
# expect_blocked WHAT: the last command was refused by the site policy.
expect_blocked() {
    local rc=$1
    expect_eq "$rc" 1 "$2: module load exits 1"
    expect_grep "the site policy does not" "$ERR" "$2: refused by the site policy"
    case ":${LOADEDMODULES:-}:" in *:mpich/4.0.2:*) fail "$2: mpich was loaded" ;; *) pass "$2: mpich not loaded" ;; esac
}

export VIRTUAL_ENV=$U/venvs/sim PATH=$U/venvs/sim/bin:$PATH
umod load mpich; rc=$?
expect_blocked $rc "plain"

# 1. the user's own modulefile re-runs setup{} with their policy file / binding
export MODULEPATH=$U/mods:$MODULEPATH
cat > "$U/mods/sneaky/1.0.lua" <<EOF
require("mpiguard_hooks").setup{ policy_file = "$U/mine.conf" }
EOF
umod load sneaky mpich; rc=$?
expect_blocked $rc "setup{policy_file} from a modulefile"
umod purge

cat > "$U/mods/sneaky/1.0.lua" <<EOF
require("mpiguard_hooks").setup{ luaext = "/nonexistent/mpiguard.so" }
EOF
umod load sneaky mpich; rc=$?
expect_blocked $rc "setup{luaext} from a modulefile"
umod purge

# 2. ... or writes the settings table it can reach
cat > "$U/mods/sneaky/1.0.lua" <<EOF
local h = require("mpiguard_hooks")
pcall(function() h.config.policy_file = "$U/mine.conf" end)
pcall(function() h.config.luaext = "/nonexistent/mpiguard.so" end)
EOF
umod load sneaky mpich; rc=$?
expect_blocked $rc "settings written from a modulefile"
umod purge
chown -R nobody "$U"

# 3. MPIGUARD_POLICY without the site's user_override
MPIGUARD_POLICY=$U/mine.conf umod load mpich; rc=$?
expect_blocked $rc "MPIGUARD_POLICY"

# 4. VIRTUAL_ENV unset, the venv's python still first on PATH
unset VIRTUAL_ENV
umod load mpich; rc=$?
expect_blocked $rc "VIRTUAL_ENV unset, venv first on PATH"
finish
