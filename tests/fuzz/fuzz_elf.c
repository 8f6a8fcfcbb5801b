/* libFuzzer target: the ELF reader on arbitrary bytes, then every query the core makes. */
#include <stdint.h>
#include <stdlib.h>

#include "elf_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpg_elf e;
    char err[256];
    if (mpg_elf_parse(data, size, &e, err, sizeof err) != 0) return 0;
    (void)mpg_elf_defines(&e, "ompi_mpi_comm_world");
    (void)mpg_elf_defines(&e, "I_MPI_Check_image_status");
    free(mpg_elf_symbol_string(&e, "MPII_Version_string", 128));
    free(mpg_elf_symbol_string(&e, "ompi_version_string", 128));
    mpg_elf_close(&e);
    return 0;
}
