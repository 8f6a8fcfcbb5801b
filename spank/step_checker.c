/* step_checker.c: mpiguard-step-check, the program the Slurm plugin runs to check one job
 * step on one node (installed root-owned in LIBEXECDIR/mpiguard/).
 *
 * slurmstepd forks it and, before exec, makes it the job's user for good (uid, gid, groups),
 * sets no-new-privileges, an alarm, and leaves it only the socket to slurmstepd as stdin,
 * stdout and stderr (step_check.c). The step's environment arrives on stdin; what the check
 * found goes to stdout (step_protocol.h), before any policy: slurmstepd decides. It reads the
 * user's files with the user's rights only, runs no program, writes nothing else. Not meant
 * to be run by hand. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core_dl.h"
#include "step_protocol.h"

struct settings {
    char *buf; /* everything read from stdin; the fields below point into it */
    size_t len;
    const char *lib;
    bool user_policy; /* read the user's own policy file (MPIGUARD_POLICY) */
    const char **env; /* NULL-terminated, with MPIGUARD_NO_CACHE=1 first */
};

static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) exit(3); /* slurmstepd is gone: nobody to answer */
        buf += n;
        len -= (size_t)n;
    }
}

/* The check could not be done: one line for slurmstepd, which tells the user. */
static int answer_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int answer_error(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    size_t len = (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 2;
    line[len] = '\0';
    for (char *c = line; *c; c++)
        if (*c == '\n') *c = ' ';
    write_all("error ", 6);
    write_all(line, len);
    write_all("\n", 1);
    return 0;
}

static bool read_stdin(struct settings *s)
{
    size_t cap = 1 << 16;
    s->buf = malloc(cap + 1);
    s->len = 0;
    while (s->buf) {
        if (s->len == cap) {
            if (cap >= MPG_STEP_MAX_SETTINGS) return false;
            cap *= 2;
            char *bigger = realloc(s->buf, cap + 1);
            if (!bigger) return false;
            s->buf = bigger;
        }
        ssize_t n = read(STDIN_FILENO, s->buf + s->len, cap - s->len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) break;
        s->len += (size_t)n;
    }
    if (!s->buf) return false;
    s->buf[s->len] = '\0';
    return true;
}

/* Splits the settings in place; returns NULL or what is wrong with them. */
static const char *parse_settings(struct settings *s)
{
    char *p = s->buf, *end = s->buf + s->len;
    size_t magic = strlen(MPG_STEP_MAGIC);
    if (s->len < magic || memcmp(p, MPG_STEP_MAGIC, magic) != 0) return "no settings from slurmstepd";
    p += magic;
    for (;;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return "settings end before the environment";
        *nl = '\0';
        char *key = p, *value = strchr(p, ' ');
        if (value) *value++ = '\0';
        p = nl + 1;
        if (strcmp(key, "env") == 0) break;
        if (!value) return "a setting without a value";
        if (strcmp(key, "lib") == 0) s->lib = value;
        else if (strcmp(key, "user_policy") == 0) s->user_policy = strcmp(value, "1") == 0;
        /* Unknown keys are skipped: a newer plugin may say more. */
    }
    if (!s->lib) return "settings incomplete";
    size_t count = 0;
    for (char *q = p; q < end; q += strlen(q) + 1) count++;
    s->env = calloc(count + 2, sizeof *s->env);
    if (!s->env) return "out of memory";
    /* Never trust (or write) a listing cache in the user's HOME: they could edit it to hide a
     * package. First, so that no variable of the step's can turn it back on. */
    size_t k = 0;
    s->env[k++] = "MPIGUARD_NO_CACHE=1";
    for (char *q = p; q < end; q += strlen(q) + 1)
        if (*q) s->env[k++] = q;
    return NULL;
}

static const char *env_get(const char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (; *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=') return *env + n + 1;
    return NULL;
}

static int check(const struct mpg_core *core, const struct settings *s)
{
    /* The user's own policy, read here with their rights, merged by slurmstepd (and only
     * where the site allows it). */
    const char *user_path = s->user_policy ? env_get(s->env, "MPIGUARD_POLICY") : NULL;
    char *user_text = NULL, user_err[700] = "";
    size_t user_len = 0;
    if (user_path && *user_path) {
        char err[600];
        int rc = core->policy_read_file(user_path, &user_text, &user_len, err, sizeof err);
        if (rc > 0)
            snprintf(user_err, sizeof user_err, "%s: MPIGUARD_POLICY names a file that does not exist", user_path);
        else if (rc < 0)
            snprintf(user_err, sizeof user_err, "%s", err);
    }

    struct mpg_input in = {.environ = s->env};
    struct mpg_report *r = core->check(&in);
    if (!r) {
        free(user_text);
        return answer_error("out of memory");
    }
    char *report = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&report, &len);
    if (out) {
        mpg_step_report_write(out, r, user_text, user_len, user_text ? user_path : NULL, user_err[0] ? user_err : NULL);
        if (fclose(out) != 0) {
            free(report);
            report = NULL;
        }
    }
    int rc = 0;
    if (!report)
        rc = answer_error("out of memory");
    else
        write_all(report, len);
    free(report);
    free(user_text);
    core->report_free(r);
    return rc;
}

int main(void)
{
    /* First of all: a process of the user's that is not dumpable cannot be traced, nor its
     * memory or descriptors opened through /proc by the user it runs as. (Installed mode
     * 0711, the kernel starts it so already; this covers an installation that left it
     * readable.) */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    struct settings s = {0};
    struct mpg_core core = {0};
    int rc = 0;
    const char *bad = NULL;
    if (!read_stdin(&s))
        rc = answer_error("cannot read the settings from slurmstepd: %s",
                          s.len >= MPG_STEP_MAX_SETTINGS ? "larger than 64 MB" : strerror(errno));
    else if ((bad = parse_settings(&s)))
        rc = answer_error("%s", bad);
    else {
        char err[600];
        if (mpg_core_open(&core, s.lib, err, sizeof err) != 0)
            rc = answer_error("%s", err);
        else
            rc = check(&core, &s);
    }
    mpg_core_close(&core);
    free(s.env);
    free(s.buf);
    return rc;
}
