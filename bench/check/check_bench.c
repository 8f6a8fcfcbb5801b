/* check_bench.c: in-process cost of mpg_check(): median and p90 wall time and the median CPU time
 * of the thread (less sensitive than wall time to a loaded machine) over N calls, for the
 * environment it is started with (the bench script sets up the shapes). With
 * MPG_BENCH_COLD_DIR set, the files in that folder (the listing cache) are removed before each
 * call, outside the timed part: every call pays a cold cache. Under callgrind, collect only
 * inside mpg_check (--toggle-collect=mpg_check) and divide by N + 10. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
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
