/* mpi4py_search.h: how mpi4py >= 4.1's binary wheels pick their MPI library at import (FACTS 2;
 * src/mpi4py/_mpiabi.py of github mpi4py/mpi4py, and mpi4py-publish's copy that 4.1.0 shipped).
 * The wheel has one extension per ABI (MPI.mpich.*.so, MPI.openmpi.*.so, MPI.mpiabi.*.so) and an
 * import hook that, in order:
 *   1. takes MPI4PY_MPIABI when set: in 4.1.x that ABI without loading anything; from 4.2
 *      (main) the ABI's library name (libmpi.so.12, libmpi.so.40, libmpi_abi.so.1) becomes the
 *      name searched below;
 *   2. dlopen(NULL): an MPI already in the process (LD_PRELOAD, a python linked to it);
 *   3. dlopen()s candidates until one loads and has MPI_Get_version: the folders are the venv's
 *      lib (in a venv), the user base's lib (when the user site is on), the base prefix's lib
 *      (when it is a site prefix and not /usr), then "" (the loader's own search); the names are
 *      libmpi.so, libmpi.so.12, libmpi.so.40 (+ libmpi_abi.so.1 from 4.2). MPI4PY_LIBMPI (a
 *      name, a path, or a ':' list; $VAR and ~ expanded) replaces them: in 4.1.x it replaces the
 *      folders (a folder entry gets the three names), from 4.2 the names (a bare name is tried
 *      in each folder);
 *   4. reads the ABI from the library's symbols (MPI_Abi_get_version > 0: mpiabi;
 *      ompi_mpi_comm_self: openmpi; else mpich), and imports MPI.<abi>: that extension's own
 *      libmpi is then resolved by the ordinary loader, where the library already loaded counts
 *      when its SONAME is the name needed.
 * mpiguard cannot call MPI_Abi_get_version: it takes the standard ABI for a library named
 * libmpi_abi.so.N. Not modelled: ctypes' own RPATH (the executable's is used), the Intel MPI
 * libfabric that mpi4py loads next to Intel MPI, the python -s flag. */
#ifndef MPG_MPI4PY_SEARCH_H
#define MPG_MPI4PY_SEARCH_H

#include <stdbool.h>

#include "envsnap.h"
#include "loader.h"
#include "mpiguard.h"
#include "util.h"

enum mpg_mpi4py_rules {
    MPG_MPI4PY_41,   /* 4.1.0 - 4.1.x (and an unknown version: the latest release) */
    MPG_MPI4PY_MAIN, /* 4.2.0.dev0 and later */
};

struct mpg_mpi4py_ctx {
    const struct mpg_env *env;
    const struct mpg_envsnap *snap;
    const struct mpg_loader *ld;
    const char *python; /* the env's python executable, canonical, or NULL */
};

/* A library the search dlopen()ed: it stays loaded, so a later DT_NEEDED of its SONAME is it. */
struct mpg_mpi4py_loaded {
    char *path, *soname;
};

struct mpg_mpi4py_result {
    enum mpg_mpi4py_rules rules;
    char *abi;          /* the ABI chosen: "mpich", "openmpi", "mpiabi", ... */
    char *library;      /* the library the search picked (canonical), NULL when none */
    char *how;          /* why, in words: "libmpi.so on the loader path (ld.so.cache)", ... */
    char *variant;      /* the extension imported, NULL when there is none for abi */
    char *error;        /* the import's error when it fails before the variant is loaded */
    struct mpg_strv tried; /* every candidate, in order, with its outcome ("<name>: not found") */
    struct mpg_mpi4py_loaded *loaded;
    size_t n_loaded;
};

enum mpg_mpi4py_rules mpg_mpi4py_rules_for(const char *version);
const char *mpg_mpi4py_rules_name(enum mpg_mpi4py_rules r); /* "4.1", "4.2" */

/* True when pkgdir holds the per-ABI extensions and no plain MPI extension (which Python's own
 * finder would import first, without the search). */
bool mpg_mpi4py_is_multi_abi(const char *pkgdir);

/* The plain MPI extension Python's own finder imports (MPI.cpython-3XY-<triplet>.so, MPI.abi3.so,
 * MPI.so: EXTENSION_SUFFIXES' order), or NULL. names: pkgdir's "MPI.*.so" files when the caller
 * has them (the listing cache, mpg_mpi4py_is_extension_name), NULL to list pkgdir. */
char *mpg_mpi4py_plain_extension(const char *pkgdir, const char *pyver, const struct mpg_strv *names);

/* Whether name may be an MPI extension of mpi4py ("MPI.*.so"). */
bool mpg_mpi4py_is_extension_name(const char *name);

/* Runs the search for the mpi4py in pkgdir (version from its dist-info, or NULL). */
void mpg_mpi4py_search(const struct mpg_mpi4py_ctx *c, const char *pkgdir, const char *version,
                       struct mpg_mpi4py_result *out);
void mpg_mpi4py_result_clear(struct mpg_mpi4py_result *r);

/* The library the search left loaded with this SONAME, or NULL. */
const struct mpg_mpi4py_loaded *mpg_mpi4py_loaded_soname(const struct mpg_mpi4py_result *r, const char *soname);

/* os.path.expandvars + expanduser on s (malloc'd): $VAR and ${VAR} from env when set (else left
 * as written), a leading ~ or ~user. */
char *mpg_mpi4py_expand(const struct mpg_envsnap *env, const char *s);

#endif
