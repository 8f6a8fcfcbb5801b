/* probe_run.c: see probe_run.h. */
#include "probe_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROBE_RUN_MAX_OUT (4u << 20)

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
        if (now >= kill_at) {
            if (reaped)
                break;
            if (sig == SIGKILL) {
                waitpid(pid, &wstatus, 0);
                break;
            }
            sig = sig ? SIGKILL : SIGTERM;
            r->timed_out = true;
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
