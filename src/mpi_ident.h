/* mpi_ident.h: what an MPI library is, from its name, SONAME and symbols (FACTS 2 and 7), with
 * the vendor names of site stacks: Cray's per-compiler libmpi_gnu_123.so.12, libmpi_cray.so.12,
 * IBM's libmpi_ibm.so. mpg_identify_mpi() (mpiguard.h) reads one library file. */
#ifndef MPG_MPI_IDENT_H
#define MPG_MPI_IDENT_H

#include <stdbool.h>

#include "mpiguard.h"

/* True for file or DT_NEEDED names of an MPI C library (libmpi.so.40, libmpich.so.12,
 * libmpi_abi.so.1, libmpi_gnu_123.so.12, ...), false for the Fortran/C++/Java bindings and GPU
 * transport layers that share the prefix (libmpi_mpifh, libmpi_cxx, libmpichcxx, libmpi_gtl_cuda). */
bool mpg_is_libmpi_name(const char *name);

/* True for a vendor-named MPICH-ABI library (Cray's libmpi_<compiler>.so.12 and libmpich_<x>):
 * its SONAME is not one the standard names would find. */
bool mpg_is_vendor_libmpi_name(const char *name);

struct mpg_elf;

/* A deep copy of src into dst. */
void mpg_mpi_copy(struct mpg_mpi *dst, const struct mpg_mpi *src);

struct mpg_dircache;

/* mpg_identify_mpi(), remembered in cache (NULL: none) while the library keeps its device,
 * inode and mtime: a module's libmpi is not read again on every load. */
int mpg_identify_mpi_cached(const char *path, struct mpg_dircache *cache, struct mpg_mpi *out, char *err,
                            size_t errlen);

/* Remembers m, what the library at path was found to be (by mpg_identify_mpi_elf() on the file
 * just read), in cache as mpg_identify_mpi_cached() does. */
void mpg_identify_mpi_remember(const char *path, struct mpg_dircache *cache, const struct mpg_mpi *m);

/* mpg_identify_mpi() for a library already parsed (e) at path. */
void mpg_identify_mpi_elf(const struct mpg_elf *e, const char *path, struct mpg_mpi *out);

/* The first MPI symbol (MPI_*, PMPI_*, ompi_*, ...) obj needs that lib does not define, or NULL
 * (malloc'd): built against a newer MPI than the one it runs with, the import fails with
 * "undefined symbol". NULL too when obj links more than one MPI library. */
char *mpg_missing_mpi_symbol(const struct mpg_elf *obj, const struct mpg_elf *lib);

/* The ABI a library file or DT_NEEDED name asks for, from the name alone. */
enum mpg_abi mpg_abi_of_name(const char *name);

#endif
