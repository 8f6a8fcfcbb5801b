/* dmpi.c: MPI bound at run time, one binary for every MPI module of a site.
 *
 * Why dlopen and per-ABI handle tables, and not "build the probe with the module's mpicc":
 * - A site installs mpiguard once; its MPI modules come and go (MPICH, Intel MPI, MVAPICH,
 *   Cray MPICH, Open MPI, several versions each). Only two binary interfaces cover them all:
 *   the MPICH ABI (libmpi.so.12 / Debian's libmpich.so.12) and Open MPI's (libmpi.so.40).
 *   Within one ABI the handles and calling conventions are fixed, so a table per ABI is enough.
 * - Building on first use would need a working compiler and the module's wrappers on every
 *   compute node, a writable per-user cache, and minutes on a slow parallel file system; a
 *   compiler wrapper that is broken (conda's mpicc pointing at a missing gcc) is one of the
 *   very failures mpiguard diagnoses, so the probe must not depend on it.
 * - The probe measures exactly the library file the check identified: it is handed its path.
 *
 * The handle values below were read from Debian 12's headers, never included here:
 *   MPICH 4.0.2 (/usr/include/x86_64-linux-gnu/mpich/mpi.h): MPI_Comm, MPI_Datatype and
 *   MPI_Request are int; MPI_COMM_WORLD 0x44000000, MPI_BYTE 0x4c00010d,
 *   MPI_STATUS(ES)_IGNORE (MPI_Status *)1. These values are the MPICH ABI's: Intel MPI,
 *   MVAPICH and Cray MPICH use the same ones.
 *   Open MPI 4.1.4 (/usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h): handles are pointers to
 *   exported globals (MPI_COMM_WORLD = &ompi_mpi_comm_world, MPI_BYTE = &ompi_mpi_byte),
 *   MPI_Request is a pointer, MPI_STATUS(ES)_IGNORE is NULL. Unchanged in Open MPI 5.
 * RTLD_GLOBAL because Open MPI's components (mca_*.so) are themselves dlopen'ed by libmpi and
 * resolve libmpi's and libopen-pal's symbols from the global scope; RTLD_NOW so a library
 * with a missing dependency fails here, with the loader's message, and not mid-measurement.
 *
 * Every status is ignored (the probe never reads one), so the two MPI_Status layouts (20 bytes
 * in MPICH, 24 in Open MPI) never matter. */
#include "dmpi.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One table shape for both ABIs: H is the handle type (communicator, datatype), R the request
 * type. Statuses are passed as void * (only the IGNORE value is ever passed). */
#define DMPI_FNS(H, R)                                                                        \
    int (*init)(int *, char ***);                                                             \
    int (*initialized)(int *);                                                                \
    int (*finalize)(void);                                                                    \
    int (*comm_rank)(H, int *);                                                               \
    int (*comm_size)(H, int *);                                                               \
    int (*isend)(const void *, int, H, int, int, H, R *);                                     \
    int (*irecv)(void *, int, H, int, int, H, R *);                                           \
    int (*waitall)(int, R *, void *);                                                         \
    int (*send)(const void *, int, H, int, int, H);                                           \
    int (*recv)(void *, int, H, int, int, H, void *);                                         \
    int (*sendrecv)(const void *, int, H, int, int, void *, int, H, int, int, H, void *);     \
    int (*barrier)(H);                                                                        \
    double (*wtime)(void);                                                                    \
    int (*get_processor_name)(char *, int *);                                                 \
    int (*abort)(H, int);

struct dmpi_mpich_fns { DMPI_FNS(int, int) };
struct dmpi_ompi_fns { DMPI_FNS(void *, void *) };

/* MPICH ABI constants (see the top of this file). */
#define DMPI_MPICH_COMM_WORLD 0x44000000
#define DMPI_MPICH_BYTE 0x4c00010d
#define DMPI_MPICH_STATUS_IGNORE ((void *)(uintptr_t)1)

struct dmpi {
    enum dmpi_abi abi;
    void *lib;
    const char *version;
    size_t max_requests;
    union {
        struct dmpi_mpich_fns c;
        struct dmpi_ompi_fns o;
    } f;
    void *o_comm_world; /* Open MPI: &ompi_mpi_comm_world */
    void *o_byte;       /* Open MPI: &ompi_mpi_byte */
    int *c_reqs;        /* MPICH: MPI_Request[] */
    void **o_reqs;      /* Open MPI: MPI_Request[] */
};

/* POSIX guarantees a data pointer from dlsym converts to a function pointer; memcpy says so
 * without a cast that -Wpedantic would flag. */
#define DMPI_BIND(lib, tbl, field, name)                                                      \
    do {                                                                                      \
        void *p_ = dlsym((lib), (name));                                                      \
        if (!p_) {                                                                            \
            missing = (name);                                                                 \
            goto fail_bind;                                                                   \
        }                                                                                     \
        memcpy(&(tbl).field, &p_, sizeof p_);                                                 \
    } while (0)

#define DMPI_BIND_ALL(lib, tbl)                                                               \
    do {                                                                                      \
        DMPI_BIND(lib, tbl, init, "MPI_Init");                                                \
        DMPI_BIND(lib, tbl, initialized, "MPI_Initialized");                                  \
        DMPI_BIND(lib, tbl, finalize, "MPI_Finalize");                                        \
        DMPI_BIND(lib, tbl, comm_rank, "MPI_Comm_rank");                                      \
        DMPI_BIND(lib, tbl, comm_size, "MPI_Comm_size");                                      \
        DMPI_BIND(lib, tbl, isend, "MPI_Isend");                                              \
        DMPI_BIND(lib, tbl, irecv, "MPI_Irecv");                                              \
        DMPI_BIND(lib, tbl, waitall, "MPI_Waitall");                                          \
        DMPI_BIND(lib, tbl, send, "MPI_Send");                                                \
        DMPI_BIND(lib, tbl, recv, "MPI_Recv");                                                \
        DMPI_BIND(lib, tbl, sendrecv, "MPI_Sendrecv");                                        \
        DMPI_BIND(lib, tbl, barrier, "MPI_Barrier");                                          \
        DMPI_BIND(lib, tbl, wtime, "MPI_Wtime");                                              \
        DMPI_BIND(lib, tbl, get_processor_name, "MPI_Get_processor_name");                    \
        DMPI_BIND(lib, tbl, abort, "MPI_Abort");                                              \
    } while (0)

const char *dmpi_abi_name(enum dmpi_abi a)
{
    switch (a) {
    case DMPI_ABI_MPICH: return "mpich";
    case DMPI_ABI_OPENMPI: return "openmpi";
    case DMPI_ABI_AUTO: break;
    }
    return "auto";
}

/* Which ABI the loaded library's own symbols say it has, or AUTO when they do not say. */
static enum dmpi_abi dmpi_detect(void *lib, const char **version)
{
    const char *v;
    if ((v = dlsym(lib, "ompi_version_string")) || dlsym(lib, "ompi_mpi_comm_world")) {
        *version = v ? v : "";
        return DMPI_ABI_OPENMPI;
    }
    if ((v = dlsym(lib, "MPII_Version_string")) || dlsym(lib, "I_MPI_Check_image_status")) {
        *version = v ? v : "";
        return DMPI_ABI_MPICH;
    }
    *version = "";
    return DMPI_ABI_AUTO;
}

struct dmpi *dmpi_open(const char *path, enum dmpi_abi abi, size_t max_requests, char *why,
                       size_t whylen)
{
    const char *missing = NULL;
    struct dmpi *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    m->max_requests = max_requests ? max_requests : 1;
    m->lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!m->lib) {
        const char *e = dlerror();
        snprintf(why, whylen, "cannot load %s: %s", path, e ? e : "unknown error");
        free(m);
        return NULL;
    }
    enum dmpi_abi seen = dmpi_detect(m->lib, &m->version);
    if (abi == DMPI_ABI_AUTO && seen == DMPI_ABI_AUTO) {
        snprintf(why, whylen,
                 "%s exports neither MPICH-ABI nor Open MPI symbols (the MPI 5 standard ABI, "
                 "libmpi_abi.so.1, is not supported yet); pass --abi mpich|openmpi if you know it",
                 path);
        goto fail;
    }
    if (abi != DMPI_ABI_AUTO && seen != DMPI_ABI_AUTO && abi != seen) {
        snprintf(why, whylen, "%s is an %s library, not %s as asked", path, dmpi_abi_name(seen),
                 dmpi_abi_name(abi));
        goto fail;
    }
    m->abi = abi != DMPI_ABI_AUTO ? abi : seen;

    if (m->abi == DMPI_ABI_MPICH) {
        DMPI_BIND_ALL(m->lib, m->f.c);
        m->c_reqs = calloc(m->max_requests, sizeof *m->c_reqs);
        if (!m->c_reqs)
            goto fail_oom;
    } else {
        DMPI_BIND_ALL(m->lib, m->f.o);
        m->o_comm_world = dlsym(m->lib, "ompi_mpi_comm_world");
        m->o_byte = dlsym(m->lib, "ompi_mpi_byte");
        if (!m->o_comm_world || !m->o_byte) {
            missing = m->o_comm_world ? "ompi_mpi_byte" : "ompi_mpi_comm_world";
            goto fail_bind;
        }
        m->o_reqs = calloc(m->max_requests, sizeof *m->o_reqs);
        if (!m->o_reqs)
            goto fail_oom;
    }
    return m;

fail_bind:
    snprintf(why, whylen, "%s has no symbol %s: not a usable %s-ABI MPI library", path, missing,
             dmpi_abi_name(m->abi));
    goto fail;
fail_oom:
    snprintf(why, whylen, "out of memory");
fail:
    dlclose(m->lib);
    free(m->c_reqs);
    free(m->o_reqs);
    free(m);
    return NULL;
}

void dmpi_close(struct dmpi *m)
{
    if (!m)
        return;
    free(m->c_reqs);
    free(m->o_reqs);
    free(m);
}

enum dmpi_abi dmpi_abi_of(const struct dmpi *m) { return m->abi; }
const char *dmpi_version(const struct dmpi *m) { return m->version ? m->version : ""; }

#define DMPI_CALL(m, fn, mpich_args, ompi_args)                                               \
    ((m)->abi == DMPI_ABI_MPICH ? (m)->f.c.fn mpich_args : (m)->f.o.fn ompi_args)

#define CW DMPI_MPICH_COMM_WORLD
#define CB DMPI_MPICH_BYTE
#define CSI DMPI_MPICH_STATUS_IGNORE
#define OW m->o_comm_world
#define OB m->o_byte

int dmpi_init(struct dmpi *m, int *argc, char ***argv)
{
    int done = 0;
    int rc = DMPI_CALL(m, initialized, (&done), (&done));
    if (rc || done)
        return rc;
    return DMPI_CALL(m, init, (argc, argv), (argc, argv));
}

int dmpi_finalize(struct dmpi *m) { return DMPI_CALL(m, finalize, (), ()); }
int dmpi_rank(struct dmpi *m, int *rank) { return DMPI_CALL(m, comm_rank, (CW, rank), (OW, rank)); }
int dmpi_size(struct dmpi *m, int *size) { return DMPI_CALL(m, comm_size, (CW, size), (OW, size)); }

int dmpi_isend(struct dmpi *m, const void *buf, int len, int peer, int tag, size_t slot)
{
    if (slot >= m->max_requests)
        return -1;
    return DMPI_CALL(m, isend, (buf, len, CB, peer, tag, CW, &m->c_reqs[slot]),
                     (buf, len, OB, peer, tag, OW, &m->o_reqs[slot]));
}

int dmpi_irecv(struct dmpi *m, void *buf, int len, int peer, int tag, size_t slot)
{
    if (slot >= m->max_requests)
        return -1;
    return DMPI_CALL(m, irecv, (buf, len, CB, peer, tag, CW, &m->c_reqs[slot]),
                     (buf, len, OB, peer, tag, OW, &m->o_reqs[slot]));
}

int dmpi_waitall(struct dmpi *m, size_t n)
{
    if (n > m->max_requests)
        return -1;
    return DMPI_CALL(m, waitall, ((int)n, m->c_reqs, CSI), ((int)n, m->o_reqs, NULL));
}

int dmpi_send(struct dmpi *m, const void *buf, int len, int peer, int tag)
{
    return DMPI_CALL(m, send, (buf, len, CB, peer, tag, CW), (buf, len, OB, peer, tag, OW));
}

int dmpi_recv(struct dmpi *m, void *buf, int len, int peer, int tag)
{
    return DMPI_CALL(m, recv, (buf, len, CB, peer, tag, CW, CSI),
                     (buf, len, OB, peer, tag, OW, NULL));
}

int dmpi_sendrecv(struct dmpi *m, const void *out, void *in, int len, int peer, int tag)
{
    return DMPI_CALL(m, sendrecv, (out, len, CB, peer, tag, in, len, CB, peer, tag, CW, CSI),
                     (out, len, OB, peer, tag, in, len, OB, peer, tag, OW, NULL));
}

int dmpi_barrier(struct dmpi *m) { return DMPI_CALL(m, barrier, (CW), (OW)); }
double dmpi_wtime(struct dmpi *m) { return DMPI_CALL(m, wtime, (), ()); }

int dmpi_processor_name(struct dmpi *m, char *name, size_t len)
{
    /* Large enough for either library's MPI_MAX_PROCESSOR_NAME (MPICH 128, Open MPI 256). */
    char buf[1024];
    int n = 0;
    int rc = DMPI_CALL(m, get_processor_name, (buf, &n), (buf, &n));
    if (rc)
        return rc;
    if (n < 0 || (size_t)n >= sizeof buf)
        n = 0;
    buf[n] = '\0';
    snprintf(name, len, "%s", buf);
    return 0;
}

void dmpi_abort(struct dmpi *m, int code) { (void)DMPI_CALL(m, abort, (CW, code), (OW, code)); }
