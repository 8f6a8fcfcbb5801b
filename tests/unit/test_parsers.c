/* test_parsers.c: the readers of user-controlled files on real inputs and on damaged copies:
 * ELF objects, /etc/ld.so.cache, conda-meta records. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conda_meta.h"
#include "elf_read.h"
#include "helpers.h"
#include "ldcache.h"
#include "util.h"

#define SYSLIB "/usr/lib/x86_64-linux-gnu"

Test(elf, reads_needed_soname_and_rpath_of_fixture)
{
    char *p = fxp("ext_mpi12_condarpath.so"), err[256];
    struct mpg_elf e;
    cr_assert_eq(mpg_elf_open(p, &e, err, sizeof err), 0, "%s", err);
    cr_expect(e.is64);
    cr_expect_eq(e.machine, EM_X86_64);
    cr_assert_geq(e.n_needed, 1);
    cr_expect_str_eq(e.needed[0], "libmpi.so.12");
    cr_expect_str_eq(e.rpath, "$ORIGIN/../../..");
    cr_expect_null(e.runpath);
    mpg_elf_close(&e);
}

Test(elf, runpath_fixture_has_runpath_only)
{
    char *p = fxp("ext_mpich_runpath_other.so"), err[256];
    struct mpg_elf e;
    cr_assert_eq(mpg_elf_open(p, &e, err, sizeof err), 0, "%s", err);
    cr_expect_null(e.rpath);
    cr_expect(e.runpath && strstr(e.runpath, "other-mpich/lib"));
    mpg_elf_close(&e);
}

Test(mpi_ident, debian_mpich_and_openmpi)
{
    struct mpg_mpi m;
    char err[256];
    cr_assert_eq(mpg_identify_mpi(SYSLIB "/libmpich.so.12", &m, err, sizeof err), 0, "%s", err);
    cr_expect_eq(m.abi, MPG_ABI_MPICH);
    cr_expect_str_eq(m.impl, "MPICH");
    cr_expect_str_eq(m.version, "4.0.2");
    cr_expect_str_eq(m.device, "ch4:ucx");
    cr_expect_str_eq(m.soname, "libmpich.so.12");
    mpg_mpi_clear(&m);
    cr_assert_eq(mpg_identify_mpi(SYSLIB "/libmpi.so.40", &m, err, sizeof err), 0, "%s", err);
    cr_expect_eq(m.abi, MPG_ABI_OPENMPI);
    cr_expect_str_eq(m.impl, "Open MPI");
    cr_expect_str_eq(m.version, "4.1.4");
    mpg_mpi_clear(&m);
}

Test(mpi_ident, library_without_mpi_symbols_is_named_by_soname_only)
{
    struct mpg_mpi m;
    char err[256], *p = fxp("stub12/libmpi.so");
    cr_assert_eq(mpg_identify_mpi(p, &m, err, sizeof err), 0, "%s", err);
    cr_expect_eq(m.abi, MPG_ABI_MPICH);
    cr_expect_null(m.impl);
    cr_expect_null(m.version);
    mpg_mpi_clear(&m);
}

Test(mpi_ident, not_elf_is_a_clear_error)
{
    char *dir = scratch(), *p = joinp(dir, "libmpi.so.12"), err[256] = "";
    write_file(p, "INPUT(-lmpich)\n"); /* a linker script, as some distributions ship */
    struct mpg_mpi m;
    cr_expect_eq(mpg_identify_mpi(p, &m, err, sizeof err), -1);
    cr_expect(strstr(err, "not an ELF file"), "%s", err);
}

/* Every prefix of a real object, and a real object with bytes flipped: parse or refuse, never crash. */
Test(elf, truncated_and_corrupted_copies_never_crash)
{
    size_t len = 0;
    char *data = mpg_read_file(SYSLIB "/libmpi.so.40", (size_t)64 << 20, &len);
    cr_assert(data);
    for (size_t n = 0; n < 20000 && n < len; n += (n < 512 ? 1 : 97)) {
        struct mpg_elf e;
        char err[128];
        if (mpg_elf_parse(data, n, &e, err, sizeof err) == 0) {
            (void)mpg_elf_defines(&e, "ompi_mpi_comm_world");
            free(mpg_elf_symbol_string(&e, "ompi_version_string", 64));
            mpg_elf_close(&e);
        }
    }
    srand(7);
    char *copy = malloc(len);
    for (int round = 0; round < 200; round++) {
        memcpy(copy, data, len);
        for (int k = 0; k < 16; k++) copy[(size_t)rand() % 8192] = (char)rand(); /* headers live up front */
        struct mpg_elf e;
        char err[128];
        if (mpg_elf_parse(copy, len, &e, err, sizeof err) == 0) {
            free(mpg_elf_symbol_string(&e, "ompi_version_string", 64));
            mpg_elf_close(&e);
        }
    }
    free(copy);
    free(data);
}

Test(ldcache, finds_debian_mpich_in_the_real_cache)
{
    struct mpg_ldcache c;
    char err[256];
    cr_assert_eq(mpg_ldcache_load("/etc/ld.so.cache", &c, err, sizeof err), 0, "%s", err);
    const char *p = mpg_ldcache_lookup(&c, "libmpich.so.12", EM_X86_64, 1);
    cr_assert(p, "libmpich.so.12 not in /etc/ld.so.cache (run ldconfig)");
    cr_expect(strstr(p, "libmpich.so.12"));
    cr_expect_null(mpg_ldcache_lookup(&c, "libmpi.so.12", EM_X86_64, 1), "Debian has no libmpi.so.12");
    cr_expect_null(mpg_ldcache_lookup(&c, "libmpich.so.12", EM_386, 0), "wrong class must not match");
    mpg_ldcache_free(&c);
}

/* The binary search finds what ld.so finds: every x86-64 name `ldconfig -p` lists maps to the
 * first plain (not glibc-hwcaps) path it lists for it. */
Test(ldcache, every_name_in_the_real_cache_is_found_as_ldconfig_lists_it)
{
    struct mpg_ldcache c;
    char err[256];
    cr_assert_eq(mpg_ldcache_load("/etc/ld.so.cache", &c, err, sizeof err), 0, "%s", err);
    FILE *p = popen("/sbin/ldconfig -p 2>/dev/null || ldconfig -p", "r");
    cr_assert(p);
    char line[4096], prev[1024] = "";
    int checked = 0;
    while (fgets(line, sizeof line, p)) {
        char name[1024], path[2048];
        if (!strstr(line, "(libc6,x86-64)") || strstr(line, "hwcap")) continue;
        if (sscanf(line, " %1023s (libc6,x86-64) => %2047s", name, path) != 2) continue;
        if (strcmp(name, prev) == 0) continue; /* the first listed is the one ld.so takes */
        snprintf(prev, sizeof prev, "%s", name);
        const char *got = mpg_ldcache_lookup(&c, name, EM_X86_64, 1);
        cr_expect(got && strcmp(got, path) == 0, "%s: got %s, ldconfig -p lists %s", name, got, path);
        checked++;
    }
    pclose(p);
    cr_expect_gt(checked, 50, "only %d names checked", checked);
    cr_expect_null(mpg_ldcache_lookup(&c, "libnotthere.so.1", EM_X86_64, 1));
    cr_expect_null(mpg_ldcache_lookup(&c, "", EM_X86_64, 1));
    cr_expect_null(mpg_ldcache_lookup(&c, "zzzz.so", EM_X86_64, 1));
    cr_expect_null(mpg_ldcache_lookup(&c, "AAAA.so", EM_X86_64, 1));
    mpg_ldcache_free(&c);
}

Test(ldcache, damaged_caches_are_refused_or_read_safely)
{
    size_t len = 0;
    char *data = mpg_read_file("/etc/ld.so.cache", (size_t)64 << 20, &len);
    cr_assert(data);
    for (size_t n = 0; n < len; n += (n < 256 ? 1 : 131)) {
        struct mpg_ldcache c;
        unsigned char *buf = malloc(n ? n : 1);
        memcpy(buf, data, n);
        char err[128];
        if (mpg_ldcache_parse(buf, n, &c, err, sizeof err) == 0) {
            (void)mpg_ldcache_lookup(&c, "libmpich.so.12", EM_X86_64, 1);
            mpg_ldcache_free(&c);
        } else {
            free(buf);
        }
    }
    struct mpg_ldcache c;
    char err[128] = "";
    unsigned char *junk = (unsigned char *)strdup("this is not a cache");
    cr_expect_eq(mpg_ldcache_parse(junk, 19, &c, err, sizeof err), -1);
    cr_expect(strstr(err, "not a glibc ld.so.cache"), "%s", err);
    free(junk);
    free(data);
}

Test(conda, record_file_names)
{
    char *n = mpg_conda_record_name("mpich-4.0.2-h846660c_100.json");
    cr_expect_str_eq(n, "mpich");
    free(n);
    n = mpg_conda_record_name("mpich-mpicc-4.3.2-h0_105.json");
    cr_expect_str_eq(n, "mpich-mpicc");
    free(n);
    cr_expect_null(mpg_conda_record_name("history"));
    cr_expect_null(mpg_conda_record_name("broken.json"));
    cr_expect_null(mpg_conda_record_name("-x-y.json"));
}

static struct mpg_conda_mpi parse_ok(const char *json)
{
    struct mpg_conda_mpi m;
    char err[256];
    cr_assert_eq(mpg_conda_parse_record(json, strlen(json), &m, err, sizeof err), 0, "%s", err);
    return m;
}

Test(conda, bundled_and_external_kinds)
{
    struct mpg_conda_mpi m = parse_ok("{\"name\":\"mpich\",\"version\":\"4.0.2\",\"build\":\"h846660c_100\","
                                      "\"files\":[\"bin/mpiexec\",\"lib/libmpi.so.12.2.2\",\"lib/libmpi.so.12\"]}");
    cr_expect_not(m.external);
    cr_expect_str_eq(m.libmpi, "lib/libmpi.so.12");
    mpg_conda_mpi_clear(&m);

    m = parse_ok("{\"name\":\"mpich\",\"version\":\"3.4.3\",\"build\":\"external_0\",\"files\":[\"x\"]}");
    cr_expect(m.external, "external_* build");
    mpg_conda_mpi_clear(&m);

    m = parse_ok("{\"name\":\"openmpi\",\"version\":\"5.0.8\",\"build\":\"h1_101\",\"files\":[]}");
    cr_expect(m.external, "empty files list");
    mpg_conda_mpi_clear(&m);

    m = parse_ok("{\"name\":\"mpich\",\"version\":\"4.3.2\",\"build\":\"h7063c07_105\","
                 "\"channel\":\"conda-forge/label/mpi-external\",\"files\":[\"share/doc\"]}");
    cr_expect(m.external, "2026 label");
    mpg_conda_mpi_clear(&m);

    m = parse_ok("{\"name\":\"openmpi\",\"version\":\"4.1.6\",\"build\":\"h1\",\"track_features\":\"openmpi_external\","
                 "\"files\":[\"share/x\"]}");
    cr_expect(m.external, "track_features");
    mpg_conda_mpi_clear(&m);

    m = parse_ok("{\"name\":\"mpi\",\"version\":\"1.0\",\"build\":\"mpich\",\"files\":[]}");
    cr_expect_not(m.external, "the metapackage is neither");
    mpg_conda_mpi_clear(&m);
}

Test(conda, malformed_records_are_refused_with_a_reason)
{
    static const char *const bad[] = {"", "{", "[]", "{\"name\": 5}", "{\"name\":\"mpich\",\"name\":\"x\"}",
                                      "{\"version\":\"1\"}", "\xff\xfe{", NULL};
    for (const char *const *b = bad; *b; b++) {
        struct mpg_conda_mpi m;
        char err[256] = "";
        cr_expect_eq(mpg_conda_parse_record(*b, strlen(*b), &m, err, sizeof err), -1, "accepted %s", *b);
        cr_expect(err[0], "no reason for %s", *b);
    }
}
