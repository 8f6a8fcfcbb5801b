/* verbs_driver.c: runs the probe's verbs leg between two MPI ranks.
 *
 * A test driver until the probe binary carries the leg: it supplies the
 * struct probe_xchg with MPI_Sendrecv / MPI_Barrier and prints the rows.
 *
 *   mpiexec.mpich -n 2 verbs_driver [--device NAME] [--port N] [--gid-index N]
 *       [--sizes 65536,1048576] [--iters N] [--warmup N] [--tx-depth N]
 *       [--lat-iters N]
 *
 * Rank 0 prints, on stdout:
 *   # verbs rxe0 port 1 gid 1
 *   <size> <MB/s>            one line per size (MB = 1e6 bytes)
 *   latency <us>             one-way, 8 bytes
 * or "skipped: <why>" (exit 77) or "failed: <why>" (exit 1).
 */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/probe/verbs_bw.h"

#define VD_MAX_SIZES 64

static int vd_exchange(void *ctx, const void *mine, void *theirs, size_t len)
{
	int rank;

	(void)ctx;
	if (len > INT_MAX || MPI_Comm_rank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS)
		return -1;
	return MPI_Sendrecv(mine, (int)len, MPI_BYTE, 1 - rank, 77, theirs, (int)len, MPI_BYTE,
			    1 - rank, 77, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS;
}

static int vd_barrier(void *ctx)
{
	(void)ctx;
	return MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS;
}

static int vd_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static int vd_sizes(char *s, size_t *sizes, size_t *n)
{
	char *tok, *save = NULL, *end;

	*n = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long v = strtoull(tok, &end, 10);

		if (*end || !v || *n == VD_MAX_SIZES)
			return -1;
		sizes[(*n)++] = (size_t)v;
	}
	return *n ? 0 : -1;
}

static int vd_parse(int argc, char **argv, struct verbs_opts *o, size_t *sizes)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = !v;

		if (!v)
			;
		else if (!strcmp(a, "--device"))
			o->device = v;
		else if (!strcmp(a, "--port"))
			bad = vd_int(v, &o->ib_port);
		else if (!strcmp(a, "--gid-index"))
			bad = vd_int(v, &o->gid_index);
		else if (!strcmp(a, "--sizes"))
			bad = vd_sizes(argv[i + 1], sizes, &o->n_sizes);
		else if (!strcmp(a, "--iters"))
			bad = vd_int(v, &o->iters);
		else if (!strcmp(a, "--warmup"))
			bad = vd_int(v, &o->warmup);
		else if (!strcmp(a, "--tx-depth"))
			bad = vd_int(v, &o->tx_depth);
		else if (!strcmp(a, "--lat-iters"))
			bad = vd_int(v, &o->lat_iters);
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "verbs_driver: bad argument %s%s%s\n", a, v ? " " : "",
				v ? v : "");
			return -1;
		}
		i++;
	}
	if (o->n_sizes)
		o->sizes = sizes;
	return 0;
}

int main(int argc, char **argv)
{
	static size_t sizes[VD_MAX_SIZES];
	struct verbs_opts o = { .gid_index = -1 };
	struct verbs_result res;
	struct probe_xchg x = { .exchange = vd_exchange, .barrier = vd_barrier };
	char why[256];
	int size, rc, ret = 1;
	size_t k;

	if (MPI_Init(&argc, &argv) != MPI_SUCCESS)
		return 1;
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Comm_rank(MPI_COMM_WORLD, &x.rank);
	if (size != 2) {
		if (x.rank == 0)
			fprintf(stderr, "verbs_driver: needs exactly 2 ranks, got %d\n", size);
		goto out;
	}
	if (vd_parse(argc, argv, &o, sizes))
		goto out;

	rc = verbs_bw_run(&o, &x, &res, why, sizeof(why));
	if (x.rank == 0) {
		if (rc == 1)
			printf("skipped: %s\n", why);
		else if (rc < 0)
			printf("failed: %s\n", why);
		else
			printf("# verbs %s port %d gid %d\n", res.device, res.port, res.gid_index);
		for (k = 0; k < res.n_rows; k++)
			printf("%zu %.2f\n", res.rows[k].size, res.rows[k].mb_per_s);
		if (rc == 0 && res.lat_us >= 0)
			printf("latency %.2f\n", res.lat_us);
		fflush(stdout);
	}
	verbs_result_free(&res);
	ret = rc == 0 ? 0 : rc == 1 ? 77 : 1;
out:
	MPI_Finalize();
	return ret;
}
