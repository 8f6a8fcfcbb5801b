/* export_sync.h: MPICC, MPI4PY_BUILD_MPICC, MPICXX and MPIFC kept pointing at the loaded MPI's
 * compiler wrappers by the Lmod hooks: what to set and unset so that they do, a value the user
 * exported before kept (in __MPIGUARD_USER_<VAR>) and given back when no MPI is loaded any
 * more. The bookkeeping of what mpiguard set is one variable, __MPIGUARD_SET
 * ("MPICC=/opt/mpich/bin/mpicc:MPICXX=...", '%' and ':' in values written %25 and %3A);
 * earlier mpiguard kept one __MPIGUARD_SET_<VAR> each, still read and replaced at the next
 * change. In C rather than in the hooks' Lua: it runs on every MPI change and on purge, and
 * Lua spent ~0.2 M instructions on what takes a few thousand here. */
#ifndef MPG_EXPORT_SYNC_H
#define MPG_EXPORT_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#define MPG_EXPORT_VARS 4

/* The exported variables, in the order they are handled (the wrapper each takes is the
 * caller's: the hooks' check{export}). */
extern const char *const mpg_export_var[MPG_EXPORT_VARS];

/* Whether cur, the value of var in the user's environment, was set by a modulefile in this
 * command (Spack's MPI packages export MPICC themselves: theirs, not the user's own). */
typedef bool (*mpg_set_by_module_fn)(void *ctx, const char *var, const char *cur);

struct mpg_export_change {
    const char *var; /* static */
    char *value;     /* NULL: unset */
};

struct mpg_export_plan {
    /* in the order they must be applied: per variable its value and the user's kept one, per
     * variable earlier mpiguard's marker, and the marker */
    struct mpg_export_change changes[3 * MPG_EXPORT_VARS + 1];
    size_t n_changes;
    char **notices; /* one-line messages for the user, "mpiguard: ..." */
    size_t n_notices;
};

/* What makes the variables equal want[i] (NULL: not mpiguard's to set, and a value mpiguard
 * set is given back), from env ("NAME=value" strings, NULL-terminated). module names the
 * module in notices ("" when none). set_by_module may be NULL (never). Idempotent: applied
 * twice, the second plan is empty. Free with mpg_export_plan_free. */
void mpg_export_plan_make(struct mpg_export_plan *plan, const char *const *env,
                          const char *const want[MPG_EXPORT_VARS], const char *module,
                          mpg_set_by_module_fn set_by_module, void *ctx);
void mpg_export_plan_free(struct mpg_export_plan *plan);

/* The plan as one line of commands for the shell named ("sh", "csh" or "fish"), or NULL when
 * that shell is not one of these or a value would need quoting in any of them (then the caller
 * sets the variables one at a time through Lmod). Only letters, digits and _./+,:@%=- go as
 * they are, and the first one must be a letter, digit, _, . or / (fish reads a leading - as an
 * option, tcsh a leading = as the directory stack). */
char *mpg_export_plan_shell(const struct mpg_export_plan *plan, const char *shell);

#endif
