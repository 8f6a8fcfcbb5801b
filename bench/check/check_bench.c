/* check_bench.c: in-process cost of mpg_check(): median and p90 wall time and the median CPU time
 * of the thread (less sensitive than wall time to a loaded machine) over N calls, for the
 * environment it is started with (the bench script sets up the shapes). With
 * MPG_BENCH_COLD_DIR set, the files in that folder (the listing cache) are removed before each
 * call, outside the timed part: every call pays a cold cache. Under callgrind, collect only
 * inside mpg_check (--toggle-collect=mpg_check) and divide by N + 10.
 * `check_bench N --list DIR...` times only listing the folders (opendir/readdir, every entry),
 * the same way: the floor under a cold check that must list them. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpiguard.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void empty_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
}

static double us(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
}

/* Lists each folder to its end; the number of entries (kept so the loop is not optimized out). */
static long list_folders(char **dirs, int n_dirs)
{
    long entries = 0;
    for (int i = 0; i < n_dirs; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d) continue;
        while (readdir(d)) entries++;
        closedir(d);
    }
    return entries;
}

static int list_only(int n, char **dirs, int n_dirs)
{
    double *c = calloc((size_t)n, sizeof *c);
    long entries = 0;
    for (int i = -10; i < n; i++) {
        struct timespec ca, cb;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
        entries = list_folders(dirs, n_dirs);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
        if (i >= 0) c[i] = us(ca, cb);
    }
    qsort(c, (size_t)n, sizeof *c, cmp);
    printf("cpu_median_us=%.1f entries=%ld\n", c[n / 2], entries);
    free(c);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    if (argc > 2 && strcmp(argv[2], "--list") == 0) return list_only(n, argv + 3, argc - 3);
    const char *prefix = argc > 2 ? argv[2] : NULL;
    const char *cold = getenv("MPG_BENCH_COLD_DIR");
    double *t = calloc((size_t)n, sizeof *t), *c = calloc((size_t)n, sizeof *c);
    struct mpg_input in = {.env_prefix = prefix};
    size_t findings = 0;
    for (int i = -10; i < n; i++) { /* 10 warm-up calls */
        struct timespec a, b, ca, cb;
        if (cold) empty_folder(cold);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
        clock_gettime(CLOCK_MONOTONIC, &a);
        struct mpg_report *r = mpg_check(&in);
        clock_gettime(CLOCK_MONOTONIC, &b);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
        findings = r->n_findings;
        mpg_report_free(r);
        if (i >= 0) {
            t[i] = us(a, b);
            c[i] = us(ca, cb);
        }
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    qsort(c, (size_t)n, sizeof *c, cmp);
    printf("median_us=%.1f p90_us=%.1f cpu_median_us=%.1f findings=%zu\n", t[n / 2], t[n * 9 / 10], c[n / 2],
           findings);
    free(t);
    free(c);
    return 0;
}
