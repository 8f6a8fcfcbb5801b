/* probe_run.c: see probe_run.h. */
#include "probe_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_RUN_MAX_OUT (4u << 20)

/* The signal that stops the run, and the process group of the launch in progress (0: none).
 * The launcher is in a process group of its own, so a Ctrl-C at the terminal does not reach
 * it: the handler passes it on. */
static volatile sig_atomic_t stop_signal;
static volatile pid_t running_group;

static void on_stop_signal(int sig)
{
    if (!stop_signal) stop_signal = sig;
    pid_t g = running_group;
    if (g > 0) kill(-g, SIGTERM);
}

void probe_run_catch_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa = {.sa_handler = on_stop_signal}; /* no SA_RESTART: poll returns */
        sigemptyset(&sa.sa_mask);
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue; /* nohup */
        sigaction(sigs[i], &sa, NULL);
    }
}

int probe_run_stopped(void) { return stop_signal; }

/* Kills and reaps whatever a launch left behind. Launchers put ranks in process groups of
 * their own, and a launcher killed at the time limit or on Ctrl-C orphans them; this process
 * is their subreaper (set before the first launch), so they come back to it as children. */
static void reap_leftovers(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)getpid());
    for (int round = 0; round < 20; round++) {
        FILE *f = fopen(path, "re");
        if (!f) return;
        long pid;
        int n = 0;
        while (fscanf(f, "%ld", &pid) == 1) {
            kill((pid_t)pid, SIGKILL);
            waitpid((pid_t)pid, NULL, 0);
            n++;
        }
        fclose(f);
        if (!n) return;
    }
}

static double probe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

char *probe_which(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? strdup(name) : NULL;
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    const char *p = path;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len) {
            char *cand = NULL;
            if (asprintf(&cand, "%.*s/%s", (int)len, p, name) < 0)
                return NULL;
            if (access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        if (!end)
            return NULL;
        p = end + 1;
    }
}

/* In the child: never returns. */
static void probe_run_child(char *const argv[], const char *const *set, int outfd)
{
    signal(SIGINT, SIG_DFL); /* the parent's handlers are not the launcher's */
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        close(devnull);
    }
    dup2(outfd, STDOUT_FILENO);
    close(outfd);
    for (size_t i = 0; set && set[i]; i++) {
        const char *eq = strchr(set[i], '=');
        if (!eq)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - set[i]), set[i]);
        setenv(name, eq + 1, 1);
    }
    execvp(argv[0], argv);
    fprintf(stderr, "mpiguard: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int probe_run_append(struct probe_run *r, size_t *len, size_t *cap, const char *buf,
                            size_t n)
{
    if (*len + n > PROBE_RUN_MAX_OUT)
        n = PROBE_RUN_MAX_OUT - *len;
    if (*len + n + 1 > *cap) {
        size_t ncap = (*cap ? *cap * 2 : 8192);
        while (ncap < *len + n + 1)
            ncap *= 2;
        char *nout = realloc(r->out, ncap);
        if (!nout)
            return -1;
        r->out = nout;
        *cap = ncap;
    }
    memcpy(r->out + *len, buf, n);
    *len += n;
    r->out[*len] = '\0';
    return 0;
}

int probe_run(char *const argv[], const char *const *set, double timeout, struct probe_run *r)
{
    *r = (struct probe_run){.status = -1};
    if (stop_signal) {
        r->interrupted = true;
        snprintf(r->err, sizeof r->err, "interrupted");
        return -1;
    }
    static bool subreaper;
    if (!subreaper) {
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        subreaper = true;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) {
        snprintf(r->err, sizeof r->err, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    double t0 = probe_now();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->err, sizeof r->err, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        probe_run_child(argv, set, fds[1]);
    }
    setpgid(pid, pid); /* also in the parent: no race with the kill below */
    running_group = pid;
    close(fds[1]);

    size_t len = 0, cap = 0;
    probe_run_append(r, &len, &cap, "", 0);
    bool open_out = true, reaped = false;
    int sig = 0;
    double kill_at = t0 + timeout;
    int wstatus = 0;
    for (;;) {
        double now = probe_now();
        if (!reaped && waitpid(pid, &wstatus, WNOHANG) == pid) {
            reaped = true;
            /* The launcher is gone; drain what its ranks left in the pipe, briefly. */
            if (now + 1.0 < kill_at)
                kill_at = now + 1.0;
        }
        if (reaped && !open_out)
            break;
        if (stop_signal && !r->interrupted) { /* Ctrl-C: now, whatever the time limit */
            r->interrupted = true;
            if (!reaped) {
                kill(-pid, SIGTERM);
                sig = SIGTERM;
            }
            kill_at = now + (reaped ? 0.0 : 2.0);
            continue;
        }
        if (now >= kill_at) {
            if (reaped)
                break;
            if (sig == SIGKILL) {
                waitpid(pid, &wstatus, 0);
                break;
            }
            sig = sig ? SIGKILL : SIGTERM;
            if (!r->interrupted) r->timed_out = true;
            kill(-pid, sig);
            kill_at = now + 2.0;
            continue;
        }
        if (!open_out) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int ms = (int)((kill_at - now) * 1000) + 1;
        if (ms > 100)
            ms = 100;
        if (poll(&pfd, 1, ms) > 0) {
            char buf[65536];
            ssize_t n = read(fds[0], buf, sizeof buf);
            if (n > 0)
                probe_run_append(r, &len, &cap, buf, (size_t)n);
            else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                open_out = false;
        }
    }
    close(fds[0]);
    /* Whatever is left of the group (ranks the launcher orphaned) goes too. */
    kill(-pid, SIGKILL);
    running_group = 0;
    reap_leftovers();
    r->secs = probe_now() - t0;
    if (WIFEXITED(wstatus))
        r->status = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        r->status = 128 + WTERMSIG(wstatus);
    return 0;
}

void probe_run_free(struct probe_run *r)
{
    free(r->out);
    r->out = NULL;
}
