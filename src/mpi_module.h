/* mpi_module.h: the loaded MPI module, from the signals real site stacks give (FACTS 7): a
 * family (Lmod's LMOD_FAMILY_MPI from family("MPI") or family("mpi"), Environment Modules'
 * MODULES_FAMILY_MPI, a site's <SITE>_FAMILY_MPI), the list of loaded modules (LOADEDMODULES)
 * matched against known MPI names, install prefixes (MPI_HOME, I_MPI_ROOT, CRAY_MPICH_DIR,
 * HPCX_MPI_DIR, EasyBuild's EBROOT<NAME>, Spack's <NAME>_ROOT, ...), and the module's wrappers on
 * PATH; then its libmpi, also when the module sets no LD_LIBRARY_PATH. */
#ifndef MPG_MPI_MODULE_H
#define MPG_MPI_MODULE_H

#include "envsnap.h"
#include "mpiguard.h"
#include "util.h"

struct mpg_dircache;

/* env_prefix: the active conda env or venv (canonical), or NULL: its own mpicc/mpiexec and lib
 * folder are never taken for the module's. site_names: module names the site declared as MPIs
 * (NULL-terminated, may be NULL). cache: the listing cache, where what the module's libmpi is
 * is remembered (NULL: none). */
void mpg_module_discover(const struct mpg_envsnap *env, const char *env_prefix, const char *const *site_names,
                         struct mpg_dircache *cache, struct mpg_module *out, struct mpg_strv *problems);
void mpg_module_clear(struct mpg_module *m);

/* Canonical path of the libmpi in dir (libmpi.so.40, libmpi.so.12, libmpich.so.12, a vendor's
 * libmpi_gnu_123.so.12, ...), or NULL. */
char *mpg_find_libmpi_in(const char *dir);

/* True when a module's name ("OpenMPI/4.1.5-GCC-12.3.0", "mpi/openmpi-x86_64", "cray-mpich")
 * names an MPI: one of its '/'-separated parts is a known MPI name (openmpi, mpich, cray-mpich,
 * impi, intel-mpi, hpcx, mvapich, ...; any case; a version or platform may follow after '-',
 * '_', '.' or a digit), or its short name is one of site_names. */
bool mpg_is_mpi_module_name(const char *full_name, const char *const *site_names);

/* The MPI module in a LOADEDMODULES value ("gcc/12.3.0:OpenMPI/4.1.5-GCC-12.3.0"): the entry
 * of the family's module when family is given (its short name, or its full name), else the
 * last entry that mpg_is_mpi_module_name() accepts. Fills name and version (malloc'd; version
 * NULL when the entry has none) and returns true, or returns false. */
bool mpg_loaded_mpi_module(const char *loaded, const char *family, const char *const *site_names, char **name,
                           char **version);

/* The known MPI module names, NULL-terminated (the hooks keep the same list in Lua). */
const char *const *mpg_known_mpi_module_names(void);

/* mpg_find_wrappers() (mpiguard.h) with the site's own MPI module names (the policy's or the
 * hooks' mpi_modules, as for the check). */
int mpg_find_wrappers_named(const char *const *vars, const char *const *site_names, struct mpg_wrappers *w);

/* A variable the module hooks export as soon as the check passes, and the wrapper it names. */
struct mpg_export {
    const char *var;     /* "MPICC", "MPI4PY_BUILD_MPICC", ... */
    const char *wrapper; /* "mpicc", "mpicxx" or "mpifort" */
};

/* The wrappers of module m, copied into w (malloc'd); -1 with w zeroed when m has no mpicc. */
int mpg_wrappers_of_module(const struct mpg_module *m, struct mpg_wrappers *w);

/* w's path for wrapper ("mpicc", "mpicxx", "mpifort"), or NULL. */
const char *mpg_wrapper_path(const struct mpg_wrappers *w, const char *wrapper);

/* mpg_check() for a module about to be loaded whose wrappers are exported right after (the Lmod
 * hooks, `mpiguard module-hook`): w gets the wrappers of the module the check finds (all NULL
 * when it has no mpicc, as mpg_find_wrappers() says), and the findings see each ex[i].var set
 * to its wrapper, so an MPICC about to be replaced is not reported (a path that holds a control
 * character is never exported: the findings see the user's value then). One discovery of the
 * module serves both: asking mpg_find_wrappers_named() first made it twice. NULL when out of
 * memory. */
struct mpg_report *mpg_check_exporting(const struct mpg_input *in, const struct mpg_export *ex, size_t n_ex,
                                       struct mpg_wrappers *w);

#endif
