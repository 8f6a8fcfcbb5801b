/* libFuzzer target: the strings that steer library searches (mpi4py_search.c, loader.c):
 * MPI4PY_LIBMPI, MPI4PY_MPIABI, LD_LIBRARY_PATH and an mpi4py version, one a line, run through
 * mpi4py's search (on a scratch package folder) and the loader's own search. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "mpi4py_search.h"

static char dir[256];

static char *take_line(char **p)
{
    char *s = *p, *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = s + strlen(s);
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) { /* a package folder with the two variants mpi4py's search chooses from */
        char parent[200];
        snprintf(parent, sizeof parent, "/tmp/mpg-fuzz-search-%d", (int)getpid());
        snprintf(dir, sizeof dir, "%s/mpi4py", parent);
        mkdir(parent, 0755);
        mkdir(dir, 0755);
        static const char *const variants[] = {"mpich", "openmpi"};
        for (int i = 0; i < 2; i++) {
            char f[512];
            snprintf(f, sizeof f, "%s/MPI.%s.cpython-311-x86_64-linux-gnu.so", dir, variants[i]);
            FILE *fp = fopen(f, "w");
            if (fp) fclose(fp);
        }
    }
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *p = text;
    char *libmpi = take_line(&p), *abi = take_line(&p), *ldlp = take_line(&p), *version = take_line(&p);
    char v1[4200], v2[4200], v3[4200];
    snprintf(v1, sizeof v1, "MPI4PY_LIBMPI=%s", libmpi);
    snprintf(v2, sizeof v2, "MPI4PY_MPIABI=%s", abi);
    snprintf(v3, sizeof v3, "LD_LIBRARY_PATH=%s", ldlp);
    const char *vars[] = {"HOME=/nonexistent", "PWD=/tmp", v1, *abi ? v2 : "X=1", v3, NULL};
    struct mpg_envsnap snap = {.vars = vars};
    struct mpg_env env = {.kind = MPG_ENV_VENV, .prefix = "/nonexistent/venv", .python_version = "3.11"};
    struct mpg_loader ld = {.ld_library_path = ldlp, .is64 = true, .machine = 62, .cwd = "/tmp", .exe_dir = "/usr/bin"};
    struct mpg_mpi4py_ctx c = {.env = &env, .snap = &snap, .ld = &ld};
    struct mpg_mpi4py_result res;
    mpg_mpi4py_search(&c, dir, *version ? version : NULL, &res);
    mpg_mpi4py_result_clear(&res);
    free(mpg_mpi4py_expand(&snap, libmpi));
    struct mpg_resolved r = mpg_loader_dlopen(&ld, *abi ? abi : "libmpi.so.12");
    mpg_resolved_clear(&r);
    free(text);
    return 0;
}
