/* libFuzzer target: conda-meta records (JSON) and their file names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conda_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpg_conda_mpi m;
    char err[256];
    if (mpg_conda_parse_record((const char *)data, size, &m, err, sizeof err) == 0) mpg_conda_mpi_clear(&m);
    char *name = malloc(size + 1);
    if (!name) return 0;
    memcpy(name, data, size);
    name[size] = '\0';
    free(mpg_conda_record_name(name));
    free(name);
    return 0;
}
