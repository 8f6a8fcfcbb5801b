# mpiguard_lua.m4: find the Lua that runs the site's Lmod and headers that match it.
#
# MPIGUARD_LUA_EXT sets
#   LMOD_CMD     the site's lmod (libexec/lmod) or empty
#   LUA_RUNTIME  the interpreter that runs it (the lmod script's #! line, else
#                `lmod bash --config_json`'s path_lua)
#   LUA_VERSION  5.1, 5.2, 5.3, 5.4 or luajit
#   LUA_INCLUDE  -I flags for matching lua.h (never a -llua: the interpreter provides the API)
#   luaextdir    where mpiguard.so is installed (default LIBDIR/mpiguard/lua/LUA_VERSION)
#   luahooksdir  where mpiguard_hooks.lua is installed (default DATADIR/lua/LUA_VERSION)
# and the conditional BUILD_LUAEXT. --with-lmod=DIR and --with-lua=VERSION override the
# detection; --without-lua skips the binding.
AC_DEFUN([MPIGUARD_LUA_EXT], [
AC_ARG_WITH([lmod],
  [AS_HELP_STRING([--with-lmod=DIR], [Lmod installation to build for (DIR/libexec/lmod; default: $LMOD_DIR, $LMOD_CMD, /usr/share/lmod/lmod)])],
  [], [with_lmod=])
AC_ARG_WITH([lua],
  [AS_HELP_STRING([--with-lua=VERSION], [build the Lua binding for Lua VERSION (5.1, 5.2, 5.3, 5.4, luajit) instead of the one that runs Lmod; --without-lua skips it])],
  [], [with_lua=detect])
AC_ARG_VAR([LUA_INCLUDE], [compiler flags for lua.h (default: pkg-config or /usr/include/luaVERSION)])

LMOD_CMD=""
LUA_RUNTIME=""
LUA_VERSION=""
mpg_lua_ok=no
AS_IF([test "x$with_lua" != xno], [
  dnl -- the Lmod to build for
  AC_MSG_CHECKING([for the site's Lmod])
  for mpg_d in "$with_lmod" "${LMOD_DIR:+$LMOD_DIR/..}" "${LMOD_CMD:+`dirname "$LMOD_CMD"`/..}" /usr/share/lmod/lmod /opt/apps/lmod/lmod /usr/local/lmod/lmod; do
    AS_IF([test -n "$mpg_d" && test -f "$mpg_d/libexec/lmod"], [LMOD_CMD="$mpg_d/libexec/lmod"; break])
  done
  AS_IF([test -n "$with_lmod" && test "x$LMOD_CMD" != "x$with_lmod/libexec/lmod"],
    [AC_MSG_ERROR([--with-lmod=$with_lmod: no $with_lmod/libexec/lmod])])
  AC_MSG_RESULT([${LMOD_CMD:-none}])

  dnl -- the Lua that runs it: the script's #! line (what really runs `lmod`), else
  dnl -- config_json's path_lua (what Lmod runs its helpers with; it can differ from the #!
  dnl -- line when a packaged Lmod was moved to another Lua)
  AS_IF([test -n "$LMOD_CMD"], [
    AC_MSG_CHECKING([for the Lua that runs Lmod])
    mpg_shebang=`sed -n '1s/^#! *//p' "$LMOD_CMD"`
    set dummy $mpg_shebang
    AS_CASE([$[2]], [*/env], [LUA_RUNTIME=`command -v "$[3]"`], [LUA_RUNTIME="$[2]"])
    AS_IF([test -z "$LUA_RUNTIME" || test ! -x "$LUA_RUNTIME"], [
      LUA_RUNTIME=$("$LMOD_CMD" bash --config_json 2>&1 >/dev/null | tr ',' '\n' | sed -n 's/.*"path_lua": *"\(@<:@^"@:>@*\)".*/\1/p' | sed 's|\\/|/|g' | head -n 1)
    ])
    AC_MSG_RESULT([${LUA_RUNTIME:-unknown}])
  ])

  dnl -- its version: _VERSION, and whether it is LuaJIT
  AS_IF([test "x$with_lua" != xdetect && test "x$with_lua" != xyes], [LUA_VERSION="$with_lua"],
        [test -n "$LUA_RUNTIME"], [
    mpg_jit=`"$LUA_RUNTIME" -e 'io.write(rawget(_G, "jit") and "luajit" or "")' 2>/dev/null`
    mpg_v=`"$LUA_RUNTIME" -e 'io.write((_VERSION:gsub("Lua ", "")))' 2>/dev/null`
    AS_IF([test -n "$mpg_jit"], [LUA_VERSION=luajit], [LUA_VERSION="$mpg_v"])
  ])
  AC_MSG_CHECKING([for the Lua version to build the binding for])
  AC_MSG_RESULT([${LUA_VERSION:-unknown}])

  dnl -- headers that match
  AS_IF([test -n "$LUA_VERSION" && test -z "$LUA_INCLUDE"], [
    AS_CASE([$LUA_VERSION],
      [luajit], [mpg_pcs="luajit"; mpg_dirs="/usr/include/luajit-2.1 /usr/include/luajit-2.0"],
      [mpg_pcs="lua$LUA_VERSION lua-$LUA_VERSION"; mpg_dirs="/usr/include/lua$LUA_VERSION /usr/include/lua-$LUA_VERSION"])
    for mpg_pc in $mpg_pcs; do
      AS_IF([$PKG_CONFIG --exists "$mpg_pc" 2>/dev/null], [LUA_INCLUDE=`$PKG_CONFIG --cflags "$mpg_pc"`; break])
    done
    AS_IF([test -z "$LUA_INCLUDE"], [
      for mpg_d in $mpg_dirs; do
        AS_IF([test -f "$mpg_d/lua.h"], [LUA_INCLUDE="-I$mpg_d"; break])
      done
    ])
  ])
  AS_IF([test -n "$LUA_VERSION" && test -n "$LUA_INCLUDE"], [
    AC_MSG_CHECKING([whether lua.h matches Lua $LUA_VERSION])
    AS_CASE([$LUA_VERSION], [luajit], [mpg_num=501],
      [mpg_num=`echo "$LUA_VERSION" | sed 's/^\(@<:@0-9@:>@\)\.\(@<:@0-9@:>@\)$/\10\2/'`])
    mpg_save_CPPFLAGS="$CPPFLAGS"
    CPPFLAGS="$CPPFLAGS $LUA_INCLUDE"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <lua.h>
#include <lauxlib.h>
#if LUA_VERSION_NUM != $mpg_num
#error wrong Lua version
#endif]], [[]])], [mpg_lua_ok=yes])
    CPPFLAGS="$mpg_save_CPPFLAGS"
    AC_MSG_RESULT([$mpg_lua_ok])
  ])
  AS_IF([test "x$mpg_lua_ok" != xyes], [
    AS_IF([test "x$with_lua" != xdetect],
      [AC_MSG_ERROR([no lua.h for Lua ${LUA_VERSION:-?} (Debian: apt-get install liblua${LUA_VERSION}-dev; or set LUA_INCLUDE)])])
    AC_MSG_WARN([not building the Lua binding: no Lmod/Lua found or no matching lua.h (Debian: apt-get install liblua${LUA_VERSION:-5.3}-dev)])
  ])
])
AS_CASE([$LUA_VERSION], [luajit], [mpg_luadir=5.1], [mpg_luadir="$LUA_VERSION"])
AC_SUBST([luaextdir], ['${libdir}/mpiguard/lua/'"$mpg_luadir"])
AC_SUBST([luahooksdir], ['${datadir}/lua/'"$mpg_luadir"])
AC_SUBST([LMOD_CMD])
AC_SUBST([LUA_RUNTIME])
AC_SUBST([LUA_VERSION])
AC_SUBST([LUA_INCLUDE])
AM_CONDITIONAL([BUILD_LUAEXT], [test "x$mpg_lua_ok" = xyes])
dnl -- a Lua to precompile the hooks with: the one that runs Lmod, else one of the version built for
LUA_PRECOMPILE="$LUA_RUNTIME"
AS_IF([test "x$mpg_lua_ok" = xyes && test -z "$LUA_PRECOMPILE"], [
  AS_CASE([$LUA_VERSION], [luajit], [mpg_names=luajit], [mpg_names="lua$LUA_VERSION lua-$LUA_VERSION"])
  AC_PATH_PROGS([LUA_PRECOMPILE], [$mpg_names], [])
])
AC_SUBST([LUA_PRECOMPILE])
AM_CONDITIONAL([HAVE_LUA_PRECOMPILE], [test "x$mpg_lua_ok" = xyes && test -n "$LUA_PRECOMPILE"])
])
