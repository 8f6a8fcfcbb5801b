# bench/common/cli.sh (sourced): the real `mpiguard` program of a build folder. Since the
# command has the core linked in, src/mpiguard is the program itself; in older builds (the
# baselines) it is libtool's wrapper script (its bash adds hundreds of system calls) and the
# program is src/.libs/mpiguard, which finds the uninstalled libmpiguard through
# LD_LIBRARY_PATH.
# mpg_cli_of BUILD: sets MPG_CLI (the program) and MPG_CLI_LIBS (the folder to put first on
# LD_LIBRARY_PATH for it, or "" when it needs none).
mpg_cli_of() {
    if [ "$(head -c 4 "$1/src/mpiguard" 2>/dev/null)" = $'\177ELF' ]; then
        MPG_CLI=$1/src/mpiguard MPG_CLI_LIBS=
    else
        MPG_CLI=$1/src/.libs/mpiguard MPG_CLI_LIBS=$1/src/.libs
    fi
}
