#!/bin/bash
# bench/check/dlopen.sh [N] [SO...]: what loading a library costs a fresh process here, as the
# hooks' package.loadlib() of the binding does (dlopen with RTLD_NOW): N fresh processes a
# library (default 300), the libraries alternated process by process; the median CPU
# microseconds of the dlopen() call and the page faults it made (getrusage). Always measured: a
# library with one function (the floor any library pays here) and this build's binding (BUILD,
# default _build); SO...: more libraries to compare, such as the binding relinked with other
# options. A benchmark: nothing passes or fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/_build}
n=${1:-300}
[ $# -gt 0 ] && shift
binding=$build/luaext/.libs/mpiguard.so
[ -f "$binding" ] || { echo "dlopen.sh: no $binding (build it first)" >&2; exit 2; }
# the Lua library the binding was built against, for the program to link: its lua_* symbols
runtime=$(sed -n 's/^LUA_RUNTIME = //p' "$build/Makefile")
case $runtime in
*luajit*) lua_pkg=luajit ;;
*) lua_pkg=lua$(sed -n 's/^LUA_VERSION = //p' "$build/Makefile") ;;
esac
lua_lib=$(pkg-config --libs "$lua_pkg") || { echo "dlopen.sh: no pkg-config file for $lua_pkg" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mpg-bench-dlopen-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo 'int one_function(void) { return 1; }' > "$work/one.c"
cc -shared -fPIC -O2 -o "$work/one-function.so" "$work/one.c"
cat > "$work/dl.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
static double cpu_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}
static long faults(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_minflt + r.ru_majflt;
}
int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    double t0 = cpu_us();
    long f0 = faults();
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    double t1 = cpu_us();
    long f1 = faults();
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    printf("%.1f %ld\n", t1 - t0, f1 - f0);
    return 0;
}
C
cc -O2 -o "$work/dl" "$work/dl.c" -ldl -Wl,--no-as-needed $lua_lib
libs=("$work/one-function.so" "$binding" "$@")
for ((k = 0; k < ${#libs[@]}; k++)); do : > "$work/t$k"; done
for ((i = 0; i < n; i++)); do
    for ((k = 0; k < ${#libs[@]}; k++)); do "$work/dl" "${libs[k]}" >> "$work/t$k"; done
done
printf '%-60s %12s %12s\n' library "dlopen us" "page faults"
for ((k = 0; k < ${#libs[@]}; k++)); do
    name=${libs[k]}
    [ $k -eq 0 ] && name="(a library with one function)"
    printf '%-60s %12s %12s\n' "$name" \
        "$(cut -d' ' -f1 "$work/t$k" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')" \
        "$(cut -d' ' -f2 "$work/t$k" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
done
echo "N=$n fresh processes a library, alternated; medians"
