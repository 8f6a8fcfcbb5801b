/* verbs_selftest.c: the verbs leg with both ranks as threads of one process.
 *
 * No MPI, so it runs clean under ASan/LSan (MPICH's own allocations would
 * drown a leak report) and can give the two ranks different options, which
 * is how the skip agreement is tested: one rank that cannot run must make
 * both ranks return the same skip.
 *
 *   verbs_selftest run [DEVICE]        both ranks measure (sizes 4 KiB, 64 KiB)
 *   verbs_selftest split DEVICE BOGUS  rank 0 on DEVICE, rank 1 on a missing one
 *
 * Prints one line per rank and exits 0 when the outcome is the expected one:
 * "run": both 0 with equal non-zero rows, or both 1 with equal reasons (77);
 * "split": both 1 with the same reason (the caller checks that it names rank 1
 * where DEVICE exists).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/probe/verbs_bw.h"

struct st_pair {
	pthread_barrier_t bar;
	const void *slot[2];
};

struct st_rank {
	struct st_pair *pair;
	struct probe_xchg x;
	struct verbs_opts o;
	struct verbs_result res;
	char why[256];
	int rc;
};

static int st_exchange(void *ctx, const void *mine, void *theirs, size_t len)
{
	struct st_rank *r = ctx;

	r->pair->slot[r->x.rank] = mine;
	pthread_barrier_wait(&r->pair->bar);
	memcpy(theirs, r->pair->slot[1 - r->x.rank], len);
	pthread_barrier_wait(&r->pair->bar);
	return 0;
}

static int st_barrier(void *ctx)
{
	struct st_rank *r = ctx;

	pthread_barrier_wait(&r->pair->bar);
	return 0;
}

static void *st_main(void *arg)
{
	struct st_rank *r = arg;

	r->rc = verbs_bw_run(&r->o, &r->x, &r->res, r->why, sizeof(r->why));
	return NULL;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 4096, 65536 };
	struct st_pair pair;
	struct st_rank r[2];
	pthread_t t[2];
	int i, split, ok = 1;
	size_t k;

	if (argc < 2 || (strcmp(argv[1], "run") && strcmp(argv[1], "split")) ||
	    (!strcmp(argv[1], "split") && argc != 4)) {
		fprintf(stderr, "usage: verbs_selftest run [DEVICE] | split DEVICE BOGUS\n");
		return 2;
	}
	split = !strcmp(argv[1], "split");
	if (pthread_barrier_init(&pair.bar, NULL, 2))
		return 1;
	for (i = 0; i < 2; i++) {
		r[i] = (struct st_rank){
			.pair = &pair,
			.x = { .ctx = &r[i], .rank = i, .exchange = st_exchange, .barrier = st_barrier },
			.o = {
				.device = argc > 2 ? argv[2] : NULL,
				.gid_index = -1,
				.sizes = sizes,
				.n_sizes = sizeof(sizes) / sizeof(sizes[0]),
				.iters = 200,
				.lat_iters = 100,
			},
		};
		if (split && i == 1)
			r[i].o.device = argv[3];
	}
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, st_main, &r[i])) {
			fprintf(stderr, "verbs_selftest: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);

	for (i = 0; i < 2; i++) {
		printf("rank %d: rc %d%s%s", i, r[i].rc, r[i].rc ? " why: " : "", r[i].why);
		for (k = 0; k < r[i].res.n_rows; k++)
			printf(" %zu:%.2f", r[i].res.rows[k].size, r[i].res.rows[k].mb_per_s);
		if (r[i].res.lat_us >= 0)
			printf(" lat:%.2fus", r[i].res.lat_us);
		printf("\n");
	}
	if (r[0].rc != r[1].rc || strcmp(r[0].why, r[1].why))
		ok = 0;
	else if (split)
		ok = r[0].rc == 1;
	else if (r[0].rc == 0) {
		ok = r[0].res.n_rows == 2 && r[1].res.n_rows == 2 && r[0].res.lat_us > 0;
		for (k = 0; ok && k < r[0].res.n_rows; k++)
			ok = r[0].res.rows[k].mb_per_s > 0 &&
			     r[0].res.rows[k].mb_per_s == r[1].res.rows[k].mb_per_s;
	}
	printf("%s\n", ok ? "selftest: ok" : "selftest: FAILED");
	for (i = 0; i < 2; i++)
		verbs_result_free(&r[i].res);
	pthread_barrier_destroy(&pair.bar);
	if (!ok)
		return 1;
	return !split && r[0].rc == 1 ? 77 : 0;
}
