/* osu_bw_ref.c: the baseline for bench/mpi/run.sh. An osu_bw-equivalent written to FACTS 4's
 * conventions (window of 64 MPI_Isend/MPI_Irecv, then a 4-byte ack; 10 warm-up + 100 timed
 * iterations up to 8 KiB, 2 + 20 above; MB/s = size / 1e6 * iterations * window / seconds),
 * compiled with the MPI's own mpicc, so the probe's run-time bound calls can be compared with
 * a program that includes mpi.h.
 * usage: mpiexec -n 2 osu_bw_ref SIZE... ; prints "SIZE<TAB>MB/s" on rank 0. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 64

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 2) {
        if (rank == 0)
            fprintf(stderr, "osu_bw_ref: needs exactly 2 ranks\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    size_t max = 8;
    for (int a = 1; a < argc; a++)
        if ((size_t)atol(argv[a]) > max)
            max = (size_t)atol(argv[a]);
    char *sbuf, *rbuf;
    if (posix_memalign((void **)&sbuf, 4096, max) || posix_memalign((void **)&rbuf, 4096, max))
        MPI_Abort(MPI_COMM_WORLD, 2);
    memset(sbuf, 'a', max);
    memset(rbuf, 'b', max);
    MPI_Request req[WINDOW];
    char ack[4] = {0};
    for (int a = 1; a < argc; a++) {
        int n = atoi(argv[a]);
        int warmup = n > 8192 ? 2 : 10, iters = n > 8192 ? 20 : 100;
        double t0 = 0;
        MPI_Barrier(MPI_COMM_WORLD);
        for (int i = 0; i < warmup + iters; i++) {
            if (i == warmup)
                t0 = MPI_Wtime();
            if (rank == 0) {
                for (int j = 0; j < WINDOW; j++)
                    MPI_Isend(sbuf, n, MPI_BYTE, 1, 100, MPI_COMM_WORLD, &req[j]);
                MPI_Waitall(WINDOW, req, MPI_STATUSES_IGNORE);
                MPI_Recv(ack, 4, MPI_BYTE, 1, 101, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            } else {
                for (int j = 0; j < WINDOW; j++)
                    MPI_Irecv(rbuf, n, MPI_BYTE, 0, 100, MPI_COMM_WORLD, &req[j]);
                MPI_Waitall(WINDOW, req, MPI_STATUSES_IGNORE);
                MPI_Send(ack, 4, MPI_BYTE, 0, 101, MPI_COMM_WORLD);
            }
        }
        double t = MPI_Wtime() - t0;
        if (rank == 0)
            printf("%d\t%.2f\n", n, n / 1e6 * iters * WINDOW / t);
    }
    free(sbuf);
    free(rbuf);
    MPI_Finalize();
    return 0;
}
