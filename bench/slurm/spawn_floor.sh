#!/bin/bash
# bench/slurm/spawn_floor.sh [N]: what starting a process costs on this machine, next to what
# the plugin's checker costs: CPU and wall time per spawn (posix_spawn + wait, N times, default
# 300) of an empty C program linked dynamically and statically, and of mpiguard-step-check fed
# a small step environment on stdin (what slurmstepd sends it): this build's (linked
# statically where configure could), and the same sources linked dynamically, loading
# libmpiguard at run time (core_dl.c, as with --disable-static-checker). The difference between
# a checker and the empty program is the checker's own work (the check, the answer). Last,
# what one page fault costs here (the first touch of fresh memory), the unit process starts
# are made of (an empty static program takes ~25): compare this line between machines before
# comparing the rows above.
# A benchmark, not a test: prints numbers, asserts nothing. Needs a build tree (make).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${MPG_TOP_BUILDDIR:-$top/_build}
n=${1:-300}
checker=$build/spank/mpiguard-step-check
lib=$build/src/.libs/libmpiguard.so.0
[ -x "$checker" ] && [ -f "$lib" ] || { echo "spawn_floor: build first (no $checker or $lib)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mpg-spawn-XXXXXX")
trap 'rm -rf "$work"' EXIT
printf 'int main(void) { return 0; }\n' > "$work/empty.c"
cc -O2 -o "$work/empty-dynamic" "$work/empty.c"
cc -O2 -static -o "$work/empty-static" "$work/empty.c" 2>/dev/null || echo "spawn_floor: no static libc (libc6-dev): static row skipped" >&2
cat > "$work/spawn.c" <<'C'
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
/* spawn PROGRAM N STDIN: N spawns of PROGRAM (empty environment, stdin from STDIN, stdout to
 * /dev/null); prints wall and children's CPU milliseconds per spawn. */
int main(int argc, char **argv)
{
    int n = atoi(argv[2]);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, argv[3], O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        pid_t p;
        char *av[] = {argv[1], NULL}, *ev[] = {NULL};
        if (posix_spawn(&p, argv[1], &fa, NULL, av, ev) != 0) return 1;
        waitpid(p, NULL, 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double wall = ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6) / n;
    double cpu = ((double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3) / n;
    printf("%-40s %8.3f %8.3f\n", argv[4], wall, cpu);
    return 0;
}
C
cc -O2 -o "$work/spawn" "$work/spawn.c"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/src" -o "$work/checker-dynamic" "$top/spank/step_checker.c" "$top/spank/core_dl.c" \
    "$top/spank/step_protocol.c" -ldl
# the settings and environment slurmstepd sends (step_protocol.h), for a step with no env
printf 'mpiguard-step-check 2\nlib %s\nuser_policy 0\nenv \nPATH=/usr/bin:/bin\0HOME=/nonexistent\0' "$lib" > "$work/settings"
: > "$work/none"
echo "# $n spawns each, per spawn (ms)"
printf '%-40s %8s %8s\n' program wall cpu
"$work/spawn" "$work/empty-dynamic" "$n" "$work/none" "empty program, dynamic"
[ -x "$work/empty-static" ] && "$work/spawn" "$work/empty-static" "$n" "$work/none" "empty program, static"
kind=static; readelf -l "$checker" | grep -q "program interpreter" && kind=dynamic
"$work/spawn" "$checker" "$n" "$work/settings" "mpiguard-step-check ($kind, no env)"
"$work/spawn" "$work/checker-dynamic" "$n" "$work/settings" "checker, dynamic, loads libmpiguard"

# What a page fault costs here (the first touch of each page of fresh anonymous memory): most of
# a process start is page faults (an empty static program takes ~25), so this is the unit in
# which one machine's process start differs from another's.
cat > "$work/fault.c" <<'C'
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
int main(void)
{
    const size_t pages = 4096;
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        volatile char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return 1;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (size_t i = 0; i < pages; i++) p[i * 4096] = 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        double us = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / (double)pages;
        if (us < best) best = us;
        munmap((void *)p, pages * 4096);
    }
    printf("%-40s %8.2f us (best of 5 x 4096 pages)\n", "one page fault (anonymous, first touch)", best);
    return 0;
}
C
cc -O2 -o "$work/fault" "$work/fault.c" && "$work/fault"
