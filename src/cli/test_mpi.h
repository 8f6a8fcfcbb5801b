/* test_mpi.h: `mpiguard test-mpi`, the entry point behind `module test-mpi`. */
#ifndef MPIGUARD_CLI_TEST_MPI_H
#define MPIGUARD_CLI_TEST_MPI_H

/* Exit statuses of `mpiguard test-mpi` (also what `module test-mpi` exits with). */
enum mpg_test_mpi_exit {
    MPG_TEST_MPI_OK = 0,       /* the env's mpi4py gets what the module's MPI gets (or no env) */
    MPG_TEST_MPI_ENV_BAD = 1,  /* the env's mpi4py is slow, "0 of 1", or does not import */
    MPG_TEST_MPI_MPI_SLOW = 2, /* across nodes, the module's MPI reaches < 50% of RDMA write */
    MPG_TEST_MPI_NOT_RUN = 3,  /* usage error, or the module's own MPI could not run */
};

/* argv[0] is "test-mpi"; options as in `mpiguard test-mpi --help`. Writes the result to stdout
 * (a table and a verdict, or with --json one object), progress to stderr. Returns the exit
 * status above. */
int mpg_cli_test_mpi(int argc, char **argv);

#endif
