/* dmpi.h: the few MPI calls the probe needs, bound at run time to whatever libmpi the loaded
 * module provides (MPICH ABI or Open MPI ABI). See dmpi.c for why.
 *
 * Handles never leave this file's implementation: callers name the peer by rank and the
 * request by its slot in a fixed window, and buffers are always bytes on MPI_COMM_WORLD. */
#ifndef MPIGUARD_DMPI_H
#define MPIGUARD_DMPI_H

#include <stddef.h>

enum dmpi_abi { DMPI_ABI_AUTO = 0, DMPI_ABI_MPICH, DMPI_ABI_OPENMPI };

struct dmpi;

/* Loads the library at path (RTLD_NOW|RTLD_GLOBAL) and binds every function and handle.
 * abi AUTO: told by the library's own symbols. Returns NULL with why filled on failure; nothing
 * is left loaded then. max_requests: how many request slots isend/irecv may use. */
struct dmpi *dmpi_open(const char *path, enum dmpi_abi abi, size_t max_requests, char *why,
                       size_t whylen);
/* Unloads nothing (an MPI library cannot be safely dlclose'd after Finalize); frees the table. */
void dmpi_close(struct dmpi *m);

enum dmpi_abi dmpi_abi_of(const struct dmpi *m);
const char *dmpi_abi_name(enum dmpi_abi a); /* "mpich", "openmpi", "auto" */
/* The library's own version words (MPII_Version_string / ompi_version_string), or "". */
const char *dmpi_version(const struct dmpi *m);

/* Every call returns the MPI error code (0 is success) unless said otherwise. */
int dmpi_init(struct dmpi *m, int *argc, char ***argv);
int dmpi_finalize(struct dmpi *m);
int dmpi_rank(struct dmpi *m, int *rank);
int dmpi_size(struct dmpi *m, int *size);
int dmpi_isend(struct dmpi *m, const void *buf, int len, int peer, int tag, size_t slot);
int dmpi_irecv(struct dmpi *m, void *buf, int len, int peer, int tag, size_t slot);
int dmpi_waitall(struct dmpi *m, size_t n); /* waits slots 0..n-1 */
int dmpi_send(struct dmpi *m, const void *buf, int len, int peer, int tag);
int dmpi_recv(struct dmpi *m, void *buf, int len, int peer, int tag);
int dmpi_sendrecv(struct dmpi *m, const void *out, void *in, int len, int peer, int tag);
int dmpi_barrier(struct dmpi *m);
double dmpi_wtime(struct dmpi *m);
int dmpi_processor_name(struct dmpi *m, char *name, size_t len);
void dmpi_abort(struct dmpi *m, int code);

#endif
