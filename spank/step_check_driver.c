/* step_check_driver.c: runs mpg_step_check() outside Slurm, for tests/slurm: what the plugin
 * does in slurmstepd (the policy read as root, the checker program run as UID/GID), nothing else.
 *
 *   step_check_driver LIB POLICY TIMEOUT_MS UID GID [--first] [--verbose] [--env-file FILE]
 *                     [--checker PATH] [--groups N]
 *
 * The step's environment is the driver's own, or FILE ("NAME=value" entries separated by NUL
 * bytes: 100,000 variables do not fit on a command line). --checker: the checker program
 * (default: the installed one). --groups N: the job's supplementary groups are the first N
 * of the driver's own (default 0: none, as for a job without supplementary groups). Prints
 * status, verdict, codes, times and error on stdout, then "--- text" and the text for the
 * user. Exit 0 when the check ran (whatever it found), 1 when it timed out or failed, 2 on
 * usage errors. */
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core_dl.h"
#include "plugin_args.h"
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
        fprintf(stderr, "usage: %s LIB POLICY TIMEOUT_MS UID GID [--first] [--verbose] [--env-file FILE] "
                "[--checker PATH] [--groups N]\n", argv[0]);
        return 2;
    }
    struct mpg_plugin_args defaults;
    char err[600];
    mpg_plugin_args_parse(&defaults, 0, NULL, err, sizeof err);
    struct mpg_step_checker checker = {.program = defaults.checker, .lib = argv[1], .timeout_ms = atoi(argv[3])};
    struct mpg_step step = {.job = "1", .step = "0", .node = "driver", .n_groups = 0,
                            .uid = (uid_t)atol(argv[4]), .gid = (gid_t)atol(argv[5])};
    gid_t groups[64];
    char **env = environ, *env_text = NULL;
    for (int i = 6; i < argc; i++) {
        if (strcmp(argv[i], "--first") == 0)
            step.first_node = true;
        else if (strcmp(argv[i], "--verbose") == 0)
            step.verbose = true;
        else if (strcmp(argv[i], "--checker") == 0 && i + 1 < argc)
            checker.program = argv[++i];
        else if (strcmp(argv[i], "--groups") == 0 && i + 1 < argc) {
            int n = getgroups(64, groups), want = atoi(argv[++i]);
            step.groups = groups;
            step.n_groups = want < n ? want : n;
        } else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
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
    if (mpg_core_open(&core, argv[1], err, sizeof err) != 0) {
        printf("status unavailable\nerror %s\n", err);
        return 1;
    }
    checker.core = &core;
    struct mpg_site_policy site;
    if (mpg_site_policy_load(&core, argv[2], &site) != 0) printf("policy_error %s\n", site.err);

    struct mpg_step_result res;
    if (!mpg_step_checker_trusted(checker.program, err, sizeof err))
        res = (struct mpg_step_result){.status = MPG_STEP_UNAVAILABLE};
    else
        mpg_step_check(&checker, &site, &step, &res);
    /* The checker was reaped (or never started): the driver has no child left, not even a zombie. */
    bool children = waitpid(-1, NULL, WNOHANG) >= 0;
    if (res.status == MPG_STEP_UNAVAILABLE && !res.error[0]) snprintf(res.error, sizeof res.error, "%s", err);
    static const char *const names[] = {"done", "timeout", "failed", "unavailable"};
    printf("status %s\nverdict %s\ncodes %s\nelapsed_ms %.2f\ncpu_ms %.2f\ncaller_cpu_ms %.3f\nchildren %s\nerror %s\n"
           "--- text\n%s", names[res.status], core.severity_name(res.verdict), res.codes ? res.codes : "-", res.wall_ms,
           res.cpu_ms, res.caller_cpu_ms, children ? "left" : "none", res.error, res.text ? res.text : "");
    int rc = res.status == MPG_STEP_DONE ? 0 : 1;
    mpg_step_result_free(&res);
    mpg_site_policy_free(&core, &site);
    mpg_core_close(&core);
    if (env_text) {
        free(env);
        free(env_text);
    }
    return rc;
}
