/* oracle.c: the real dynamic loader's answer, for the differential tests (tests/loader,
 * tests/unit/helpers.c). Built without sanitizers, as a stand-in for the env's python: the
 * fixtures give it the python's DT_RPATH/DT_RUNPATH and put it where that python lives.
 *
 *   oracle [--preload LIB]... EXTENSION
 *
 * dlopen()s each LIB (RTLD_LAZY|RTLD_LOCAL, as mpi4py's search does), then EXTENSION with
 * RTLD_LAZY, and prints one line per MPI-named library the kernel has mapped (from
 * /proc/self/maps, canonical paths): "MAPPED <path>"; then "NOW OK" or "NOW <error>" for a second
 * dlopen with RTLD_NOW (as Python imports extensions: undefined symbols fail there). A failed
 * dlopen prints "ERROR <dlerror()>"; a loader that blocks (a FIFO on the search path) is stopped
 * after a moment (0.5 s, or MPG_ORACLE_HANG_MS) and prints "HANG". Exit status 0 whatever the
 * loader said. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* Marks this program as the oracle (the unit tests look for it in a fixture python). */
const char mpg_oracle_marker[] = "mpiguard loader oracle";

static void hang(int sig)
{
    (void)sig;
    static const char msg[] = "HANG\n";
    if (write(1, msg, sizeof msg - 1) < 0) { /* nothing to do */
    }
    _exit(0);
}

static int mpi_named(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    return strncmp(b, "libmpi", 6) == 0 || strncmp(b, "libpmpi", 7) == 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa = {.sa_handler = hang};
    sigaction(SIGALRM, &sa, NULL);
    /* The callers ask again with more time when a loaded machine made a load look blocked. */
    const char *ms_text = getenv("MPG_ORACLE_HANG_MS");
    long ms = ms_text ? atol(ms_text) : 0;
    if (ms <= 0) ms = 500;
    struct itimerval t = {.it_value = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &t, NULL);
    int i = 1;
    for (; i + 1 < argc && strcmp(argv[i], "--preload") == 0; i += 2)
        if (!dlopen(argv[i + 1], RTLD_LAZY | RTLD_LOCAL)) printf("PRELOAD-ERROR %s\n", dlerror());
    if (i >= argc) {
        fprintf(stderr, "usage: oracle [--preload LIB]... EXTENSION\n");
        return 2;
    }
    void *h = dlopen(argv[i], RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        printf("ERROR %s\n", dlerror());
        return 0;
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[8192], last[8192] = "";
    while (maps && fgets(line, sizeof line, maps)) {
        char *p = strchr(line, '/');
        if (!p) continue;
        p[strcspn(p, "\n")] = '\0';
        if (mpi_named(p) && strcmp(p, last) != 0) {
            printf("MAPPED %s\n", p);
            snprintf(last, sizeof last, "%s", p);
        }
    }
    if (maps) fclose(maps);
    void *now = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
    if (now)
        printf("NOW OK\n");
    else
        printf("NOW %s\n", dlerror());
    return 0;
}
