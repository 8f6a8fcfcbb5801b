/* tm_verdict.c: what the measurements of `mpiguard test-mpi` mean: the ratios at >= 64 KiB,
 * a second launch before calling an env slow, the verdict, and its cause among the check's
 * findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/test_mpi.h"
#include "cli/tm_state.h"

double tm_ratio(const struct probe_leg *a, const struct probe_leg *b)
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
void tm_confirm_slow(struct tm_state *s)
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

void tm_verdict(struct tm_state *s)
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
