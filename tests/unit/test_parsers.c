/* test_parsers.c: the readers of user-controlled files on real inputs and on damaged copies:
 * ELF objects, /etc/ld.so.cache, conda-meta records. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conda_meta.h"
#include "elf_read.h"
#include "helpers.h"
#include "ldcache.h"
#include "extensions.h"
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

struct defs_ctx {
    const struct mpg_elf *whole, *blocks;
    size_t asked, defined, differ;
};

static bool same_answer(const char *name, void *arg)
{
    struct defs_ctx *c = arg;
    bool a = mpg_elf_defines(c->whole, name), b = mpg_elf_defines(c->blocks, name);
    c->asked++;
    c->defined += a;
    c->differ += a != b;
    return true;
}

/* The tables read in one go (what the ABI check does before its hundreds of lookups) answer
 * exactly as the 4 KiB blocks do: every symbol mpi4py's extension needs, asked of Open MPI's
 * and MPICH's libmpi. */
Test(elf, symbol_tables_read_whole_answer_as_the_blocks_do)
{
    const char *ext = "/usr/lib/python3/dist-packages/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so";
    const char *libs[] = {SYSLIB "/libmpi.so.40", SYSLIB "/libmpich.so.12"};
    char err[256];
    struct mpg_elf x;
    cr_assert_eq(mpg_elf_open(ext, &x, err, sizeof err), 0, "%s: %s", ext, err);
    for (size_t i = 0; i < 2; i++) {
        struct mpg_elf whole, blocks;
        cr_assert_eq(mpg_elf_open(libs[i], &whole, err, sizeof err), 0, "%s", err);
        cr_assert_eq(mpg_elf_open(libs[i], &blocks, err, sizeof err), 0, "%s", err);
        mpg_elf_read_symbol_tables(&whole);
        struct defs_ctx c = {&whole, &blocks, 0, 0, 0};
        mpg_elf_each_undefined(&x, same_answer, &c);
        cr_expect_gt(c.asked, 300, "%s: only %zu symbols asked", libs[i], c.asked);
        cr_expect_gt(c.defined, 300, "%s defines only %zu of them", libs[i], c.defined);
        cr_expect_eq(c.differ, 0, "%s: %zu answers differ", libs[i], c.differ);
        cr_expect(mpg_elf_defines(&whole, i == 0 ? "ompi_mpi_comm_world" : "MPIR_Err_return_comm"));
        cr_expect_not(mpg_elf_defines(&whole, "no_such_symbol_anywhere"));
        mpg_elf_close(&whole);
        mpg_elf_close(&blocks);
    }
    mpg_elf_close(&x);
}

/* A library cut short after it was opened (pip replacing it): reading the tables notices,
 * and the lookups that follow answer "not defined" rather than reading past the end. */
Test(elf, symbol_tables_of_a_file_cut_short_after_open)
{
    size_t len = 0;
    char *data = mpg_read_file(SYSLIB "/libmpi.so.40", (size_t)64 << 20, &len);
    cr_assert(data);
    char path[] = "/tmp/mpg-elf-cut-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    struct mpg_elf e;
    char err[256];
    cr_assert_eq(mpg_elf_open(path, &e, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ftruncate(fd, 8192), 0);
    mpg_elf_read_symbol_tables(&e);
    cr_expect(mpg_elf_changed(&e));
    cr_expect_not(mpg_elf_defines(&e, "ompi_mpi_comm_world"));
    mpg_elf_close(&e);
    close(fd);
    unlink(path);
    free(data);
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

/* The cache is mapped only when only root may write it (no one else can cut it short under the
 * mapping); else it is read. Both answer alike. */
Test(ldcache, mapped_only_when_only_root_may_write_it)
{
    size_t len = 0;
    char *data = mpg_read_file("/etc/ld.so.cache", (size_t)64 << 20, &len);
    cr_assert(data);
    char *root = scratch(), *f = joinp(root, "ld.so.cache");
    FILE *out = fopen(f, "wb");
    cr_assert(out && fwrite(data, 1, len, out) == len && fclose(out) == 0);
    const struct { mode_t mode; bool mapped; } cases[] = {
        {0644, geteuid() == 0}, {0444, geteuid() == 0}, {0664, false}, {0646, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_assert_eq(chmod(f, cases[i].mode), 0);
        struct mpg_ldcache c;
        char err[256];
        cr_assert_eq(mpg_ldcache_load(f, &c, err, sizeof err), 0, "%s", err);
        cr_expect_eq(c.mapped, cases[i].mapped, "mode %o: mapped %d", (unsigned)cases[i].mode, c.mapped);
        const char *p = mpg_ldcache_lookup(&c, "libmpich.so.12", EM_X86_64, 1);
        cr_expect(p && strstr(p, "libmpich.so.12"), "mode %o: %s", (unsigned)cases[i].mode, p);
        mpg_ldcache_free(&c);
    }
    free(f);
    free(root);
    free(data);
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

/* ---- module names (mpi_module.c) ---------------------------------------------------------- */
#include "mpi_ident.h"
#include "mpi_module.h"

Test(modnames, known_mpi_names_in_any_case_with_suffixes)
{
    static const char *const yes[] = {"openmpi/4.1.6", "OpenMPI/4.1.5-GCC-12.3.0", "mpi/openmpi-x86_64", "mpich",
                                      "cray-mpich/8.1.28", "cray-mpich-abi/8.1.28", "impi/2021.9.0-intel-compilers-2023.1.0",
                                      "intel-oneapi-mpi/2021.13.1", "intel-mpi/2021.10", "hpcx/2.17.1", "hpcx-ompi",
                                      "mvapich2/2.3.7", "MVAPICH2-GDR/2.3.7", "psmpi/5.9.2-1", "mpi/mpich-3.2-x86_64",
                                      "Core/gcc/12/openmpi/4.1", NULL};
    static const char *const no[] = {"hdf5-mpi/1.14", "mpi4py/3.1.6", "gompi/2023a", "iimpi/2023a", "py-mpi4py/4.1.0",
                                     "ompiler/1", "mpichecker", "petsc/3.20-openmpi", "", NULL};
    for (const char *const *n = yes; *n; n++) cr_expect(mpg_is_mpi_module_name(*n, NULL), "%s is an MPI", *n);
    for (const char *const *n = no; *n; n++) cr_expect_not(mpg_is_mpi_module_name(*n, NULL), "%s is not an MPI", *n);
    const char *const sites[] = {"pe-mpi", NULL};
    cr_expect(mpg_is_mpi_module_name("pe-mpi/2024.1", sites));
    cr_expect_not(mpg_is_mpi_module_name("pe-mpi-tools/1", sites));
}

static void expect_loaded(const char *loaded, const char *family, const char *name, const char *version)
{
    char *n, *v;
    bool found = mpg_loaded_mpi_module(loaded, family, NULL, &n, &v);
    if (!name) {
        cr_expect_not(found, "[%s] has no MPI module", loaded);
        return;
    }
    cr_assert(found, "[%s] has an MPI module", loaded);
    cr_expect_str_eq(n, name, "[%s]", loaded);
    if (version)
        cr_expect_str_eq(v, version, "[%s]", loaded);
    else
        cr_expect_null(v, "[%s] version %s", loaded, v);
    free(n);
    free(v);
}

Test(modnames, loadedmodules_name_and_version)
{
    expect_loaded("gcc/12.2.0:mpich/4.0.2", "mpich", "mpich", "4.0.2");
    expect_loaded("gcc/12.2.0:mpich/4.0.2", NULL, "mpich", "4.0.2");
    expect_loaded("GCCcore/12.2.0:OpenMPI/4.1.4-GCC-12.2.0:FFTW/3.3", NULL, "OpenMPI", "4.1.4-GCC-12.2.0");
    expect_loaded("mpi/openmpi-x86_64", NULL, "mpi/openmpi-x86_64", NULL);
    expect_loaded("hpcx/v2.17.1", NULL, "hpcx", "v2.17.1");
    expect_loaded("mpich:openmpi/4.1.6", NULL, "openmpi", "4.1.6");      /* the last one loaded */
    expect_loaded("openmpi/4.1.6:pe/mpi/2024", "pe/mpi", "pe/mpi", "2024"); /* the family's entry */
    expect_loaded("mpich", "mpich", "mpich", NULL);
    expect_loaded("mpich/", "mpich", "mpich", NULL);
    expect_loaded("gcc/12:cmake/3.27", NULL, NULL, NULL);
    expect_loaded("::::", NULL, NULL, NULL);
    expect_loaded("", "mpich", NULL, NULL);
}

Test(modnames, vendor_library_names)
{
    static const char *const c_libs[] = {"libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi_abi.so.1",
                                         "libmpi_gnu_123.so.12", "libmpi_cray.so.12", "libmpi_intel.so.12",
                                         "libmpi_nvidia.so.12", "libmpi_amd.so.12", "libmpi_ibm.so.3", "libmpich_intel.so.3",
                                         NULL};
    static const char *const not_c[] = {"libmpi_cxx.so.40", "libmpi_mpifh.so.40", "libmpi_usempif08.so.40",
                                        "libmpi_gtl_cuda.so", "libmpichcxx.so.12", "libmpichfort.so.12", "libmpi_java.so.40",
                                        "libmpifort.so.12", "libmpi_.so", "libmpi_x", NULL};
    for (const char *const *n = c_libs; *n; n++) cr_expect(mpg_is_libmpi_name(*n), "%s is an MPI C library", *n);
    for (const char *const *n = not_c; *n; n++) cr_expect_not(mpg_is_libmpi_name(*n), "%s is not", *n);
    cr_expect_eq(mpg_abi_of_name("libmpi_gnu_123.so.12"), MPG_ABI_MPICH);
    cr_expect_eq(mpg_abi_of_name("libmpi.so.40"), MPG_ABI_OPENMPI);
    cr_expect_eq(mpg_abi_of_name("libmpi_abi.so.1"), MPG_ABI_STANDARD);
    cr_expect_eq(mpg_abi_of_name("libmpi.so"), MPG_ABI_UNKNOWN);
}

Test(modnames, hooks_know_the_same_mpi_names_as_the_core)
{
    char *text = mpg_read_file(SRCDIR "/../../site/mpiguard_hooks_register.lua.in", 1 << 20, NULL);
    cr_assert(text, "cannot read site/mpiguard_hooks_register.lua.in");
    char *t = strstr(text, "s_knownMPI = {");
    cr_assert(t, "no s_knownMPI table in the hooks");
    char *end = strchr(t, '}');
    cr_assert(end);
    size_t n = 0;
    const char *const *known = mpg_known_mpi_module_names();
    for (char *q = strchr(t, '"'); q && q < end; q = strchr(q, '"')) {
        char *close = strchr(q + 1, '"');
        cr_assert(close && known[n], "the hooks list more names than the core");
        cr_expect(strncmp(q + 1, known[n], (size_t)(close - q - 1)) == 0 && strlen(known[n]) == (size_t)(close - q - 1),
                  "name %zu: hooks have %.*s, core has %s", n, (int)(close - q - 1), q + 1, known[n]);
        n++;
        q = close + 1;
    }
    cr_expect_null(known[n], "the core lists more names than the hooks (%s)", known[n]);
    /* the hooks rule a module out when its name holds none of s_knownHint: each known name holds one */
    char *h = strstr(text, "s_knownHint = {");
    cr_assert(h, "no s_knownHint table in the hooks");
    char *hend = strchr(h, '}');
    for (size_t k = 0; known[k]; k++) {
        bool hinted = false;
        for (char *q = strchr(h, '"'); q && q < hend && !hinted; q = strchr(q, '"')) {
            char *close = strchr(q + 1, '"');
            cr_assert(close);
            char *hint = mpg_strndup(q + 1, (size_t)(close - q - 1));
            hinted = strstr(known[k], hint) != NULL;
            free(hint);
            q = close + 1;
        }
        cr_expect(hinted, "%s holds none of the hooks' s_knownHint: they would never see it", known[k]);
    }
    free(text);
}

Test(modnames, envmodules_fragment_knows_the_same_mpi_names_as_the_core)
{
    char *text = mpg_read_file(SRCDIR "/../../site/mpiguard.tcl.in", 1 << 20, NULL);
    cr_assert(text, "cannot read site/mpiguard.tcl.in");
    const char *open = "set ::mpiguard::knownMPI {";
    char *t = strstr(text, open);
    cr_assert(t, "no knownMPI list in mpiguard.tcl.in");
    t += strlen(open);
    char *end = strchr(t, '}');
    cr_assert(end);
    *end = '\0';
    const char *const *known = mpg_known_mpi_module_names();
    size_t n = 0;
    for (char *w = strtok(t, " \n"); w; w = strtok(NULL, " \n"), n++) {
        cr_assert(known[n], "the fragment lists more names than the core (%s)", w);
        cr_expect_str_eq(w, known[n], "name %zu: the fragment has %s, the core %s", n, w, known[n]);
    }
    cr_expect_null(known[n], "the core lists more names than the fragment (%s)", known[n]);
    /* the fragment rules a list out when it holds none of "mpi", "hpcx", "mvapich" */
    for (size_t k = 0; known[k]; k++)
        cr_expect(strstr(known[k], "mpi") || strstr(known[k], "hpcx") || strstr(known[k], "mvapich"),
                  "%s holds none of the fragment's quick filter: it would never see it", known[k]);
    free(text);
}

Test(extnames, every_known_package_passes_the_quick_filter)
{
    const char *const *names = mpg_mpi_package_names();
    size_t n = 0;
    for (; names[n]; n++) cr_expect(mpg_is_mpi_package(names[n]), "%s is not recognised as an MPI package", names[n]);
    cr_expect_gt(n, 10);
    const char *const others[] = {"numpy", "pkg12", "mpi4py-3.1.6.dist-info", "mpi4p", "mpi4pyfftx", "h5p", "",
                                  "Mpi4py", "adios", "setuptools", NULL};
    for (const char *const *o = others; *o; o++) cr_expect(!mpg_is_mpi_package(*o), "%s taken for an MPI package", *o);
}
