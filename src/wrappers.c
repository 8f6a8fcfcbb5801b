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

/* A discovery of its own, like mpg_check(): each path resolved once (the Lmod hooks ask for the
 * wrappers just before the check; outside a memo glibc's realpath() read every folder of every
 * path again: ~50 readlink calls for `load mpich`). */
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
    memset(w, 0, sizeof *w);
    struct mpg_strv problems = {0};
    struct mpg_env pyenv;
    mpg_pyenv_discover(&env, NULL, &pyenv, &problems);
    struct mpg_module m;
    mpg_module_discover(&env, pyenv.kind != MPG_ENV_NONE ? pyenv.prefix : NULL, site_names, &m, &problems);
    mpg_strv_free(&problems);
    mpg_env_clear(&pyenv);
    if (!m.mpicc) {
        mpg_module_clear(&m);
        return -1;
    }
    w->bin = mpg_dirname(m.mpicc);
    w->from = m.home_var ? m.home_var : mpg_strdup("PATH");
    w->mpicc = m.mpicc;
    w->mpicxx = m.mpicxx;
    w->mpifort = m.mpifort;
    m.home_var = m.mpicc = m.mpicxx = m.mpifort = NULL; /* now w's */
    mpg_module_clear(&m);
    return 0;
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
