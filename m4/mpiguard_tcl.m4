# mpiguard_tcl.m4: Tcl's stubs library and headers for the Environment Modules extension.
#
# MPIGUARD_TCL_EXT sets TCL_INCLUDE_SPEC, TCL_STUB_LIB_SPEC (from tclConfig.sh), tclextdir
# (default LIBDIR/mpiguard/tcl) and the conditional BUILD_TCLEXT. --with-tcl=DIR names the
# folder of tclConfig.sh; --without-tcl skips the extension (mpiguard.tcl then runs
# `mpiguard module-hook` instead: the same check, a fork and an exec slower).
AC_DEFUN([MPIGUARD_TCL_EXT], [
AC_ARG_WITH([tcl],
  [AS_HELP_STRING([--with-tcl=DIR], [folder of the tclConfig.sh to build the Environment Modules extension with (default: /usr/lib/tcl8.6, /usr/lib64, /usr/lib); --without-tcl skips it])],
  [], [with_tcl=detect])
TCL_INCLUDE_SPEC=""
TCL_STUB_LIB_SPEC=""
mpg_tcl_ok=no
AS_IF([test "x$with_tcl" != xno], [
  AC_MSG_CHECKING([for tclConfig.sh])
  mpg_tclconfig=""
  AS_IF([test "x$with_tcl" != xdetect && test "x$with_tcl" != xyes], [mpg_dirs="$with_tcl"],
        [mpg_dirs="/usr/lib/tcl8.6 /usr/lib/x86_64-linux-gnu/tcl8.6 /usr/lib64 /usr/lib /usr/local/lib"])
  for mpg_d in $mpg_dirs; do
    AS_IF([test -f "$mpg_d/tclConfig.sh"], [mpg_tclconfig="$mpg_d/tclConfig.sh"; break])
  done
  AC_MSG_RESULT([${mpg_tclconfig:-none}])
  AS_IF([test -n "$mpg_tclconfig"], [
    TCL_INCLUDE_SPEC=$(. "$mpg_tclconfig" && echo "$TCL_INCLUDE_SPEC")
    TCL_STUB_LIB_SPEC=$(. "$mpg_tclconfig" && echo "$TCL_STUB_LIB_SPEC")
    AC_MSG_CHECKING([whether tcl.h and Tcl's stubs library work])
    mpg_save_CPPFLAGS=$CPPFLAGS; mpg_save_LIBS=$LIBS
    CPPFLAGS="$CPPFLAGS $TCL_INCLUDE_SPEC -DUSE_TCL_STUBS"; LIBS="$TCL_STUB_LIB_SPEC $LIBS"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <tcl.h>]], [[return Tcl_InitStubs((Tcl_Interp *)0, "8.6", 0) != 0;]])],
      [mpg_tcl_ok=yes])
    CPPFLAGS=$mpg_save_CPPFLAGS; LIBS=$mpg_save_LIBS
    AC_MSG_RESULT([$mpg_tcl_ok])
  ])
  AS_IF([test "x$mpg_tcl_ok" != xyes], [
    AS_IF([test "x$with_tcl" != xdetect],
      [AC_MSG_ERROR([no usable tclConfig.sh/tcl.h/stubs library (Debian: apt-get install tcl8.6-dev)])])
    AC_MSG_WARN([not building the Environment Modules extension (Debian: apt-get install tcl8.6-dev); mpiguard.tcl will run `mpiguard module-hook` instead])
  ])
])
AC_SUBST([tclextdir], ['${libdir}/mpiguard/tcl'])
AC_SUBST([TCL_INCLUDE_SPEC])
AC_SUBST([TCL_STUB_LIB_SPEC])
AM_CONDITIONAL([BUILD_TCLEXT], [test "x$mpg_tcl_ok" = xyes])
])
