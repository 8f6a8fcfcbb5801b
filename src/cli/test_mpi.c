/* test_mpi.c: `mpiguard test-mpi`: does my Python env get the network the site's MPI module gets?
 *
 * 1. The core check (mpg_check) says which env is active, which MPI module is loaded, which
 *    libmpi the module provides and what is wrong with the env (findings with fixes).
 * 2. One launch of mpiguard-probe as two ranks measures RDMA verbs and the module's MPI
 *    (osu_bw-compatible); one launch of the env's own python running mpi4py_bw.py measures
 *    mpi4py the way the user's jobs run it. Both use the site's launcher: srun across two nodes
 *    inside a Slurm allocation of two or more nodes, else the module's own mpiexec on two local
 *    ranks (then the result is intra-node only and says so). Every launch has a time limit.
 * 3. The verdict compares the legs at >= 64 KiB and takes its cause and fix from the findings.
 *
 * Exit status: see enum mpg_test_mpi_exit in test_mpi.h.
 *
 * --json prints one object, schema "mpiguard.probe/1":
 *   launch   {launcher, how: "srun"|"mpiexec", ranks: 2, intra_node, hosts: [rank0, rank1]}
 *   module   {name, version, label, libmpi (file measured), abi ("mpich"|"openmpi", from the
 *            library's own symbols), mpi_version}
 *   env      {kind: "none"|"conda"|"venv", name, prefix, python, mpi4py_library (the libmpi the
 *            env's mpi4py really mapped)}
 *   rows     the table: [{size, verbs, mpi, mpi4py}] in MB/s, null where not measured
 *   legs     {verbs, mpi, mpi4py}: each {status: "ok"|"skipped"|"failed"|"zero_of_one", reason,
 *            rows: [{size (bytes), mb_per_s (decimal MB/s), iterations}], latency_us (8 B
 *            one-way)}; verbs also has device ("dev:port")
 *   verdict  {status: "ok"|"slow"|"broken"|"mpi_slow"|"not_run", message, env_vs_mpi and
 *            mpi_vs_verbs (median ratio over the sizes >= min_size both legs measured, or null),
 *            min_size, runs (2: a first "slow" was measured again, best per size kept), cause
 *            (a finding code or null), fix, note, exit}
 *   findings the core check's findings: [{code, severity, message, fix, package, path}]
 * Every member is always present; unknown values are null. */
#include "test_mpi.h"

#include "mpiguard.h"
#include "probe/probe_out.h"
#include "probe/probe_run.h"
#include "probe/probe_sizes.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MPIGUARD_LIBEXECDIR
#define MPIGUARD_LIBEXECDIR ""
#endif
#ifndef MPIGUARD_PKGDATADIR
#define MPIGUARD_PKGDATADIR ""
#endif

/* env below this fraction of the module's MPI: slow. The seed's conda env reached 15%; two
 * launches seconds apart on a busy shared node were seen to differ by up to ~1.7x, so only a clear gap is "slow"
 * and a smaller one gets a note. */
#define TM_SLOW_RATIO 0.4
#define TM_NOTE_RATIO 0.8
#define TM_MPI_VERBS_RATIO 0.5 /* across nodes, MPI below this fraction of RDMA write: slow */

struct tm_opts {
    bool json, quick;
    const char *sizes;
    double timeout, budget;
    bool leg_verbs, leg_mpi, leg_mpi4py;
    const char *probe, *script, *python, *libmpi, *launcher, *env_prefix, *device;
    int gid_index;
};

/* Everything one run found out; owned strings are freed by tm_state_free. */
struct tm_state {
    struct tm_opts o;
    struct mpg_report *report;
    size_t sizes[PROBE_MAX_SIZES];
    size_t n_sizes;
    char *libmpi, *launcher, *probe, *script, *python;
    bool srun, intra_node;
    char module_label[160];
    char env_label[160];
    struct probe_results res;
    /* verdict */
    const char *verdict;       /* "ok", "slow", "broken", "mpi_slow", "not_run" */
    char verdict_msg[1024];
    double env_vs_mpi, mpi_vs_verbs; /* < 0: not computed */
    const struct mpg_finding *cause;
    int runs; /* launches of each leg the verdict rests on (2 after tm_confirm_slow) */
    char note[512];
    int exit_code;
};

static void tm_usage(FILE *f)
{
    fprintf(f,
            "usage: mpiguard test-mpi [--quick] [--sizes LIST] [--json] [--timeout SECONDS]\n"
            "                         [--budget SECONDS]\n"
            "                         [--legs verbs,mpi,mpi4py] [--python PATH] [--env PREFIX]\n"
            "                         [--libmpi PATH] [--launcher PATH] [--device DEV]\n"
            "                         [--gid-index N] [--probe PATH] [--script PATH]\n"
            "Measures RDMA write, the loaded MPI module and your env's mpi4py between two ranks\n"
            "(two nodes with srun inside a Slurm allocation of >= 2 nodes, else two local ranks\n"
            "with the module's mpiexec) and says whether your env gets what the module gets.\n"
            "  --sizes LIST   message sizes, e.g. 64K,1M,4M (default %s; --quick: %s)\n"
            "  --budget S     seconds each leg's bandwidth sweep may take before it measures\n"
            "                 fewer iterations or sizes (default 6; --quick: 3)\n"
            "  --timeout S    time limit of each launch (default 15)\n"
            "exit status: 0 ok; 1 your env's mpi4py is slow (< 40%% of the MPI), \"0 of 1\" or broken; 2 across nodes the\n"
            "module's MPI reaches < 50%% of RDMA write; 3 usage error or the MPI could not run.\n",
            PROBE_SIZES_DEFAULT, PROBE_SIZES_QUICK);
}

static int tm_parse(int argc, char **argv, struct tm_opts *o)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},          {"quick", no_argument, NULL, 'q'},
        {"sizes", required_argument, NULL, 's'},   {"timeout", required_argument, NULL, 't'},
        {"legs", required_argument, NULL, 'L'},    {"python", required_argument, NULL, 'y'},
        {"env", required_argument, NULL, 'e'},     {"libmpi", required_argument, NULL, 'l'},
        {"launcher", required_argument, NULL, 'x'}, {"device", required_argument, NULL, 'd'},
        {"gid-index", required_argument, NULL, 'g'}, {"probe", required_argument, NULL, 'P'},
        {"script", required_argument, NULL, 'S'},  {"budget", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct tm_opts){.timeout = 15, .leg_verbs = true, .leg_mpi = true,
                          .leg_mpi4py = true, .gid_index = -1};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o->json = true; break;
        case 'q': o->quick = true; break;
        case 's': o->sizes = optarg; break;
        case 't':
            o->timeout = strtod(optarg, NULL);
            if (o->timeout <= 0) {
                fprintf(stderr, "mpiguard test-mpi: --timeout takes a positive number of seconds\n");
                return -1;
            }
            break;
        case 'L': {
            o->leg_verbs = strstr(optarg, "verbs") != NULL;
            o->leg_mpi4py = strstr(optarg, "mpi4py") != NULL;
            /* "mpi" alone, not the "mpi" inside "mpi4py" */
            const char *p = optarg;
            o->leg_mpi = false;
            while ((p = strstr(p, "mpi"))) {
                if ((p == optarg || p[-1] == ',') && (p[3] == ',' || p[3] == '\0'))
                    o->leg_mpi = true;
                p += 3;
            }
            break;
        }
        case 'b':
            o->budget = strtod(optarg, NULL);
            if (o->budget <= 0) {
                fprintf(stderr, "mpiguard test-mpi: --budget takes a positive number of seconds\n");
                return -1;
            }
            break;
        case 'y': o->python = optarg; break;
        case 'e': o->env_prefix = optarg; break;
        case 'l': o->libmpi = optarg; break;
        case 'x': o->launcher = optarg; break;
        case 'd': o->device = optarg; break;
        case 'g': o->gid_index = atoi(optarg); break;
        case 'P': o->probe = optarg; break;
        case 'S': o->script = optarg; break;
        case 'h': tm_usage(stdout); exit(0);
        default: tm_usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        tm_usage(stderr);
        return -1;
    }
    return 0;
}

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

static char *tm_find_launcher(struct tm_state *s)
{
    if (s->o.launcher)
        return probe_which(s->o.launcher);
    if (tm_in_multinode_slurm()) {
        char *srun = probe_which("srun");
        if (srun) {
            s->srun = true;
            return srun;
        }
    }
    const struct mpg_module *m = &s->report->module;
    if (m->mpiexec)
        return strdup(m->mpiexec);
    const char *home = m->home ? m->home : getenv("MPI_HOME");
    if (home) {
        static const char *const names[] = {"bin/mpiexec", "bin/mpirun", NULL};
        for (size_t i = 0; names[i]; i++) {
            char *p = tm_join(home, names[i]);
            if (p && access(p, X_OK) == 0)
                return p;
            free(p);
        }
    }
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

static void tm_leg_set(struct probe_leg *l, const char *state, const char *fmt, const char *arg)
{
    snprintf(l->state, sizeof l->state, "%s", state);
    snprintf(l->reason, sizeof l->reason, fmt, arg ? arg : "");
}

/* A launch that ended without the leg's own status record gets one from how it ended. */
static void tm_leg_from_run(struct probe_leg *l, const struct probe_run *r, double timeout,
                            const char *what)
{
    if (l->state[0] && !(r->timed_out && !strcmp(l->state, "ok")))
        return;
    char msg[512];
    if (r->status < 0)
        snprintf(msg, sizeof msg, "could not start the launcher: %s", r->err);
    else if (r->timed_out)
        snprintf(msg, sizeof msg,
                 "%s did not finish within %.0f s and was stopped (ranks that never meet: "
                 "launcher and library of different MPIs?)",
                 what, timeout);
    else
        snprintf(msg, sizeof msg, "%s exited with status %d before reporting (see its messages "
                 "above)", what, r->status);
    tm_leg_set(l, "failed", "%s", msg);
}

/* The command line of a launch, for the progress on stderr. */
static void tm_print_argv(const char *const *argv)
{
    for (size_t i = 0; argv[i]; i++)
        fprintf(stderr, " %s", argv[i]);
    fputc('\n', stderr);
}

/* One launch of mpiguard-probe; its records go into res. */
static void tm_run_probe(struct tm_state *s, bool verbs, bool mpi, const char *sizes,
                         struct probe_results *res)
{
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
        tm_leg_from_run(&res->mpi, &r, s->o.timeout, "mpiguard-probe");
    if (verbs)
        tm_leg_from_run(&res->verbs, &r, s->o.timeout, "mpiguard-probe");
    probe_run_free(&r);
}

/* One launch of the env's python running mpi4py_bw.py; its records go into res. */
static void tm_run_mpi4py(struct tm_state *s, const char *sizes, struct probe_results *res)
{
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
    tm_leg_from_run(&res->mpi4py, &r, s->o.timeout, "the env's python");
    struct probe_leg *l = &res->mpi4py;
    if (!strcmp(l->state, "failed") && strstr(l->reason, "No module named 'mpi4py'"))
        tm_leg_set(l, "skipped", "mpi4py is not installed for %s", s->python);
    probe_run_free(&r);
}

/* Median over the sizes >= 64 KiB that both legs measured of a/b; < 0 when none. */
static double tm_ratio(const struct probe_leg *a, const struct probe_leg *b)
{
    double r[PROBE_MAX_SIZES];
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->sizes[i] < PROBE_VERDICT_MIN_SIZE)
            continue;
        double vb = probe_leg_mbps(b, a->sizes[i]);
        if (vb > 0)
            r[n++] = a->mbps[i] / vb;
    }
    if (!n)
        return -1;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && r[j - 1] > r[j]; j--) {
            double t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    return n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}

/* Keeps, per size, the better of l's and again's rows. */
static void tm_merge_best(struct probe_leg *l, const struct probe_leg *again)
{
    for (size_t k = 0; k < again->n; k++) {
        size_t i = 0;
        while (i < l->n && l->sizes[i] != again->sizes[k])
            i++;
        if (i == l->n) {
            if (l->n == PROBE_MAX_SIZES)
                continue;
            l->sizes[l->n++] = again->sizes[k];
            l->mbps[i] = 0;
        }
        if (again->mbps[k] > l->mbps[i]) {
            l->mbps[i] = again->mbps[k];
            l->iters[i] = again->iters[k];
        }
    }
}

/* Two launches on a busy node can differ by more than the "slow" line: before calling the env
 * slow, measure both legs once more at the verdict's sizes and keep each leg's best per size
 * (a disturbance only ever lowers a number). A real gap survives this; noise does not. */
static void tm_confirm_slow(struct tm_state *s)
{
    char sizes[PROBE_MAX_SIZES * 12] = "";
    size_t len = 0;
    for (size_t i = 0; i < s->n_sizes; i++)
        if (s->sizes[i] >= PROBE_VERDICT_MIN_SIZE)
            len += (size_t)snprintf(sizes + len, sizeof sizes - len, "%s%zu", len ? "," : "",
                                    s->sizes[i]);
    if (!len)
        return;
    fprintf(stderr, "mpiguard test-mpi: your env looks slow; measuring both again at %s B to "
            "rule out a busy node\n", sizes);
    /* half the time: the first pass already has numbers, and the whole run must stay short */
    double budget = s->o.budget;
    s->o.budget = budget / 2;
    struct probe_results again = {0};
    tm_run_probe(s, false, true, sizes, &again);
    tm_run_mpi4py(s, sizes, &again);
    s->o.budget = budget;
    tm_merge_best(&s->res.mpi, &again.mpi);
    tm_merge_best(&s->res.mpi4py, &again.mpi4py);
    s->runs = 2;
}

/* The finding that best explains an env that does not get the module's MPI (env true), or a
 * module MPI that does not run (env false). */
static const struct mpg_finding *tm_cause(const struct mpg_report *rep, bool env)
{
    static const char *const env_order[] = {"ENV_BUNDLED_MPI", "ABI_MISMATCH",
                                            "MPI_INSTALL_MISMATCH", "LIBMPI_NOT_FOUND",
                                            "VERSION_MISMATCH", "LAUNCHER_SHADOWED",
                                            "MPICC_MISMATCH", "NO_MPI_MODULE", NULL};
    static const char *const mpi_order[] = {"LAUNCHER_SHADOWED", "NO_MPI_MODULE", NULL};
    const char *const *order = env ? env_order : mpi_order;
    for (size_t k = 0; order[k]; k++)
        for (size_t i = 0; i < rep->n_findings; i++)
            if (rep->findings[i].code && !strcmp(rep->findings[i].code, order[k]) &&
                rep->findings[i].severity >= MPG_SEV_WARN)
                return &rep->findings[i];
    for (size_t i = 0; env && i < rep->n_findings; i++)
        if (rep->findings[i].severity >= MPG_SEV_WARN)
            return &rep->findings[i];
    return NULL;
}

static bool tm_same_file(const char *a, const char *b)
{
    if (!a || !b || !*a || !*b)
        return false;
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    bool same = ra && rb && !strcmp(ra, rb);
    free(ra);
    free(rb);
    return same;
}

static void tm_verdict(struct tm_state *s)
{
    struct probe_leg *mpi = &s->res.mpi, *env = &s->res.mpi4py, *verbs = &s->res.verbs;
    s->env_vs_mpi = tm_ratio(env, mpi);
    s->mpi_vs_verbs = tm_ratio(mpi, verbs);
    s->cause = tm_cause(s->report, true);
    const char *lib4py = s->res.mpi4py_library;
    bool foreign_lib = lib4py[0] && s->libmpi && !tm_same_file(lib4py, s->libmpi);

    if (!strcmp(env->state, "zero_of_one")) {
        s->verdict = "broken";
        snprintf(s->verdict_msg, sizeof s->verdict_msg,
                 "every rank of your env's mpi4py is rank 0 of 1 under %s: its MPI library "
                 "(%s) is not the one the launcher belongs to (%s), so the ranks never meet",
                 s->launcher, lib4py[0] ? lib4py : "?", s->module_label);
        s->exit_code = MPG_TEST_MPI_ENV_BAD;
    } else if (!strcmp(env->state, "failed")) {
        s->verdict = "broken";
        snprintf(s->verdict_msg, sizeof s->verdict_msg, "your env's mpi4py does not run: %s",
                 env->reason);
        s->exit_code = MPG_TEST_MPI_ENV_BAD;
    } else if (strcmp(mpi->state, "ok") || mpi->n == 0) {
        s->verdict = "not_run";
        if (!strcmp(mpi->state, "zero_of_one"))
            snprintf(s->verdict_msg, sizeof s->verdict_msg,
                     "the module's own MPI does not run under %s: every rank is 0 of 1, so the "
                     "launcher and %s belong to different MPIs",
                     s->launcher, s->libmpi ? s->libmpi : "its library");
        else
            snprintf(s->verdict_msg, sizeof s->verdict_msg,
                     "the module's own MPI could not be measured: %s",
                     mpi->reason[0] ? mpi->reason : "no result");
        s->exit_code = MPG_TEST_MPI_NOT_RUN;
        s->cause = tm_cause(s->report, false);
    } else if (s->env_vs_mpi >= 0 && s->env_vs_mpi < TM_SLOW_RATIO) {
        s->verdict = "slow";
        snprintf(s->verdict_msg, sizeof s->verdict_msg,
                 "your env's mpi4py reaches %.*f%% of the module's MPI (%s) at >= 64 KiB%s%s",
                 s->env_vs_mpi < 0.1 ? 1 : 0, 100 * s->env_vs_mpi, s->module_label,
                 foreign_lib ? ": it loads " : "", foreign_lib ? lib4py : "");
        s->exit_code = MPG_TEST_MPI_ENV_BAD;
    } else if (!s->intra_node && s->mpi_vs_verbs >= 0 && s->mpi_vs_verbs < TM_MPI_VERBS_RATIO) {
        s->verdict = "mpi_slow";
        snprintf(s->verdict_msg, sizeof s->verdict_msg,
                 "the module's MPI (%s) reaches %.0f%% of RDMA write between the nodes: it "
                 "does not seem to use the RDMA network (for MPICH/UCX see UCX_TLS, for "
                 "Open MPI the pml/btl/mtl selection)",
                 s->module_label, 100 * s->mpi_vs_verbs);
        s->exit_code = MPG_TEST_MPI_MPI_SLOW;
        s->cause = NULL;
    } else {
        s->verdict = "ok";
        if (s->env_vs_mpi >= 0)
            snprintf(s->verdict_msg, sizeof s->verdict_msg,
                     "your env's mpi4py reaches %.0f%% of the module's MPI (%s) at >= 64 KiB",
                     100 * s->env_vs_mpi, s->module_label);
        else
            snprintf(s->verdict_msg, sizeof s->verdict_msg,
                     "the module's MPI (%s) runs; no env mpi4py to compare (%s)",
                     s->module_label, env->reason[0] ? env->reason : "no sizes >= 64 KiB");
        s->exit_code = MPG_TEST_MPI_OK;
        s->cause = NULL;
    }
    if (!strcmp(s->verdict, "ok") && s->env_vs_mpi >= 0 && s->env_vs_mpi < TM_NOTE_RATIO)
        snprintf(s->note, sizeof s->note,
                 "below the module's MPI but within what a busy node's jitter can explain; run "
                 "it again (or with --sizes 1M,4M) before acting on it");
    else if (!strcmp(s->verdict, "slow") && !s->cause)
        snprintf(s->note, sizeof s->note,
                 "the check found nothing in the env's files that explains it%s; look at what "
                 "changes how its python starts MPI (sitecustomize, .pth files, UCX_* or "
                 "OMPI_MCA_* variables)",
                 foreign_lib ? "" : " (its mpi4py loads the module's own library)");
    else if (s->intra_node && (s->res.mpi.n || s->res.mpi4py.n))
        snprintf(s->note, sizeof s->note,
                 "intra-node only (both ranks on %s): shared memory, not the network; run it "
                 "inside a Slurm allocation of 2 nodes to test the network",
                 s->res.host0[0] ? s->res.host0 : "this node");
}

static const char *tm_cell(char *buf, size_t len, const struct probe_leg *l, size_t size)
{
    if (!strcmp(l->state, "zero_of_one"))
        return "0 of 1";
    double v = probe_leg_mbps(l, size);
    if (v < 0)
        return "-";
    snprintf(buf, len, "%.1f", v);
    return buf;
}

/* The table's sizes: the ones asked for and any a leg measured, ascending, each once. out
 * holds 4 * PROBE_MAX_SIZES. */
static size_t tm_table_sizes(const struct tm_state *s, size_t *out)
{
    size_t n = 0;
    const struct probe_leg *legs[3] = {&s->res.verbs, &s->res.mpi, &s->res.mpi4py};
    for (size_t i = 0; i < s->n_sizes; i++)
        out[n++] = s->sizes[i];
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < legs[k]->n; i++)
            out[n++] = legs[k]->sizes[i];
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            size_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || out[u - 1] != out[i])
            out[u++] = out[i];
    return u;
}

static void tm_print_text(const struct tm_state *s)
{
    char env_col[200], mpi_col[200];
    snprintf(mpi_col, sizeof mpi_col, "MPI %s [MB/s]", s->module_label);
    snprintf(env_col, sizeof env_col, "mpi4py in %s [MB/s]", s->env_label);
    printf("# mpiguard test-mpi: 2 ranks, %s <-> %s (%s%s), module %s, %s\n",
           s->res.host0[0] ? s->res.host0 : "(no rank", s->res.host1[0] ? s->res.host1 : "met)",
           s->srun ? "srun" : "mpiexec", s->intra_node ? ", intra-node only" : "",
           s->module_label, s->env_label);
    int w2 = 18, w3 = (int)strlen(mpi_col) + 2, w4 = (int)strlen(env_col) + 2;
    printf("# %-10s %*s %*s %*s\n", "Size [B]", w2, "RDMA write [MB/s]", w3, mpi_col, w4,
           env_col);
    size_t all[3 * PROBE_MAX_SIZES + PROBE_MAX_SIZES];
    size_t n = tm_table_sizes(s, all);
    const struct probe_leg *legs[3] = {&s->res.verbs, &s->res.mpi, &s->res.mpi4py};
    for (size_t i = 0; i < n; i++) {
        char b1[32], b2[32], b3[32];
        printf("%-12zu %*s %*s %*s\n", all[i], w2, tm_cell(b1, sizeof b1, legs[0], all[i]), w3,
               tm_cell(b2, sizeof b2, legs[1], all[i]), w4,
               tm_cell(b3, sizeof b3, legs[2], all[i]));
    }
    char l1[32] = "-", l2[32] = "-", l3[32] = "-";
    if (legs[0]->lat_us > 0)
        snprintf(l1, sizeof l1, "%.2f", legs[0]->lat_us);
    if (legs[1]->lat_us > 0)
        snprintf(l2, sizeof l2, "%.2f", legs[1]->lat_us);
    if (legs[2]->lat_us > 0)
        snprintf(l3, sizeof l3, "%.2f", legs[2]->lat_us);
    printf("# latency [us] %*s %*s %*s\n", w2 - 2, l1, w3, l2, w4, l3);
    static const char *const names[3] = {"RDMA write", "MPI", "mpi4py"};
    for (size_t k = 0; k < 3; k++)
        if (legs[k]->state[0] && strcmp(legs[k]->state, "ok"))
            printf("# %s: %s: %s\n", names[k],
                   !strcmp(legs[k]->state, "zero_of_one") ? "0 of 1" : legs[k]->state,
                   legs[k]->reason);
        else if (legs[k]->reason[0])
            printf("# %s: %s\n", names[k], legs[k]->reason);
    if (s->res.mpi4py_library[0])
        printf("# mpi4py loaded %s\n", s->res.mpi4py_library);
    if (s->runs > 1)
        printf("# sizes >= 64 KiB: best of %d launches of each leg (the first looked slow)\n",
               s->runs);
    if (s->mpi_vs_verbs >= 0)
        printf("# MPI reaches %.0f%% of RDMA write at >= 64 KiB\n", 100 * s->mpi_vs_verbs);
    printf("verdict: %s: %s\n", s->verdict, s->verdict_msg);
    if (s->cause) {
        printf("cause: %s: %s\n", s->cause->code, s->cause->message ? s->cause->message : "");
        if (s->cause->fix) {
            const char *p = s->cause->fix;
            const char *label = "fix: ";
            while (*p) {
                const char *nl = strchr(p, '\n');
                int len = nl ? (int)(nl - p) : (int)strlen(p);
                printf("%s%.*s\n", label, len, p);
                label = "     ";
                p = nl ? nl + 1 : p + len;
            }
        }
        for (size_t i = 0; i < s->report->n_findings; i++) {
            const struct mpg_finding *f = &s->report->findings[i];
            if (f != s->cause && f->severity >= MPG_SEV_WARN)
                printf("also: %s: %s\n", f->code, f->message ? f->message : "");
        }
    }
    if (s->note[0])
        printf("note: %s\n", s->note);
}

static json_t *tm_json_str(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *tm_json_leg(const struct probe_leg *l, bool asked)
{
    json_t *o = json_object();
    const char *state = !asked ? "skipped" : l->state[0] ? l->state : "failed";
    json_object_set_new(o, "status", json_string(state));
    json_object_set_new(o, "reason", tm_json_str(!asked ? "not asked for (--legs)" : l->reason));
    json_t *rows = json_array();
    for (size_t i = 0; i < l->n; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "size", json_integer((json_int_t)l->sizes[i]));
        json_object_set_new(r, "mb_per_s", json_real(l->mbps[i]));
        json_object_set_new(r, "iterations", json_integer(l->iters[i]));
        json_array_append_new(rows, r);
    }
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "latency_us", l->lat_us > 0 ? json_real(l->lat_us) : json_null());
    return o;
}

static json_t *tm_json_finding(const struct mpg_finding *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", tm_json_str(f->code));
    json_object_set_new(o, "severity", json_string(mpg_severity_name(f->severity)));
    json_object_set_new(o, "message", tm_json_str(f->message));
    json_object_set_new(o, "fix", tm_json_str(f->fix));
    json_object_set_new(o, "package", tm_json_str(f->package));
    json_object_set_new(o, "path", tm_json_str(f->path));
    return o;
}

static int tm_print_json(const struct tm_state *s)
{
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_string("mpiguard.probe/1"));
    json_t *launch = json_object();
    json_object_set_new(launch, "launcher", tm_json_str(s->launcher));
    json_object_set_new(launch, "how", json_string(s->srun ? "srun" : "mpiexec"));
    json_object_set_new(launch, "ranks", json_integer(2));
    json_object_set_new(launch, "intra_node", json_boolean(s->intra_node));
    json_t *hosts = json_array();
    json_array_append_new(hosts, tm_json_str(s->res.host0));
    json_array_append_new(hosts, tm_json_str(s->res.host1));
    json_object_set_new(launch, "hosts", hosts);
    json_object_set_new(root, "launch", launch);

    const struct mpg_module *m = &s->report->module;
    json_t *mod = json_object();
    json_object_set_new(mod, "name", tm_json_str(m->name));
    json_object_set_new(mod, "version", tm_json_str(m->version));
    json_object_set_new(mod, "label", tm_json_str(s->module_label));
    json_object_set_new(mod, "libmpi", tm_json_str(s->libmpi));
    json_object_set_new(mod, "abi", tm_json_str(s->res.abi));
    json_object_set_new(mod, "mpi_version", tm_json_str(s->res.mpi_version));
    json_object_set_new(root, "module", mod);

    const struct mpg_env *e = &s->report->env;
    json_t *env = json_object();
    json_object_set_new(env, "kind", json_string(mpg_env_kind_name(e->kind)));
    json_object_set_new(env, "name", tm_json_str(e->name));
    json_object_set_new(env, "prefix", tm_json_str(e->prefix));
    json_object_set_new(env, "python", tm_json_str(s->python));
    json_object_set_new(env, "mpi4py_library", tm_json_str(s->res.mpi4py_library));
    json_object_set_new(root, "env", env);

    json_t *legs = json_object();
    json_t *verbs = tm_json_leg(&s->res.verbs, s->o.leg_verbs);
    json_object_set_new(verbs, "device", tm_json_str(s->res.verbs_device));
    json_object_set_new(legs, "verbs", verbs);
    json_object_set_new(legs, "mpi", tm_json_leg(&s->res.mpi, s->o.leg_mpi));
    json_object_set_new(legs, "mpi4py", tm_json_leg(&s->res.mpi4py, s->o.leg_mpi4py));
    json_object_set_new(root, "legs", legs);

    /* the table as printed: one row a size, a column a leg (null: not measured) */
    json_t *rows = json_array();
    const struct probe_leg *cols[3] = {&s->res.verbs, &s->res.mpi, &s->res.mpi4py};
    static const char *const col_names[3] = {"verbs", "mpi", "mpi4py"};
    size_t sizes[3 * PROBE_MAX_SIZES + PROBE_MAX_SIZES];
    size_t ns = tm_table_sizes(s, sizes);
    for (size_t i = 0; i < ns; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "size", json_integer((json_int_t)sizes[i]));
        for (size_t k = 0; k < 3; k++) {
            double mbps = probe_leg_mbps(cols[k], sizes[i]);
            json_object_set_new(r, col_names[k], mbps >= 0 ? json_real(mbps) : json_null());
        }
        json_array_append_new(rows, r);
    }
    json_object_set_new(root, "rows", rows);

    json_t *v = json_object();
    json_object_set_new(v, "status", json_string(s->verdict));
    json_object_set_new(v, "message", json_string(s->verdict_msg));
    json_object_set_new(v, "env_vs_mpi", s->env_vs_mpi >= 0 ? json_real(s->env_vs_mpi) : json_null());
    json_object_set_new(v, "mpi_vs_verbs",
                        s->mpi_vs_verbs >= 0 ? json_real(s->mpi_vs_verbs) : json_null());
    json_object_set_new(v, "min_size", json_integer(PROBE_VERDICT_MIN_SIZE));
    json_object_set_new(v, "runs", json_integer(s->runs));
    json_object_set_new(v, "cause", s->cause ? tm_json_str(s->cause->code) : json_null());
    json_object_set_new(v, "fix", s->cause ? tm_json_str(s->cause->fix) : json_null());
    json_object_set_new(v, "note", tm_json_str(s->note));
    json_object_set_new(v, "exit", json_integer(s->exit_code));
    json_object_set_new(root, "verdict", v);

    json_t *findings = json_array();
    for (size_t i = 0; i < s->report->n_findings; i++)
        json_array_append_new(findings, tm_json_finding(&s->report->findings[i]));
    json_object_set_new(root, "findings", findings);

    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (!text)
        return -1;
    printf("%s\n", text);
    free(text);
    return 0;
}

static void tm_state_free(struct tm_state *s)
{
    mpg_report_free(s->report);
    free(s->libmpi);
    free(s->launcher);
    free(s->probe);
    free(s->script);
    free(s->python);
}

static void tm_labels(struct tm_state *s)
{
    const struct mpg_module *m = &s->report->module;
    if (m->name && m->version)
        snprintf(s->module_label, sizeof s->module_label, "%s/%s", m->name, m->version);
    else if (m->name)
        snprintf(s->module_label, sizeof s->module_label, "%s", m->name);
    else if (s->libmpi) {
        const char *b = strrchr(s->libmpi, '/');
        snprintf(s->module_label, sizeof s->module_label, "%s", b ? b + 1 : s->libmpi);
    } else
        snprintf(s->module_label, sizeof s->module_label, "(none)");
    const struct mpg_env *e = &s->report->env;
    if (e->kind != MPG_ENV_NONE)
        snprintf(s->env_label, sizeof s->env_label, "%s \"%s\"", mpg_env_kind_name(e->kind),
                 e->name ? e->name : e->prefix ? e->prefix : "?");
    else if (s->python)
        snprintf(s->env_label, sizeof s->env_label, "\"%s\"", s->python);
    else
        snprintf(s->env_label, sizeof s->env_label, "no env");
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

int mpg_cli_test_mpi(int argc, char **argv)
{
    struct tm_state s = {.env_vs_mpi = -1, .mpi_vs_verbs = -1, .runs = 1};
    if (tm_parse(argc, argv, &s.o))
        return MPG_TEST_MPI_NOT_RUN;
    if (s.o.budget <= 0)
        s.o.budget = s.o.quick ? 3.0 : 6.0;
    char err[160];
    if (probe_sizes_parse(s.o.sizes ? s.o.sizes
                                    : s.o.quick ? PROBE_SIZES_QUICK : PROBE_SIZES_DEFAULT,
                          s.sizes, PROBE_MAX_SIZES, &s.n_sizes, err, sizeof err)) {
        fprintf(stderr, "mpiguard test-mpi: --sizes: %s\n", err);
        return MPG_TEST_MPI_NOT_RUN;
    }

    struct mpg_input in = {.env_prefix = s.o.env_prefix};
    s.report = mpg_check(&in);
    if (!s.report) {
        fprintf(stderr, "mpiguard test-mpi: out of memory\n");
        return MPG_TEST_MPI_NOT_RUN;
    }
    /* installed: bin/../libexec/mpiguard; build tree: beside the binary, or one up from
     * libtool's .libs/ */
    static const char *const rel_libexec[] = {"../libexec/mpiguard", ".", "..", NULL};
    static const char *const rel_share[] = {"../share/mpiguard", "../../share/mpiguard", NULL};
    s.probe = tm_find_installed(s.o.probe, "MPIGUARD_PROBE", MPIGUARD_LIBEXECDIR,
                                "mpiguard-probe", rel_libexec);
    s.script = tm_find_installed(s.o.script, "MPIGUARD_MPI4PY_BW", MPIGUARD_PKGDATADIR,
                                 "mpi4py_bw.py", rel_share);
    s.libmpi = tm_find_libmpi(&s);
    s.launcher = tm_find_launcher(&s);
    s.intra_node = !s.srun;
    s.python = s.o.python ? strdup(s.o.python) : tm_env_python(&s.report->env);
    tm_labels(&s);

    /* Reasons a leg cannot run at all; the others still run. */
    const char *no_mpi = !s.libmpi ? "no MPI library found: load an MPI module (it must set "
                                     "MPI_HOME or LD_LIBRARY_PATH), or pass --libmpi"
                         : !s.launcher ? "no launcher found (srun, or the module's mpiexec)"
                         : !s.probe ? "mpiguard-probe not found (set MPIGUARD_PROBE or --probe)"
                                    : NULL;
    if (no_mpi) {
        if (s.o.leg_mpi)
            tm_leg_set(&s.res.mpi, "skipped", "%s", no_mpi);
        if (s.o.leg_verbs)
            tm_leg_set(&s.res.verbs, "skipped", "%s", no_mpi);
    } else if (s.o.leg_mpi || s.o.leg_verbs) {
        tm_run_probe(&s, s.o.leg_verbs, s.o.leg_mpi, s.o.sizes, &s.res);
    }
    if (!s.o.leg_mpi4py)
        tm_leg_set(&s.res.mpi4py, "skipped", "%s", "not asked for (--legs)");
    else if (!s.python)
        tm_leg_set(&s.res.mpi4py, "skipped", "%s",
                   s.report->env.kind == MPG_ENV_NONE
                       ? "no active conda env or venv (activate one, or pass --python)"
                       : "the env has no bin/python");
    else if (!s.script)
        tm_leg_set(&s.res.mpi4py, "skipped", "%s",
                   "mpi4py_bw.py not found (set MPIGUARD_MPI4PY_BW or --script)");
    else if (!s.launcher)
        tm_leg_set(&s.res.mpi4py, "skipped", "%s",
                   "no launcher found (srun, or the module's mpiexec)");
    else
        tm_run_mpi4py(&s, s.o.sizes, &s.res);
    if (!s.o.leg_mpi)
        tm_leg_set(&s.res.mpi, "skipped", "%s", "not asked for (--legs)");
    if (!s.o.leg_verbs)
        tm_leg_set(&s.res.verbs, "skipped", "%s", "not asked for (--legs)");

    /* srun may still place both ranks on one host (a one-host partition, several slurmd) */
    if (s.res.host0[0] && !strcmp(s.res.host0, s.res.host1))
        s.intra_node = true;
    double first = tm_ratio(&s.res.mpi4py, &s.res.mpi);
    if (first >= 0 && first < TM_SLOW_RATIO && !strcmp(s.res.mpi4py.state, "ok") &&
        !strcmp(s.res.mpi.state, "ok"))
        tm_confirm_slow(&s);
    tm_verdict(&s);
    if (s.o.json) {
        if (tm_print_json(&s))
            s.exit_code = MPG_TEST_MPI_NOT_RUN;
    } else {
        tm_print_text(&s);
    }
    fflush(stdout);
    int rc = s.exit_code;
    tm_state_free(&s);
    return rc;
}
