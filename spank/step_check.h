/* step_check.h: the check of one job step on one node, bounded in time and run with the
 * user's own privileges.
 *
 * slurmstepd runs as root and serves the whole step: it must neither read a user's files as
 * root (a symlink to a root-only file would leak it) nor wait on them without bound (a FIFO,
 * a hung NFS server). So the check runs in a grandchild process that has dropped to the job's
 * uid, gid and groups for good (not dumpable, no new privileges, every inherited descriptor
 * closed, an alarm as its own deadline) and reports through a pipe. The caller waits at most
 * timeout_ms for that report, then kills the checker and goes on: the checker is orphaned
 * (reaped by init), so even one stuck in an unkillable NFS wait never holds up the step. No
 * program is executed: not the user's python, not their MPI, not ours. */
#ifndef MPG_STEP_CHECK_H
#define MPG_STEP_CHECK_H

#include <stdbool.h>
#include <sys/types.h>

#include "core_dl.h"

struct mpg_step {
    const char *job, *step; /* ids as text, "123" and "0" */
    const char *node;       /* this node's name, for messages and syslog */
    bool first_node;        /* node 0 of the step: shows the findings and logs them */
    const char *user;       /* the job's user name (for exemptions and syslog), or NULL */
    uid_t uid;
    gid_t gid;
    const gid_t *groups;    /* supplementary groups of the job (may be NULL) */
    int n_groups;
    const char *const *env; /* the step's environment, "NAME=value", NULL-terminated */
    bool verbose;           /* srun --mpiguard=verbose: also what could not be inspected */
};

enum mpg_step_status {
    MPG_STEP_DONE = 0, /* the check ran; verdict and text are valid */
    MPG_STEP_TIMEOUT,  /* no answer within the budget; the checker was killed */
    MPG_STEP_FAILED,   /* the checker could not run or died (error says why) */
};

struct mpg_step_result {
    enum mpg_step_status status;
    enum mpg_severity verdict; /* after the site policy */
    char *codes;               /* "ABI_MISMATCH=warn,ENV_BUNDLED_MPI=block", or NULL */
    char *text;                /* what to show the user (first node only), or NULL */
    double cpu_ms;             /* CPU time the checker used (user + system), -1 when unknown */
    char error[512];           /* status != DONE: what went wrong, for people */
};

/* Runs the check. site: the site policy, already read by the caller (root); site_path: its
 * file, re-read by the checker only when the policy lets a user add their own. Never blocks
 * longer than timeout_ms (plus a few milliseconds to start and reap). */
void mpg_step_check(const struct mpg_core *core, const struct mpg_policy *site, const char *site_path,
                    const struct mpg_step *step, int timeout_ms, struct mpg_step_result *out);
void mpg_step_result_free(struct mpg_step_result *r);

#endif
