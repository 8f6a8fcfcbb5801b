/* oracle_check.c: the differential check every shape of the unit tests goes through
 * (run_check() calls it): for each package mpiguard reports, a child process loads the
 * extension in exactly the environment mpiguard inspected, with the env's python or an
 * executable with its DT_RPATH/DT_RUNPATH (tests/loader/oracle.c, which the conda fixtures use
 * as their python), and reports which libmpi the kernel mapped (/proc/self/maps). mpiguard's
 * resolved library, or its import error, must be what really happens. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "pyenv.h"

/* Python's own way to load an extension: ctypes.CDLL (dlopen RTLD_NOW|RTLD_LOCAL, as imports). */
static const char py_oracle[] =
    "import ctypes, os, sys\n"
    "a = sys.argv[1:]\n"
    "while len(a) > 2 and a[0] == '--preload':\n"
    "    try: ctypes.CDLL(a[1], os.RTLD_LOCAL)\n"
    "    except OSError as e: print('PRELOAD-ERROR', e)\n"
    "    a = a[2:]\n"
    "try: ctypes.CDLL(a[0], os.RTLD_LOCAL)\n"
    "except OSError as e:\n"
    "    print('ERROR', e); sys.exit(0)\n"
    "seen = set()\n"
    "for line in open('/proc/self/maps'):\n"
    "    i = line.find('/')\n"
    "    p = line[i:].rstrip('\\n') if i >= 0 else ''\n"
    "    b = os.path.basename(p)\n"
    "    if (b.startswith('libmpi') or b.startswith('libpmpi')) and p not in seen:\n"
    "        seen.add(p); print('MAPPED', p)\n"
    "print('NOW OK')\n";

static bool is_oracle(const char *exe)
{
    size_t len = 0;
    char *data = mpg_read_file(exe, 64 << 20, &len);
    bool yes = data && memmem(data, len, "mpiguard loader oracle", 22) != NULL;
    free(data);
    return yes;
}

/* Runs argv in env (cwd: its PWD) and returns its stdout; "HANG" when it had to be stopped
 * after secs seconds. */
static char *run_child(char *const *argv, char *const *envp, const char *cwd, unsigned secs)
{
    int fd[2];
    cr_assert(pipe(fd) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        if (chdir(cwd && *cwd ? cwd : "/") != 0 && chdir("/") != 0) _exit(126);
        alarm(secs); /* survives exec: a python oracle blocked on a FIFO dies of it */
        execve(argv[0], argv, envp);
        _exit(127);
    }
    close(fd[1]);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd[0], buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, mem);
    close(fd[0]);
    fclose(mem);
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
        free(out);
        return strdup("HANG\n");
    }
    return out;
}

static char *canon(const char *p)
{
    char *r = realpath(p, NULL);
    return r ? r : strdup(p);
}

/* The path a loader error names ("<path>: invalid ELF header"), canonical, or NULL. */
static char *error_path(const char *msg)
{
    const char *slash = strchr(msg, '/');
    if (!slash) return NULL;
    const char *colon = strstr(slash, ": ");
    const char *space = strstr(slash, " is a");
    const char *end = colon && (!space || colon < space) ? colon : space;
    if (!end) return NULL;
    char *p = strndup(slash, (size_t)(end - slash));
    char *c = canon(p);
    free(p);
    return c;
}

static void check_package(struct envb *e, const struct mpg_report *r, const struct mpg_package *p, const char *python)
{
    if (!p->extension || strchr(p->extension, '*')) return; /* mpi4py's search loaded nothing */
    bool c_oracle = python && is_oracle(python);
    const char *exe = c_oracle ? python : python ? python : "/usr/bin/python3";
    char *argv[16];
    int a = 0;
    argv[a++] = (char *)exe;
    if (!c_oracle) {
        argv[a++] = "-c";
        argv[a++] = (char *)py_oracle;
    }
    if (p->mpi4py_library) {
        argv[a++] = "--preload";
        argv[a++] = p->mpi4py_library;
    }
    argv[a++] = p->extension;
    argv[a] = NULL;
    /* 5 s tells a loader blocked on a FIFO; an oracle that took longer where none is expected
     * ran on a loaded machine (seen once beside a sanitizer build and callgrind): once more,
     * with time to spare. */
    char *out = run_child(argv, e->v, envb_get(e, "PWD"), 5);
    bool fifo = !p->resolved && p->import_error && strstr(p->import_error, "FIFO");
    if (strstr(out, "HANG") && !fifo) { /* the C oracle's own timer, 0.5 s, gets 30 s too */
        free(out);
        envb_set(e, "MPG_ORACLE_HANG_MS", "30000");
        out = run_child(argv, e->v, envb_get(e, "PWD"), 60);
        envb_set(e, "MPG_ORACLE_HANG_MS", "500");
    }
    const char *label = p->extension;
    cr_expect_null(strstr(out, "PRELOAD-ERROR"), "oracle: the library mpi4py's search picks does not load: %s", out);
    if (p->resolved) {
        const char *undef = p->import_error ? strstr(p->import_error, "undefined symbol: ") : NULL;
        if (undef) {
            cr_expect(strstr(out, undef), "oracle disagrees for %s: mpiguard says the import fails with \"%s\"; the "
                      "loader said:\n%s", label, p->import_error, out);
        } else {
            char *want = canon(p->resolved);
            char *line = fmt("MAPPED %s\n", want);
            cr_expect(strstr(out, line), "oracle disagrees for %s: mpiguard says %s (via %s); the loader mapped:\n%s",
                      label, want, p->resolved_via, out);
            cr_expect(!c_oracle || strstr(out, "NOW OK"), "oracle: RTLD_NOW fails for %s, mpiguard saw no error:\n%s",
                      label, out);
            free(want);
        }
    } else if (p->import_error && strstr(p->import_error, "FIFO")) {
        cr_expect(strstr(out, "HANG"), "oracle disagrees for %s: mpiguard says the loader blocks (%s); it said:\n%s",
                  label, p->import_error, out);
    } else if (p->import_error && strstr(p->import_error, "cannot open shared object file")) {
        char *want = fmt("%s: cannot open shared object file", p->needed);
        char *wrong = fmt("%s: wrong ELF class", p->needed);
        cr_expect(strstr(out, "ERROR ") && (strstr(out, want) || strstr(out, wrong)),
                  "oracle disagrees for %s: mpiguard says \"%s\"; the loader said:\n%s", label, p->import_error, out);
    } else if (p->import_error) {
        char *want = error_path(p->import_error), *got = error_path(out);
        cr_expect(strstr(out, "ERROR ") && want && got && strcmp(want, got) == 0,
                  "oracle disagrees for %s: mpiguard says the loader stops with \"%s\"; it said:\n%s", label,
                  p->import_error, out);
        free(want);
        free(got);
    }
    (void)r;
    free(out);
}

void oracle_agrees(struct envb *e, const struct mpg_report *r)
{
    if (getenv("MPG_NO_ORACLE")) return;
    struct mpg_envsnap snap = {.vars = (const char *const *)e->v};
    char *python = mpg_pyenv_python(&r->env, &snap);
    for (size_t i = 0; i < r->n_packages; i++) check_package(e, r, &r->packages[i], python);
    free(python);
}
