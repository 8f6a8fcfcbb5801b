#!/bin/bash
# bench/check/run.sh [ROUNDS]: what `mpiguard check` costs (the call every MPI `module load`
# makes in-process), this build against a baseline build side by side, per env shape:
#  - CPU time of one mpg_check() in-process (median of 100 calls a round; rounds alternated
#    baseline/this; the ratio is the median of the per-round ratios, with its min-max);
#  - instructions per call from callgrind, collected inside mpg_check() only (noise-free);
#  - syscalls (strace -f -c, all of them) of the real `mpiguard check` command, not libtool's
#    wrapper script (whose bash adds hundreds of syscalls): bench/common/cli.sh.
# BUILD (default _build) is "this"; BASELINE is a build folder (bench/baseline.sh REV DIR makes
# one from a git revision); without BASELINE, "this" is shown alone.
# Shapes: no env, with a short PATH and with a site's (13 folders); a typical venv (Debian's
# python3 --system-site-packages, so it sees python3-mpi4py, built for Open MPI) under Open MPI (healthy; also with MPIGUARD_NO_CACHE=1,
# as the Slurm checker runs) and under MPICH (ABI_MISMATCH);
# the healthy venv with 30 LD_LIBRARY_PATH entries; a conda env with a bundled MPICH with 0 and
# 5,000 extra records (realistic names, bench/common/conda_records.sh; 3,000 site-packages
# folders), warm (listing cache filled) and cold (cache removed before every call). All
# folders are aged a minute: mpiguard does not cache a folder changed in the last 2 seconds.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/_build}
base=${BASELINE:-}
# Absolute paths: ld.so probes the hwcaps subfolders of a relative LD_LIBRARY_PATH entry again for
# each library, which gave a relative BUILD ~11 system calls more than a baseline at process start.
for v in build base; do
    [ -n "${!v}" ] || continue
    abs=$(cd "${!v}" 2>/dev/null && pwd) || { echo "run.sh: no folder ${!v}" >&2; exit 2; }
    printf -v "$v" '%s' "$abs"
done
rounds=${1:-5}
. "$top/bench/common/cli.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/mpg-bench-check-XXXXXX")
trap 'rm -rf "$work"' EXIT

sides=(this)
[ -n "$base" ] && sides=(base this)
for s in "${sides[@]}"; do
    b=$build; [ "$s" = base ] && b=$base
    [ -f "$b/src/.libs/libmpgcore.a" ] || { echo "run.sh: no $b/src/.libs/libmpgcore.a (build it first)" >&2; exit 2; }
    src=$(sed -n 's/^abs_top_srcdir = //p' "$b/Makefile")
    # the bench program against each side's core, with that side's public header
    cc -O2 -g -std=c11 -D_GNU_SOURCE -I"$src/src" -o "$work/bench-$s" "$top/bench/check/check_bench.c" \
        "$b/src/.libs/libmpgcore.a" $(pkg-config --libs jansson)
    mpg_cli_of "$b"
    eval "bin_$s=\$MPG_CLI libs_$s=\$MPG_CLI_LIBS"
done

bash "$top/tests/unit/fixtures.sh" "$work/fx" >/dev/null
fx=$work/fx
/usr/bin/python3 -m venv --system-site-packages --without-pip "$work/venv"
mkdir -p "$work/ldlp"
for i in $(seq 1 29); do  # 29 more library folders, as a stack of modules leaves them
    mkdir -p "$work/ldlp/m$i/lib"
    for l in a b c d e; do : > "$work/ldlp/m$i/lib/libmod${i}_$l.so"; done
done
ldlp30=/usr/lib/x86_64-linux-gnu/openmpi/lib$(printf ":$work/ldlp/m%d/lib" $(seq 1 29))
# A site's login PATH: the user's own folders, the MPI module's and a few other modules' bin
# (each under a tree of its own), the scheduler's, then the system's: a python and an mpirun are
# looked for in each.
mkdir -p "$work/user/.local/bin"
sitepath=$work/user/.local/bin:$work/user/bin:$fx/mpich-module/bin
for m in gcc/12.2.0 cmake/3.27.7 git/2.42.0 slurm/23.02.6; do
    mkdir -p "$work/site/apps/$m/bin"
    sitepath+=:$work/site/apps/$m/bin
done
sitepath+=:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mk_conda() { # prefix records site-packages-folders
    local p=$1 n=$2 m=$3 site=$1/lib/python3.11/site-packages
    mkdir -p "$p/conda-meta" "$p/bin" "$site/mpi4py" "$site/mpi4py-3.1.6.dist-info" "$p/lib"
    cp "$fx/python_conda" "$p/bin/python3.11"
    ln -s python3.11 "$p/bin/python3"; ln -s python3.11 "$p/bin/python"
    echo '{"name":"python","version":"3.11.9","build":"h_0","files":[]}' > "$p/conda-meta/python-3.11.9-h_0.json"
    bash "$top/bench/common/conda_records.sh" "$p" "$n"
    for ((i = 0; i < m; i++)); do mkdir "$site/pkg$i"; done
    cp "$fx/bundled-libmpi.so.12" "$p/lib/libmpi.so.12"
    echo '{"name":"mpich","version":"4.0.2","build":"h_100","files":["lib/libmpi.so.12"]}' > "$p/conda-meta/mpich-4.0.2-h_100.json"
    echo '{"name":"mpi4py","version":"3.1.6","build":"py311_0","files":[]}' > "$p/conda-meta/mpi4py-3.1.6-py311_0.json"
    cp "$fx/ext_mpi12_condarpath.so" "$site/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so"
    echo conda > "$site/mpi4py-3.1.6.dist-info/INSTALLER"
}
mk_conda "$work/conda0" 0 0
mk_conda "$work/conda5k" 5000 3000
find "$work" \( -type d -o -type f \) -exec touch -d '1 minute ago' {} +

shapes=(none none-site venv-ok venv-nocache venv-bad venv-ldlp30 conda0 conda5k-warm conda5k-cold)
declare -A what=(
    [none]="no env (MPICH module)" [none-site]="no env, a site's PATH (13 folders)" [venv-ok]="typical venv, healthy (Open MPI)"
    [venv-nocache]="the same, no listing cache (Slurm checker)"
    [venv-bad]="typical venv, mismatched (MPICH)" [venv-ldlp30]="healthy venv, 30 LD_LIBRARY_PATH entries"
    [conda0]="conda, bundled MPICH, 0 extra records" [conda5k-warm]="conda, 5,000 records, warm cache"
    [conda5k-cold]="conda, 5,000 records, cold cache")
# run SHAPE SIDE program args...: in the shape's environment, with the side's own HOME (cache)
run() {
    local shape=$1 side=$2; shift 2
    local home=$work/home-$side-${shape%-cold}
    home=${home%-warm}
    mkdir -p "$home"
    local -a e=(HOME="$home")
    case $shape in
    none*|venv-bad|conda*) e+=(LMOD_FAMILY_MPI=mpich LMOD_FAMILY_MPI_VERSION=4.0.2 MPI_HOME="$fx/mpich-module"
                  LD_LIBRARY_PATH="$fx/mpich-module/lib") ;;
    venv-ok|venv-nocache) e+=(LMOD_FAMILY_MPI=openmpi LMOD_FAMILY_MPI_VERSION=4.1.4 MPI_HOME="$fx/openmpi-module"
                  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openmpi/lib) ;;
    venv-ldlp30) e+=(LMOD_FAMILY_MPI=openmpi LMOD_FAMILY_MPI_VERSION=4.1.4 MPI_HOME="$fx/openmpi-module"
                  LD_LIBRARY_PATH="$ldlp30") ;;
    esac
    case $shape in
    none) e+=(PATH="$fx/mpich-module/bin:/usr/bin:/bin") ;;
    none-site) e+=(PATH="$sitepath") ;;
    venv-bad) e+=(VIRTUAL_ENV="$work/venv" PATH="$work/venv/bin:$fx/mpich-module/bin:/usr/bin:/bin") ;;
    venv-*) e+=(VIRTUAL_ENV="$work/venv" PATH="$work/venv/bin:$fx/openmpi-module/bin:/usr/bin:/bin") ;;
    conda0*) e+=(CONDA_PREFIX="$work/conda0" CONDA_DEFAULT_ENV=conda0 PATH="$work/conda0/bin:$fx/mpich-module/bin:/usr/bin:/bin") ;;
    conda5k-*) e+=(CONDA_PREFIX="$work/conda5k" CONDA_DEFAULT_ENV=conda5k PATH="$work/conda5k/bin:$fx/mpich-module/bin:/usr/bin:/bin") ;;
    esac
    [ "$shape" = conda5k-cold ] && e+=(MPG_BENCH_COLD_DIR="$home/.cache/mpiguard")
    [ "$shape" = venv-nocache ] && e+=(MPIGUARD_NO_CACHE=1)
    env -i "${e[@]}" "$@"
}
. "$top/bench/common/stats.sh"
field() { sed -E "s/.*$1=([0-9.]+).*/\\1/"; }
calls() { case $1 in conda5k-cold) echo 30 ;; *) echo 100 ;; esac; }
ir_per_call() { # shape side
    run "$1" "$2" valgrind --tool=callgrind --toggle-collect=mpg_check --callgrind-out-file="$work/cg.out" \
        "$work/bench-$2" 20 >/dev/null 2>&1
    awk '/^summary:/ {printf "%d\n", $2 / 30}' "$work/cg.out"
}
real() { # shape side args...: the real `mpiguard` binary of that side (not libtool's wrapper)
    local shape=$1 side=$2 bin libs; shift 2
    eval "bin=\$bin_$side libs=\$libs_$side"
    run "$shape" "$side" sh -c '[ -z "$0" ] || export LD_LIBRARY_PATH=$0${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; exec "$@"' \
        "$libs" "$@" "$bin" check
}
syscalls() { # shape side: all syscalls of `mpiguard check` (warm shapes: after one run filled the cache)
    case $1 in
    *-cold) rm -rf "$work/home-$2-${1%-cold}/.cache" ;;
    *) real "$1" "$2" >/dev/null 2>&1 || true ;;
    esac
    real "$1" "$2" strace -f -c -o "$work/strace.txt" >/dev/null 2>&1 || true
    awk '$NF == "total" {print $4}' "$work/strace.txt"
}

echo "mpg_check() per call, CPU time of the thread (median of $(calls none) calls a round, $rounds rounds alternated)"
printf '%-42s %9s %9s %6s %13s %10s %10s %6s %9s %9s\n' shape "base us" "this us" ratio "(min-max)" \
    "base Ir" "this Ir" "Ir x" "base sc" "this sc"
for shape in "${shapes[@]}"; do
    for s in "${sides[@]}"; do
        run "$shape" "$s" "$work/bench-$s" 5 >/dev/null  # fills the cache (warm shapes)
        : > "$work/$s.t"
    done
    for ((r = 0; r < rounds; r++)); do
        for s in "${sides[@]}"; do
            run "$shape" "$s" "$work/bench-$s" "$(calls "$shape")" | field cpu_median_us >> "$work/$s.t"
        done
    done
    findings=$(run "$shape" this "$work/bench-this" 1 | field findings)
    declare -A tm=() ir=() sc=()
    for s in "${sides[@]}"; do
        tm[$s]=$(median < "$work/$s.t")
        ir[$s]=$(command -v valgrind >/dev/null && ir_per_call "$shape" "$s" || echo 0)
        sc[$s]=$(command -v strace >/dev/null && syscalls "$shape" "$s" || echo 0)
    done
    if [ -n "$base" ]; then
        rr=$(paste "$work/base.t" "$work/this.t" | awk '{print $2 / $1}' | median)
        mm=$(paste "$work/base.t" "$work/this.t" | awk '{r = $2 / $1; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r}
                                                    END {printf "(%.2f-%.2f)", lo, hi}')
        printf '%-42s %9.1f %9.1f %6.2f %13s %10d %10d %6.2f %9d %9d\n' "${what[$shape]} [$findings]" "${tm[base]}" \
            "${tm[this]}" "$rr" "$mm" "${ir[base]}" "${ir[this]}" "$(awk -v a="${ir[base]}" -v b="${ir[this]}" 'BEGIN {print a ? b / a : 0}')" \
            "${sc[base]}" "${sc[this]}"
    else
        printf '%-42s %9s %9.1f %6s %13s %10s %10d %6s %9s %9d\n' "${what[$shape]} [$findings]" - "${tm[this]}" - - - \
            "${ir[this]}" - - "${sc[this]}"
    fi
    echo "${sc[this]}" > "$work/sc-$shape"
    echo "${tm[this]}" > "$work/tm-$shape"
done
echo "[n]: findings of the shape. Syscalls: the whole \`mpiguard check\` command (process start included)."
# The whole command as a user (or Environment Modules' `mpiguard module-hook`) starts it: CPU of
# the process (cputime: user + system), 10 alternated runs a round, in the shapes where its
# start differs (the loader looks for each library it names in every LD_LIBRARY_PATH folder).
cc -O2 -o "$work/cputime" "$top/bench/common/cputime.c"
echo "the whole \`mpiguard check\` command, CPU of the process (median of $((rounds * 10)) runs, alternated)"
for shape in venv-ok venv-ldlp30; do
    for s in "${sides[@]}"; do
        : > "$work/$s.c"
        real "$shape" "$s" >/dev/null 2>&1 || true
    done
    for ((r = 0; r < rounds * 10; r++)); do
        for s in "${sides[@]}"; do
            real "$shape" "$s" "$work/cputime" 2>&1 >/dev/null | sed -n 's/^cputime_us=//p' >> "$work/$s.c"
        done
    done
    if [ -n "$base" ]; then
        printf '%-42s %9.1f %9.1f %6.2f (median of the pairs)\n' "${what[$shape]}" "$(median < "$work/base.c")" \
            "$(median < "$work/this.c")" "$(paste "$work/base.c" "$work/this.c" | awk '$1 > 0 {print $2 / $1}' | median)"
    else
        printf '%-42s %9s %9.1f\n' "${what[$shape]}" - "$(median < "$work/this.c")"
    fi
done
# The floor under the cold row: only listing the two big folders it must list (no mpiguard).
floor=$("$work/bench-this" "$(calls conda5k-cold)" --list "$work/conda5k/conda-meta" \
    "$work/conda5k/lib/python3.11/site-packages" | field cpu_median_us)
echo "listing floor: opendir/readdir of the 5,000-record env's conda-meta and site-packages alone:" \
    "$floor us CPU (median of $(calls conda5k-cold)); the cold check above: $(cat "$work/tm-conda5k-cold") us"
# The records' cost on like terms: each 5,000-record count against the 0-record env's in the same
# cache state (a cold check also writes the cache, and a warm one takes the module's MPI from it).
command -v strace >/dev/null || { echo "(no strace: no system call counts)"; exit 0; }
c0=$(syscalls conda0-cold this)
awk -v a="$(cat "$work/sc-conda0")" -v a0="$c0" -v w="$(cat "$work/sc-conda5k-warm")" -v c="$(cat "$work/sc-conda5k-cold")" \
    'BEGIN {printf "syscalls, 5,000-record env / 0-record env in the same cache state: %.2f warm (%d / %d), %.2f cold (%d / %d) (target <= 1.2); the cold 5,000-record env / the warm 0-record env, as earlier rounds gave it: %.2f\n", w / a, w, a, c / a0, c, a0, c / a}'
