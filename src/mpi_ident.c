/* mpi_ident.c: tells which MPI a libmpi is from its ELF file alone (FACTS 2): the ABI from the
 * SONAME, confirmed or overridden by the symbols each implementation exports, and the version
 * from the version strings MPICH and Open MPI keep as `const char[]` data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_read.h"
#include "mpiguard.h"
#include "util.h"

#define MAX_VERSION 128

static enum mpg_abi abi_from_soname(const char *soname)
{
    if (!soname) return MPG_ABI_UNKNOWN;
    if (mpg_str_starts(soname, "libmpi_abi.so")) return MPG_ABI_STANDARD;
    /* libmpi.so.12, libmpich.so.12, libmpi_cray.so.12, ...: the MPICH ABI (Open MPI 1.10 also
     * used .12; the symbols settle that). */
    if (mpg_str_starts(soname, "libmpi") && strstr(soname, ".so.12")) return MPG_ABI_MPICH;
    if (strcmp(soname, "libmpi.so.40") == 0 || strcmp(soname, "libmpi.so.20") == 0 ||
        strcmp(soname, "libmpi.so.1") == 0)
        return MPG_ABI_OPENMPI;
    return MPG_ABI_UNKNOWN;
}

void mpg_mpi_clear(struct mpg_mpi *m)
{
    free(m->path);
    free(m->soname);
    free(m->impl);
    free(m->version);
    free(m->device);
    memset(m, 0, sizeof *m);
}

int mpg_identify_mpi(const char *path, struct mpg_mpi *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct mpg_elf e;
    char why[256] = "";
    if (mpg_elf_open(path, &e, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    out->path = mpg_realpath(path);
    if (!out->path) out->path = mpg_strdup(path);
    out->soname = mpg_strdup(e.soname ? e.soname : mpg_basename(path));
    out->abi = abi_from_soname(out->soname);

    char *ompi = mpg_elf_symbol_string(&e, "ompi_version_string", MAX_VERSION);
    if (ompi || mpg_elf_defines(&e, "ompi_mpi_comm_world")) {
        /* Open MPI 1.10 also used libmpi.so.12: the symbols decide. */
        out->abi = MPG_ABI_OPENMPI;
        out->impl = mpg_strdup("Open MPI");
        out->version = ompi;
    } else {
        char *v = mpg_elf_symbol_string(&e, "MPII_Version_string", MAX_VERSION);
        if (!v) v = mpg_elf_symbol_string(&e, "MPIR_Version_string", MAX_VERSION); /* MPICH < 3.3 */
        char *dev = mpg_elf_symbol_string(&e, "MPII_Version_device", MAX_VERSION);
        if (!dev) dev = mpg_elf_symbol_string(&e, "MPIR_Version_device", MAX_VERSION);
        if (mpg_elf_defines(&e, "I_MPI_Check_image_status"))
            out->impl = mpg_strdup("Intel MPI");
        else if (dev && (strstr(dev, "mrail") || strstr(dev, "psm")))
            out->impl = mpg_strdup("MVAPICH");
        else if (mpg_elf_defines(&e, "MPIX_Cray_get_version") || mpg_str_starts(out->soname, "libmpi_cray"))
            out->impl = mpg_strdup("Cray MPICH");
        else if (v || dev)
            out->impl = mpg_strdup("MPICH");
        out->version = v;
        out->device = dev;
        if (out->impl && out->abi == MPG_ABI_UNKNOWN) out->abi = MPG_ABI_MPICH;
    }
    if (mpg_elf_defines(&e, "MPI_Abi_get_version") && out->abi == MPG_ABI_UNKNOWN)
        out->abi = MPG_ABI_STANDARD;
    bool changed = mpg_elf_changed(&e);
    mpg_elf_close(&e);
    if (changed) { /* being replaced: what was read may be half of each */
        snprintf(err, errlen, "%s: the file changed while it was read (being reinstalled?)", path);
        mpg_mpi_clear(out);
        return -1;
    }
    return 0;
}

const char *mpg_abi_name(enum mpg_abi a)
{
    switch (a) {
    case MPG_ABI_MPICH: return "mpich";
    case MPG_ABI_OPENMPI: return "openmpi";
    case MPG_ABI_STANDARD: return "mpiabi";
    default: return "unknown";
    }
}
