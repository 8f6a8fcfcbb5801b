/* wrappers.c: the loaded MPI's compiler wrappers, the values MPICC & co. get on `module load`
 * (the Lmod hooks through the Lua binding, Environment Modules through `mpiguard module-hook`):
 * those of the module the check itself finds (mpi_module.c: its prefix variable on every site
 * stack, or its wrappers on PATH; never the active env's own mpicc). */
#include <stdlib.h>
#include <string.h>

#include "envsnap.h"
#include "fsmemo.h"
#include "mpi_module.h"
#include "mpiguard.h"
#include "pyenv.h"
#include "util.h"

extern char **environ;

static int find_wrappers(const char *const *vars, const char *const *site_names, struct mpg_wrappers *w);

/* A discovery of its own, like mpg_check(): each path resolved once (outside a memo glibc's
 * realpath() read every folder of every path again: ~50 readlink calls for `load mpich`). The
 * hooks, which also run the check, take the wrappers from its discovery instead
 * (mpg_check_exporting). */
int mpg_find_wrappers_named(const char *const *vars, const char *const *site_names, struct mpg_wrappers *w)
{
    bool began = mpg_fsmemo_begin();
    int rc = find_wrappers(vars, site_names, w);
    if (began) mpg_fsmemo_end();
    return rc;
}

static int find_wrappers(const char *const *vars, const char *const *site_names, struct mpg_wrappers *w)
{
    struct mpg_envsnap env = {vars ? vars : (const char *const *)environ};
    struct mpg_strv problems = {0};
    struct mpg_env pyenv;
    mpg_pyenv_discover(&env, NULL, &pyenv, &problems);
    struct mpg_module m;
    mpg_module_discover(&env, pyenv.kind != MPG_ENV_NONE ? pyenv.prefix : NULL, site_names, NULL, &m, &problems);
    mpg_strv_free(&problems);
    mpg_env_clear(&pyenv);
    int rc = mpg_wrappers_of_module(&m, w);
    mpg_module_clear(&m);
    return rc;
}

int mpg_wrappers_of_module(const struct mpg_module *m, struct mpg_wrappers *w)
{
    memset(w, 0, sizeof *w);
    if (!m->mpicc) return -1;
    w->bin = mpg_dirname(m->mpicc);
    w->from = mpg_strdup(m->home_var ? m->home_var : "PATH");
    w->mpicc = mpg_strdup(m->mpicc);
    w->mpicxx = mpg_strdup(m->mpicxx);
    w->mpifort = mpg_strdup(m->mpifort);
    return 0;
}

const char *mpg_wrapper_path(const struct mpg_wrappers *w, const char *wrapper)
{
    return strcmp(wrapper, "mpicc") == 0     ? w->mpicc
           : strcmp(wrapper, "mpicxx") == 0  ? w->mpicxx
           : strcmp(wrapper, "mpifort") == 0 ? w->mpifort
                                              : NULL;
}

int mpg_find_wrappers(const char *const *vars, struct mpg_wrappers *w)
{
    return mpg_find_wrappers_named(vars, NULL, w);
}

void mpg_wrappers_clear(struct mpg_wrappers *w)
{
    free(w->bin);
    free(w->from);
    free(w->mpicc);
    free(w->mpicxx);
    free(w->mpifort);
    memset(w, 0, sizeof *w);
}
