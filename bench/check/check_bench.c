/* check_bench.c: in-process cost of mpg_check() on warm caches: median and p90 over N runs, for
 * the environment it is started with (the bench script sets up the shapes); also the median CPU
 * time of the thread (less sensitive than wall time to a loaded machine). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mpiguard.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    const char *prefix = argc > 2 ? argv[2] : NULL;
    double *t = calloc((size_t)n, sizeof *t), *c = calloc((size_t)n, sizeof *c);
    struct mpg_input in = {.env_prefix = prefix};
    size_t findings = 0;
    for (int i = -10; i < n; i++) { /* 10 warm-up runs */
        struct timespec a, b, ca, cb;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
        clock_gettime(CLOCK_MONOTONIC, &a);
        struct mpg_report *r = mpg_check(&in);
        clock_gettime(CLOCK_MONOTONIC, &b);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
        findings = r->n_findings;
        mpg_report_free(r);
        if (i >= 0) {
            t[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
            c[i] = (double)(cb.tv_sec - ca.tv_sec) * 1e6 + (double)(cb.tv_nsec - ca.tv_nsec) / 1e3;
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
