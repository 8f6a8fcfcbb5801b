#!/bin/bash
# Benchmark of `mpiguard check`, the call made on every `module load`:
#  - file-system syscalls (strace -c -f) of the whole command, and
#  - in-process wall time of mpg_check() on warm caches (median of 200),
# for an empty env and a large one (5,000 conda records, 3,000 site-packages entries, a bundled
# MPICH mpi4py), both under the same MPICH "module". Reports the large/empty ratios.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/_build}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpg-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/src" -o "$work/check_bench" "$top/bench/check/check_bench.c" \
    "$build/src/.libs/libmpgcore.a" $(pkg-config --libs jansson)

# fixtures: reuse the unit tests' builder (real MPICH objects)
bash "$top/tests/unit/fixtures.sh" "$work/fx" >/dev/null
fx=$work/fx
mk_conda() { # prefix records entries
    local p=$1 n=$2 m=$3 site
    site=$p/lib/python3.11/site-packages
    mkdir -p "$p/conda-meta" "$p/bin" "$site/mpi4py"
    cp "$fx/python_conda" "$p/bin/python3.11"
    ln -s python3.11 "$p/bin/python3"; ln -s python3.11 "$p/bin/python"
    echo '{"name":"python","version":"3.11.9","build":"h_0","files":[]}' > "$p/conda-meta/python-3.11.9-h_0.json"
    for ((i = 0; i < n; i++)); do
        printf '{"name":"pkg%d","version":"1.0","build":"h_0","files":["lib/libpkg%d.so","share/doc/pkg%d/README"],"depends":["python >=3.11"]}\n' \
            "$i" "$i" "$i" > "$p/conda-meta/pkg$i-1.0-h_0.json"
    done
    for ((i = 0; i < m; i++)); do mkdir -p "$site/pkg$i"; done
    if [ "$n" -gt 0 ]; then
        mkdir -p "$p/lib"
        cp "$fx/bundled-libmpi.so.12" "$p/lib/libmpi.so.12"
        echo '{"name":"mpich","version":"4.0.2","build":"h_100","files":["lib/libmpi.so.12"]}' > "$p/conda-meta/mpich-4.0.2-h_100.json"
        cp "$fx/ext_mpi12_condarpath.so" "$site/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so"
        mkdir -p "$site/mpi4py-3.1.6.dist-info"; echo conda > "$site/mpi4py-3.1.6.dist-info/INSTALLER"
    fi
}
mk_conda "$work/empty" 0 0
mk_conda "$work/large" 5000 3000
# An env is not installed into the second before `module load`: age the folders as in real life
# (mpiguard does not cache a listing of a folder changed in the last 2 seconds).
find "$work/empty" "$work/large" -type d -exec touch -d '1 minute ago' {} +

run_env() { # prefix command...
    local p=$1; shift
    env -i HOME="$work" PATH="$p/bin:$fx/mpich-module/bin:/usr/bin:/bin" CONDA_PREFIX="$p" \
        CONDA_DEFAULT_ENV="$(basename "$p")" LMOD_FAMILY_MPI=mpich LMOD_FAMILY_MPI_VERSION=4.0.2 \
        MPI_HOME="$fx/mpich-module" LD_LIBRARY_PATH="$fx/mpich-module/lib" "$@"
}
fs_calls='openat,open,stat,newfstatat,fstat,lstat,statx,access,faccessat,faccessat2,readlink,readlinkat,getdents64,read,pread64,mmap,munmap,close'
syscalls() { # prefix
    run_env "$1" strace -f -c -e trace="$fs_calls" -o "$work/strace.txt" "$build/src/mpiguard" check >/dev/null || true
    awk '/^-+/{n++} n==1 && $NF!="syscall" && NF>=5 {s+=$4} END{print s}' "$work/strace.txt"
}
inproc() { run_env "$1" "$work/check_bench" 200; }
nocache() { run_env "$1" env MPIGUARD_NO_CACHE=1 "$work/check_bench" 200; }

declare -A sc tm nc scw
for shape in empty large; do
    rm -rf "$work/.cache"
    nc[$shape]=$(nocache "$work/$shape")
    sc[$shape]=$(syscalls "$work/$shape")   # first run: fills the listing cache
    tm[$shape]=$(inproc "$work/$shape")
    scw[$shape]=$(syscalls "$work/$shape")  # later module loads
done
echo "shape   fs-syscalls(first)  fs-syscalls(later)  in-process mpg_check() later / without listing cache"
for shape in empty large; do
    printf '%-7s %19s %19s  %s / %s\n' "$shape" "${sc[$shape]}" "${scw[$shape]}" "${tm[$shape]}" "${nc[$shape]}"
done
awk -v a="${sc[empty]}" -v b="${sc[large]}" -v c="${scw[empty]}" -v d="${scw[large]}" \
    'BEGIN{printf "syscall ratio large/empty: %.2f first run, %.2f later (target <= 2)\n", b/a, d/c}'
