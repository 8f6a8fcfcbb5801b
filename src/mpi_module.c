/* mpi_module.c: loaded MPI module discovery. */
#include "mpi_module.h"

#include <stdlib.h>
#include <string.h>

/* Variables MPI modulefiles set to the installation prefix, most specific first. */
static const char *const home_vars[] = {"MPI_HOME", "MPI_ROOT", "I_MPI_ROOT", "MPICH_HOME", "MPICH_DIR",
                                        "OMPI_HOME", "OPENMPI_HOME", NULL};

/* libmpi names, C library only, in the order a module's lib folder is searched. */
static const char *const libmpi_names[] = {"libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi_abi.so.1",
                                           "libmpi.so.20", "libmpi.so", "libmpich.so", NULL};

/* Where a prefix keeps its libraries (Intel MPI: lib/release). */
static const char *const lib_subdirs[] = {"lib", "lib64", "lib/release", NULL};

void mpg_module_clear(struct mpg_module *m)
{
    free(m->name);
    free(m->version);
    free(m->home);
    free(m->home_var);
    free(m->mpicc);
    free(m->mpicxx);
    free(m->mpifort);
    free(m->mpiexec);
    free(m->libdir);
    mpg_mpi_clear(&m->mpi);
    memset(m, 0, sizeof *m);
}

static const char *const mpich_first[] = {"libmpi.so.12", "libmpich.so.12", "libmpi_abi.so.1", "libmpi.so", "libmpich.so", NULL};
static const char *const ompi_first[] = {"libmpi.so.40", "libmpi.so.20", "libmpi.so", NULL};

/* libmpi names to look for in a folder, given what the module says it is: Debian keeps MPICH
 * and Open MPI in one folder, so the family decides which library is the module's. */
static const char *const *names_for(enum mpg_abi hint)
{
    return hint == MPG_ABI_MPICH ? mpich_first : hint == MPG_ABI_OPENMPI ? ompi_first : libmpi_names;
}

static char *find_libmpi(const char *dir, enum mpg_abi hint)
{
    for (const char *const *n = names_for(hint); *n; n++) {
        char *p = mpg_path_join(dir, *n);
        char *real = mpg_is_file(p) ? mpg_realpath(p) : NULL;
        free(p);
        if (real) return real;
    }
    return NULL;
}

char *mpg_find_libmpi_in(const char *dir) { return find_libmpi(dir, MPG_ABI_UNKNOWN); }

/* What the module's name or its mpicc says it is, before its library is found. */
static enum mpg_abi abi_hint(const char *name, const char *mpicc)
{
    static const char *const ompi[] = {"openmpi", "ompi", "open-mpi", "hpcx", NULL};
    static const char *const mpich[] = {"mpich", "intel", "impi", "mvapich", "cray", NULL};
    if (mpicc) {
        if (mpg_str_ends(mpicc, ".openmpi")) return MPG_ABI_OPENMPI;
        if (mpg_str_ends(mpicc, ".mpich")) return MPG_ABI_MPICH;
    }
    for (size_t i = 0; name && ompi[i]; i++)
        if (strcasestr(name, ompi[i])) return MPG_ABI_OPENMPI;
    for (size_t i = 0; name && mpich[i]; i++)
        if (strcasestr(name, mpich[i])) return MPG_ABI_MPICH;
    return MPG_ABI_UNKNOWN;
}

/* The module's wrapper: home/bin/name, else the first on PATH (a modulefile without a home
 * variable still puts its bin first). Not canonicalised: Open MPI's wrappers are symlinks to one
 * opal_wrapper that picks the language from the name it was called by. */
static char *wrapper(const struct mpg_envsnap *env, const char *home, const char *name)
{
    char *p = NULL;
    if (home) {
        char *cand = mpg_printf("%s/bin/%s", home, name);
        if (mpg_is_executable(cand)) p = cand;
        else free(cand);
    }
    if (!p) p = mpg_which(mpg_env_get(env, "PATH"), name);
    return p;
}

void mpg_module_discover(const struct mpg_envsnap *env, struct mpg_module *m, struct mpg_strv *problems)
{
    memset(m, 0, sizeof *m);
    const char *fam = mpg_env_nonempty(env, "LMOD_FAMILY_MPI");
    const char *famv = mpg_env_nonempty(env, "LMOD_FAMILY_MPI_VERSION");
    if (!fam) {
        fam = mpg_env_nonempty(env, "MODULES_FAMILY_MPI");
        famv = mpg_env_nonempty(env, "MODULES_FAMILY_MPI_VERSION");
    }
    m->name = mpg_strdup(fam);
    m->version = mpg_strdup(famv);
    for (const char *const *v = home_vars; *v && !m->home; v++) {
        const char *h = mpg_env_nonempty(env, *v);
        if (!h) continue;
        char *real = h[0] == '/' ? mpg_realpath(h) : NULL;
        if (real && mpg_is_dir(real)) {
            m->home = real;
            m->home_var = mpg_strdup(*v);
        } else {
            mpg_strv_push(problems, mpg_printf("%s=%s is not a folder; ignored", *v, h));
            free(real);
        }
    }
    m->loaded = fam || m->home;
    if (!m->loaded) return;

    m->mpicc = wrapper(env, m->home, "mpicc");
    enum mpg_abi hint = abi_hint(m->name, m->mpicc);
    char *lib = NULL;
    for (const char *const *sd = lib_subdirs; m->home && *sd && !lib; sd++) {
        char *dir = mpg_path_join(m->home, *sd);
        lib = find_libmpi(dir, hint);
        free(dir);
    }
    /* No home, or a home without a lib folder (Debian's MPICH): the module's LD_LIBRARY_PATH. */
    struct mpg_strv dirs = {0};
    mpg_strv_split(&dirs, mpg_env_get(env, "LD_LIBRARY_PATH"), ':');
    for (size_t i = 0; i < dirs.n && !lib; i++)
        if (dirs.v[i][0] == '/') lib = find_libmpi(dirs.v[i], hint);
    mpg_strv_free(&dirs);
    if (lib) {
        char err[512];
        m->libdir = mpg_dirname(lib);
        if (mpg_identify_mpi(lib, &m->mpi, err, sizeof err) != 0)
            mpg_strv_push(problems, mpg_printf("the MPI module's library: %s", err));
        free(lib);
    } else {
        mpg_strv_push(problems, mpg_printf("the MPI module%s%s sets no library folder mpiguard can find "
                                           "(MPI_HOME/lib or LD_LIBRARY_PATH)", fam ? " " : "", fam ? fam : ""));
    }
    m->mpicxx = wrapper(env, m->home, "mpicxx");
    m->mpifort = wrapper(env, m->home, "mpifort");
    if (!m->mpifort) m->mpifort = wrapper(env, m->home, "mpif90");
    m->mpiexec = wrapper(env, m->home, "mpiexec");
    if (!m->mpiexec) m->mpiexec = wrapper(env, m->home, "mpirun");
    if (!m->name && m->mpi.impl) {
        /* A modulefile without family(): name it after what its library is. */
        m->name = mpg_strdup(m->mpi.abi == MPG_ABI_OPENMPI ? "openmpi" : "mpich");
        if (!m->version) m->version = mpg_strdup(m->mpi.version);
    }
}
