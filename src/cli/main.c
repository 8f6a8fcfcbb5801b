/* main.c: the `mpiguard` command line.
 *   mpiguard check [--json] [--env PREFIX] [--policy FILE] [--verbose] [--color=auto|always|never]
 *   mpiguard test-mpi ...   (cli/test_mpi.c: RDMA verbs, MPI and mpi4py bandwidth side by side)
 *   mpiguard module-hook ...   (cli/module_hook.c: the Environment Modules integration's check)
 *   mpiguard report ...     (cli/log_report.c: what mpiguard found across a site, from syslog)
 * Exit status: 0 ok or notes, 1 warn, 2 block (site policy), 3 usage error or nothing inspected. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mpiguard.h"
#include "policy.h"
#include "cli/module_hook.h"
#include "cli/log_report.h"
#include "cli/test_mpi.h"
#include "jansson_lazy.h"

enum { EXIT_OK = 0, EXIT_WARN = 1, EXIT_BLOCK = 2, EXIT_USAGE = 3 };

static void usage(FILE *out)
{
    fputs("usage: mpiguard check [--json] [--env PREFIX] [--policy FILE] [--verbose] [--color=auto|always|never]\n"
          "       mpiguard test-mpi [--quick] [--sizes LIST] [--json] ...   (see mpiguard test-mpi --help)\n"
          "       mpiguard module-hook [--module NAME/VERSION] ...   (what Environment Modules' mpiguard.tcl runs)\n"
          "       mpiguard report [FILE...|-] [--journal] [--since WHEN] [--json|--csv] ...   (see mpiguard report --help)\n"
          "       mpiguard --version\n"
          "\n"
          "check: does the active conda env or venv use the loaded MPI module's library?\n"
          "  --json         print one JSON object (schema " MPG_CHECK_SCHEMA ")\n"
          "  --env PREFIX   inspect this conda env or venv instead of the active one\n"
          "  --policy FILE  apply this policy file instead of the site's (" MPIGUARD_POLICY_FILE ")\n"
          "  --verbose      also print what was inspected, when nothing is wrong\n"
          "exit status: 0 ok or notes only, 1 warnings, 2 blocked by site policy, 3 usage error\n",
          out);
}

static int exit_for(const struct mpg_report *r)
{
    if (!r->inspected) return EXIT_USAGE;
    switch (r->verdict) {
    case MPG_SEV_BLOCK: return EXIT_BLOCK;
    case MPG_SEV_WARN: return EXIT_WARN;
    default: return EXIT_OK;
    }
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},   {"env", required_argument, NULL, 'e'},
        {"verbose", no_argument, NULL, 'v'}, {"color", required_argument, NULL, 'c'},
        {"colour", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {"policy", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    bool json = false, verbose = false;
    const char *env_prefix = NULL, *color = "auto", *policy_file = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "je:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'e': env_prefix = optarg; break;
        case 'v': verbose = true; break;
        case 'c': color = optarg; break;
        case 'p': policy_file = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mpiguard check: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    bool colour = strcmp(color, "always") == 0 || (strcmp(color, "auto") == 0 && isatty(1) && !getenv("NO_COLOR"));
    if (json && !mpg_jansson_require("check --json")) return EXIT_USAGE;

    struct mpg_input in = {.env_prefix = env_prefix};
    struct mpg_report *r = mpg_check(&in);
    if (!r) {
        fputs("mpiguard: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    /* The site's actions (ignore/note/warn/block) apply here as on `module load`; exemptions do
     * not: whoever runs the command asked to see. A broken policy is one line, then defaults. */
    struct mpg_policy pol;
    char err[512];
    int prc = policy_file ? mpg_policy_load(&pol, policy_file, err, sizeof err)
                          : mpg_policy_load_effective(&pol, NULL, NULL, err, sizeof err);
    if (prc != 0) {
        char *shown = mpg_escape_for_display(err);
        fprintf(stderr, "mpiguard: %s; using the built-in defaults\n", shown);
        free(shown);
    }
    if (policy_file && prc == 0 && !pol.source) fprintf(stderr, "mpiguard: %s: no such file; using the built-in defaults\n", policy_file);
    mpg_policy_apply(&pol, r);
    mpg_policy_free(&pol);
    if (json) {
        char *s = mpg_report_json(r);
        if (s) puts(s);
        free(s);
    } else {
        mpg_report_text(r, stdout, colour, verbose);
        if (!r->inspected)
            for (size_t i = 0; i < r->n_problems; i++) fprintf(stderr, "mpiguard: %s\n", r->problems[i]);
    }
    int rc = exit_for(r);
    mpg_report_free(r);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "check") == 0) return cmd_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "test-mpi") == 0) return mpg_cli_test_mpi(argc - 1, argv + 1);
    if (strcmp(argv[1], "module-hook") == 0) return mpg_cli_module_hook(argc - 1, argv + 1);
    if (strcmp(argv[1], "report") == 0) return mpg_cli_report(argc - 1, argv + 1);
    if (strcmp(argv[1], "--version") == 0) {
        printf("mpiguard %s\n", PACKAGE_VERSION);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    fprintf(stderr, "mpiguard: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
