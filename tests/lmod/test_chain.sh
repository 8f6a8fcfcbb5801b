#!/bin/bash
# A site with its own SitePackage.lua and hooks enables mpiguard with one require line and
# keeps its hooks, whether it registers them before or after that line (Lmod 8.6 replaces on
# register; 8.7.35+ appends).
. "$(dirname "$0")/lib.sh"

site_hooks='local hook = require("Hook")
hook.register("load", function(t) io.stderr:write("SITE-LOAD ", t.modFullName, "\\n") end)
hook.register("finalize", function() io.stderr:write("SITE-FINALIZE\\n") end)'

# Site hooks registered before mpiguard's require line.
site_package "$site_hooks"
mod load mpich
expect_grep "SITE-LOAD mpich/4.0.2" "$ERR" "before: site load hook kept"
expect_grep "SITE-FINALIZE" "$ERR" "before: site finalize hook kept"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "before: mpiguard finalize runs too"
mod purge

# Site hooks registered after it.
cat > "$T/site/SitePackage.lua" <<EOF2
package.path = "$HOOKS_DIR/?.lua;" .. package.path
require("mpiguard_hooks").setup{ luaext = "$LUAEXT", policy_file = "$POLICY" }
$site_hooks
EOF2
mod load mpich
expect_grep "SITE-LOAD mpich/4.0.2" "$ERR" "after: site load hook kept"
expect_grep "SITE-FINALIZE" "$ERR" "after: site finalize hook kept"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "after: mpiguard finalize runs too"
mod purge

# Site hooks registered after it with the action "append" (a SitePackage.lua written for Lmod
# 8.7.35+): on 8.6, which replaces whatever the action, ours must be kept all the same.
cat > "$T/site/SitePackage.lua" <<EOF2
package.path = "$HOOKS_DIR/?.lua;" .. package.path
require("mpiguard_hooks").setup{ luaext = "$LUAEXT", policy_file = "$POLICY" }
local hook = require("Hook")
hook.register("load", function(t) io.stderr:write("SITE-LOAD ", t.modFullName, "\\n") end, "append")
hook.register("finalize", function() io.stderr:write("SITE-FINALIZE\\n") end, "append")
EOF2
mod load mpich
expect_grep "SITE-LOAD mpich/4.0.2" "$ERR" "append after: site load hook kept"
expect_grep "SITE-FINALIZE" "$ERR" "append after: site finalize hook kept"
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "append after: mpiguard finalize runs too"
mod purge
expect_eq "${MPICC-unset}" "unset" "append after: MPICC given back on purge"

# An MPI modulefile without family("MPI") and with a name mpiguard does not know, named in
# setup{mpi_modules = ...}.
mkdir -p "$T/base/modulefiles/debian/sitempi" "$T/base/modulefiles/debian/impi"
printf 'setenv("MPI_HOME", "%s")\nprepend_path("PATH", "%s/bin")\n' "$MPICH_HOME_DIR" "$MPICH_HOME_DIR" \
    > "$T/base/modulefiles/debian/sitempi/2021.lua"
cp "$T/base/modulefiles/debian/sitempi/2021.lua" "$T/base/modulefiles/debian/impi/2021.lua"
cat > "$T/site/SitePackage.lua" <<EOF2
package.path = "$HOOKS_DIR/?.lua;" .. package.path
require("mpiguard_hooks").setup{ luaext = "$LUAEXT", policy_file = "$POLICY", mpi_modules = { "sitempi" } }
EOF2
mod load sitempi
expect_eq "${MPICC:-}" "$MPICH_HOME_DIR/bin/mpicc" "mpi_modules: MPICC for a module without family"
mod unload sitempi
expect_eq "${MPICC-unset}" "unset" "mpi_modules: MPICC gone after unload"
site_package
mod load sitempi
expect_eq "${MPICC-unset}" "unset" "without mpi_modules such a module is not seen"
mod purge
mod load impi
expect_eq "${MPICC-unset}" "$MPICH_HOME_DIR/bin/mpicc" "a known MPI name (impi) is seen without mpi_modules"
mod purge

# The shipped SitePackage.lua for sites without one (paths substituted by make).
if [ -f "$BUILD/site/SitePackage.lua" ]; then
    expect_grep 'require("mpiguard_hooks")' "$BUILD/site/SitePackage.lua" "shipped SitePackage requires the hooks"
    # its folder on Lua's path while the hooks load, and off it after: Lmod's own later
    # requires would look there first, a failed open each on every command
    got=$("$LUA" - "$BUILD/site/SitePackage.lua" 2>&1 <<'LUA'
package.preload.mpiguard_hooks = function() return package.path end -- the path as require saw it
local before = package.path
dofile(arg[1])
io.write(package.path == before and "restored" or "left: " .. package.path, "\n",
         package.loaded.mpiguard_hooks:match("^[^;]*"))
LUA
)
    expect_eq "${got%%$'\n'*}" "restored" "shipped SitePackage leaves Lua's path as it found it"
    expect_eq "${got#*$'\n'}" "$(sed -n 's/^package.path = "\([^";]*\);".*/\1/p' "$BUILD/site/SitePackage.lua")" \
        "shipped SitePackage: the hooks' folder first on the path while they load"
fi

# `module --config` still works and names the site package.
lmod_cmd bash --config >"$OUT" 2>"$ERR"
expect_grep "$T/site/SitePackage.lua" "$ERR" "module --config shows our Site Pkg location"
finish
