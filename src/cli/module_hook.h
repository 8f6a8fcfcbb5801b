/* module_hook.h: `mpiguard module-hook`, the check a module system without a C binding runs
 * on an MPI change (Environment Modules' siteconfig fragment); prints a Tcl dict. */
#ifndef MPG_CLI_MODULE_HOOK_H
#define MPG_CLI_MODULE_HOOK_H

int mpg_cli_module_hook(int argc, char **argv);

#endif
