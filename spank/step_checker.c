/* step_checker.c: mpiguard-step-check, the program the Slurm plugin runs to check one job
 * step on one node (installed root-owned in LIBEXECDIR/mpiguard/).
 *
 * slurmstepd forks it and, before exec, makes it the job's user for good (uid, gid, groups),
 * sets no-new-privileges, an alarm, and leaves it only the socket to slurmstepd as stdin,
 * stdout and stderr (step_check.c). What to check arrives on stdin (step_protocol.h); the
 * answer goes to stdout. It reads the user's files with the user's rights only, runs no
 * program, and writes nothing but the answer and, from the step's first node, the syslog
 * lines of the findings. Not meant to be run by hand. */
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

#define MAX_PROBLEMS_SHOWN 3

struct settings {
    char *buf; /* everything read from stdin; the fields below point into it */
    size_t len;
    const char *lib, *job, *step, *node, *user, *policy_name;
    bool first, verbose;
    const char *policy;
    size_t policy_len;
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
        else if (strcmp(key, "job") == 0) s->job = value;
        else if (strcmp(key, "step") == 0) s->step = value;
        else if (strcmp(key, "node") == 0) s->node = value;
        else if (strcmp(key, "user") == 0) s->user = strcmp(value, "-") == 0 ? NULL : value;
        else if (strcmp(key, "first") == 0) s->first = strcmp(value, "1") == 0;
        else if (strcmp(key, "verbose") == 0) s->verbose = strcmp(value, "1") == 0;
        else if (strcmp(key, "policy") == 0) {
            char *name;
            unsigned long long n = strtoull(value, &name, 10);
            if (*name != ' ' || n > (unsigned long long)(end - p)) return "a truncated policy";
            s->policy_name = name + 1;
            s->policy = p;
            s->policy_len = (size_t)n;
            p += n;
        }
        /* Unknown keys are skipped: a newer plugin may say more. */
    }
    if (!s->lib || !s->job || !s->step || !s->node) return "settings incomplete";
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

static void log_findings(const struct mpg_core *core, const struct mpg_policy *p, const struct mpg_report *r,
                         const struct settings *s)
{
    if (!p->log || !core->log_send) return;
    char module[512];
    if (r->module.loaded)
        snprintf(module, sizeof module, "%s%s%s", r->module.name ? r->module.name : "?",
                 r->module.version ? "/" : "", r->module.version ? r->module.version : "");
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct mpg_finding *f = &r->findings[i];
        struct mpg_log_entry e = {
            .code = f->code,
            .action = core->severity_name(f->severity),
            .source = "slurm",
            .user = s->user,
            .module = r->module.loaded ? module : NULL,
            .env_kind = core->env_kind_name(r->env.kind),
            .env_name = r->env.name,
            .prefix = r->env.prefix,
            .job = s->job,
            .step = s->step,
            .node = s->node,
            .fix = f->fix, /* the formatter keeps its first line */
        };
        core->log_send(p->log_socket, &e);
    }
}

static void render(const struct mpg_core *core, const struct mpg_report *r, const struct settings *s, FILE *out,
                   const char *codes)
{
    core->report_text(r, out, false, false);
    if (r->n_findings)
        fprintf(out, "(mpiguard findings for job %s step %s: %s; details: mpiguard check)\n", s->job, s->step,
                codes);
    size_t shown = s->verbose || r->n_problems < MAX_PROBLEMS_SHOWN ? r->n_problems : MAX_PROBLEMS_SHOWN;
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "mpiguard: note: step %s.%s: not fully inspected: %s\n", s->job, s->step, r->problems[i]);
    if (shown < r->n_problems)
        fprintf(out, "mpiguard: note: ... and %zu more (srun --mpiguard=verbose shows them)\n",
                r->n_problems - shown);
}

static int check(const struct mpg_core *core, const struct settings *s)
{
    struct mpg_policy policy;
    char err[600];
    if (!s->policy || core->policy_parse(&policy, s->policy, s->policy_len, s->policy_name, err, sizeof err) != 0)
        core->policy_defaults(&policy); /* slurmstepd already told the user why */
    const char *user_err = NULL;
    if (policy.user_override && core->policy_merge_user(&policy, s->env, err, sizeof err) != 0) user_err = err;

    struct mpg_input in = {.environ = s->env};
    struct mpg_report *r = core->check(&in);
    if (!r) {
        core->policy_free(&policy);
        return answer_error("out of memory");
    }
    char *codes = NULL, *text = NULL;
    size_t codes_len = 0, text_len = 0;
    bool exempt = core->policy_exempt(&policy, s->user, r->env.prefix);
    if (!exempt) core->policy_apply(&policy, r);
    FILE *c = open_memstream(&codes, &codes_len);
    if (c) {
        for (size_t i = 0; !exempt && i < r->n_findings; i++)
            fprintf(c, "%s%s=%s", i ? "," : "", r->findings[i].code, core->severity_name(r->findings[i].severity));
        fclose(c);
    }
    if (codes && s->first && !exempt) {
        FILE *t = open_memstream(&text, &text_len);
        if (t) {
            if (user_err) fprintf(t, "mpiguard: note: your own policy is not used: %s\n", user_err);
            render(core, r, s, t, codes);
            fclose(t);
        }
        log_findings(core, &policy, r, s);
    }
    int rc = 0;
    char line[4096 + 64];
    int n = codes ? snprintf(line, sizeof line, "result %d %s %zu\n", exempt ? (int)MPG_SEV_OK : (int)r->verdict,
                             codes[0] ? codes : "-", text_len < MPG_STEP_MAX_TEXT ? text_len : MPG_STEP_MAX_TEXT)
                  : -1;
    if (!codes || (s->first && !exempt && !text))
        rc = answer_error("out of memory");
    else if (n < 0 || (size_t)n >= sizeof line)
        rc = answer_error("too many findings to report");
    else {
        write_all(line, (size_t)n);
        write_all(text, text_len < MPG_STEP_MAX_TEXT ? text_len : MPG_STEP_MAX_TEXT);
    }
    free(codes);
    free(text);
    core->report_free(r);
    core->policy_free(&policy);
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
