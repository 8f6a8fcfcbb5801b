/* probe_out.h: the records mpiguard-probe and mpi4py_bw.py print on stdout and
 * `mpiguard test-mpi` reads. One record a line, fields separated by one tab:
 *
 *   #mpiguard.probe-out/1                      first line (rank 0)
 *   info   <key>  <value> [<value2>]           hosts, libmpi, mpi_version, verbs_device,
 *                                              mpi4py_library, python
 *   status <leg>  <state> <reason>             leg: verbs | mpi | mpi4py
 *                                              state: ok | skipped | failed | zero_of_one
 *   bw     <leg>  <bytes> <MB/s> <iterations>  decimal MB/s, osu_bw's formula
 *   lat    <leg>  <bytes> <microseconds>       one-way, osu_latency's formula
 *
 * Anything else (lines from the MPI library, a second rank's records) is ignored by the
 * reader; text fields never contain tabs or newlines (the writer replaces them). */
#ifndef MPIGUARD_PROBE_OUT_H
#define MPIGUARD_PROBE_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "probe_sizes.h"

#define PROBE_OUT_SCHEMA "mpiguard.probe-out/1"

void probe_out_header(FILE *f);
void probe_out_info(FILE *f, const char *key, const char *v1, const char *v2);
void probe_out_status(FILE *f, const char *leg, const char *state, const char *reason);
void probe_out_bw(FILE *f, const char *leg, size_t size, double mbps, int iters);
void probe_out_lat(FILE *f, const char *leg, size_t size, double us);

struct probe_leg {
    bool seen;          /* any record for this leg */
    char state[16];     /* "" when no status record came */
    char reason[512];
    unsigned n_status;  /* status records seen (two "zero_of_one" when both ranks are alone) */
    size_t n;
    size_t sizes[PROBE_MAX_SIZES];
    double mbps[PROBE_MAX_SIZES];
    int iters[PROBE_MAX_SIZES];
    double lat_us;      /* 0: not measured */
};

struct probe_results {
    struct probe_leg verbs, mpi, mpi4py;
    char host0[256], host1[256];
    char libmpi[1024], abi[16], mpi_version[256];
    char verbs_device[96];
    char mpi4py_library[512];
};

/* Adds the records found in text (one program's whole stdout) to r. */
void probe_out_parse(const char *text, struct probe_results *r);
struct probe_leg *probe_results_leg(struct probe_results *r, const char *leg);
/* The leg's MB/s at size, or a negative number when it has no such row. */
double probe_leg_mbps(const struct probe_leg *l, size_t size);

#endif
