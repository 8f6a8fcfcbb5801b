/* mpiguard-probe: the C side of `mpiguard test-mpi`. Started as two ranks by a real launcher
 * (srun, or the module's own mpiexec), it loads the module's libmpi at run time (dmpi.c) and
 * measures, in one launch, RDMA verbs and MPI bandwidth and latency between the two ranks.
 *
 * The verbs leg lives in a plug-in, mpiguard-verbs.so, the only piece linked to libibverbs. It
 * is dlopen'd at run time, so the probe starts on nodes without libibverbs (the leg is then
 * skipped with the loader's reason) and one build serves every node of a site.
 *
 * stdout (rank 0 only) is for the orchestrator, one tab-separated record a line (probe_out.h);
 * progress and errors go to stderr. The MPI leg follows OSU's osu_bw and osu_latency so its
 * numbers compare with theirs. */
#include "dmpi.h"
#include "probe_out.h"
#include "probe_sizes.h"
#include "verbs_bw.h"

#include <dlfcn.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_WINDOW 64       /* osu_bw's window */
#define PROBE_LARGE 8192      /* osu_bw: above this, fewer iterations */
#define PROBE_TAG_DATA 100
#define PROBE_TAG_ACK 101
#define PROBE_TAG_PLAN 102
#define PROBE_TAG_XCHG 103

#if defined(__SANITIZE_ADDRESS__)
/* Sanitizer builds only: LeakSanitizer's hook, checked at exit. The libmpi this probe dlopens
 * keeps what MPI_Init allocated until exit, and MPI_Finalize dlcloses the components that
 * allocated it, so the reports name no module and cannot even be suppressed. The probe's own
 * allocations are three buffers freed on every path; mpiguard itself stays leak-checked. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return 1; }
#endif

struct probe_opts {
    const char *libmpi;
    enum dmpi_abi abi;
    bool leg_verbs, leg_mpi;
    size_t sizes[PROBE_MAX_SIZES];
    size_t n_sizes;
    bool quick;
    double budget;     /* seconds the MPI bandwidth sweep may take */
    const char *device;
    int gid_index;
    int ib_port;
    const char *verbs_plugin; /* NULL: next to this binary, then the install folder */
};

struct probe {
    struct dmpi *mpi;
    int rank, peer;
    struct probe_opts o;
};

static void probe_usage(FILE *f)
{
    fprintf(f,
            "usage: mpiguard-probe --libmpi PATH [--abi mpich|openmpi] [--legs verbs,mpi]\n"
            "                      [--sizes LIST] [--quick] [--budget SECONDS]\n"
            "                      [--device DEV] [--ib-port N] [--gid-index N] [--verbs-plugin PATH]\n"
            "Run as exactly two ranks under srun or the MPI's own mpiexec. Results on rank 0's\n"
            "stdout, one tab-separated record a line (%s).\n",
            PROBE_OUT_SCHEMA);
}

static int probe_parse_legs(const char *s, struct probe_opts *o)
{
    o->leg_verbs = o->leg_mpi = false;
    char *copy = strdup(s);
    if (!copy)
        return -1;
    int rc = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "verbs"))
            o->leg_verbs = true;
        else if (!strcmp(t, "mpi"))
            o->leg_mpi = true;
        else
            rc = -1;
    }
    free(copy);
    return rc;
}

/* 0 ok, 2 usage error (message printed). */
static int probe_parse(int argc, char **argv, struct probe_opts *o)
{
    static const struct option longopts[] = {
        {"libmpi", required_argument, NULL, 'l'}, {"abi", required_argument, NULL, 'a'},
        {"legs", required_argument, NULL, 'L'},   {"sizes", required_argument, NULL, 's'},
        {"quick", no_argument, NULL, 'q'},        {"budget", required_argument, NULL, 'b'},
        {"device", required_argument, NULL, 'd'}, {"gid-index", required_argument, NULL, 'g'},
        {"verbs-plugin", required_argument, NULL, 'V'},
        {"ib-port", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sizes = NULL;
    *o = (struct probe_opts){.leg_mpi = true, .leg_verbs = true, .gid_index = -1, .budget = -1};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': o->libmpi = optarg; break;
        case 'a':
            if (!strcmp(optarg, "mpich"))
                o->abi = DMPI_ABI_MPICH;
            else if (!strcmp(optarg, "openmpi"))
                o->abi = DMPI_ABI_OPENMPI;
            else {
                fprintf(stderr, "mpiguard-probe: --abi must be mpich or openmpi\n");
                return 2;
            }
            break;
        case 'L':
            if (probe_parse_legs(optarg, o)) {
                fprintf(stderr, "mpiguard-probe: --legs takes verbs and/or mpi, comma-separated\n");
                return 2;
            }
            break;
        case 's': sizes = optarg; break;
        case 'q': o->quick = true; break;
        case 'b': o->budget = strtod(optarg, NULL); break;
        case 'd': o->device = optarg; break;
        case 'g': o->gid_index = atoi(optarg); break;
        case 'V': o->verbs_plugin = optarg; break;
        case 'p': o->ib_port = atoi(optarg); break;
        case 'h': probe_usage(stdout); exit(0);
        default: probe_usage(stderr); return 2;
        }
    }
    if (!o->libmpi || optind != argc) {
        probe_usage(stderr);
        return 2;
    }
    char err[128];
    if (!sizes)
        sizes = o->quick ? PROBE_SIZES_QUICK : PROBE_SIZES_DEFAULT;
    if (probe_sizes_parse(sizes, o->sizes, PROBE_MAX_SIZES, &o->n_sizes, err, sizeof err)) {
        fprintf(stderr, "mpiguard-probe: --sizes: %s\n", err);
        return 2;
    }
    if (o->budget < 0)
        o->budget = o->quick ? 3.0 : 6.0;
    return 0;
}

/* Rank 0 decides each size's iterations and tells rank 1: both then run the same loop. The plan
 * is osu_bw's unless the sweep's time budget would be exceeded, then it shrinks (and says so). */
struct probe_plan {
    int warmup, iters;
};

static struct probe_plan probe_plan_for(const struct probe *p, size_t size)
{
    if (p->o.quick)
        return size > PROBE_LARGE ? (struct probe_plan){1, 10} : (struct probe_plan){5, 50};
    return size > PROBE_LARGE ? (struct probe_plan){2, 20} : (struct probe_plan){10, 100};
}

static int probe_mpi_bw_one(struct probe *p, size_t size, struct probe_plan plan, char *sbuf,
                            char *rbuf, double *secs)
{
    char ack[4] = {0};
    double t0 = 0;
    int rc = dmpi_barrier(p->mpi);
    for (int i = 0; !rc && i < plan.warmup + plan.iters; i++) {
        if (i == plan.warmup)
            t0 = dmpi_wtime(p->mpi);
        if (p->rank == 0) {
            for (size_t j = 0; !rc && j < PROBE_WINDOW; j++)
                rc = dmpi_isend(p->mpi, sbuf, (int)size, 1, PROBE_TAG_DATA, j);
            if (!rc)
                rc = dmpi_waitall(p->mpi, PROBE_WINDOW);
            if (!rc)
                rc = dmpi_recv(p->mpi, ack, 4, 1, PROBE_TAG_ACK);
        } else {
            for (size_t j = 0; !rc && j < PROBE_WINDOW; j++)
                rc = dmpi_irecv(p->mpi, rbuf, (int)size, 0, PROBE_TAG_DATA, j);
            if (!rc)
                rc = dmpi_waitall(p->mpi, PROBE_WINDOW);
            if (!rc)
                rc = dmpi_send(p->mpi, ack, 4, 0, PROBE_TAG_ACK);
        }
    }
    *secs = dmpi_wtime(p->mpi) - t0;
    return rc;
}

static int probe_mpi_latency(struct probe *p, char *sbuf, char *rbuf)
{
    const size_t size = 8;
    const int warmup = p->o.quick ? 10 : 100, iters = p->o.quick ? 200 : 1000;
    double t0 = 0;
    int rc = dmpi_barrier(p->mpi);
    for (int i = 0; !rc && i < warmup + iters; i++) {
        if (i == warmup)
            t0 = dmpi_wtime(p->mpi);
        if (p->rank == 0) {
            rc = dmpi_send(p->mpi, sbuf, (int)size, 1, PROBE_TAG_DATA);
            if (!rc)
                rc = dmpi_recv(p->mpi, rbuf, (int)size, 1, PROBE_TAG_DATA);
        } else {
            rc = dmpi_recv(p->mpi, rbuf, (int)size, 0, PROBE_TAG_DATA);
            if (!rc)
                rc = dmpi_send(p->mpi, sbuf, (int)size, 0, PROBE_TAG_DATA);
        }
    }
    double t = dmpi_wtime(p->mpi) - t0;
    if (!rc && p->rank == 0) {
        double us = t * 1e6 / (2.0 * iters);
        probe_out_lat(stdout, "mpi", size, us);
        fprintf(stderr, "mpiguard-probe: mpi latency %zu B: %.2f us\n", size, us);
    }
    return rc;
}

static int probe_mpi_leg(struct probe *p)
{
    size_t max = 8;
    for (size_t i = 0; i < p->o.n_sizes; i++)
        if (p->o.sizes[i] > max)
            max = p->o.sizes[i];
    char *sbuf = NULL, *rbuf = NULL;
    if (posix_memalign((void **)&sbuf, 4096, max) || posix_memalign((void **)&rbuf, 4096, max)) {
        free(sbuf);
        if (p->rank == 0)
            probe_out_status(stdout, "mpi", "failed", "out of memory for the buffers");
        return -1;
    }
    memset(sbuf, 'a', max);
    memset(rbuf, 'b', max);

    int rc = probe_mpi_latency(p, sbuf, rbuf);
    double spent = 0, last_rate = 0; /* bytes a second of the previous size */
    bool shrunk = false;
    for (size_t i = 0; !rc && i < p->o.n_sizes; i++) {
        size_t size = p->o.sizes[i];
        struct probe_plan plan = probe_plan_for(p, size);
        if (p->rank == 0 && last_rate > 0) {
            double left = p->o.budget - spent;
            double per_iter = (double)size * PROBE_WINDOW / last_rate;
            if ((plan.warmup + plan.iters) * per_iter > left) {
                int n = (int)(left / per_iter) - 1;
                plan = n >= 2 ? (struct probe_plan){1, n - 1 < plan.iters ? n - 1 : plan.iters}
                              : (struct probe_plan){0, 0};
                shrunk = true;
            }
        }
        int wire[2] = {plan.warmup, plan.iters};
        rc = p->rank == 0 ? dmpi_send(p->mpi, wire, sizeof wire, 1, PROBE_TAG_PLAN)
                          : dmpi_recv(p->mpi, wire, sizeof wire, 0, PROBE_TAG_PLAN);
        plan = (struct probe_plan){wire[0], wire[1]};
        if (rc || plan.iters == 0)
            break;
        double secs = 0;
        rc = probe_mpi_bw_one(p, size, plan, sbuf, rbuf, &secs);
        if (rc || p->rank != 0)
            continue;
        double mbps = secs > 0 ? (double)size / 1e6 * plan.iters * PROBE_WINDOW / secs : 0;
        spent += secs * (plan.warmup + plan.iters) / plan.iters;
        last_rate = mbps * 1e6;
        probe_out_bw(stdout, "mpi", size, mbps, plan.iters);
        fprintf(stderr, "mpiguard-probe: mpi bw %zu B: %.1f MB/s\n", size, mbps);
        fflush(stdout);
    }
    if (p->rank == 0) {
        if (rc)
            probe_out_status(stdout, "mpi", "failed", "an MPI call returned an error");
        else if (shrunk)
            probe_out_status(stdout, "mpi", "ok",
                             "time budget reached: fewer iterations or sizes than osu_bw");
        else
            probe_out_status(stdout, "mpi", "ok", "");
    }
    free(sbuf);
    free(rbuf);
    return rc ? -1 : 0;
}

static int probe_xchg_exchange(void *ctx, const void *mine, void *theirs, size_t len)
{
    struct probe *p = ctx;
    if (len > (size_t)0x7fffffff)
        return -1;
    return dmpi_sendrecv(p->mpi, mine, theirs, (int)len, p->peer, PROBE_TAG_XCHG) ? -1 : 0;
}

static int probe_xchg_barrier(void *ctx)
{
    struct probe *p = ctx;
    return dmpi_barrier(p->mpi) ? -1 : 0;
}

/* ib_write_bw's 5000 iterations would move 20 GB at 4 MiB: cap what the largest size moves at
 * 256 MiB (--quick: 64 MiB), about 20 ms on EDR, so the leg stays within the run's seconds. */
static int probe_verbs_iters(const struct probe_opts *o)
{
    size_t max = 1;
    for (size_t i = 0; i < o->n_sizes; i++)
        if (o->sizes[i] > max)
            max = o->sizes[i];
    size_t cap = (o->quick ? 64u : 256u) << 20;
    size_t iters = cap / max;
    size_t most = o->quick ? 200 : 1000;
    return (int)(iters < 20 ? 20 : iters > most ? most : iters);
}

#ifndef MPIGUARD_LIBEXECDIR
#define MPIGUARD_LIBEXECDIR ""
#endif
#define VERBS_PLUGIN "mpiguard-verbs.so"

typedef int (*verbs_run_fn)(const struct verbs_opts *, const struct probe_xchg *, struct verbs_result *, char *,
                            size_t);
typedef void (*verbs_free_fn)(struct verbs_result *);

/* dlopens the verbs plug-in: --verbs-plugin, else next to this binary (or its libtool .libs/ in a
 * build tree), else the install folder. NULL with why filled when it cannot be loaded. */
static void *probe_verbs_open(const struct probe_opts *o, char *why, size_t whylen)
{
    char self[PATH_MAX] = "", cand[3][PATH_MAX + 64];
    size_t n = 0;
    if (o->verbs_plugin) {
        snprintf(cand[n++], sizeof cand[0], "%s", o->verbs_plugin);
    } else {
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len > 0) {
            self[len] = '\0';
            char *slash = strrchr(self, '/');
            if (slash) *slash = '\0';
            snprintf(cand[n++], sizeof cand[0], "%s/%s", self, VERBS_PLUGIN);
            snprintf(cand[n++], sizeof cand[0], "%s/.libs/%s", self, VERBS_PLUGIN);
        }
        if (MPIGUARD_LIBEXECDIR[0]) snprintf(cand[n++], sizeof cand[0], "%s/%s", MPIGUARD_LIBEXECDIR, VERBS_PLUGIN);
    }
    snprintf(why, whylen, "the RDMA verbs plug-in %s is not installed", VERBS_PLUGIN);
    for (size_t i = 0; i < n; i++) {
        if (access(cand[i], F_OK) != 0) continue;
        void *h = dlopen(cand[i], RTLD_NOW | RTLD_LOCAL);
        if (h) return h;
        /* Usually: libibverbs.so.1 missing on this node. */
        snprintf(why, whylen, "cannot load %.200s: %.200s (apt-get install libibverbs1 ibverbs-providers)", cand[i], dlerror());
        return NULL;
    }
    return NULL;
}

static void probe_verbs_leg(struct probe *p)
{
    /* Both ranks must agree before either enters the plug-in, or one would wait for ever. */
    char why[512] = "";
    void *h = probe_verbs_open(&p->o, why, sizeof why);
    verbs_run_fn run = h ? (verbs_run_fn)(uintptr_t)dlsym(h, "verbs_bw_run") : NULL;
    verbs_free_fn rfree = h ? (verbs_free_fn)(uintptr_t)dlsym(h, "verbs_result_free") : NULL;
    if (h && (!run || !rfree)) snprintf(why, sizeof why, "%s is not an mpiguard verbs plug-in", VERBS_PLUGIN);
    int mine = run && rfree, theirs = 0;
    if (dmpi_sendrecv(p->mpi, &mine, &theirs, sizeof mine, p->peer, PROBE_TAG_XCHG) || !mine || !theirs) {
        if (p->rank == 0) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s%s", mine ? "on rank 1: " : "", mine ? "the verbs plug-in could not be loaded there" : why);
            probe_out_status(stdout, "verbs", "skipped", msg);
        }
        if (h) dlclose(h);
        return;
    }
    struct probe_xchg x = {.ctx = p, .rank = p->rank, .exchange = probe_xchg_exchange,
                           .barrier = probe_xchg_barrier};
    struct verbs_opts vo = {
        .device = p->o.device,
        .ib_port = p->o.ib_port,
        .gid_index = p->o.gid_index,
        .sizes = p->o.sizes,
        .n_sizes = p->o.n_sizes,
        .iters = probe_verbs_iters(&p->o),
        .warmup = 0, /* the module's default: one tx_depth window */
        .tx_depth = 128,
    };
    struct verbs_result res = {0};
    int rc = run(&vo, &x, &res, why, sizeof why);
    if (p->rank == 0) {
        if (rc == 0) {
            for (size_t i = 0; i < res.n_rows; i++)
                probe_out_bw(stdout, "verbs", res.rows[i].size, res.rows[i].mb_per_s, vo.iters);
            if (res.lat_us > 0)
                probe_out_lat(stdout, "verbs", 8, res.lat_us);
            char dev[96];
            snprintf(dev, sizeof dev, "%s:%d", res.device, res.port);
            probe_out_info(stdout, "verbs_device", dev, NULL);
            probe_out_status(stdout, "verbs", "ok", "");
        } else {
            probe_out_status(stdout, "verbs", rc > 0 ? "skipped" : "failed", why);
        }
        fflush(stdout);
    }
    rfree(&res);
    dlclose(h);
}

int main(int argc, char **argv)
{
    struct probe p = {0};
    int rc = probe_parse(argc, argv, &p.o);
    if (rc)
        return rc;

    char why[512];
    p.mpi = dmpi_open(p.o.libmpi, p.o.abi, PROBE_WINDOW, why, sizeof why);
    if (!p.mpi) {
        /* Every rank gets here; each says so, the orchestrator reads the first line. */
        probe_out_status(stdout, "mpi", "failed", why);
        fprintf(stderr, "mpiguard-probe: %s\n", why);
        return 3;
    }
    if (dmpi_init(p.mpi, &argc, &argv)) {
        probe_out_status(stdout, "mpi", "failed", "MPI_Init failed");
        dmpi_close(p.mpi);
        return 3;
    }
    int size = 0;
    dmpi_rank(p.mpi, &p.rank);
    dmpi_size(p.mpi, &size);
    if (size != 2) {
        /* Launcher and library of different MPIs (each rank alone: "0 of 1"), or a wrong -n. */
        char msg[128];
        snprintf(msg, sizeof msg, "rank %d of %d: expected 2 ranks in one MPI_COMM_WORLD", p.rank,
                 size);
        probe_out_status(stdout, "mpi", size == 1 ? "zero_of_one" : "failed", msg);
        if (p.o.leg_verbs)
            probe_out_status(stdout, "verbs", "skipped",
                             "the two ranks never met, so no connection data could be exchanged");
        dmpi_finalize(p.mpi);
        dmpi_close(p.mpi);
        return 3;
    }
    p.peer = 1 - p.rank;

    char me[256], them[256];
    dmpi_processor_name(p.mpi, me, sizeof me);
    dmpi_sendrecv(p.mpi, me, them, sizeof me, p.peer, PROBE_TAG_XCHG);
    them[sizeof them - 1] = '\0';
    if (p.rank == 0) {
        probe_out_header(stdout);
        probe_out_info(stdout, "hosts", me, them);
        probe_out_info(stdout, "libmpi", p.o.libmpi, dmpi_abi_name(dmpi_abi_of(p.mpi)));
        probe_out_info(stdout, "mpi_version", dmpi_version(p.mpi), NULL);
        fflush(stdout);
    }

    if (p.o.leg_verbs) {
        if (p.rank == 0)
            fprintf(stderr, "mpiguard-probe: verbs leg\n");
        probe_verbs_leg(&p);
    }
    rc = 0;
    if (p.o.leg_mpi) {
        if (p.rank == 0)
            fprintf(stderr, "mpiguard-probe: mpi leg (%s)\n", dmpi_abi_name(dmpi_abi_of(p.mpi)));
        rc = probe_mpi_leg(&p);
    }
    fflush(stdout);
    dmpi_finalize(p.mpi);
    dmpi_close(p.mpi);
    return rc ? 1 : 0;
}
