/* mpi_ident.c: tells which MPI a libmpi is from its ELF file alone (FACTS 2 and 7): the ABI from
 * the SONAME, confirmed or overridden by the symbols each implementation exports, the version
 * from the version strings MPICH and Open MPI keep as `const char[]` data, and for vendor
 * builds whose strings name the MPICH they derive from (Cray MPICH 8 says "3.4a2"), from the
 * installation folder the site stack puts the version in. */
#include "mpi_ident.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dircache.h"
#include "elf_read.h"
#include "fsmemo.h"
#include "util.h"

#define MAX_VERSION 128

/* Libraries that share the libmpi_/libmpich prefix but are not the MPI C library. */
static const char *const not_c_libmpi[] = {
    "libmpi_cxx", "libmpi_mpifh", "libmpi_usempi", "libmpi_java", "libmpi_gtl", "libmpi_ilp64",
    "libmpi_f77", "libmpi_f90", "libmpi_f08", "libmpi_abi_", NULL,
};

bool mpg_is_libmpi_name(const char *n)
{
    if (!n) return false;
    if (mpg_str_starts(n, "libmpi.so") || mpg_str_starts(n, "libmpich.so") || mpg_str_starts(n, "libmpi_abi.so"))
        return true;
    return mpg_is_vendor_libmpi_name(n);
}

bool mpg_is_vendor_libmpi_name(const char *n)
{
    if (!n || !(mpg_str_starts(n, "libmpi_") || mpg_str_starts(n, "libmpich_"))) return false;
    if (mpg_str_starts(n, "libmpi_abi.so")) return false;
    for (const char *const *x = not_c_libmpi; *x; x++)
        if (mpg_str_starts(n, *x)) return false;
    /* libmpi_<word>.so[.N]: at least one character between the '_' and ".so" */
    const char *so = strstr(n, ".so");
    const char *us = strchr(n, '_');
    return so && us && so > us + 1 && (so[3] == '\0' || so[3] == '.');
}

enum mpg_abi mpg_abi_of_name(const char *n)
{
    if (!n) return MPG_ABI_UNKNOWN;
    n = mpg_basename(n);
    if (mpg_str_starts(n, "libmpi_abi.so")) return MPG_ABI_STANDARD;
    /* libmpi.so.12, libmpich.so.12, libmpi_cray.so.12, ...: the MPICH ABI (Open MPI 1.10 also
     * used .12; the symbols settle that). */
    if (mpg_str_starts(n, "libmpi") && strstr(n, ".so.12")) return MPG_ABI_MPICH;
    if (mpg_str_starts(n, "libmpi.so.40") || mpg_str_starts(n, "libmpi.so.20") ||
        strcmp(n, "libmpi.so.1") == 0 || mpg_str_starts(n, "libmpi.so.1."))
        return MPG_ABI_OPENMPI;
    return MPG_ABI_UNKNOWN;
}

void mpg_mpi_copy(struct mpg_mpi *dst, const struct mpg_mpi *src)
{
    *dst = (struct mpg_mpi){mpg_strdup(src->path), mpg_strdup(src->soname), src->abi, mpg_strdup(src->impl),
                            mpg_strdup(src->version), mpg_strdup(src->device)};
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

/* The leading "8.1.28" of a folder name, or NULL. */
static char *leading_version(const char *s, size_t len)
{
    if (!len || !isdigit((unsigned char)s[0])) return NULL;
    size_t n = 0;
    bool dot = false;
    while (n < len && (isdigit((unsigned char)s[n]) || s[n] == '.')) dot |= s[n++] == '.';
    while (n && s[n - 1] == '.') n--;
    return dot ? mpg_strndup(s, n) : NULL;
}

/* The version a site stack put in the library's folders: the folder after "/<after>/" (Cray:
 * /opt/cray/pe/mpich/8.1.28/ofi/gnu/12.3/lib), else the nearest version-named folder above the
 * library (Intel MPI: .../mpi/2021.10.0/lib/release). */
static char *version_in_path(const char *path, const char *after)
{
    if (after) {
        char *key = mpg_printf("/%s/", after);
        const char *p = strstr(path, key);
        free(key);
        if (!p) return NULL;
        p += strlen(after) + 2;
        return leading_version(p, strcspn(p, "/"));
    }
    const char *end = strrchr(path, '/');
    while (end && end > path) {
        const char *start = end - 1;
        while (start > path && *start != '/') start--;
        char *v = leading_version(start + 1, (size_t)(end - start - 1));
        if (v) return v;
        end = start;
    }
    return NULL;
}

int mpg_identify_mpi(const char *path, struct mpg_mpi *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct mpg_elf e;
    char why[256] = "";
    if (mpg_elf_open(path, &e, why, sizeof why) != 0) {
        mpg_set_err(err, errlen, "%s: %s", path, why);
        return -1;
    }
    mpg_identify_mpi_elf(&e, path, out);
    bool changed = mpg_elf_changed(&e);
    mpg_elf_close(&e);
    if (changed) { /* being replaced: what was read may be half of each */
        mpg_set_err(err, errlen, "%s: the file changed while it was read (being reinstalled?)", path);
        mpg_mpi_clear(out);
        return -1;
    }
    return 0;
}

/* ---- what a library is, remembered in the listing cache -------------------------------------
 * Identifying the module's libmpi reads its ELF tables (Debian's Open MPI: 11 system calls,
 * MPICH: 17) on every MPI load; in an env, whose listing cache the check reads anyway, the
 * answer is remembered with the library's device, inode and mtime (dircache.h), as one line:
 * "i1", the ABI's number, its first bytes in hex (what the loader's check of the file reads,
 * given back to the check's memory as if the file had been opened), then the SONAME,
 * implementation, version and device, each a memo field. A line that does not decode exactly
 * so is not used: the library is read. */
#define IDENT_MEMO_KIND "mpi-ident 1"
#define MAX_IDENT_MEMO 1024

static char *ident_memo(const struct mpg_mpi *m, const unsigned char *head)
{
    char hex[2 * MPG_FSMEMO_HEAD + 1];
    mpg_dircache_memo_hex(head, MPG_FSMEMO_HEAD, hex);
    char *f[] = {mpg_dircache_memo_field(m->soname), mpg_dircache_memo_field(m->impl),
                 mpg_dircache_memo_field(m->version), mpg_dircache_memo_field(m->device)};
    char *line = mpg_printf("i1 %d %s %s %s %s %s", (int)m->abi, hex, f[0], f[1], f[2], f[3]);
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) free(f[i]);
    return line;
}

static bool ident_from_memo(const char *line, struct mpg_mpi *m, unsigned char *head)
{
    memset(m, 0, sizeof *m);
    if (strncmp(line, "i1 ", 3) != 0 || line[3] < '0' || line[3] > '0' + MPG_ABI_STANDARD || line[4] != ' ')
        return false;
    const char *h = line + 5;
    if (!mpg_dircache_memo_unhex(h, MPG_FSMEMO_HEAD, head) || h[2 * MPG_FSMEMO_HEAD] != ' ') return false;
    m->abi = (enum mpg_abi)(line[3] - '0');
    char **fields[] = {&m->soname, &m->impl, &m->version, &m->device};
    size_t n = sizeof fields / sizeof *fields;
    const char *s = h + 2 * MPG_FSMEMO_HEAD + 1;
    for (size_t i = 0; i < n; i++) {
        const char *e = strchr(s, ' ');
        if (i + 1 == n) e = e ? NULL : s + strlen(s); /* the last runs to the end */
        if (!e || !mpg_dircache_memo_unfield(s, (size_t)(e - s), fields[i])) {
            mpg_mpi_clear(m);
            return false;
        }
        s = e + 1;
    }
    if (!m->soname) {
        mpg_mpi_clear(m);
        return false;
    }
    return true;
}

/* What the ELF reader noted of the file at real (its identity and first bytes) goes with m. */
static void remember(const char *real, struct mpg_dircache *cache, const struct mpg_mpi *m)
{
    unsigned char head[MPG_FSMEMO_HEAD];
    struct stat st;
    if (m->path && strcmp(m->path, real) == 0 && mpg_stat(real, &st) == 0 &&
        mpg_fsmemo_opened_head(&st, head) == sizeof head) {
        char *line = ident_memo(m, head);
        if (strlen(line) <= MAX_IDENT_MEMO) mpg_dircache_memo_put(cache, real, IDENT_MEMO_KIND, line);
        free(line);
    }
}

int mpg_identify_mpi_cached(const char *path, struct mpg_dircache *cache, struct mpg_mpi *out, char *err,
                            size_t errlen)
{
    char *real = cache ? mpg_realpath(path) : NULL, *memo = NULL;
    unsigned char head[MPG_FSMEMO_HEAD];
    struct stat st;
    if (real && mpg_stat(real, &st) == 0 && mpg_dircache_memo_get(cache, real, IDENT_MEMO_KIND, &memo) &&
        ident_from_memo(memo, out, head)) {
        mpg_fsmemo_note_opened(real, &st, head, sizeof head);
        out->path = real;
        free(memo);
        return 0;
    }
    free(memo);
    int rc = mpg_identify_mpi(path, out, err, errlen);
    if (rc == 0 && real) remember(real, cache, out);
    free(real);
    return rc;
}

void mpg_identify_mpi_remember(const char *path, struct mpg_dircache *cache, const struct mpg_mpi *m)
{
    char *real = cache ? mpg_realpath(path) : NULL;
    if (real) remember(real, cache, m);
    free(real);
}

void mpg_identify_mpi_elf(const struct mpg_elf *ep, const char *path, struct mpg_mpi *out)
{
    const struct mpg_elf e = *ep;
    memset(out, 0, sizeof *out);
    out->path = mpg_realpath(path);
    if (!out->path) out->path = mpg_strdup(path);
    out->soname = mpg_strdup(e.soname ? e.soname : mpg_basename(path));
    out->abi = mpg_abi_of_name(out->soname);

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
        char *vendor = NULL;
        if (mpg_elf_defines(&e, "I_MPI_Check_image_status")) {
            out->impl = mpg_strdup("Intel MPI");
            vendor = version_in_path(out->path, NULL);
        } else if (dev && (strstr(dev, "mrail") || strstr(dev, "psm"))) {
            out->impl = mpg_strdup("MVAPICH");
        } else if (mpg_elf_defines(&e, "MPIX_Cray_get_version") || mpg_is_vendor_libmpi_name(out->soname) ||
                   (strstr(out->path, "/cray/") && strstr(out->path, "/mpich/"))) {
            /* Cray names its libraries per compiler; cray-mpich-abi's libmpi.so.12 lives in the same tree */
            out->impl = mpg_strdup("Cray MPICH");
            vendor = version_in_path(out->path, "mpich");
        } else if (v || dev) {
            out->impl = mpg_strdup("MPICH");
        }
        if (vendor) {
            free(v);
            v = vendor;
        }
        out->version = v;
        out->device = dev;
        if (out->impl && out->abi == MPG_ABI_UNKNOWN) out->abi = MPG_ABI_MPICH;
    }
    if (mpg_elf_defines(&e, "MPI_Abi_get_version") && out->abi == MPG_ABI_UNKNOWN)
        out->abi = MPG_ABI_STANDARD;
}

struct missing {
    const struct mpg_elf *lib;
    char *first;
};

static bool is_mpi_symbol(const char *n)
{
    return mpg_str_starts(n, "MPI_") || mpg_str_starts(n, "PMPI_") || mpg_str_starts(n, "MPIX_") ||
           mpg_str_starts(n, "ompi_") || mpg_str_starts(n, "MPIR_") || mpg_str_starts(n, "MPII_");
}

static bool check_one(const char *name, void *arg)
{
    struct missing *m = arg;
    if (!is_mpi_symbol(name) || mpg_elf_defines(m->lib, name)) return true;
    m->first = mpg_strdup(name);
    return false;
}

char *mpg_missing_mpi_symbol(const struct mpg_elf *obj, const struct mpg_elf *lib)
{
    /* MPI symbols may come from another MPI library the object links (Fortran or C++
     * bindings): only an object that links no other one is judged. */
    size_t mpi_libs = 0;
    for (size_t i = 0; i < obj->n_needed; i++)
        if (mpg_str_starts(obj->needed[i], "libmpi") || mpg_str_starts(obj->needed[i], "libpmpi")) mpi_libs++;
    if (mpi_libs != 1) return NULL;
    struct missing m = {lib, NULL};
    mpg_elf_read_symbol_tables(lib); /* hundreds of lookups: ~940 reads of 4 KiB otherwise */
    mpg_elf_read_symbol_tables(obj); /* and thousands of symbols of its own walked through */
    mpg_elf_each_undefined(obj, check_one, &m);
    return m.first;
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
