/* step_check.c: see step_check.h; the protocol is in step_protocol.h. */
#include "step_check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "step_protocol.h"
#include "step_verdict.h"

/* After SIGKILL, how long to wait for the checker to be gone before leaving it. */
#define KILL_GRACE_MS 100

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double mpg_step_now_ms(void) { return (double)now_ns() / 1e6; }

static double thread_cpu_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the site policy (slurmstepd, root) ------------------------------------------------------ */

int mpg_site_policy_load(const struct mpg_core *core, const char *path, struct mpg_site_policy *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->path = path;
    char *text = NULL;
    size_t len = 0;
    int rc = core->policy_read_file(path, &text, &len, sp->err, sizeof sp->err);
    if (rc != 0) {
        core->policy_defaults(&sp->policy);
        sp->ok = rc > 0; /* a missing file is the defaults, not an error */
        return sp->ok ? 0 : -1;
    }
    if (core->policy_parse(&sp->policy, text, len, path, sp->err, sizeof sp->err) != 0) {
        free(text);
        return -1;
    }
    sp->text = text;
    sp->len = len;
    sp->ok = true;
    return 0;
}

void mpg_site_policy_free(const struct mpg_core *core, struct mpg_site_policy *sp)
{
    core->policy_free(&sp->policy);
    free(sp->text);
    sp->text = NULL;
}

bool mpg_step_checker_trusted(const char *program, char *err, size_t errlen)
{
    struct stat st;
    if (stat(program, &st) != 0)
        snprintf(err, errlen, "cannot use the checker %s: %s (is mpiguard fully installed on this node?)", program,
                 strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(err, errlen, "the checker %s is not a regular file", program);
    else if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
        snprintf(err, errlen, "the checker %s is not used: it must belong to root and be writable by root only "
                 "(uid %u, mode %04o)", program, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    else
        return true;
    return false;
}

/* ---- the settings sent to the checker -------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* "key value\n"; a newline in value (a node name from a strange slurm.conf) becomes '?'. */
static void buf_setting(struct buf *b, const char *key, const char *value)
{
    buf_add(b, key, strlen(key));
    buf_add(b, " ", 1);
    size_t start = b->len;
    buf_add(b, value, strlen(value));
    for (size_t i = start; !b->oom && i < b->len; i++)
        if (b->p[i] == '\n') b->p[i] = '?';
    buf_add(b, "\n", 1);
}

static bool build_settings(struct buf *b, const struct mpg_step_checker *c, const struct mpg_site_policy *sp,
                           const struct mpg_step *s)
{
    size_t env_bytes = 0;
    for (const char *const *e = s->env; e && *e; e++) env_bytes += strlen(*e) + 1;
    if (env_bytes + 8192 > MPG_STEP_MAX_SETTINGS) return false;
    buf_add(b, MPG_STEP_MAGIC, strlen(MPG_STEP_MAGIC));
    buf_setting(b, "lib", c->lib);
    buf_setting(b, "user_policy", sp->policy.user_override ? "1" : "0");
    buf_add(b, "env\n", 4);
    for (const char *const *e = s->env; e && *e; e++) buf_add(b, *e, strlen(*e) + 1);
    return true;
}

/* ---- the child, between clone and exec ---------------------------------------------------------
 * slurmstepd has threads: until exec only async-signal-safe calls, and no glibc function that
 * could take a lock (the ids are set with raw system calls: glibc's setresuid would try to
 * signal slurmstepd's other threads, which do not exist in the child). The child shares
 * slurmstepd's memory until it execs, as posix_spawn's does (CLONE_VM | CLONE_VFORK): no page
 * tables are copied, which is most of what a fork of slurmstepd costs, and the calling thread
 * waits the few hundred microseconds to the exec. So it writes nothing but its own stack,
 * runs with every signal blocked until it has reset their handlers, and is not instrumented
 * by ASan (its frames would leave poisoned shadow memory behind on a stack that is then
 * unmapped). Everything is prepared by the parent before the clone. */

#define CHILD_STACK_BYTES (128 * 1024)
#define CHILD_CODE __attribute__((no_sanitize_address, noinline))

struct child_plan {
    int sock;
    const char *program;
    char *const *argv, *const *envp;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int n_groups;
    unsigned alarm_s;
};

static void child_fail(const char *what, int err) __attribute__((noreturn));
CHILD_CODE static void child_fail(const char *what, int err)
{
    char line[96], digits[16];
    size_t n = 0, d = 0;
    for (const char *p = "setup "; *p; p++) line[n++] = *p;
    for (const char *p = what; *p && n < 64; p++) line[n++] = *p;
    line[n++] = ' ';
    unsigned v = err > 0 ? (unsigned)err : 0;
    do digits[d++] = (char)('0' + v % 10); while ((v /= 10) && d < sizeof digits);
    while (d) line[n++] = digits[--d];
    line[n++] = '\n';
    ssize_t w = write(STDOUT_FILENO, line, n);
    (void)w;
    _exit(127);
}

CHILD_CODE static int child_exec(void *arg)
{
    const struct child_plan *c = arg;
    /* The socket becomes stdin, stdout and stderr (dup2 clears close-on-exec); all else closes. */
    int sock = c->sock;
    if (sock <= STDERR_FILENO && (sock = fcntl(sock, F_DUPFD, STDERR_FILENO + 1)) < 0) _exit(127);
    if (dup2(sock, STDIN_FILENO) < 0 || dup2(sock, STDOUT_FILENO) < 0 || dup2(sock, STDERR_FILENO) < 0) _exit(127);
    if (close_range(STDERR_FILENO + 1, ~0U, 0) != 0) {
        struct rlimit rl;
        int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
        for (int fd = STDERR_FILENO + 1; fd < max; fd++) close(fd);
    }

    /* Signals as a new program expects them (exec keeps ignored ones ignored, and the mask):
     * no handler of slurmstepd's may run here, on its memory. All are blocked until then. */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (chdir("/") != 0) child_fail("chdir", errno);

    /* The job's user for good: real, effective and saved ids. In slurm_spank_user_init
     * slurmstepd has only swapped its effective uid: take root back for the moment needed to
     * give it up entirely. */
    if (syscall(SYS_geteuid) != 0 && syscall(SYS_getuid) == 0 && syscall(SYS_setresuid, -1, 0, -1) != 0)
        child_fail("seteuid", errno);
    if (syscall(SYS_geteuid) == 0) {
        if (c->n_groups >= 0 && syscall(SYS_setgroups, (size_t)c->n_groups, c->groups) != 0)
            child_fail("setgroups", errno);
        if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0) child_fail("setresgid", errno);
        if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0) child_fail("setresuid", errno);
    }
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (syscall(SYS_getresuid, &r, &e, &s) != 0 || r != c->uid || e != c->uid || s != c->uid ||
        syscall(SYS_getresgid, &rg, &eg, &sg) != 0 || rg != c->gid || eg != c->gid || sg != c->gid)
        child_fail("ids", EPERM);
    /* No setuid program, no file capability can give a privilege back. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail("no_new_privs", errno);
    /* Its own deadline (kept across exec), should slurmstepd be gone before it. */
    alarm(c->alarm_s);
    execve(c->program, c->argv, c->envp);
    child_fail("exec", errno);
}

/* ---- the parent ------------------------------------------------------------------------------- */

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

/* Waits for the checker until deadline (ns); true when it was reaped here or by slurmstepd. */
static bool reap(pid_t pid, int64_t deadline, int *status, struct rusage *ru)
{
    for (;;) {
        pid_t w = wait4(pid, status, WNOHANG, ru);
        if (w == pid) return true;
        if (w < 0 && errno == ECHILD) { /* another thread of slurmstepd's reaped it */
            *status = -1;
            return true;
        }
        if (w < 0 && errno != EINTR) return false;
        if (now_ns() >= deadline) return false;
        struct timespec nap = {0, 100000}; /* 0.1 ms: after its answer it is gone within one */
        nanosleep(&nap, NULL);
    }
}

/* The first line of the reply that is not the protocol's, for an error message. */
static void first_stray_line(const char *reply, size_t len, char *line, size_t size)
{
    line[0] = '\0';
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(reply + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (reply + pos)) : len - pos;
        const char *l = reply + pos;
        pos += n + 1;
        if (n == 0 || strncmp(l, "error ", 6) == 0 || strncmp(l, "setup ", 6) == 0) continue;
        snprintf(line, size, ": %.*s", (int)(n < 300 ? n : 300), l);
        return;
    }
}

static void explain_failure(const struct mpg_step_checker *c, const struct mpg_step *s, char *reply, size_t len,
                            bool reaped, int status, struct mpg_step_result *out)
{
    char what[64];
    int err;
    size_t magic = strlen(MPG_STEP_REPORT_MAGIC);
    bool report = len >= magic && memcmp(reply, MPG_STEP_REPORT_MAGIC, magic) == 0;
    for (size_t pos = 0; !report && pos < len;) {
        char *l = reply + pos, *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + 1;
        if (nl) *nl = '\0';
        if (strncmp(l, "error ", 6) == 0) {
            set_error(out, MPG_STEP_FAILED, "%s", l + 6);
            return;
        }
        if (sscanf(l, "setup %63s %d", what, &err) == 2) {
            if (strcmp(what, "exec") == 0)
                set_error(out, MPG_STEP_UNAVAILABLE, "cannot run the checker %s as uid %u: %s", c->program,
                          (unsigned)s->uid, strerror(err));
            else
                set_error(out, MPG_STEP_FAILED, "cannot start the checker as the job's user (uid %u, gid %u): %s: %s",
                          (unsigned)s->uid, (unsigned)s->gid, what, strerror(err));
            return;
        }
    }
    char stray[320], how[96], bad[128] = "";
    if (report) {
        /* A report, but broken, or followed by something (a sanitizer's), or a bad exit. */
        struct mpg_step_report sr;
        if (mpg_step_report_parse(reply, len, &sr, bad, sizeof bad)) mpg_step_report_free(&sr);
        stray[0] = '\0';
        static const char end_record[] = "\nend 0\n\n";
        const char *end = memmem(reply, len, end_record, sizeof end_record - 1);
        if (end) {
            end += sizeof end_record - 1;
            first_stray_line(end, len - (size_t)(end - reply), stray, sizeof stray);
        }
    } else {
        first_stray_line(reply, len, stray, sizeof stray);
    }
    if (!reaped)
        snprintf(how, sizeof how, "still running");
    else if (status == -1)
        snprintf(how, sizeof how, "status unknown");
    else if (WIFSIGNALED(status))
        snprintf(how, sizeof how, "killed by signal %d, %s", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
    set_error(out, MPG_STEP_FAILED, "the checker %s gave no valid answer (%s%s%s)%s", c->program, how,
              bad[0] ? ", " : "", bad, stray);
}

struct mpg_step_run {
    pid_t pid;
    int sock;
    struct buf settings;
    size_t sent;
    bool sending;
    int64_t start, deadline; /* ns */
    double caller_cpu_ms;
};

/* Sends what the socket takes now, without waiting; the rest when it can take more. */
static void send_some(struct mpg_step_run *run)
{
    while (run->sending) {
        ssize_t n = send(run->sock, run->settings.p + run->sent, run->settings.len - run->sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0 && (run->sent += (size_t)n) == run->settings.len) {
            shutdown(run->sock, SHUT_WR);
            run->sending = false;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno != EAGAIN) {
            run->sending = false; /* it stopped reading: its answer says why */
        } else if (n <= 0) {
            return; /* full for now */
        }
    }
}

static void run_free(struct mpg_step_run *run)
{
    if (run->sock >= 0) close(run->sock);
    free(run->settings.p);
    free(run);
}

struct mpg_step_run *mpg_step_check_start(const struct mpg_step_checker *c, const struct mpg_site_policy *sp,
                                          const struct mpg_step *step, struct mpg_step_result *out)
{
    memset(out, 0, sizeof *out);
    int64_t start = now_ns();
    double cpu0 = thread_cpu_ms();
    struct mpg_step_run *run = calloc(1, sizeof *run);
    int sv[2] = {-1, -1};
    if (!run) {
        set_error(out, MPG_STEP_FAILED, "out of memory");
        goto fail;
    }
    run->sock = -1;
    run->start = start;
    run->deadline = start + (int64_t)c->timeout_ms * 1000000;
    if (!build_settings(&run->settings, c, sp, step)) {
        set_error(out, MPG_STEP_FAILED, "the step's environment is larger than %u MB", MPG_STEP_MAX_SETTINGS >> 20);
        goto fail;
    }
    if (run->settings.oom) {
        set_error(out, MPG_STEP_FAILED, "out of memory");
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        set_error(out, MPG_STEP_FAILED, "cannot create a socket pair: %s", strerror(errno));
        goto fail;
    }
    void *stack = mmap(NULL, CHILD_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        set_error(out, MPG_STEP_FAILED, "out of memory");
        goto fail;
    }
    char *argv[] = {"mpiguard-step-check", NULL}, *envp[] = {NULL};
    struct child_plan plan = {
        .sock = sv[1],
        .program = c->program,
        .argv = argv,
        .envp = envp,
        .uid = step->uid,
        .gid = step->gid,
        .groups = step->groups,
        .n_groups = step->n_groups,
        .alarm_s = (unsigned)(c->timeout_ms / 1000 + 2),
    };
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pid_t pid = clone(child_exec, (char *)stack + CHILD_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    munmap(stack, CHILD_STACK_BYTES);
    if (pid < 0) {
        set_error(out, MPG_STEP_FAILED, "cannot start a process: %s", strerror(clone_errno));
        goto fail;
    }
    close(sv[1]);
    run->pid = pid;
    run->sock = sv[0];
    fcntl(run->sock, F_SETFL, O_NONBLOCK);
    run->sending = true;
    send_some(run); /* a step's environment (a few kB) fits the socket's buffer: all of it, usually */
    run->caller_cpu_ms = thread_cpu_ms() - cpu0;
    return run;
fail:
    if (sv[0] >= 0) close(sv[0]);
    if (sv[1] >= 0) close(sv[1]);
    if (run) run_free(run);
    out->wall_ms = (double)(now_ns() - start) / 1e6;
    out->caller_cpu_ms = thread_cpu_ms() - cpu0;
    return NULL;
}

void mpg_step_check_finish(struct mpg_step_run *run, const struct mpg_step_checker *c, const struct mpg_site_policy *sp,
                           const struct mpg_step *step, struct mpg_step_result *out)
{
    memset(out, 0, sizeof *out);
    int64_t waited_from = now_ns();
    double cpu0 = thread_cpu_ms();
    int64_t deadline = run->deadline;
    char *reply = malloc(MPG_STEP_MAX_REPLY + 1);
    if (!reply) {
        mpg_step_check_abandon(run);
        set_error(out, MPG_STEP_FAILED, "out of memory");
        out->caller_cpu_ms = thread_cpu_ms() - cpu0;
        return;
    }
    size_t len = 0;
    bool eof = false;
    while (!eof) {
        int64_t left = deadline - now_ns();
        if (left <= 0) break;
        struct pollfd pfd = {.fd = run->sock, .events = POLLIN | (run->sending ? POLLOUT : 0)};
        int rc = poll(&pfd, 1, (int)((left + 999999) / 1000000));
        if (rc < 0 && errno != EINTR) break;
        if (rc <= 0) continue;
        if (run->sending && (pfd.revents & (POLLOUT | POLLERR | POLLHUP))) send_some(run);
        if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
            char chunk[16384];
            ssize_t n = read(run->sock, chunk, sizeof chunk);
            if (n > 0) {
                size_t keep = len + (size_t)n > MPG_STEP_MAX_REPLY ? MPG_STEP_MAX_REPLY - len : (size_t)n;
                memcpy(reply + len, chunk, keep);
                len += keep;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                eof = true;
            }
        }
    }
    pid_t pid = run->pid;
    int status = 0;
    struct rusage ru = {0};
    bool reaped = eof && reap(pid, deadline, &status, &ru);
    bool timed_out = !reaped;
    if (!reaped) {
        kill(pid, SIGKILL);
        reaped = reap(pid, now_ns() + (int64_t)KILL_GRACE_MS * 1000000, &status, &ru);
    }
    reply[len] = '\0';
    if (timed_out)
        set_error(out, MPG_STEP_TIMEOUT, "no answer within %d ms (a hung file system, or a FIFO, in the "
                  "environment's paths?)%s", c->timeout_ms,
                  reaped ? "" : "; the checker could not be stopped yet (stuck in the kernel)");
    else {
        struct mpg_step_report sr;
        char why[128];
        if ((status == 0 || status == -1) && mpg_step_report_parse(reply, len, &sr, why, sizeof why)) {
            mpg_step_decide(c->core, sp, step, &sr, out);
            mpg_step_report_free(&sr);
        } else {
            explain_failure(c, step, reply, len, reaped, status, out);
        }
    }
    if (reaped && status != -1)
        out->cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    else
        out->cpu_ms = -1;
    free(reply);
    int64_t end = now_ns();
    out->wall_ms = (double)(end - run->start) / 1e6;
    out->waited_ms = (double)(end - waited_from) / 1e6;
    out->caller_cpu_ms = run->caller_cpu_ms + (thread_cpu_ms() - cpu0);
    run_free(run);
}

void mpg_step_check_abandon(struct mpg_step_run *run)
{
    if (!run) return;
    int status;
    struct rusage ru;
    kill(run->pid, SIGKILL);
    reap(run->pid, now_ns() + (int64_t)KILL_GRACE_MS * 1000000, &status, &ru);
    run_free(run);
}

void mpg_step_check(const struct mpg_step_checker *c, const struct mpg_site_policy *sp, const struct mpg_step *step,
                    struct mpg_step_result *out)
{
    struct mpg_step_run *run = mpg_step_check_start(c, sp, step, out);
    if (run) mpg_step_check_finish(run, c, sp, step, out);
}

void mpg_step_result_free(struct mpg_step_result *r)
{
    free(r->codes);
    free(r->text);
    r->codes = r->text = NULL;
}
