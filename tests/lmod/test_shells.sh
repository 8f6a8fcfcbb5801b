#!/bin/bash
# The exports reach every shell Lmod writes for. For sh (bash, zsh, ksh), csh (tcsh) and fish
# they go out as one execute{} line of the shell's own commands, not one Lmod setenv each
# (each costs Lmod ~0.1 M instructions); anything else (python here), and a value that would
# need quoting, takes Lmod's setenv. Each shell evaluates Lmod's real output: load, swap, purge.
. "$(dirname "$0")/lib.sh"

M=$MPICH_HOME_DIR/bin
O=$OMPI_HOME_DIR/bin
# A MPI whose wrappers' folder holds a blank: no shell may take that path unquoted.
S="$T/sp ace/bin"
mkdir -p "$S" "$T/base/modulefiles/debian/spacempi"
for w in mpicc mpicxx mpifort mpiexec; do ln -sf "/usr/bin/$w.mpich" "$S/$w"; done
cat > "$T/base/modulefiles/debian/spacempi/1.lua" <<LUA
family("MPI")
prepend_path("PATH", "$S")
prepend_path("LD_LIBRARY_PATH", "$MPICH_HOME_DIR/lib")
LUA
# What Lmod runs as, in every shell below (the sanitizer runtimes of an ASan build).
printf '#!/bin/sh\nLD_PRELOAD="%s" exec %s "$@"\n' "$SAN_PRELOAD" "${LMOD[*]}" > "$T/lmod"
chmod +x "$T/lmod"

# one_line SHELL FORM WHAT: `load mpich` for SHELL writes the four exports and the marker in
# one line starting with FORM, and no other line names MPICC.
one_line() {
    "$T/lmod" "$1" load mpich > "$T/out.$1" 2>"$ERR"
    expect_eq "$(grep -c 'MPICC' "$T/out.$1")" 1 "$1: one line of stdout names MPICC"
    expect_grep "^$2 MPICC.$M/mpicc; $2 MPI4PY_BUILD_MPICC.$M/mpicc; $2 MPICXX.$M/mpicxx; $2 MPIFC.$M/mpifort; $2 __MPIGUARD_SET.MPICC=" \
        "$T/out.$1" "$1: the exports and the marker in one execute{} line"
}
one_line bash "export"
one_line zsh "export"
one_line ksh "export"
one_line csh "setenv"
one_line fish "set -gx"

# Each shell: load mpich, swap to openmpi, load the MPI with a blank in its path, purge;
# prints MPICC (or "unset") and whether __MPIGUARD_SET is set, after each step.
want="$M/mpicc|set
$O/mpicc|set
$S/mpicc|set
unset|unset"
run_in() { # SHELL ARGS...: the stdout of SHELL (Lmod's messages, on stderr, to $T/res.err)
    "$@" 2>"$T/res.err"
}
cat > "$T/steps.sh" <<'SH'
m() { eval "$("$MPG_LMOD" "$MPG_SH" "$@")"; }
for s in "load mpich" "load openmpi" "load spacempi" "purge"; do
    eval "m $s"
    echo "${MPICC-unset}|${__MPIGUARD_SET+set}${__MPIGUARD_SET-unset}" | sed 's/|set.*/|set/'
done
SH
if command -v zsh >/dev/null; then
    expect_eq "$(MPG_LMOD=$T/lmod MPG_SH=zsh run_in zsh -f "$T/steps.sh")" "$want" "zsh: load, swap, a blank in the path, purge"
else
    fail "zsh is not installed (apt-get install zsh; tests/lmod/DEPS)"
fi
expect_eq "$(MPG_LMOD=$T/lmod MPG_SH=bash run_in bash --norc "$T/steps.sh")" "$want" "bash: load, swap, a blank in the path, purge"
if command -v ksh >/dev/null; then
    expect_eq "$(MPG_LMOD=$T/lmod MPG_SH=ksh run_in ksh "$T/steps.sh")" "$want" "ksh: load, swap, a blank in the path, purge"
else
    fail "ksh is not installed (apt-get install ksh; tests/lmod/DEPS)"
fi
if command -v tcsh >/dev/null; then
    cat > "$T/steps.csh" <<CSH
foreach s ("load mpich" "load openmpi" "load spacempi" "purge")
    eval \`$T/lmod csh \$s\`
    if (\$?MPICC) then
        set c="\$MPICC"
    else
        set c=unset
    endif
    if (\$?__MPIGUARD_SET) then
        echo "\$c|set"
    else
        echo "\$c|unset"
    endif
end
CSH
    expect_eq "$(run_in tcsh -f "$T/steps.csh")" "$want" "tcsh: load, swap, a blank in the path, purge"
else
    fail "tcsh is not installed (apt-get install tcsh; tests/lmod/DEPS)"
fi
if command -v fish >/dev/null; then
    cat > "$T/steps.fish" <<FISH
for s in "load mpich" "load openmpi" "load spacempi" "purge"
    eval ($T/lmod fish (string split " " \$s) | string collect)
    set -q MPICC; and set c \$MPICC; or set c unset
    set -q __MPIGUARD_SET; and echo "\$c|set"; or echo "\$c|unset"
end
FISH
    expect_eq "$(HOME=$T/home run_in fish --no-config "$T/steps.fish")" "$want" "fish: load, swap, a blank in the path, purge"
else
    fail "fish is not installed (apt-get install fish; tests/lmod/DEPS)"
fi

# python: Lmod's own setenv, as Python statements.
"$T/lmod" python load mpich > "$T/out.py" 2>"$ERR"
expect_grep "^os.environ\[\"MPICC\"\] = \"$M/mpicc\"" "$T/out.py" "python: MPICC through Lmod's setenv"
expect_eq "$(python3 -c 'import os, sys; exec(open(sys.argv[1]).read()); print(os.environ["MPIFC"], "__MPIGUARD_SET" in os.environ)' "$T/out.py" 2>&1)" \
    "$M/mpifort True" "python: the output runs and sets MPIFC and the marker"
finish
