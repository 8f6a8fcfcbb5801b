/* step_check.h: the check of one job step on one node, run by slurmstepd in mpiguard's own
 * checker program (mpiguard-step-check), bounded in time and with the user's privileges.
 *
 * slurmstepd runs as root and serves the whole step: it must neither read a user's files as
 * root (a symlink to a root-only file would leak it) nor wait on them without bound (a FIFO,
 * a hung NFS server). And it has threads, so a child forked from it may only make
 * async-signal-safe calls until it execs: a lock another thread held at the fork (malloc's,
 * stdio's, the loader's, the time zone's) stays held in the child for ever. So slurmstepd
 * forks, and the child, with system calls only, becomes the job's user for good (uid, gid,
 * groups), sets no-new-privileges and an alarm, keeps only the socket to slurmstepd, and
 * execs the checker. The step's environment goes to it through that socket, what it found
 * comes back the same way, and slurmstepd decides (step_verdict.c: the site policy, the
 * verdict, the user's text, syslog); at the end of the time budget slurmstepd kills the
 * checker, reaps it, and goes on. No program of the user's is ever run: not their python,
 * not their MPI. */
#ifndef MPG_STEP_CHECK_H
#define MPG_STEP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core_dl.h"

struct mpg_step {
    const char *job, *step; /* ids as text, "123" and "0" */
    const char *node;       /* this node's name, for messages and syslog */
    bool first_node;        /* node 0 of the step: shows the findings and logs them */
    const char *user;       /* the job's user name (for exemptions and syslog), or NULL */
    uid_t uid;
    gid_t gid;
    const gid_t *groups;    /* supplementary groups of the job */
    int n_groups;           /* -1: keep the caller's (slurmstepd has set the job's already) */
    const char *const *env; /* the step's environment, "NAME=value", NULL-terminated */
    bool verbose;           /* srun --mpiguard=verbose: also what could not be inspected */
};

/* The site policy as slurmstepd read it, as root: parsed, and its text, from which a step's
 * policy is parsed afresh when the site lets users add their own (step_verdict.c). The
 * checker never sees it: a site may keep its policy readable by root only. */
struct mpg_site_policy {
    struct mpg_policy policy; /* the built-in defaults when the file is missing or broken */
    char *text;               /* NULL: missing or broken */
    size_t len;
    const char *path;
    bool ok;                  /* false: err says why the defaults apply */
    char err[600];
};

/* Reads and parses the policy at path (a FIFO or other non-regular file is an error, never
 * a hang). Returns 0, or -1 with sp->err set and the defaults in sp->policy. */
int mpg_site_policy_load(const struct mpg_core *core, const char *path, struct mpg_site_policy *sp);
void mpg_site_policy_free(const struct mpg_core *core, struct mpg_site_policy *sp);

struct mpg_step_checker {
    const struct mpg_core *core; /* libmpiguard in slurmstepd, for the decision */
    const char *program; /* mpiguard-step-check */
    const char *lib;     /* the libmpiguard it is to load (the one slurmstepd loaded) */
    int timeout_ms;      /* the whole check, from fork to answer */
};

/* True when program may be trusted with a step's verdict: a regular file owned by root that
 * only root may change (a user who could replace it could answer "nothing to report").
 * Otherwise false with err saying why. One stat. */
bool mpg_step_checker_trusted(const char *program, char *err, size_t errlen);

enum mpg_step_status {
    MPG_STEP_DONE = 0,    /* the check ran; verdict and text are valid */
    MPG_STEP_TIMEOUT,     /* no answer within the budget; the checker was killed */
    MPG_STEP_FAILED,      /* the checker ran but could not check, or died (error says why) */
    MPG_STEP_UNAVAILABLE, /* the checker could not be started (missing, not executable) */
};

struct mpg_step_result {
    enum mpg_step_status status;
    enum mpg_severity verdict; /* after the site policy */
    char *codes;               /* "ABI_MISMATCH=warn,ENV_BUNDLED_MPI=block", or NULL */
    char *text;                /* what to show the user (first node only), or NULL */
    double wall_ms;            /* from the start (fork) to reaped */
    double waited_ms;          /* of which spent in mpg_step_check_finish (the step waited) */
    double cpu_ms;             /* CPU time of the checker (user + system, exec and loader included) */
    double caller_cpu_ms;      /* CPU time of the calling thread (fork, sending, reading) */
    char error[768];           /* status != DONE: what went wrong, for people */
};

/* Runs the check. Never blocks longer than c->timeout_ms plus a short grace to reap a killed
 * checker; one stuck where SIGKILL cannot reach it (an uninterruptible NFS wait) is left to
 * be reaped later, by init once slurmstepd has exited. */
void mpg_step_check(const struct mpg_step_checker *c, const struct mpg_site_policy *sp, const struct mpg_step *step,
                    struct mpg_step_result *out);

/* The same in two halves, so that slurmstepd can go on setting the step up while the checker
 * works: _start forks the checker and hands it the step's environment (step->env and
 * step->groups are not used after it returns); _finish waits for the answer, within the
 * budget counted from the start, and decides. _start returns NULL with out saying why when
 * the checker could not be started. A run that is never finished is _abandoned: the checker
 * is killed and reaped. */
struct mpg_step_run;
struct mpg_step_run *mpg_step_check_start(const struct mpg_step_checker *c, const struct mpg_site_policy *sp,
                                          const struct mpg_step *step, struct mpg_step_result *out);
void mpg_step_check_finish(struct mpg_step_run *run, const struct mpg_step_checker *c, const struct mpg_site_policy *sp,
                           const struct mpg_step *step, struct mpg_step_result *out);
void mpg_step_check_abandon(struct mpg_step_run *run);
void mpg_step_result_free(struct mpg_step_result *r);

/* CLOCK_MONOTONIC in milliseconds, the clock of wall_ms and waited_ms. */
double mpg_step_now_ms(void);

#endif
