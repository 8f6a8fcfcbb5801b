/* tm_options.c: the options of `mpiguard test-mpi`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/tm_state.h"

static void tm_usage(FILE *f)
{
    fprintf(f,
            "usage: mpiguard test-mpi [--quick] [--sizes LIST] [--json] [--timeout SECONDS]\n"
            "                         [--budget SECONDS]\n"
            "                         [--legs verbs,mpi,mpi4py] [--python PATH] [--env PREFIX]\n"
            "                         [--libmpi PATH] [--launcher PATH] [--device DEV]\n"
            "                         [--gid-index N] [--probe PATH] [--script PATH]\n"
            "Measures RDMA write, the loaded MPI module and your env's mpi4py between two ranks\n"
            "(two nodes with srun inside a Slurm allocation of >= 2 nodes, else two local ranks\n"
            "with the module's mpiexec) and says whether your env gets what the module gets.\n"
            "  --sizes LIST   message sizes, e.g. 64K,1M,4M (default %s; --quick: %s)\n"
            "  --budget S     seconds each leg's bandwidth sweep may take before it measures\n"
            "                 fewer iterations or sizes (default 6; --quick: 3)\n"
            "  --timeout S    time limit of each launch (default 15)\n"
            "exit status: 0 ok; 1 your env's mpi4py is slow (< 40%% of the MPI), \"0 of 1\" or broken; 2 across nodes the\n"
            "module's MPI reaches < 50%% of RDMA write; 3 usage error or the MPI could not run.\n",
            PROBE_SIZES_DEFAULT, PROBE_SIZES_QUICK);
}

int tm_parse(int argc, char **argv, struct tm_opts *o)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},          {"quick", no_argument, NULL, 'q'},
        {"sizes", required_argument, NULL, 's'},   {"timeout", required_argument, NULL, 't'},
        {"legs", required_argument, NULL, 'L'},    {"python", required_argument, NULL, 'y'},
        {"env", required_argument, NULL, 'e'},     {"libmpi", required_argument, NULL, 'l'},
        {"launcher", required_argument, NULL, 'x'}, {"device", required_argument, NULL, 'd'},
        {"gid-index", required_argument, NULL, 'g'}, {"probe", required_argument, NULL, 'P'},
        {"script", required_argument, NULL, 'S'},  {"budget", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct tm_opts){.timeout = 15, .leg_verbs = true, .leg_mpi = true,
                          .leg_mpi4py = true, .gid_index = -1};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o->json = true; break;
        case 'q': o->quick = true; break;
        case 's': o->sizes = optarg; break;
        case 't':
            o->timeout = strtod(optarg, NULL);
            if (o->timeout <= 0) {
                fprintf(stderr, "mpiguard test-mpi: --timeout takes a positive number of seconds\n");
                return -1;
            }
            break;
        case 'L': {
            o->leg_verbs = strstr(optarg, "verbs") != NULL;
            o->leg_mpi4py = strstr(optarg, "mpi4py") != NULL;
            /* "mpi" alone, not the "mpi" inside "mpi4py" */
            const char *p = optarg;
            o->leg_mpi = false;
            while ((p = strstr(p, "mpi"))) {
                if ((p == optarg || p[-1] == ',') && (p[3] == ',' || p[3] == '\0'))
                    o->leg_mpi = true;
                p += 3;
            }
            break;
        }
        case 'b':
            o->budget = strtod(optarg, NULL);
            if (o->budget <= 0) {
                fprintf(stderr, "mpiguard test-mpi: --budget takes a positive number of seconds\n");
                return -1;
            }
            break;
        case 'y': o->python = optarg; break;
        case 'e': o->env_prefix = optarg; break;
        case 'l': o->libmpi = optarg; break;
        case 'x': o->launcher = optarg; break;
        case 'd': o->device = optarg; break;
        case 'g': o->gid_index = atoi(optarg); break;
        case 'P': o->probe = optarg; break;
        case 'S': o->script = optarg; break;
        case 'h': tm_usage(stdout); exit(0);
        default: tm_usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        tm_usage(stderr);
        return -1;
    }
    return 0;
}
