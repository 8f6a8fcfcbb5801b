/* libFuzzer target: conda-meta records (JSON), their file names, and the line the listing cache
 * keeps for a record: any line decodes or is refused, and what decodes encodes back to a line
 * that decodes to the same fields (as does every record parsed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conda_meta.h"

static bool same(const char *a, const char *b) { return a ? b && strcmp(a, b) == 0 : !b; }

/* m's line decodes to m's fields */
static void round_trip(const struct mpg_conda_mpi *m)
{
    char *line = mpg_conda_record_memo(m);
    struct mpg_conda_mpi back;
    if (strpbrk(line, "/\t\n") || !mpg_conda_record_from_memo(line, &back)) {
        fprintf(stderr, "memo line not decodable: %s\n", line);
        abort();
    }
    if (!same(m->name, back.name) || !same(m->version, back.version) || !same(m->build, back.build) ||
        !same(m->channel, back.channel) || !same(m->libmpi, back.libmpi) || m->external != back.external) {
        fprintf(stderr, "memo line decodes to other fields: %s\n", line);
        abort();
    }
    mpg_conda_mpi_clear(&back);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpg_conda_mpi m;
    char err[256];
    if (mpg_conda_parse_record((const char *)data, size, &m, err, sizeof err) == 0) {
        round_trip(&m);
        mpg_conda_mpi_clear(&m);
    }
    char *name = malloc(size + 1);
    if (!name) return 0;
    memcpy(name, data, size);
    name[size] = '\0';
    free(mpg_conda_record_name(name));
    if (mpg_conda_record_from_memo(name, &m)) {
        round_trip(&m);
        mpg_conda_mpi_clear(&m);
    }
    free(name);
    return 0;
}
