/* spank_mpiguard.c: the Slurm SPANK plugin. One line in plugstack.conf,
 *
 *   required /usr/local/lib/mpiguard/spank_mpiguard.so [policy=/PATH] [timeout=2] [on_error=open|closed]
 *
 * checks the environment of every job step (srun, and the srun that mpiexec/mpirun use under
 * Slurm) before its tasks start, on each node, in slurmstepd: a place the user cannot skip or
 * reconfigure. Findings are shown once per step (by the step's first node, on the step's
 * stderr, so they land in the job's output), logged to syslog, and a `block` in the site
 * policy refuses the step before any task is forked.
 *
 * Where each part runs, and why:
 * - slurm_spank_init (every context): registers --mpiguard so srun/sbatch/salloc accept it.
 *   In slurmstepd (root, before privileges drop) it also reads the plugstack.conf arguments,
 *   the site policy (a root-owned file; never the user's) and loads libmpiguard.
 * - slurm_spank_init_post_opt (slurmstepd, root, the user's options known, the step not set up
 *   yet): starts mpiguard's checker program on the step's environment, as the job's user and
 *   within the time budget (step_check.c). It works while slurmstepd sets the step up (the
 *   MPI plugin's server, task plugins, the I/O back to srun), which on the test cluster takes
 *   longer than the check (bench/slurm/run.sh: "waited").
 * - slurm_spank_user_init (slurmstepd, the step's I/O already connected to srun, no task forked
 *   yet): takes the checker's answer (or runs the whole check here, when it could not be
 *   started earlier), then decides here, as root, with the site policy (step_verdict.c), and
 *   shows the result. A refusal (the policy says block, or the check
 *   failed under on_error=closed) is only recorded here: Slurm 22.05 fails the launch when
 *   user_init returns -1, but srun then still exits 0, and a job script would go on as if its
 *   step had run.
 * - slurm_spank_task_init_privileged (each task, forked but before it drops privileges and
 *   long before exec): returns -1 for a refused step, so every task ends with exit code 1
 *   without running a line of the user's program, and srun exits 1.
 * Nothing else runs per task, and nothing runs in srun beyond option parsing. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "core_dl.h"
#include "plugin_args.h"
#include "step_check.h"

SPANK_PLUGIN(mpiguard, 1);

#define ENV_VALUE_MAX 4096

static struct {
    bool active;                 /* slurmstepd of a real step (not batch, extern, interactive) */
    struct mpg_plugin_args args;
    char args_err[512];
    struct mpg_core core;
    char core_err[600];
    struct mpg_site_policy site;
    char checker_err[600];       /* the checker program cannot be trusted or is missing */
    char *user_opt;              /* --mpiguard value */
    struct mpg_step_run *run;    /* the checker started in init_post_opt, not yet answered */
    char *user;                  /* the job's user name (user_of), or NULL */
    bool user_looked_up;
    bool refuse;                 /* user_init decided: no task of this step may start */
    /* Wall time slurmstepd spent in this plugin's hooks so far (loading libmpiguard, the policy,
     * starting the checker, waiting for and deciding on its answer): what the plugin adds to a
     * step launch on a node with a core free for the checker; logged with the check. */
    double held_ms;
} g;


/* ---- the user's option -------------------------------------------------------------------- */

static int option_cb(int val, const char *optarg, int remote)
{
    (void)val;
    if (!optarg || (strcmp(optarg, "off") != 0 && strcmp(optarg, "verbose") != 0)) {
        if (!remote) slurm_error("mpiguard: --mpiguard=%s: expected 'off' or 'verbose'", optarg ? optarg : "");
        return -1;
    }
    free(g.user_opt);
    g.user_opt = strdup(optarg);
    return 0;
}

static struct spank_option mpiguard_option = {
    .name = "mpiguard",
    .arginfo = "off|verbose",
    .usage = "MPI environment check of each job step: 'verbose' also lists what could not be inspected; "
             "'off' skips it where the site policy lets users do so (user_override = yes)",
    .has_arg = 1,
    .val = 0,
    .cb = option_cb,
};

/* ---- messages ----------------------------------------------------------------------------- */

/* To the step's stderr (in slurm_spank_user_init it is task 0's, forwarded to srun), as-is:
 * fix commands must not be re-wrapped or prefixed. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        len -= (size_t)w;
    }
}

static void say_text(const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, text, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        text += w;
        len -= (size_t)w;
    }
}

/* ---- slurmstepd: set-up (root) ------------------------------------------------------------ */

static bool is_real_step(spank_t sp)
{
    uint32_t step;
    if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS) return false;
    /* The batch script and the extern/interactive steps are shells, not MPI launches: the
     * script may still `module load` the right MPI before its own srun. */
    return step < SLURM_MAX_NORMAL_STEP_ID;
}

static void remote_init(spank_t sp, int ac, char **av)
{
    if (!is_real_step(sp)) return;
    mpg_plugin_args_parse(&g.args, ac, av, g.args_err, sizeof g.args_err);
    char partition[256];
    if (spank_getenv(sp, "SLURM_JOB_PARTITION", partition, sizeof partition) != ESPANK_SUCCESS)
        partition[0] = '\0';
    if (!mpg_plugin_args_partition_checked(&g.args, partition[0] ? partition : NULL)) return;
    g.active = true;
    if (g.args_err[0]) slurm_error("mpiguard: %s", g.args_err);

    char err[512] = "";
    if (mpg_core_open(&g.core, g.args.lib, err, sizeof err) != 0) {
        snprintf(g.core_err, sizeof g.core_err, "%s", err);
        slurm_error("mpiguard: %s", err);
        return;
    }
    /* Read here, as root: the site may keep its policy readable by root only. The reader
     * opens without blocking and takes regular files only (a FIFO is an error, not a hang). */
    if (mpg_site_policy_load(&g.core, g.args.policy, &g.site) != 0)
        slurm_error("mpiguard: ignoring the site policy: %s", g.site.err);
    if (!mpg_step_checker_trusted(g.args.checker, g.checker_err, sizeof g.checker_err))
        slurm_error("mpiguard: %s", g.checker_err);
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    spank_context_t ctx = spank_context();
    if (ctx == S_CTX_LOCAL || ctx == S_CTX_REMOTE || ctx == S_CTX_ALLOCATOR) spank_option_register(sp, &mpiguard_option);
    if (ctx == S_CTX_REMOTE) {
        double t0 = mpg_step_now_ms();
        remote_init(sp, ac, av);
        g.held_ms += mpg_step_now_ms() - t0;
    }
    return 0;
}

/* ---- slurmstepd: the check (effective uid already the user's) ------------------------------ */

struct step_ids {
    char job[16], step[16], node[256];
    uint32_t nodeid;
};

static void step_ids(spank_t sp, struct step_ids *ids)
{
    uint32_t job = 0, step = 0;
    spank_get_item(sp, S_JOB_ID, &job);
    spank_get_item(sp, S_JOB_STEPID, &step);
    ids->nodeid = 0;
    spank_get_item(sp, S_JOB_NODEID, &ids->nodeid);
    snprintf(ids->job, sizeof ids->job, "%u", job);
    snprintf(ids->step, sizeof ids->step, "%u", step);
    /* slurmd exports its node name to slurmstepd; several slurmd on one host differ only by it. */
    const char *name = getenv("SLURMD_NODENAME");
    if (name && *name)
        snprintf(ids->node, sizeof ids->node, "%s", name);
    else if (gethostname(ids->node, sizeof ids->node) != 0)
        snprintf(ids->node, sizeof ids->node, "?");
    ids->node[sizeof ids->node - 1] = '\0';
}

/* The job's user name, looked up once per step (init_post_opt, user_init and an error line
 * all need it; with sssd or LDAP each lookup is a round trip); NULL when unknown. */
static const char *user_of(uid_t uid)
{
    if (!g.user_looked_up) {
        char buf[4096];
        struct passwd pw, *res = NULL;
        if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) g.user = strdup(res->pw_name);
        g.user_looked_up = true;
    }
    return g.user;
}

/* The check could not decide: one line to the user, one to syslog, then the site's choice. */
static int check_failed(const struct step_ids *ids, uid_t uid, const char *code, const char *why)
{
    const char *outcome = g.args.fail_closed ? "the step is refused (on_error=closed)" : "the step runs unchecked";
    say("mpiguard: node %s: could not check job step %s.%s: %s; %s\n", ids->node, ids->job, ids->step, why, outcome);
    slurm_error("mpiguard: job step %s.%s: %s; %s", ids->job, ids->step, why, outcome);
    if (g.core.log_send && (!g.site.ok || g.site.policy.log)) {
        struct mpg_log_entry e = {
            .code = code,
            .action = g.args.fail_closed ? "block" : "warn",
            .source = "slurm",
            .user = user_of(uid),
            .job = ids->job,
            .step = ids->step,
            .node = ids->node,
            .fix = why,
        };
        g.core.log_send(g.site.ok ? g.site.policy.log_socket : NULL, &e);
    }
    return g.args.fail_closed ? -1 : 0;
}

/* Whether the step is to be checked at all: the user may skip it where the site allows. */
static bool check_skipped(void)
{
    return g.user_opt && strcmp(g.user_opt, "off") == 0 && g.site.policy.user_override;
}

/* What the checker and the verdict need of the step. False when slurmstepd cannot give its
 * environment. need_groups: the job's supplementary groups are required (before user_init,
 * slurmstepd still has root's, which the checker must not inherit). */
static bool step_of(spank_t sp, const struct step_ids *ids, bool need_groups, struct mpg_step *step)
{
    uid_t uid = 0;
    gid_t gid = 0;
    char **env = NULL;
    gid_t *groups = NULL;
    int n_groups = 0;
    spank_get_item(sp, S_JOB_UID, &uid);
    spank_get_item(sp, S_JOB_GID, &gid);
    if (spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS || !env) return false;
    if (spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &groups, &n_groups) != ESPANK_SUCCESS) {
        if (need_groups) return false;
        groups = NULL;
        n_groups = -1; /* keep the groups slurmstepd already switched to */
    }
    *step = (struct mpg_step){
        /* Looked up here: the checker may not see the same name service, and it is one less
         * thing for it to do. */
        .user = user_of(uid),
        .job = ids->job,
        .step = ids->step,
        .node = ids->node,
        .first_node = ids->nodeid == 0,
        .uid = uid,
        .gid = gid,
        .groups = groups,
        .n_groups = n_groups,
        .env = (const char *const *)env,
        .verbose = g.user_opt && strcmp(g.user_opt, "verbose") == 0,
    };
    return true;
}

static struct mpg_step_checker checker_of(void)
{
    return (struct mpg_step_checker){
        .core = &g.core, .program = g.args.checker, .lib = g.args.lib, .timeout_ms = g.args.timeout_ms};
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    if (spank_context() != S_CTX_REMOTE || !g.active || !g.core.handle || g.checker_err[0] || check_skipped())
        return 0;
    struct step_ids ids;
    step_ids(sp, &ids);
    struct mpg_step step;
    if (!step_of(sp, &ids, true, &step)) return 0; /* user_init checks */
    struct mpg_step_checker checker = checker_of();
    struct mpg_step_result res;
    double t0 = mpg_step_now_ms();
    g.run = mpg_step_check_start(&checker, &g.site, &step, &res);
    mpg_step_result_free(&res); /* not started: user_init tries again and reports */
    g.held_ms += mpg_step_now_ms() - t0;
    return 0;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
    (void)sp;
    (void)ac;
    (void)av;
    return g.refuse ? -1 : 0;
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    if (spank_context() != S_CTX_REMOTE || !g.active) return 0;
    double t0 = mpg_step_now_ms();
    struct step_ids ids;
    step_ids(sp, &ids);
    bool first = ids.nodeid == 0;
    uid_t uid = 0;
    spank_get_item(sp, S_JOB_UID, &uid);

    if (first && g.args_err[0]) say("mpiguard: note: %s\n", g.args_err);
    if (!g.core.handle) {
        g.refuse = check_failed(&ids, uid, "CHECK_UNAVAILABLE", g.core_err) != 0;
        return 0;
    }
    if (first && !g.site.ok)
        say("mpiguard: ignoring the site policy: %s (built-in defaults apply)\n", g.site.err);
    if (g.checker_err[0]) {
        g.refuse = check_failed(&ids, uid, "CHECK_UNAVAILABLE", g.checker_err) != 0;
        return 0;
    }

    if (g.user_opt && strcmp(g.user_opt, "off") == 0) {
        if (check_skipped()) {
            if (first) say("mpiguard: check of job step %s.%s skipped (--mpiguard=off)\n", ids.job, ids.step);
            return 0;
        }
        if (first)
            say("mpiguard: --mpiguard=off is not allowed by the site policy (user_override = no); "
                "checking job step %s.%s anyway\n", ids.job, ids.step);
    }

    struct mpg_step step;
    struct mpg_step_checker checker = checker_of();
    struct mpg_step_result res;
    if (!step_of(sp, &ids, false, &step)) {
        mpg_step_check_abandon(g.run);
        g.run = NULL;
        g.refuse = check_failed(&ids, uid, "CHECK_FAILED", "the step's environment is not available") != 0;
        return 0;
    }
    bool early = g.run != NULL;
    if (g.run) { /* started in init_post_opt: its answer, or what is left of the budget */
        mpg_step_check_finish(g.run, &checker, &g.site, &step, &res);
        g.run = NULL;
    } else {
        mpg_step_check(&checker, &g.site, &step, &res);
    }
    slurm_verbose("mpiguard: job step %s.%s checked in %.2f ms, started %s, waited %.2f ms (checker CPU %.2f ms, "
                  "slurmstepd CPU %.2f ms; slurmstepd held in the plugin %.2f ms): %s", ids.job, ids.step, res.wall_ms,
                  early ? "before the step's set-up" : "in user_init", res.waited_ms, res.cpu_ms, res.caller_cpu_ms,
                  g.held_ms + (mpg_step_now_ms() - t0),
                  res.status != MPG_STEP_DONE ? res.error : res.codes ? res.codes : "nothing to report");
    int rc = 0;
    if (res.status == MPG_STEP_TIMEOUT)
        rc = check_failed(&ids, uid, "CHECK_TIMEOUT", res.error);
    else if (res.status == MPG_STEP_UNAVAILABLE)
        rc = check_failed(&ids, uid, "CHECK_UNAVAILABLE", res.error);
    else if (res.status != MPG_STEP_DONE)
        rc = check_failed(&ids, uid, "CHECK_FAILED", res.error);
    else {
        if (res.text) say_text(res.text);
        if (res.verdict == MPG_SEV_BLOCK) {
            if (first)
                say("mpiguard: job step %s.%s refused by the site policy (%s): no task was started. "
                    "Apply the fix above, then run srun again.\n", ids.job, ids.step, res.codes ? res.codes : "block");
            else
                say("mpiguard: node %s refused job step %s.%s too (%s)\n", ids.node, ids.job, ids.step,
                    res.codes ? res.codes : "block");
            slurm_info("mpiguard: job step %s.%s refused: %s", ids.job, ids.step, res.codes ? res.codes : "block");
            rc = -1;
        }
    }
    mpg_step_result_free(&res);
    g.refuse = rc != 0;
    return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
    (void)sp;
    (void)ac;
    (void)av;
    mpg_step_check_abandon(g.run); /* started, but the step never reached user_init */
    g.run = NULL;
    if (g.core.handle) mpg_site_policy_free(&g.core, &g.site);
    mpg_core_close(&g.core);
    free(g.user_opt);
    g.user_opt = NULL;
    free(g.user);
    g.user = NULL;
    g.user_looked_up = false;
    g.held_ms = 0;
    return 0;
}
