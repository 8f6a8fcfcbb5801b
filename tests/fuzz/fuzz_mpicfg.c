/* libFuzzer target: mpi4py's mpi.cfg, as found in the user's env (its mpicc is shown to the
 * user and checked against the module's). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extensions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *mpicc = mpg_mpicfg_mpicc(text);
    if (mpicc && (!*mpicc || strchr(mpicc, '\n'))) abort(); /* one non-empty line */
    free(mpicc);
    free(text);
    return 0;
}
