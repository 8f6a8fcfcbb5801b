/* tm_launch.c: how `mpiguard test-mpi` finds what it runs (mpiguard-probe, the mpi4py script,
 * the module's libmpi, the launcher, the env's python) and launches the two ranks of each leg
 * with the site's launcher, under a time limit, stopped with their process group on Ctrl-C. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/tm_state.h"
#include "probe/probe_run.h"

#ifndef MPIGUARD_LIBEXECDIR
#define MPIGUARD_LIBEXECDIR ""
#endif
#ifndef MPIGUARD_PKGDATADIR
#define MPIGUARD_PKGDATADIR ""
#endif

static char *tm_strdup(const char *s) { return s ? strdup(s) : NULL; }

static char *tm_join(const char *dir, const char *name)
{
    char *p = NULL;
    return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static bool tm_is_file(const char *p) { return p && access(p, R_OK) == 0; }

/* Folder of the running mpiguard binary, to find what it installed beside it. */
static char *tm_exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    return strdup(buf);
}

/* opt, else $env, else the configured install dir, else relative to this binary (an installed
 * tree moved elsewhere, or the build tree). */
static char *tm_find_installed(const char *opt, const char *env, const char *confdir,
                               const char *name, const char *const *rel)
{
    if (opt)
        return strdup(opt);
    const char *e = getenv(env);
    if (e && *e)
        return strdup(e);
    if (*confdir) {
        char *p = tm_join(confdir, name);
        if (tm_is_file(p))
            return p;
        free(p);
    }
    char *dir = tm_exe_dir();
    for (size_t i = 0; dir && rel[i]; i++) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s/%s", dir, rel[i], name) < 0)
            break;
        if (tm_is_file(p)) {
            free(dir);
            return p;
        }
        free(p);
    }
    free(dir);
    return NULL;
}

/* The module's libmpi: from the check, else the usual folders of MPI_HOME and
 * LD_LIBRARY_PATH (how a modulefile exposes it). */
static char *tm_find_libmpi(const struct tm_state *s)
{
    static const char *const names[] = {"libmpi.so.40", "libmpi.so.12", "libmpich.so.12",
                                        "libmpi.so.20", "libmpi.so.1", NULL};
    const struct mpg_module *m = &s->report->module;
    if (s->o.libmpi)
        return strdup(s->o.libmpi);
    if (m->mpi.path)
        return strdup(m->mpi.path);
    char *dirs[64];
    size_t n = 0;
    if (m->libdir)
        dirs[n++] = strdup(m->libdir);
    const char *home = m->home ? m->home : getenv("MPI_HOME");
    if (home) {
        dirs[n++] = tm_join(home, "lib");
        dirs[n++] = tm_join(home, "lib64");
    }
    const char *ldp = getenv("LD_LIBRARY_PATH");
    char *copy = tm_strdup(ldp), *save = NULL;
    for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t && n < 64;
         t = strtok_r(NULL, ":", &save))
        dirs[n++] = strdup(t);
    free(copy);
    char *found = NULL;
    for (size_t i = 0; i < n && !found; i++)
        for (size_t k = 0; names[k] && !found && dirs[i]; k++) {
            char *p = tm_join(dirs[i], names[k]);
            if (tm_is_file(p))
                found = p;
            else
                free(p);
        }
    for (size_t i = 0; i < n; i++)
        free(dirs[i]);
    return found;
}

static bool tm_in_multinode_slurm(void)
{
    const char *job = getenv("SLURM_JOB_ID");
    const char *nn = getenv("SLURM_JOB_NUM_NODES");
    if (!nn)
        nn = getenv("SLURM_NNODES");
    return job && nn && atoi(nn) >= 2;
}

/* The launcher: --launcher; srun inside a Slurm allocation of two or more nodes; else the
 * module's own mpiexec (or mpirun). A module with a home folder but no launcher in its bin/
 * gets none: the first mpiexec on PATH then belongs to another MPI, and every rank would be
 * "0 of 1" for a reason that has nothing to do with the user's env. */
static char *tm_find_launcher(struct tm_state *s)
{
    if (s->o.launcher) {
        char *l = probe_which(s->o.launcher);
        if (!l && asprintf(&s->no_launcher, "--launcher %s: no such program", s->o.launcher) < 0)
            s->no_launcher = NULL;
        return l;
    }
    if (tm_in_multinode_slurm()) {
        char *srun = probe_which("srun");
        if (srun) {
            s->srun = true;
            return srun;
        }
    }
    const struct mpg_module *m = &s->report->module;
    const char *home = m->home ? m->home : getenv("MPI_HOME");
    if (home) {
        static const char *const names[] = {"bin/mpiexec", "bin/mpirun", NULL};
        for (size_t i = 0; names[i]; i++) {
            char *p = tm_join(home, names[i]);
            if (p && access(p, X_OK) == 0)
                return p;
            free(p);
        }
        char *shown = mpg_escape_for_display(home);
        if (asprintf(&s->no_launcher, "the MPI module has no mpiexec or mpirun in %s/bin (the first on "
                     "PATH may be another MPI's); pass the module's launcher with --launcher PATH",
                     shown) < 0)
            s->no_launcher = NULL;
        free(shown);
        return NULL;
    }
    if (m->mpiexec) /* no home: the modulefile put its bin first on PATH */
        return strdup(m->mpiexec);
    char *p = probe_which("mpiexec");
    return p ? p : probe_which("mpirun");
}

/* The launcher's words for two ranks (at most 5); the program and its arguments follow. */
static size_t tm_launch_argv(const struct tm_state *s, const char **argv)
{
    size_t n = 0;
    argv[n++] = s->launcher;
    if (s->srun) {
        argv[n++] = "-N";
        argv[n++] = "2";
    }
    argv[n++] = "-n";
    argv[n++] = "2";
    return n;
}

/* Variables for the launch: Open MPI's launcher refuses root and 2 ranks on fewer cores
 * without them; every other launcher ignores them. */
static const char *const *tm_launch_env(const struct tm_state *s)
{
    static const char *root_local[] = {"OMPI_ALLOW_RUN_AS_ROOT=1",
                                       "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                                       "OMPI_MCA_rmaps_base_oversubscribe=1", NULL};
    return s->srun ? root_local + (geteuid() == 0 ? 2 : 3)
                   : root_local + (geteuid() == 0 ? 0 : 2);
}

void tm_leg_set(struct probe_leg *l, const char *state, const char *fmt, const char *arg)
{
    snprintf(l->state, sizeof l->state, "%s", state);
    snprintf(l->reason, sizeof l->reason, fmt, arg ? arg : "");
}

/* The last lines a launch printed that are not records: the launcher's own words, often on
 * stdout, which would otherwise be swallowed with the records. Escaped, joined with " | ". */
static void tm_output_tail(const char *out, char *buf, size_t len)
{
    const char *lines[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0}, n = 0;
    for (const char *p = out ? out : ""; *p;) {
        size_t l = strcspn(p, "\n");
        bool record = !strncmp(p, "#", 1) || !strncmp(p, "info\t", 5) || !strncmp(p, "status\t", 7) ||
                      !strncmp(p, "bw\t", 3) || !strncmp(p, "lat\t", 4);
        if (l && !record) {
            memmove(lines, lines + 1, 2 * sizeof *lines);
            memmove(lens, lens + 1, 2 * sizeof *lens);
            lines[2] = p, lens[2] = l;
            n++;
        }
        p += l + (p[l] == '\n');
    }
    buf[0] = '\0';
    for (size_t i = 0, used = 0; i < 3; i++) {
        if (!lines[i]) continue;
        char *line = strndup(lines[i], lens[i] > 200 ? 200 : lens[i]);
        char *shown = line ? mpg_escape_for_display(line) : NULL;
        int w = shown ? snprintf(buf + used, len - used, "%s%s", used ? " | " : "", shown) : 0;
        if (w > 0) used += (size_t)w < len - used ? (size_t)w : len - used - 1;
        free(line);
        free(shown);
    }
    (void)n;
}

/* A launch that ended without the leg's own status record gets one from how it ended. */
static void tm_leg_from_run(struct probe_leg *l, const struct probe_run *r, double timeout,
                            const char *launcher, const char *what)
{
    if (l->state[0] && !(r->timed_out && !strcmp(l->state, "ok")))
        return;
    char msg[512], tail[300];
    tm_output_tail(r->out, tail, sizeof tail);
    if (r->status < 0)
        snprintf(msg, sizeof msg, "could not start the launcher: %s", r->err);
    else if (r->interrupted)
        snprintf(msg, sizeof msg, "interrupted");
    else if (r->timed_out)
        snprintf(msg, sizeof msg,
                 "%s did not finish within %.0f s and was stopped (ranks that never meet: "
                 "launcher and library of different MPIs?)",
                 what, timeout);
    else if (!r->out || !strstr(r->out, "status\t")) /* no rank said a word: the launcher did */
        snprintf(msg, sizeof msg, "the launcher %s exited with status %d and no rank of %s reported "
                 "anything%s%s", launcher, r->status, what, tail[0] ? "; it said: " : " (see its messages above)",
                 tail);
    else
        snprintf(msg, sizeof msg, "%s exited with status %d before reporting (see its messages "
                 "above)", what, r->status);
    tm_leg_set(l, "failed", "%s", msg);
}

/* The command line of a launch, for the progress on stderr: each word quoted as a person
 * would paste it. */
static void tm_print_argv(const char *const *argv)
{
    for (size_t i = 0; argv[i]; i++) {
        char *q = mpg_quote_for_shell(argv[i]);
        fprintf(stderr, " %s", q);
        free(q);
    }
    fputc('\n', stderr);
}

/* One launch of mpiguard-probe; its records go into res. */
void tm_run_probe(struct tm_state *s, bool verbs, bool mpi, const char *sizes,
                         struct probe_results *res)
{
    if (tm_interrupted())
        return;
    char budget[32], gid[16];
    snprintf(budget, sizeof budget, "%g", s->o.budget);
    snprintf(gid, sizeof gid, "%d", s->o.gid_index);
    const char *argv[40];
    size_t n = tm_launch_argv(s, argv);
    argv[n++] = s->probe;
    argv[n++] = "--libmpi";
    argv[n++] = s->libmpi;
    const struct mpg_mpi *mm = &s->report->module.mpi;
    if (!s->o.libmpi && mm->path && (mm->abi == MPG_ABI_MPICH || mm->abi == MPG_ABI_OPENMPI)) {
        argv[n++] = "--abi";
        argv[n++] = mm->abi == MPG_ABI_MPICH ? "mpich" : "openmpi";
    }
    argv[n++] = "--legs";
    argv[n++] = verbs && mpi ? "verbs,mpi" : verbs ? "verbs" : "mpi";
    if (sizes) {
        argv[n++] = "--sizes";
        argv[n++] = sizes;
    }
    if (s->o.quick)
        argv[n++] = "--quick";
    argv[n++] = "--budget";
    argv[n++] = budget;
    if (s->o.device) {
        argv[n++] = "--device";
        argv[n++] = s->o.device;
    }
    if (s->o.gid_index >= 0) {
        argv[n++] = "--gid-index";
        argv[n++] = gid;
    }
    argv[n] = NULL;
    fprintf(stderr, "mpiguard test-mpi: %s legs:",
            verbs ? (mpi ? "RDMA verbs and MPI" : "RDMA verbs") : "MPI");
    tm_print_argv(argv);
    struct probe_run r;
    probe_run((char *const *)argv, tm_launch_env(s), s->o.timeout, &r);
    probe_out_parse(r.out, res);
    if (mpi)
        tm_leg_from_run(&res->mpi, &r, s->o.timeout, s->launcher, "mpiguard-probe");
    if (verbs)
        tm_leg_from_run(&res->verbs, &r, s->o.timeout, s->launcher, "mpiguard-probe");
    probe_run_free(&r);
}

/* One launch of the env's python running mpi4py_bw.py; its records go into res. */
void tm_run_mpi4py(struct tm_state *s, const char *sizes, struct probe_results *res)
{
    if (tm_interrupted())
        return;
    char budget[32];
    snprintf(budget, sizeof budget, "%g", s->o.budget);
    const char *argv[32];
    size_t n = tm_launch_argv(s, argv);
    argv[n++] = s->python;
    argv[n++] = s->script;
    argv[n++] = "--expect";
    argv[n++] = "2";
    if (sizes) {
        argv[n++] = "--sizes";
        argv[n++] = sizes;
    }
    if (s->o.quick)
        argv[n++] = "--quick";
    argv[n++] = "--budget";
    argv[n++] = budget;
    argv[n] = NULL;
    fprintf(stderr, "mpiguard test-mpi: mpi4py leg:");
    tm_print_argv(argv);
    struct probe_run r;
    probe_run((char *const *)argv, tm_launch_env(s), s->o.timeout, &r);
    probe_out_parse(r.out, res);
    tm_leg_from_run(&res->mpi4py, &r, s->o.timeout, s->launcher, "the env's python");
    struct probe_leg *l = &res->mpi4py;
    if (!strcmp(l->state, "failed") && strstr(l->reason, "No module named 'mpi4py'"))
        tm_leg_set(l, "skipped", "mpi4py is not installed for %s", s->python);
    probe_run_free(&r);
}

static char *tm_env_python(const struct mpg_env *e)
{
    static const char *const names[] = {"bin/python", "bin/python3", NULL};
    for (size_t i = 0; e->prefix && names[i]; i++) {
        char *p = tm_join(e->prefix, names[i]);
        if (p && access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}

void tm_find_programs(struct tm_state *s)
{
    /* installed: bin/../libexec/mpiguard; build tree: beside the binary, or one up from
     * libtool's .libs/ */
    static const char *const rel_libexec[] = {"../libexec/mpiguard", ".", "..", NULL};
    static const char *const rel_share[] = {"../share/mpiguard", "../../share/mpiguard", NULL};
    s->probe = tm_find_installed(s->o.probe, "MPIGUARD_PROBE", MPIGUARD_LIBEXECDIR,
                                 "mpiguard-probe", rel_libexec);
    s->script = tm_find_installed(s->o.script, "MPIGUARD_MPI4PY_BW", MPIGUARD_PKGDATADIR,
                                  "mpi4py_bw.py", rel_share);
    s->libmpi = tm_find_libmpi(s);
    s->launcher = tm_find_launcher(s);
    s->intra_node = !s->srun;
    s->python = s->o.python ? strdup(s->o.python) : tm_env_python(&s->report->env);
}

void tm_catch_signals(void) { probe_run_catch_signals(); }

int tm_interrupted(void) { return probe_run_stopped(); }
