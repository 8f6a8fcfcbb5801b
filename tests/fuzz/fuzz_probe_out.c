/* libFuzzer target: what `mpiguard test-mpi` reads back from its two ranks (mpiguard-probe's
 * records, and the env's python running mpi4py_bw.py, which the user's env controls), and the
 * --sizes lists it parses. The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_out.h"
#include "probe/probe_sizes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] & 1) {
        size_t sizes[PROBE_MAX_SIZES], n = 0;
        char err[160];
        if (probe_sizes_parse(text, sizes, PROBE_MAX_SIZES, &n, err, sizeof err) == 0) {
            if (n == 0 || n > PROBE_MAX_SIZES) abort();
            /* each size is what its word says, computed without wrapping (a huge "K" number
             * once wrapped around to a small size) */
            const char *w = text;
            for (size_t i = 0; i < n; i++) {
                if (sizes[i] == 0 || sizes[i] > PROBE_MAX_SIZE) abort();
                char *end;
                long double v = strtold(w, &end);
                if (*end == 'K' || *end == 'k') v *= 1024.0L, end++;
                else if (*end == 'M' || *end == 'm') v *= 1048576.0L, end++;
                if (v != (long double)sizes[i]) abort();
                w = *end ? end + 1 : end;
            }
        }
    } else {
        struct probe_results *r = calloc(1, sizeof *r);
        probe_out_parse(text, r);
        const struct probe_leg *legs[3] = {&r->verbs, &r->mpi, &r->mpi4py};
        for (int k = 0; k < 3; k++) {
            if (legs[k]->n > PROBE_MAX_SIZES) abort();
            if (!memchr(legs[k]->reason, '\0', sizeof legs[k]->reason)) abort();
        }
        free(r);
    }
    free(text);
    return 0;
}
