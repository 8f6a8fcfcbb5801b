/* verbs_bw.h: the RDMA verbs leg of `module test-mpi`.
 *
 * Two ranks connect one RC queue pair and measure RDMA WRITE bandwidth over a
 * size sweep in the manner of perftest's ib_write_bw (a window of tx_depth
 * writes in flight, a completion asked for every 100th, time from the first
 * post to the last completion), then a small-message latency by RDMA WRITE
 * ping-pong (as ib_write_lat: each side spins on the last word it is sent).
 * Rank 0 writes, rank 1 is the target. Units: MB/s = 1e6 bytes/s (perftest
 * prints MiB/s = 2^20 under the label MB/sec); latency in microseconds one way.
 *
 * This file knows nothing of MPI: the caller moves the connection data
 * between the ranks through struct probe_xchg.
 */
#ifndef MPIGUARD_VERBS_BW_H
#define MPIGUARD_VERBS_BW_H

#include <stddef.h>

/* Provided by the caller (the probe uses MPI underneath). */
struct probe_xchg {
	void *ctx;
	int rank; /* 0 or 1 */
	/* Each rank contributes len bytes; theirs receives the other rank's
	 * bytes. Returns 0 on success. Blocks until the peer has called it. */
	int (*exchange)(void *ctx, const void *mine, void *theirs, size_t len);
	int (*barrier)(void *ctx);
};

struct verbs_opts {
	const char *device;  /* NULL: first device with an active port */
	int ib_port;         /* 0: auto (first active port of the device) */
	int gid_index;       /* -1: auto (RoCE: a RoCE v2 GID; IB: none needed) */
	const size_t *sizes; /* bytes, each >= 1; NULL: 64 KiB only */
	size_t n_sizes;
	int iters;           /* 0: 5000 (ib_write_bw's default) */
	int warmup;          /* 0: one tx_depth window of writes; < 0: none */
	int tx_depth;        /* 0: 128 (ib_write_bw's default) */
	int lat_iters;       /* 0: 1000 ping-pongs of 8 bytes; < 0: no latency */
};

struct verbs_row {
	size_t size;
	double mb_per_s;
};

struct verbs_result {
	struct verbs_row *rows;
	size_t n_rows;
	double lat_us; /* < 0 when not measured */
	char device[64];
	int port;
	int gid_index; /* -1: no GRH (InfiniBand with LIDs) */
};

/* Measures on the RC QP between the two ranks of x. Both ranks call it with
 * the same options; both get the same rows and the same return value, because
 * every decision (skip, failure, end of a size) is exchanged first, so neither
 * side can be left waiting for the other.
 *
 * Returns 0 when measured; 1 when skipped (no device, no active port, no
 * usable GID, RLIMIT_MEMLOCK too low, ...); -1 on failure (a verbs call or a
 * completion failed, a completion timed out, the exchange failed). For 1 and
 * -1, why holds one line without a trailing newline, naming the rank it
 * happened on and what the user can do. On -1, res may still hold the rows
 * measured before the failure. Release res with verbs_result_free in every
 * case. */
int verbs_bw_run(const struct verbs_opts *o, const struct probe_xchg *x,
		 struct verbs_result *res, char *why, size_t whylen);

void verbs_result_free(struct verbs_result *res);

#endif
