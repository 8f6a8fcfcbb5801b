/* mpi_module.h: the loaded MPI module, from what modulefiles export: Lmod's family
 * (LMOD_FAMILY_MPI / _VERSION, or Environment Modules' MODULES_FAMILY_MPI), the MPI home
 * variables, the wrappers on PATH and the libmpi in LD_LIBRARY_PATH. */
#ifndef MPG_MPI_MODULE_H
#define MPG_MPI_MODULE_H

#include "envsnap.h"
#include "mpiguard.h"
#include "util.h"

void mpg_module_discover(const struct mpg_envsnap *env, struct mpg_module *out, struct mpg_strv *problems);
void mpg_module_clear(struct mpg_module *m);

/* Canonical path of the libmpi in dir (libmpi.so.40, libmpi.so.12, libmpich.so.12, ...), or NULL. */
char *mpg_find_libmpi_in(const char *dir);

#endif
