/* probe_run.h: how `mpiguard test-mpi` starts its two ranks: with the site's launcher (srun in
 * a multi-node Slurm allocation, else the MPI module's own mpiexec), never one of its own, and
 * always under a time limit, so a mismatched MPI can cost seconds but never hang the user. */
#ifndef MPIGUARD_PROBE_RUN_H
#define MPIGUARD_PROBE_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct probe_run {
    int status;     /* exit status, or 128+signal; -1 when it could not be started */
    bool timed_out; /* killed (its whole process group) at the time limit */
    bool interrupted; /* stopped (its whole process group) by SIGINT, SIGTERM or SIGHUP */
    double secs;    /* wall time */
    char *out;      /* everything it wrote to stdout (NUL-terminated, capped at 4 MiB) */
    char err[256];  /* why it could not be started */
};

/* Runs argv[0] (searched in PATH) with stdout captured, stderr passed through, stdin from
 * /dev/null, and the variables in set ("NAME=value", NULL-terminated, may be NULL) added to the
 * environment. Kills the process group with SIGTERM at timeout seconds, SIGKILL 2 s later.
 * Returns 0 when it ran (whatever its status), -1 when it could not be started. */
int probe_run(char *const argv[], const char *const *set, double timeout, struct probe_run *r);
void probe_run_free(struct probe_run *r);

/* Catches SIGINT, SIGTERM and SIGHUP (those not ignored when the program started): the launch
 * in progress gets SIGTERM on its whole process group at once (SIGKILL 2 s later) and
 * probe_run() returns; later probe_run() calls start nothing. */
void probe_run_catch_signals(void);
/* The signal that came, or 0. */
int probe_run_stopped(void);

/* The first executable file named name in the PATH of the current environment, malloc'd, or
 * NULL. A name with a slash is only checked. */
char *probe_which(const char *name);

#endif
