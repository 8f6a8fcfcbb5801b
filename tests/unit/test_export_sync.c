/* test_export_sync.c: what the Lmod hooks set and unset for MPICC & co. (src/export_sync.c):
 * exported on load, the user's own values kept and given back, a value the user changed since
 * left alone, the bookkeeping of earlier mpiguard read, hostile values refused, and the plan
 * as shell commands. Each case applies the plan to an environment, as the shell would. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "export_sync.h"
#include "util.h"

#define MAXV 32
struct env {
    char *v[MAXV + 1];
};

static void env_set(struct env *e, const char *name, const char *value)
{
    size_t n = strlen(name), i = 0;
    for (; e->v[i]; i++)
        if (strncmp(e->v[i], name, n) == 0 && e->v[i][n] == '=') break;
    cr_assert(i < MAXV);
    free(e->v[i]);
    if (value) {
        e->v[i] = mpg_printf("%s=%s", name, value);
        return;
    }
    for (; e->v[i]; i++) e->v[i] = e->v[i + 1];
}

static const char *env_get(const struct env *e, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; e->v[i]; i++)
        if (strncmp(e->v[i], name, n) == 0 && e->v[i][n] == '=') return e->v[i] + n + 1;
    return NULL;
}

static void env_free(struct env *e)
{
    for (size_t i = 0; e->v[i]; i++) free(e->v[i]);
}

static const char *const none[MPG_EXPORT_VARS] = {0};
static const char *const mpich[MPG_EXPORT_VARS] = {"/opt/mpich/bin/mpicc", "/opt/mpich/bin/mpicc",
                                                    "/opt/mpich/bin/mpicxx", "/opt/mpich/bin/mpifort"};
static const char *const ompi[MPG_EXPORT_VARS] = {"/opt/ompi/bin/mpicc", "/opt/ompi/bin/mpicc",
                                                   "/opt/ompi/bin/mpicxx", "/opt/ompi/bin/mpifort"};

/* Makes and applies the plan; returns how many changes it had (notices left in *notes). */
static size_t sync(struct env *e, const char *const want[MPG_EXPORT_VARS], mpg_set_by_module_fn fn,
                   char ***notes, size_t *n_notes)
{
    struct mpg_export_plan p;
    mpg_export_plan_make(&p, (const char *const *)e->v, want, "mpich/4.0.2", fn, NULL);
    for (size_t i = 0; i < p.n_changes; i++) env_set(e, p.changes[i].var, p.changes[i].value);
    size_t n = p.n_changes;
    if (notes) {
        *notes = p.notices;
        *n_notes = p.n_notices;
        p.notices = NULL;
        p.n_notices = 0;
    }
    mpg_export_plan_free(&p);
    return n;
}

static void free_notes(char **notes, size_t n)
{
    for (size_t i = 0; i < n; i++) free(notes[i]);
    free(notes);
}

Test(export_sync, load_then_unload_with_nothing_of_the_users)
{
    struct env e = {{0}};
    env_set(&e, "PATH", "/usr/bin");
    cr_assert_eq(sync(&e, mpich, NULL, NULL, NULL), 5);
    cr_assert_str_eq(env_get(&e, "MPICC"), "/opt/mpich/bin/mpicc");
    cr_assert_str_eq(env_get(&e, "MPI4PY_BUILD_MPICC"), "/opt/mpich/bin/mpicc");
    cr_assert_str_eq(env_get(&e, "MPIFC"), "/opt/mpich/bin/mpifort");
    cr_assert_str_eq(env_get(&e, "__MPIGUARD_SET"),
                     "MPICC=/opt/mpich/bin/mpicc:MPI4PY_BUILD_MPICC=/opt/mpich/bin/mpicc:"
                     "MPICXX=/opt/mpich/bin/mpicxx:MPIFC=/opt/mpich/bin/mpifort");
    cr_assert_null(env_get(&e, "__MPIGUARD_USER_MPICC"), "nothing of the user's to keep");
    cr_assert_eq(sync(&e, mpich, NULL, NULL, NULL), 0, "the same MPI again: nothing to change");
    cr_assert_eq(sync(&e, ompi, NULL, NULL, NULL), 5, "swap: four values and the marker");
    cr_assert_str_eq(env_get(&e, "MPICXX"), "/opt/ompi/bin/mpicxx");
    cr_assert_null(env_get(&e, "__MPIGUARD_USER_MPICC"), "mpiguard's own value is not the user's");
    sync(&e, none, NULL, NULL, NULL);
    cr_assert_null(env_get(&e, "MPICC"));
    cr_assert_null(env_get(&e, "MPIFC"));
    cr_assert_null(env_get(&e, "__MPIGUARD_SET"));
    cr_assert_str_eq(env_get(&e, "PATH"), "/usr/bin");
    cr_assert_eq(sync(&e, none, NULL, NULL, NULL), 0);
    env_free(&e);
}

Test(export_sync, the_users_value_kept_and_given_back)
{
    struct env e = {{0}};
    env_set(&e, "MPICC", "/home/me/cc");
    sync(&e, mpich, NULL, NULL, NULL);
    cr_assert_str_eq(env_get(&e, "MPICC"), "/opt/mpich/bin/mpicc");
    cr_assert_str_eq(env_get(&e, "__MPIGUARD_USER_MPICC"), "/home/me/cc");
    sync(&e, ompi, NULL, NULL, NULL);
    cr_assert_str_eq(env_get(&e, "__MPIGUARD_USER_MPICC"), "/home/me/cc", "kept across a swap");
    sync(&e, none, NULL, NULL, NULL);
    cr_assert_str_eq(env_get(&e, "MPICC"), "/home/me/cc");
    cr_assert_null(env_get(&e, "__MPIGUARD_USER_MPICC"));
    cr_assert_null(env_get(&e, "MPICXX"));
    env_free(&e);
}

Test(export_sync, a_value_the_user_set_since_is_theirs)
{
    struct env e = {{0}};
    sync(&e, mpich, NULL, NULL, NULL);
    env_set(&e, "MPICC", "/home/me/later");
    sync(&e, ompi, NULL, NULL, NULL);
    cr_assert_str_eq(env_get(&e, "MPICC"), "/opt/ompi/bin/mpicc");
    cr_assert_str_eq(env_get(&e, "__MPIGUARD_USER_MPICC"), "/home/me/later");
    sync(&e, none, NULL, NULL, NULL);
    cr_assert_str_eq(env_get(&e, "MPICC"), "/home/me/later");
    sync(&e, mpich, NULL, NULL, NULL);
    env_set(&e, "MPICXX", "/home/me/cxx"); /* changed after the load: left alone on unload */
    sync(&e, none, NULL, NULL, NULL);
    cr_assert_str_eq(env_get(&e, "MPICXX"), "/home/me/cxx");
    cr_assert_null(env_get(&e, "__MPIGUARD_SET"));
    env_free(&e);
}

Test(export_sync, the_markers_of_earlier_mpiguard)
{
    struct env e = {{0}};
    env_set(&e, "MPICC", "/old/mpicc");
    env_set(&e, "__MPIGUARD_SET_MPICC", "/old/mpicc");
    env_set(&e, "MPIFC", "/old/mpifort");
    env_set(&e, "__MPIGUARD_SET_MPIFC", "/old/mpifort");
    env_set(&e, "__MPIGUARD_USER_MPIFC", "/mine/fc");
    sync(&e, none, NULL, NULL, NULL);
    cr_assert_null(env_get(&e, "MPICC"));
    cr_assert_str_eq(env_get(&e, "MPIFC"), "/mine/fc");
    cr_assert_null(env_get(&e, "__MPIGUARD_SET_MPICC"));
    cr_assert_null(env_get(&e, "__MPIGUARD_SET_MPIFC"));
    cr_assert_null(env_get(&e, "__MPIGUARD_USER_MPIFC"));
    cr_assert_null(env_get(&e, "__MPIGUARD_SET"));
    env_free(&e);
}

Test(export_sync, colon_and_percent_in_a_wrapper_path)
{
    struct env e = {{0}};
    const char *const odd[MPG_EXPORT_VARS] = {"/opt/a:b%3A/mpicc", NULL, NULL, NULL};
    sync(&e, odd, NULL, NULL, NULL);
    cr_assert_str_eq(env_get(&e, "__MPIGUARD_SET"), "MPICC=/opt/a%3Ab%253A/mpicc");
    cr_assert_eq(sync(&e, odd, NULL, NULL, NULL), 0, "read back as the same value");
    env_set(&e, "MPICC", "/opt/a:b:/mpicc"); /* the user's, though close */
    sync(&e, none, NULL, NULL, NULL);
    cr_assert_str_eq(env_get(&e, "MPICC"), "/opt/a:b:/mpicc");
    env_free(&e);
}

Test(export_sync, newlines_never_go_back_to_the_shell)
{
    struct env e = {{0}};
    char **notes;
    size_t n;
    const char *const evil[MPG_EXPORT_VARS] = {"/opt/x\n/evil", NULL, NULL, NULL};
    sync(&e, evil, NULL, &notes, &n);
    cr_assert_null(env_get(&e, "MPICC"));
    cr_assert_eq(n, 1);
    cr_assert(strstr(notes[0], "MPICC not exported for mpich/4.0.2"), "%s", notes[0]);
    free_notes(notes, n);

    env_set(&e, "MPICXX", "/mine\nrm -rf x");
    sync(&e, mpich, NULL, &notes, &n);
    cr_assert_str_eq(env_get(&e, "MPICXX"), "/opt/mpich/bin/mpicxx");
    cr_assert_null(env_get(&e, "__MPIGUARD_USER_MPICXX"), "a value with a newline is not kept");
    cr_assert_eq(n, 1);
    cr_assert(strstr(notes[0], "your MPICXX held a control character"), "%s", notes[0]);
    free_notes(notes, n);

    env_set(&e, "__MPIGUARD_USER_MPICC", "/kept\nbad");
    sync(&e, none, NULL, &notes, &n);
    cr_assert_null(env_get(&e, "MPICC"), "not restored: unset");
    cr_assert_null(env_get(&e, "__MPIGUARD_USER_MPICC"));
    cr_assert_eq(n, 1);
    cr_assert(strstr(notes[0], "not restoring MPICC"), "%s", notes[0]);
    free_notes(notes, n);
    env_free(&e);
}

static bool spack_sets_mpicc(void *ctx, const char *var, const char *cur)
{
    (void)ctx;
    return strcmp(var, "MPICC") == 0 && strcmp(cur, "/spack/mpich/bin/mpicc") == 0;
}

Test(export_sync, a_value_the_module_set_is_not_the_users)
{
    struct env e = {{0}};
    env_set(&e, "MPICC", "/spack/mpich/bin/mpicc");
    sync(&e, mpich, spack_sets_mpicc, NULL, NULL);
    cr_assert_null(env_get(&e, "__MPIGUARD_USER_MPICC"));
    sync(&e, none, NULL, NULL, NULL);
    cr_assert_null(env_get(&e, "MPICC"));
    env_free(&e);
}

Test(export_sync, as_shell_commands)
{
    struct env e = {{0}};
    env_set(&e, "MPIFC", "/mine/fc");
    env_set(&e, "__MPIGUARD_SET_MPICC", "/old");
    const char *const two[MPG_EXPORT_VARS] = {"/opt/b/mpicc", NULL, NULL, "/opt/b/mpifort"};
    struct mpg_export_plan p;
    mpg_export_plan_make(&p, (const char *const *)e.v, two, "b", NULL, NULL);
    char *sh = mpg_export_plan_shell(&p, "sh"), *csh = mpg_export_plan_shell(&p, "csh"),
         *fish = mpg_export_plan_shell(&p, "fish");
    cr_assert_str_eq(sh, "export MPICC=/opt/b/mpicc; export __MPIGUARD_USER_MPIFC=/mine/fc; "
                         "export MPIFC=/opt/b/mpifort; unset __MPIGUARD_SET_MPICC; "
                         "export __MPIGUARD_SET=MPICC=/opt/b/mpicc:MPIFC=/opt/b/mpifort");
    cr_assert(strncmp(csh, "setenv MPICC /opt/b/mpicc; ", 27) == 0, "%s", csh);
    cr_assert(strstr(csh, "; unsetenv __MPIGUARD_SET_MPICC; "), "%s", csh);
    cr_assert(strncmp(fish, "set -gx MPICC /opt/b/mpicc; ", 28) == 0, "%s", fish);
    cr_assert(strstr(fish, "; set -e __MPIGUARD_SET_MPICC; "), "%s", fish);
    cr_assert_null(mpg_export_plan_shell(&p, "python"), "another output: Lmod's setenv instead");
    cr_assert_null(mpg_export_plan_shell(&p, NULL));
    free(sh), free(csh), free(fish);
    mpg_export_plan_free(&p);

    const char *const bad[][MPG_EXPORT_VARS] = {{"/a b/mpicc"}, {"-x"}, {"=x"}, {"/a$(x)"}, {"/a'b"}, {""}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mpg_export_plan_make(&p, (const char *const *)e.v, bad[i], "b", NULL, NULL);
        cr_assert_null(mpg_export_plan_shell(&p, "sh"), "'%s' needs quoting", bad[i][0]);
        mpg_export_plan_free(&p);
    }
    struct env empty = {{0}};
    mpg_export_plan_make(&p, (const char *const *)empty.v, none, "", NULL, NULL);
    cr_assert_eq(p.n_changes, 0);
    cr_assert_null(mpg_export_plan_shell(&p, "sh"), "nothing to do: no command");
    mpg_export_plan_free(&p);
    env_free(&e);
}
