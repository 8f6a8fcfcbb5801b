/* modules_hook.h: the Environment Modules integration's calls that are not libmpiguard's public
 * API (mpg_modules_hook_tcl is, in mpiguard.h): the Tcl extension and `mpiguard module-hook`
 * have the core linked in. */
#ifndef MPG_MODULES_HOOK_H
#define MPG_MODULES_HOOK_H

/* mpg_modules_hook_tcl, with set_by_module: the variables a modulefile wrote in this command
 * (names separated by blanks or ':'; NULL or "": none), whose values are the module's, never
 * kept as the user's own. */
char *mpg_modules_hook_tcl_sync(const char *module, const char *source, const char *policy_file,
                                const char *set_by_module);

/* MPICC & co. given back when no MPI is loaded any more: a Tcl dict of changes and notices
 * (src/modules_hook.c), malloc'd; NULL when out of memory. */
char *mpg_modules_giveback_tcl(const char *set_by_module);

#endif
