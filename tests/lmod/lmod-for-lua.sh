#!/bin/sh
# lmod-for-lua.sh LUA DEST: a copy of Debian's Lmod in DEST that runs on the interpreter LUA
# (e.g. /usr/bin/luajit), for testing the hooks on another Lua with Debian's own packages.
#
# Debian builds Lmod for lua5.3; its Lua code runs on 5.1 to 5.4, and the only 5.3-specific
# parts are the ones Lmod's configure writes into its scripts: the #! line, the module search
# paths (package.path/cpath: .../lua/5.3/...), and the "fast Tcl interpreter" (tcl2lua.so, a C
# module built for 5.3; off, Lmod runs tclsh for Tcl modulefiles as with --with-fastTCLInterp=no).
# The copy gets those rewritten for LUA's version; the Lua modules Lmod needs come from
# Debian's packages for that version (lua-posix, lua-filesystem, lua-term, and lua-bit32 on
# 5.1). Prints DEST/libexec/lmod.
set -eu
lua=${1:?usage: lmod-for-lua.sh LUA DEST}
dest=${2:?usage: lmod-for-lua.sh LUA DEST}
src=$(readlink -f /usr/share/lmod/lmod)
[ -f "$src/libexec/lmod" ] || { echo "lmod-for-lua.sh: no Debian Lmod in $src (apt-get install lmod)" >&2; exit 1; }
[ -x "$lua" ] || { echo "lmod-for-lua.sh: $lua is not an executable" >&2; exit 1; }
from=$(sed -n '1s|^#! *[^ ]*lua\([0-9.]*\).*|\1|p' "$src/libexec/lmod")
to=$("$lua" -e 'io.write((_VERSION:gsub("^Lua ", "")))')
[ -n "$from" ] && [ -n "$to" ] || { echo "lmod-for-lua.sh: cannot tell the Lua versions ($from -> $to)" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest"
cp -a "$src/." "$dest/"
for f in "$dest"/libexec/*; do
    [ -f "$f" ] || continue
    head -n 1 "$f" | grep -q '^#!.*lua' || continue
    sed -i -e "1s|.*|#!$lua|" -e "s|/lua/$from/|/lua/$to/|g" "$f"
done
if [ "$to" != "$from" ]; then
    sed -i '/name *= *"LMOD_FAST_TCL_INTERP"/,/}/s/sedV *= *"yes"/sedV = "no"/' "$dest/libexec/myGlobals.lua"
fi
echo "$dest/libexec/lmod"
