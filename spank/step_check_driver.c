/* step_check_driver.c: runs mpg_step_check() outside Slurm, for tests/slurm.
 *
 *   step_check_driver LIB POLICY TIMEOUT_MS UID GID [--first] [--verbose] [--env-file FILE]
 *
 * The step's environment is the driver's own, or FILE ("NAME=value" entries separated by NUL
 * bytes: 100,000 variables do not fit on a command line). Prints status, verdict, codes,
 * elapsed time and error on stdout, then "--- text" and the text for the user. Exit 0 when
 * the check ran (whatever it found), 1 when it timed out or failed, 2 on usage errors. */
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core_dl.h"
#include "step_check.h"

extern char **environ;

/* The entries point into *text, which the caller frees with the array. */
static char **read_env_file(const char *path, char **text)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return NULL;
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    ssize_t n;
    while (buf && got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0) got += (size_t)n;
    close(fd);
    if (!buf) return NULL;
    buf[got] = '\0';
    size_t count = 0;
    for (size_t i = 0; i < got; i++) count += buf[i] == '\0';
    char **env = calloc(count + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; env && i < got; i += strlen(buf + i) + 1)
        if (buf[i]) env[k++] = buf + i;
    *text = buf;
    return env;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s LIB POLICY TIMEOUT_MS UID GID [--first] [--verbose] [--env-file FILE]\n", argv[0]);
        return 2;
    }
    struct mpg_step step = {.job = "1", .step = "0", .node = "driver", .n_groups = -1,
                            .uid = (uid_t)atol(argv[4]), .gid = (gid_t)atol(argv[5])};
    char **env = environ, *env_text = NULL;
    for (int i = 6; i < argc; i++) {
        if (strcmp(argv[i], "--first") == 0)
            step.first_node = true;
        else if (strcmp(argv[i], "--verbose") == 0)
            step.verbose = true;
        else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
            if (!(env = read_env_file(argv[++i], &env_text))) {
                perror(argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "%s: unknown argument %s\n", argv[0], argv[i]);
            return 2;
        }
    }
    step.env = (const char *const *)env;
    struct passwd *pw = getpwuid(step.uid);
    step.user = pw ? pw->pw_name : NULL;
    struct mpg_core core;
    char err[600];
    if (mpg_core_open(&core, argv[1], err, sizeof err) != 0) {
        printf("status unavailable\nerror %s\n", err);
        return 1;
    }
    struct mpg_policy policy;
    if (core.policy_load(&policy, argv[2], err, sizeof err) != 0) printf("policy_error %s\n", err);

    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct mpg_step_result res;
    mpg_step_check(&core, &policy, argv[2], &step, atoi(argv[3]), &res);
    clock_gettime(CLOCK_MONOTONIC, &b);
    static const char *const names[] = {"done", "timeout", "failed"};
    printf("status %s\nverdict %s\ncodes %s\nelapsed_ms %.1f\ncpu_ms %.2f\nerror %s\n--- text\n%s", names[res.status],
           core.severity_name(res.verdict), res.codes ? res.codes : "-",
           (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6, res.cpu_ms, res.error,
           res.text ? res.text : "");
    int rc = res.status == MPG_STEP_DONE ? 0 : 1;
    mpg_step_result_free(&res);
    core.policy_free(&policy);
    mpg_core_close(&core);
    if (env_text) {
        free(env);
        free(env_text);
    }
    return rc;
}
