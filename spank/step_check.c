/* step_check.c: see step_check.h.
 *
 * Pipe protocol, checker to caller (text):
 *   pid <checker pid>\n                       at once, so the caller can kill it at the deadline
 *   result <verdict 0-3> <codes or -> <CPU microseconds>\n   when the check is done
 *   <text for the user, possibly empty>
 * then EOF. Anything else (EOF early, garbage) is a failed check. */
#include "step_check.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RESULT_FD 3
#define MAX_TEXT (64 * 1024)       /* what the user sees is a few lines; more is a bug */
#define MAX_PROBLEMS_SHOWN 3
#define MAX_REPLY (MAX_TEXT + 4096)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the checker (grandchild) ---------------------------------------------------------------- */

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(3);
        buf += n;
        len -= (size_t)n;
    }
}

/* A failure the caller should see in words, then the end of the checker. */
static void die(int fd, const char *what)
{
    char line[512];
    int n = snprintf(line, sizeof line, "error %s: %s\n", what, strerror(errno));
    write_all(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    _exit(4);
}

/* Becomes the job's user for good: real, effective and saved ids, and the job's groups. */
static int drop_to_user(const struct mpg_step *s)
{
    /* In slurm_spank_user_init slurmstepd has only swapped its effective uid: take root back
     * for the moment needed to give it up entirely. */
    if (geteuid() != 0 && getuid() == 0 && seteuid(0) != 0) return -1;
    if (geteuid() == 0) {
        if (s->groups || s->n_groups == 0) {
            if (setgroups((size_t)(s->n_groups > 0 ? s->n_groups : 0), s->groups) != 0) return -1;
        }
        if (setresgid(s->gid, s->gid, s->gid) != 0) return -1;
        if (setresuid(s->uid, s->uid, s->uid) != 0) return -1;
    }
    uid_t r, e, sv;
    if (getresuid(&r, &e, &sv) != 0 || r != s->uid || e != s->uid || sv != s->uid) return -1;
    if (getegid() != s->gid) return -1;
    /* A user must not attach to (or core-dump) a copy of slurmstepd's memory. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return 0;
}

/* Only the pipe stays open: a checker left behind must not hold the step's I/O open. */
static void close_inherited_fds(int result_fd)
{
    if (result_fd != RESULT_FD) {
        if (dup2(result_fd, RESULT_FD) < 0) _exit(3);
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++)
        if (null >= 0 && null != fd) dup2(null, fd);
    if (close_range(RESULT_FD + 1, ~0U, 0) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = RESULT_FD + 1; fd < (max > 0 && max < 65536 ? max : 65536); fd++) close((int)fd);
    }
}

static void log_findings(const struct mpg_core *core, const struct mpg_policy *p, const struct mpg_report *r,
                         const struct mpg_step *s, const char *user)
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
            .user = user,
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

static void render(const struct mpg_core *core, const struct mpg_report *r, const struct mpg_step *s,
                   FILE *out, const char *codes)
{
    core->report_text(r, out, false, false);
    if (r->n_findings)
        fprintf(out, "(mpiguard findings for job %s step %s: %s; details: mpiguard check)\n", s->job, s->step,
                codes);
    size_t shown = s->verbose ? r->n_problems : (r->n_problems < MAX_PROBLEMS_SHOWN ? r->n_problems
                                                                                      : MAX_PROBLEMS_SHOWN);
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "mpiguard: note: step %s.%s: not fully inspected: %s\n", s->job, s->step, r->problems[i]);
    if (shown < r->n_problems)
        fprintf(out, "mpiguard: note: ... and %zu more (srun --mpiguard=verbose shows them)\n",
                r->n_problems - shown);
}

static void checker_main(const struct mpg_core *core, const struct mpg_policy *site, const char *site_path,
                         const struct mpg_step *s, int fd, int timeout_ms)
{
    char line[4096];
    int n = snprintf(line, sizeof line, "pid %ld\n", (long)getpid());
    write_all(fd, line, (size_t)n);

    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    signal(SIGALRM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    alarm((unsigned)(timeout_ms / 1000 + 2)); /* dies on its own if the caller is gone */

    close_inherited_fds(fd);
    fd = RESULT_FD;
    if (drop_to_user(s) != 0) die(fd, "cannot switch to the job's user");
    if (chdir("/") != 0) die(fd, "cannot chdir to /");

    /* The step's environment, plus: never trust (or write) a listing cache in the user's
     * HOME; a user could edit it to hide a package. */
    size_t n_env = 0;
    while (s->env && s->env[n_env]) n_env++;
    const char **env = calloc(n_env + 2, sizeof *env);
    if (!env) die(fd, "out of memory");
    env[0] = "MPIGUARD_NO_CACHE=1";
    memcpy(env + 1, s->env, n_env * sizeof *env);

    struct mpg_policy own, *p = (struct mpg_policy *)site;
    if (site->user_override) {
        char err[512];
        core->policy_load_effective(&own, site_path, env, err, sizeof err);
        p = &own;
    }

    struct mpg_input in = {.environ = env};
    struct mpg_report *r = core->check(&in);
    if (!r) die(fd, "out of memory");
    const char *user = s->user;
    if (core->policy_exempt(p, user, r->env.prefix)) {
        write_all(fd, "result 0 - -1\n", 14);
        _exit(0);
    }
    core->policy_apply(p, r);

    char *codes = NULL, *text = NULL;
    size_t codes_len = 0, text_len = 0;
    FILE *c = open_memstream(&codes, &codes_len);
    if (!c) _exit(5);
    for (size_t i = 0; i < r->n_findings; i++)
        fprintf(c, "%s%s=%s", i ? "," : "", r->findings[i].code, core->severity_name(r->findings[i].severity));
    fclose(c);
    if (s->first_node) {
        FILE *t = open_memstream(&text, &text_len);
        if (!t) _exit(5);
        render(core, r, s, t, codes);
        fclose(t);
        log_findings(core, p, r, s, user);
    }
    struct rusage ru;
    long cpu_us = getrusage(RUSAGE_SELF, &ru) == 0
                      ? (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec
                      : -1;
    n = snprintf(line, sizeof line, "result %d %s %ld\n", (int)r->verdict, codes[0] ? codes : "-", cpu_us);
    write_all(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    if (text) write_all(fd, text, text_len < MAX_TEXT ? text_len : MAX_TEXT);
    _exit(0);
}

/* ---- the caller ------------------------------------------------------------------------------- */

static void set_error(struct mpg_step_result *out, enum mpg_step_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(struct mpg_step_result *out, enum mpg_step_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->error, sizeof out->error, fmt, ap);
    va_end(ap);
    out->status = st;
}

/* Parses the checker's reply; returns false when it is incomplete. */
static bool parse_reply(char *buf, size_t len, struct mpg_step_result *out)
{
    buf[len] = '\0';
    char *nl = strchr(buf, '\n');
    if (!nl || strncmp(buf, "pid ", 4) != 0) return false;
    char *res = nl + 1;
    if (strncmp(res, "error ", 6) == 0) {
        res[strcspn(res, "\n")] = '\0';
        set_error(out, MPG_STEP_FAILED, "%s", res + 6);
        return true;
    }
    if (strncmp(res, "result ", 7) != 0) return false;
    char *end = strchr(res, '\n');
    if (!end) return false;
    *end = '\0';
    int verdict;
    char codes[4096];
    long cpu_us = -1;
    if (sscanf(res, "result %d %4095s %ld", &verdict, codes, &cpu_us) < 2 || verdict < MPG_SEV_OK ||
        verdict > MPG_SEV_BLOCK)
        return false;
    out->cpu_ms = cpu_us >= 0 ? (double)cpu_us / 1000.0 : -1;
    out->verdict = (enum mpg_severity)verdict;
    out->codes = strcmp(codes, "-") == 0 ? NULL : strdup(codes);
    out->text = end[1] ? strdup(end + 1) : NULL;
    return true;
}

void mpg_step_check(const struct mpg_core *core, const struct mpg_policy *site, const char *site_path,
                    const struct mpg_step *step, int timeout_ms, struct mpg_step_result *out)
{
    memset(out, 0, sizeof *out);
    int64_t deadline = now_ms() + timeout_ms;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        set_error(out, MPG_STEP_FAILED, "cannot create a pipe: %s", strerror(errno));
        return;
    }
    /* Two forks: the middle process exits at once, so the checker belongs to init and the
     * caller never has to wait for it, however it ends. */
    pid_t mid = fork();
    if (mid < 0) {
        set_error(out, MPG_STEP_FAILED, "cannot fork: %s", strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return;
    }
    if (mid == 0) {
        close(pipefd[0]);
        pid_t checker = fork();
        if (checker == 0) checker_main(core, site, site_path, step, pipefd[1], timeout_ms);
        _exit(checker < 0 ? 1 : 0);
    }
    close(pipefd[1]);
    int st;
    while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {}

    char *buf = malloc(MAX_REPLY + 1);
    size_t len = 0;
    bool eof = false, timed_out = false;
    long checker = 0;
    while (buf && !eof) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) {
            timed_out = rc == 0;
            if (rc < 0) set_error(out, MPG_STEP_FAILED, "poll: %s", strerror(errno));
            break;
        }
        char chunk[4096];
        ssize_t n = read(pipefd[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            eof = true;
            break;
        }
        size_t keep = len + (size_t)n > MAX_REPLY ? MAX_REPLY - len : (size_t)n;
        memcpy(buf + len, chunk, keep);
        len += keep;
        if (!checker && memchr(buf, '\n', len)) sscanf(buf, "pid %ld", &checker);
    }
    close(pipefd[0]);
    if (!buf) {
        if (checker > 0) kill((pid_t)checker, SIGKILL);
        set_error(out, MPG_STEP_FAILED, "out of memory");
        return;
    }
    if (timed_out) {
        if (checker > 0) kill((pid_t)checker, SIGKILL);
        set_error(out, MPG_STEP_TIMEOUT, "no answer within %d ms (a hung file system, or a FIFO, "
                  "in the environment's paths?)", timeout_ms);
    } else if (out->status == MPG_STEP_DONE && !parse_reply(buf, len, out)) {
        set_error(out, MPG_STEP_FAILED, "%s", checker ? "the check ended without a result (killed, out of memory, "
                  "or it could not switch to the job's user)" : "the check could not be started");
    }
    free(buf);
}

void mpg_step_result_free(struct mpg_step_result *r)
{
    free(r->codes);
    free(r->text);
    r->codes = r->text = NULL;
}
