/* libFuzzer target: a venv's pyvenv.cfg ("key = value" text), read through the core's env
 * discovery on a scratch prefix. (mpi4py's mpi.cfg has its own target: fuzz_mpicfg.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpiguard.h"

static char dir[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/mpg-fuzz-venv-%d", (int)getpid());
        mkdir(dir, 0755);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/pyvenv.cfg", dir);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    const char *env[] = {"PATH=/usr/bin", NULL};
    struct mpg_input in = {.environ = env, .env_prefix = dir};
    struct mpg_report *r = mpg_check(&in);
    free(mpg_report_json(r));
    mpg_report_free(r);
    return 0;
}
