/* module_hook.c: `mpiguard module-hook`, what Environment Modules' mpiguard.tcl runs when the
 * loaded MPI changes and its Tcl extension cannot be loaded (another Tcl, not installed): the
 * same check as the extension (mpg_modules_hook_tcl_sync, src/modules_hook.c), printed as one
 * Tcl dict; with --give-back, only MPICC & co. given back (no MPI is loaded any more). Exit
 * status 0 with the dict on stdout; 3 with a message on stderr on a usage error or when out of
 * memory. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "modules_hook.h"
#include "cli/module_hook.h"

static void usage(FILE *out)
{
    fputs("usage: mpiguard module-hook [--module NAME/VERSION] [--source modules] [--policy FILE]\n"
          "                            [--set-by-module VAR:...] [--give-back]\n"
          "  what Environment Modules' mpiguard.tcl runs when the loaded MPI changes; prints a Tcl dict\n",
          out);
}

int mpg_cli_module_hook(int argc, char **argv)
{
    static const struct option opts[] = {
        {"module", required_argument, NULL, 'm'},
        {"source", required_argument, NULL, 's'},
        {"policy", required_argument, NULL, 'p'},
        {"set-by-module", required_argument, NULL, 'b'},
        {"give-back", no_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *module = NULL, *source = "modules", *policy_file = NULL, *set_by_module = NULL;
    bool give_back = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': module = optarg; break;
        case 's': source = optarg; break;
        case 'p': policy_file = optarg; break;
        case 'b': set_by_module = optarg; break;
        case 'g': give_back = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 3;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mpiguard module-hook: unexpected argument '%s'\n", argv[optind]);
        return 3;
    }
    char *dict = give_back ? mpg_modules_giveback_tcl(set_by_module)
                           : mpg_modules_hook_tcl_sync(module, source, policy_file, set_by_module);
    if (!dict) {
        fputs("mpiguard: out of memory\n", stderr);
        return 3;
    }
    fputs(dict, stdout);
    free(dict);
    return fflush(stdout) == 0 ? 0 : 3;
}
