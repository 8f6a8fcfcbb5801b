/* libFuzzer target: the ELF reader on arbitrary bytes, then every query the core makes; what
 * the listing cache keeps of a parsed object must decode to the same facts; and the input read
 * as a cache line must decode or be refused, never crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_memo.h"
#include "elf_read.h"

static bool same(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static void round_trip(const struct mpg_elf *e)
{
    char *line = mpg_elf_memo_line(e);
    struct mpg_elf b;
    if (strpbrk(line, "/\t\n") || !mpg_elf_from_memo_line(line, &b)) {
        fprintf(stderr, "memo line not decodable: %s\n", line);
        abort();
    }
    bool ok = b.is64 == e->is64 && b.big_endian == e->big_endian && b.type == e->type && b.machine == e->machine &&
              b.flags_1 == e->flags_1 && same(b.soname, e->soname) && same(b.rpath, e->rpath) &&
              same(b.runpath, e->runpath) && b.n_needed == e->n_needed;
    for (size_t i = 0; ok && i < e->n_needed; i++) ok = same(b.needed[i], e->needed[i]);
    if (!ok) {
        fprintf(stderr, "memo line decodes to other facts: %s\n", line);
        abort();
    }
    mpg_elf_close(&b);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct mpg_elf e;
    if (mpg_elf_from_memo_line(text, &e)) mpg_elf_close(&e);
    free(text);

    char err[256];
    if (mpg_elf_parse(data, size, &e, err, sizeof err) != 0) return 0;
    (void)mpg_elf_defines(&e, "ompi_mpi_comm_world");
    (void)mpg_elf_defines(&e, "I_MPI_Check_image_status");
    free(mpg_elf_symbol_string(&e, "MPII_Version_string", 128));
    free(mpg_elf_symbol_string(&e, "ompi_version_string", 128));
    round_trip(&e);
    mpg_elf_close(&e);
    return 0;
}
