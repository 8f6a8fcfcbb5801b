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
 * Exit status: see enum mpg_test_mpi_exit in test_mpi.h. Ctrl-C (SIGINT), SIGTERM and SIGHUP
 * stop the launch in progress with its whole process group (the launcher runs in its own, out
 * of the terminal's reach) and end the run by the same signal: the shell sees 130, 143, 129.
 *
 * The parts: options (tm_options.c), finding and launching the programs (tm_launch.c), the
 * verdict (tm_verdict.c), the text and JSON outputs (tm_report.c); tm_state.h joins them.
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

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/tm_state.h"
#include "jansson_lazy.h"

static void tm_state_free(struct tm_state *s)
{
    mpg_report_free(s->report);
    free(s->libmpi);
    free(s->launcher);
    free(s->probe);
    free(s->script);
    free(s->python);
    free(s->no_launcher);
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

    if (s.o.json && !mpg_jansson_require("test-mpi --json")) return MPG_TEST_MPI_NOT_RUN;

    struct mpg_input in = {.env_prefix = s.o.env_prefix};
    s.report = mpg_check(&in);
    if (!s.report) {
        fprintf(stderr, "mpiguard test-mpi: out of memory\n");
        return MPG_TEST_MPI_NOT_RUN;
    }
    tm_catch_signals();
    tm_find_programs(&s);
    tm_labels(&s);

    /* Reasons a leg cannot run at all; the others still run. */
    const char *no_mpi = !s.libmpi ? "no MPI library found: load an MPI module (it must set "
                                     "MPI_HOME or LD_LIBRARY_PATH), or pass --libmpi"
                         : !s.launcher ? (s.no_launcher ? s.no_launcher
                                                        : "no launcher found (srun, or the module's mpiexec)")
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
                   s.no_launcher ? s.no_launcher : "no launcher found (srun, or the module's mpiexec)");
    else
        tm_run_mpi4py(&s, s.o.sizes, &s.res);
    if (!s.o.leg_mpi)
        tm_leg_set(&s.res.mpi, "skipped", "%s", "not asked for (--legs)");
    if (!s.o.leg_verbs)
        tm_leg_set(&s.res.verbs, "skipped", "%s", "not asked for (--legs)");

    int sig = tm_interrupted();
    if (sig) { /* the launch in progress was stopped with its process group */
        fprintf(stderr, "mpiguard test-mpi: interrupted (%s): the launcher and its ranks were stopped\n",
                strsignal(sig));
        tm_state_free(&s);
        fflush(NULL);
        signal(sig, SIG_DFL); /* die of it, so the shell that started us stops too */
        raise(sig);
        return 128 + sig;
    }
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
