/* wrappers.c: the loaded MPI's compiler wrappers, the values MPICC & co. get on `module load`
 * (the Lmod hooks through the Lua binding, Environment Modules through `mpiguard module-hook`). */
#include <stdlib.h>
#include <string.h>

#include "envsnap.h"
#include "mpiguard.h"
#include "util.h"

extern char **environ;

/* Variables MPI modulefiles set to the prefix whose bin/ holds the wrappers, in order. */
static const char *const wrapper_homes[] = {"MPI_HOME", "MPI_ROOT", "I_MPI_ROOT", "MPICH_HOME", NULL};

/* First of names that is executable in dir, as spelled (never resolved: Open MPI's wrappers
 * are one program that picks the language from the name it was called by), or NULL. */
static char *first_in(const char *dir, const char *const *names)
{
    for (; *names; names++) {
        char *p = mpg_path_join(dir, *names);
        if (mpg_is_executable(p)) return p;
        free(p);
    }
    return NULL;
}

int mpg_find_wrappers(const char *const *vars, struct mpg_wrappers *w)
{
    static const char *const cc[] = {"mpicc", NULL};
    static const char *const cxx[] = {"mpicxx", "mpic++", "mpiCC", NULL};
    static const char *const fort[] = {"mpifort", "mpif90", NULL};
    struct mpg_envsnap env = {vars ? vars : (const char *const *)environ};
    memset(w, 0, sizeof *w);

    for (const char *const *h = wrapper_homes; *h && !w->mpicc; h++) {
        const char *home = mpg_env_nonempty(&env, *h);
        if (!home || home[0] != '/') continue;
        char *bin = mpg_path_join(home, "bin");
        w->mpicc = first_in(bin, cc);
        if (w->mpicc) {
            w->bin = bin;
            w->from = *h;
        } else {
            free(bin);
        }
    }
    if (!w->mpicc) {
        w->mpicc = mpg_which(mpg_env_get(&env, "PATH"), "mpicc");
        if (!w->mpicc) return -1;
        w->bin = mpg_dirname(w->mpicc);
        w->from = "PATH";
    }
    w->mpicxx = first_in(w->bin, cxx);
    w->mpifort = first_in(w->bin, fort);
    return 0;
}

void mpg_wrappers_clear(struct mpg_wrappers *w)
{
    free(w->bin);
    free(w->mpicc);
    free(w->mpicxx);
    free(w->mpifort);
    memset(w, 0, sizeof *w);
}
