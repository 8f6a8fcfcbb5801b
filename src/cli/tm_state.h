/* tm_state.h: what the parts of `mpiguard test-mpi` share (cli/test_mpi.c runs them in turn):
 * the options (tm_options.c), finding and launching the programs (tm_launch.c), the verdict
 * (tm_verdict.c) and the two outputs, text and JSON (tm_report.c). */
#ifndef MPIGUARD_CLI_TM_STATE_H
#define MPIGUARD_CLI_TM_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "mpiguard.h"
#include "probe/probe_out.h"
#include "probe/probe_sizes.h"

/* env below this fraction of the module's MPI: slow. The seed's conda env reached 15%; two
 * launches seconds apart on a busy shared node were seen to differ by up to ~1.7x, so only a
 * clear gap is "slow" and a smaller one gets a note. */
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
    char *no_launcher;         /* why there is no launcher, when there is none */
    bool srun, intra_node;
    char module_label[480];    /* for people: escaped (mpg_escape_for_display) */
    char env_label[480];
    struct probe_results res;
    /* verdict */
    const char *verdict;       /* "ok", "slow", "broken", "mpi_slow", "not_run" */
    char verdict_msg[4096];
    double env_vs_mpi, mpi_vs_verbs; /* < 0: not computed */
    const struct mpg_finding *cause;
    int runs; /* launches of each leg the verdict rests on (2 after tm_confirm_slow) */
    char note[1024];
    int exit_code;
};

/* tm_options.c: parses argv into o (defaults first); -1 on a usage error (said on stderr). */
int tm_parse(int argc, char **argv, struct tm_opts *o);

/* tm_launch.c */
/* Finds the probe, the mpi4py script, the module's libmpi, the launcher and the env's python. */
void tm_find_programs(struct tm_state *s);
void tm_leg_set(struct probe_leg *l, const char *state, const char *fmt, const char *arg);
/* One launch of mpiguard-probe (verbs and/or MPI legs), or of the env's python running the
 * mpi4py script; the records go into res. Nothing is launched once interrupted. */
void tm_run_probe(struct tm_state *s, bool verbs, bool mpi, const char *sizes, struct probe_results *res);
void tm_run_mpi4py(struct tm_state *s, const char *sizes, struct probe_results *res);
/* Catches SIGINT, SIGTERM and SIGHUP for the run: a launch in progress is stopped with its
 * whole process group. Returns the signal that came (0: none), for the caller to stop, clean
 * up and die of it. */
void tm_catch_signals(void);
int tm_interrupted(void);

/* tm_verdict.c */
/* Median over the sizes >= 64 KiB that both legs measured of a/b; < 0 when none. */
double tm_ratio(const struct probe_leg *a, const struct probe_leg *b);
void tm_confirm_slow(struct tm_state *s);
void tm_verdict(struct tm_state *s);

/* tm_report.c */
void tm_labels(struct tm_state *s);
void tm_print_text(const struct tm_state *s);
int tm_print_json(const struct tm_state *s);

#endif
