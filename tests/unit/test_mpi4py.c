/* test_mpi4py.c: mpi4py >= 4.1 binary wheels (issue 7 point 1): the library search mpi4py runs at
 * import (src/mpi4py/_mpiabi.py at 4.1.0 (mpi4py-publish), 4.1.1, 4.1.2 and main), asserted step
 * by step, and the findings it leads to on Debian, where libmpi.so is Open MPI's (the
 * alternative) and MPICH is only libmpich.so.12. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_read.h"
#include "helpers.h"
#include "ldcache.h"
#include "loader.h"
#include "mpi4py_search.h"
#include "pyenv.h"

#define OMPI_LIB "/usr/lib/x86_64-linux-gnu/openmpi/lib"
#define EXT ".cpython-311-x86_64-linux-gnu.so"

/* A wheel of mpi4py <version> in site with an extension per ABI: "mpich" (needs libmpi.so.12),
 * "openmpi" (libmpi.so.40), "mpiabi" (libmpi_abi.so.1). */
static char *make_wheel(const char *site, const char *version, const char *const *abis)
{
    char *pkg = joinp(site, "mpi4py"), *info = fmt("%s/mpi4py-%s.dist-info", site, version);
    mkdirs(pkg), mkdirs(info);
    write_file(joinp(pkg, "__init__.py"), "");
    write_file(joinp(info, "INSTALLER"), "pip\n");
    for (const char *const *a = abis; *a; a++) {
        const char *src = strcmp(*a, "mpich") == 0 ? "ext_mpi12.so" : strcmp(*a, "openmpi") == 0 ? "ext_ompi.so"
                                                                                                   : "ext_mpiabi.so";
        copy_file(fxp(src), fmt("%s/MPI.%s%s", pkg, *a, EXT));
    }
    return pkg;
}
static const char *const both[] = {"mpich", "openmpi", NULL};
static const char *const all3[] = {"mpich", "openmpi", "mpiabi", NULL};

/* A venv holding a wheel of version with the extensions for abis, active in e (initialised
 * here) with module loaded; returns the wheel's package folder and sets *prefix. */
static char *venv_with_wheel(struct envb *e, const char *version, const char *const *abis, const char *module,
                             char **prefix)
{
    *prefix = make_venv(scratch(), "v", false);
    char *pkg = make_wheel(site_dir(*prefix), version, abis);
    envb_init(e);
    activate_venv(e, *prefix);
    load_module(e, module);
    return pkg;
}

/* The search alone, set up as mpg_check() sets it up, for step-by-step assertions. */
static void search(struct envb *e, const char *pkgdir, const char *version, struct mpg_mpi4py_result *res)
{
    struct mpg_envsnap snap = {.vars = (const char *const *)e->v};
    struct mpg_strv problems = {0};
    struct mpg_env env;
    cr_assert(mpg_pyenv_discover(&snap, NULL, &env, &problems));
    struct mpg_ldcache cache;
    bool have = mpg_ldcache_load("/etc/ld.so.cache", &cache, NULL, 0) == 0;
    char *python = mpg_pyenv_python(&env, &snap);
    struct mpg_loader ld = {.ld_library_path = mpg_env_get(&snap, "LD_LIBRARY_PATH"), .cache = have ? &cache : NULL,
                            .is64 = true, .machine = 62, .cwd = mpg_env_nonempty(&snap, "PWD")};
    struct mpg_mpi4py_ctx c = {.env = &env, .snap = &snap, .ld = &ld, .python = python};
    mpg_mpi4py_search(&c, pkgdir, version, res);
    free(python);
    if (have) mpg_ldcache_free(&cache);
    mpg_env_clear(&env);
    mpg_strv_free(&problems);
}

/* The tried list as one string, for messages and strstr. */
static char *tried(const struct mpg_mpi4py_result *r)
{
    char *s = fmt("%s", "");
    for (size_t i = 0; i < r->tried.n; i++) s = fmt("%s[%zu] %s\n", s, i, r->tried.v[i]);
    return s;
}

static void expect_step(const struct mpg_mpi4py_result *r, size_t i, const char *prefix)
{
    char *all = tried(r);
    cr_assert_lt(i, r->tried.n, "no step %zu (want %s):\n%s", i, prefix, all);
    cr_expect(mpg_str_starts(r->tried.v[i], prefix), "step %zu: want %s...:\n%s", i, prefix, all);
}

Test(mpi4py, open_mpi_module_on_a_machine_with_mpich_is_healthy)
{
    /* The false ABI_MISMATCH of issue 7: libmpi.so is the first name, found in the Open MPI
     * module's folder; libmpich.so.12 (Debian's MPICH) is never tried. */
    struct envb e;
    char *prefix, *pkg = venv_with_wheel(&e, "4.1.2", both, "openmpi", &prefix);
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.2", &res);
    char *vlib = canon_path(joinp(prefix, "lib"));
    cr_assert(vlib);
    expect_step(&res, 0, fmt("%s/libmpi.so: ", vlib));
    expect_step(&res, 1, fmt("%s/libmpi.so.12: ", vlib));
    expect_step(&res, 2, fmt("%s/libmpi.so.40: ", vlib));
    expect_step(&res, 3, "libmpi.so: loads /usr/lib/x86_64-linux-gnu/libmpi.so.40.30.4");
    cr_expect_eq(res.tried.n, 4);
    cr_expect_str_eq(res.abi, "openmpi");
    cr_expect(strstr(res.variant, "MPI.openmpi" EXT));
    cr_expect(strstr(res.how, "libmpi.so on the loader path (LD_LIBRARY_PATH)"), "%s", res.how);
    mpg_mpi4py_result_clear(&res);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    cr_expect_str_eq(r->packages[0].version, "4.1.2");
    cr_expect_str_eq(r->packages[0].needed, "libmpi.so.40");
    cr_expect(strstr(r->packages[0].resolved_via, "MPI.openmpi needs libmpi.so.40: the library the search loaded"),
              "%s", r->packages[0].resolved_via);
    mpg_report_free(r);
}

Test(mpi4py, mpich_module_with_libmpi_so_is_healthy)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *pkg = make_wheel(site_dir(prefix), "4.1.1", both);
    char *home = fxp("mpich-full");
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    envb_set(&e, "LMOD_FAMILY_MPI", "mpich");
    envb_set(&e, "MPI_HOME", home);
    envb_prepend_path(&e, "PATH", joinp(home, "bin"));
    envb_prepend_path(&e, "LD_LIBRARY_PATH", joinp(home, "lib"));
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.1", &res);
    cr_expect_str_eq(res.abi, "mpich");
    cr_expect_str_eq(res.library, canon_path(joinp(home, "lib/libmpi.so.12.4.2")));
    mpg_mpi4py_result_clear(&res);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
}

Test(mpi4py, user_base_only_when_the_user_site_is_on)
{
    char *root = scratch();
    struct envb e;
    envb_init(&e);
    char *ubl = joinp(envb_get(&e, "HOME"), ".local/lib");
    mkdirs(ubl);
    copy_file(fxp("bundled-libmpi.so.12"), joinp(ubl, "libmpi.so.12"));
    load_module(&e, "openmpi");
    /* a venv without system site packages: no user site, so ~/.local/lib is not searched */
    char *v1 = make_venv(root, "plain", false), *pkg1 = make_wheel(site_dir(v1), "4.1.2", both);
    activate_venv(&e, v1);
    struct mpg_mpi4py_result res;
    search(&e, pkg1, "4.1.2", &res);
    cr_expect_null(strstr(tried(&res), ".local/lib"), "%s", tried(&res));
    cr_expect_str_eq(res.abi, "openmpi");
    mpg_mpi4py_result_clear(&res);
    /* with system site packages the user site is on: ~/.local/lib/libmpi.so.12 is found first */
    char *v2 = make_venv(root, "sys", true), *pkg2 = make_wheel(site_dir(v2), "4.1.2", both);
    activate_venv(&e, v2);
    search(&e, pkg2, "4.1.2", &res);
    char *t = tried(&res);
    cr_expect(strstr(t, ".local/lib/libmpi.so.12: loads"), "%s", t);
    cr_expect_str_eq(res.abi, "mpich");
    cr_expect(strstr(res.how, "the user base's lib"), "%s", res.how);
    mpg_mpi4py_result_clear(&res);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH"); /* MPICH from ~/.local under the Open MPI module */
    mpg_report_free(r);
    /* PYTHONNOUSERSITE turns it off again; the base prefix /usr is never searched */
    envb_set(&e, "PYTHONNOUSERSITE", "1");
    search(&e, pkg2, "4.1.2", &res);
    t = tried(&res);
    cr_expect_null(strstr(t, ".local/lib"), "%s", t);
    cr_expect_null(strstr(t, "/usr/lib/libmpi"), "%s", t);
    mpg_mpi4py_result_clear(&res);
}

Test(mpi4py, conda_env_lib_is_searched_as_the_base_prefix)
{
    char *root = scratch(), *prefix = make_conda(root, "w");
    mkdirs(joinp(prefix, "lib"));
    copy_file(fxp("bundled-libmpi.so.12"), joinp(prefix, "lib/libmpi.so.12"));
    conda_record(prefix, "mpich", "4.0.2", "h_100", "conda-forge", "[\"lib/libmpi.so.12\"]", NULL);
    char *pkg = make_wheel(site_dir(prefix), "4.1.2", both);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "w");
    load_module(&e, "mpich");
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.2", &res);
    cr_expect(strstr(res.how, "the base prefix's lib"), "%s", res.how);
    mpg_mpi4py_result_clear(&res);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ENV_BUNDLED_MPI");
    mpg_report_free(r);
}

Test(mpi4py, mpi4py_libmpi_by_version)
{
    /* MPI4PY_LIBMPI=libmpich.so.12 (Debian's MPICH, SONAME libmpich.so.12): 4.1.x dlopens it
     * from the loader path; MPI.mpich then needs libmpi.so.12, which the mpich-debian module
     * does not provide: the import fails. From 4.2 a bare name is tried in each folder first. */
    char *root = scratch(), *prefix = make_venv(root, "v", false);
    char *pkg = make_wheel(site_dir(prefix), "4.1.2", both);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich-debian");
    envb_set(&e, "MPI4PY_LIBMPI", "libmpich.so.12");
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.2", &res);
    expect_step(&res, 0, "libmpich.so.12: loads /usr/lib/x86_64-linux-gnu/libmpich.so.12");
    cr_expect_eq(res.tried.n, 1);
    cr_expect_str_eq(res.abi, "mpich");
    mpg_mpi4py_result_clear(&res);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "LIBMPI_NOT_FOUND");
    cr_expect_str_eq(r->packages[0].import_error, "libmpi.so.12: cannot open shared object file: No such file or directory");
    cr_expect(strstr(finding(r, "LIBMPI_NOT_FOUND")->message, "MPI4PY_LIBMPI=libmpich.so.12"), "%s",
              finding(r, "LIBMPI_NOT_FOUND")->message);
    mpg_report_free(r);
    /* under the MPICH module that has libmpi.so.12, the same setting works */
    load_module(&e, "mpich");
    r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
    /* main: <venv>/lib/libmpich.so.12 first */
    copy_file(fxp("bundled-libmpi.so.12"), joinp(prefix, "lib/libmpich.so.12"));
    search(&e, pkg, "4.2.0.dev0", &res);
    char *vlib = canon_path(joinp(prefix, "lib"));
    expect_step(&res, 0, fmt("%s/libmpich.so.12: loads", vlib));
    mpg_mpi4py_result_clear(&res);
    search(&e, pkg, "4.1.2", &res);
    expect_step(&res, 0, "libmpich.so.12: loads /usr/lib/x86_64-linux-gnu/libmpich.so.12");
    mpg_mpi4py_result_clear(&res);
}

Test(mpi4py, mpi4py_libmpi_folder_list_and_expansion)
{
    struct envb e;
    char *prefix, *pkg = venv_with_wheel(&e, "4.1.0", both, "openmpi", &prefix);
    char *full = fxp("mpich-full");
    envb_set(&e, "MYMPI", full);
    /* 4.1.x: a folder entry gets the three names; $VAR is expanded; the list is searched in order */
    envb_set(&e, "MPI4PY_LIBMPI", "/nonexistent/libmpi.so:$MYMPI/lib");
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.0", &res);
    expect_step(&res, 0, "/nonexistent/libmpi.so: ");
    expect_step(&res, 1, fmt("%s/lib/libmpi.so: loads", full));
    cr_expect_str_eq(res.abi, "mpich");
    mpg_mpi4py_result_clear(&res);
    /* main: the list names files; a folder is not a library */
    search(&e, pkg, "4.2.0.dev0", &res);
    char *t = tried(&res);
    cr_expect_null(res.library, "%s", t);
    cr_expect(strstr(t, fmt("%s/lib: ", full)), "%s", t);
    mpg_mpi4py_result_clear(&res);
    /* ~ is the home folder */
    char *home = fmt("%s", envb_get(&e, "HOME"));
    mkdirs(joinp(home, "mpi"));
    copy_file(fxp("bundled-libmpi.so.12"), joinp(home, "mpi/libmpi.so.12"));
    envb_set(&e, "MPI4PY_LIBMPI", "~/mpi/libmpi.so.12");
    search(&e, pkg, "4.1.0", &res);
    expect_step(&res, 0, fmt("%s/mpi/libmpi.so.12: loads", home));
    mpg_mpi4py_result_clear(&res);
}

Test(mpi4py, mpi4py_mpiabi_by_version)
{
    struct envb e;
    char *prefix, *pkg = venv_with_wheel(&e, "4.1.2", both, "mpich", &prefix);
    /* 4.1.x: the ABI as given (" -_" dropped, any case), no library search at all */
    envb_set(&e, "MPI4PY_MPIABI", "Open-MPI");
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.2", &res);
    cr_expect_str_eq(res.abi, "openmpi");
    cr_expect_null(res.library);
    cr_expect_eq(res.tried.n, 0);
    mpg_mpi4py_result_clear(&res);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH");
    mpg_report_free(r);
    /* impi is the MPICH ABI on POSIX */
    envb_set(&e, "MPI4PY_MPIABI", "impi");
    search(&e, pkg, "4.1.2", &res);
    cr_expect_str_eq(res.abi, "mpich");
    mpg_mpi4py_result_clear(&res);
    /* main: the ABI names a library (libmpi.so.40) searched in the folders; the ABI is then read
     * from what loaded */
    envb_set(&e, "MPI4PY_MPIABI", "openmpi");
    search(&e, pkg, "4.2.0.dev0", &res);
    char *vlib = canon_path(joinp(prefix, "lib"));
    expect_step(&res, 0, fmt("%s/libmpi.so.40: ", vlib));
    expect_step(&res, 1, "libmpi.so.40: loads /usr/lib/x86_64-linux-gnu/libmpi.so.40");
    cr_expect_str_eq(res.abi, "openmpi");
    mpg_mpi4py_result_clear(&res);
    /* main: an unknown ABI fails the import */
    envb_set(&e, "MPI4PY_MPIABI", "foo");
    search(&e, pkg, "4.2.0.dev0", &res);
    cr_expect(res.error && strstr(res.error, "KeyError"), "%s", res.error);
    mpg_mpi4py_result_clear(&res);
}

Test(mpi4py, an_mpi_already_in_the_process_wins)
{
    /* dlopen(NULL) comes first, even before MPI4PY_LIBMPI */
    struct envb e;
    char *prefix, *pkg = venv_with_wheel(&e, "4.1.2", both, "openmpi", &prefix);
    envb_set(&e, "LD_PRELOAD", fxp("mpich-full/lib/libmpi.so.12"));
    envb_set(&e, "MPI4PY_LIBMPI", OMPI_LIB "/libmpi.so");
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.2", &res);
    cr_expect_eq(res.tried.n, 0);
    cr_expect_str_eq(res.abi, "mpich");
    cr_expect(strstr(res.how, "already in the process (LD_PRELOAD)"), "%s", res.how);
    mpg_mpi4py_result_clear(&res);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH"); /* its MPI.mpich binds to the preloaded MPICH */
    mpg_report_free(r);
}

Test(mpi4py, candidates_that_load_without_mpi_or_fail_to_load_are_skipped)
{
    struct envb e;
    char *prefix, *pkg = venv_with_wheel(&e, "4.1.2", both, "openmpi", &prefix);
    char *vlib = joinp(prefix, "lib");
    copy_file(fxp("notmpi.so"), joinp(vlib, "libmpi.so"));              /* loads, no MPI_Get_version */
    copy_file(fxp("needs-gone-libmpi.so.12"), joinp(vlib, "libmpi.so.12")); /* its libgone.so.1 is missing */
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.2", &res);
    char *t = tried(&res);
    cr_expect(strstr(t, "libmpi.so loads but has no MPI_Get_version"), "%s", t);
    cr_expect(strstr(t, "libgone.so.1: cannot open shared object file"), "%s", t);
    cr_expect_str_eq(res.abi, "openmpi");
    mpg_mpi4py_result_clear(&res);
}

Test(mpi4py, no_mpi_library_loads_is_libmpi_not_found)
{
    /* Nothing the search tries loads (here MPI4PY_LIBMPI names a file that is not there): the
     * import raises RuntimeError before any extension is loaded. */
    char *root = scratch(), *prefix = make_venv(root, "v", false);
    make_wheel(site_dir(prefix), "4.1.0", both);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "openmpi");
    envb_set(&e, "MPI4PY_LIBMPI", "/nonexistent/libmpi.so.12");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "LIBMPI_NOT_FOUND");
    const struct mpg_finding *f = finding(r, "LIBMPI_NOT_FOUND");
    cr_assert(f);
    cr_expect(strstr(f->message, "RuntimeError: cannot load MPI library"), "%s", f->message);
    cr_expect(strstr(f->message, "binary wheel that picks its MPI library at import"), "%s", f->message);
    cr_expect(strstr(f->message, "/nonexistent/libmpi.so.12"), "%s", f->message);
    cr_expect_str_eq(r->packages[0].import_error, "RuntimeError: cannot load MPI library");
    mpg_report_free(r);
}

Test(mpi4py, no_extension_for_the_abi_found)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false);
    const char *const only_mpich[] = {"mpich", NULL};
    make_wheel(site_dir(prefix), "4.1.2", only_mpich);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "openmpi");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "LIBMPI_NOT_FOUND");
    cr_expect(strstr(r->packages[0].import_error, "unsupported MPI ABI 'openmpi'"), "%s", r->packages[0].import_error);
    mpg_report_free(r);
}

Test(mpi4py, plain_extension_beside_variants_is_imported_without_search)
{
    /* Python's own finder comes before mpi4py's: a plain MPI extension wins. */
    struct envb e;
    char *prefix, *pkg = venv_with_wheel(&e, "4.1.2", both, "openmpi", &prefix);
    copy_file(fxp("ext_mpich.so"), joinp(pkg, "MPI" EXT));
    cr_expect_not(mpg_mpi4py_is_multi_abi(pkg));
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH");
    cr_expect(mpg_str_ends(r->packages[0].extension, "/MPI" EXT), "%s", r->packages[0].extension);
    mpg_report_free(r);
}

Test(mpi4py, standard_abi_library_is_a_main_candidate_only)
{
    /* libmpi_abi.so.1 is a name from 4.2 (main) on; 4.1.x never tries it */
    struct envb e;
    char *prefix, *pkg = venv_with_wheel(&e, "4.2.0.dev0", all3, "openmpi", &prefix);
    copy_file(fxp("abi/libmpi_abi.so.1"), joinp(prefix, "lib/libmpi_abi.so.1"));
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.2.0.dev0", &res);
    cr_expect_str_eq(res.abi, "mpiabi");
    cr_expect(strstr(res.variant, "MPI.mpiabi" EXT));
    mpg_mpi4py_result_clear(&res);
    search(&e, pkg, "4.1.2", &res);
    cr_expect_null(strstr(tried(&res), "libmpi_abi"), "%s", tried(&res));
    cr_expect_str_eq(res.abi, "openmpi");
    mpg_mpi4py_result_clear(&res);
    /* the version comes from the dist-info: 4.2.0.dev0 here */
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect(strstr(r->packages[0].resolved_via, "mpi4py 4.2.0.dev0 search:"), "%s", r->packages[0].resolved_via);
    cr_expect_str_eq(r->packages[0].needed, "libmpi_abi.so.1");
    mpg_report_free(r);
}

Test(mpi4py, expand_like_os_path)
{
    const char *vars[] = {"HOME=/home/u", "A=/x", "EMPTY=", NULL};
    struct mpg_envsnap snap = {.vars = vars};
    struct {
        const char *in, *out;
    } cases[] = {
        {"$A/lib", "/x/lib"}, {"${A}/lib", "/x/lib"}, {"$UNSET/lib", "$UNSET/lib"}, {"${A", "${A"},
        {"~/lib", "/home/u/lib"}, {"~", "/home/u"}, {"a$", "a$"}, {"$EMPTY/lib", "/lib"}, {"", ""},
        {"~nosuchuser-xyz/lib", "~nosuchuser-xyz/lib"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = mpg_mpi4py_expand(&snap, cases[i].in);
        cr_expect_str_eq(got, cases[i].out, "expand(%s)", cases[i].in);
        free(got);
    }
    cr_expect_eq(mpg_mpi4py_rules_for("4.1.0"), MPG_MPI4PY_41);
    cr_expect_eq(mpg_mpi4py_rules_for("4.1.2"), MPG_MPI4PY_41);
    cr_expect_eq(mpg_mpi4py_rules_for("4.2.0.dev0"), MPG_MPI4PY_MAIN);
    cr_expect_eq(mpg_mpi4py_rules_for("5.0.0"), MPG_MPI4PY_MAIN);
    cr_expect_eq(mpg_mpi4py_rules_for(NULL), MPG_MPI4PY_41);
}

Test(mpi4py, fifo_and_dev_zero_among_the_candidates)
{
    /* Bad input: /dev/zero named libmpi.so in the venv's lib fails to load (ctypes raises
     * OSError, mpi4py goes on); a FIFO named libmpi.so.12 makes ctypes block in open(): the
     * import hangs, and mpiguard must say so without blocking itself. */
    struct envb e;
    char *prefix, *pkg = venv_with_wheel(&e, "4.1.2", both, "openmpi", &prefix);
    char *vlib = joinp(prefix, "lib");
    cr_assert(symlink("/dev/zero", joinp(vlib, "libmpi.so")) == 0);
    struct mpg_mpi4py_result res;
    search(&e, pkg, "4.1.2", &res);
    char *t = tried(&res);
    cr_expect(strstr(t, "libmpi.so: ") && strstr(t, "is a device"), "%s", t);
    cr_expect_str_eq(res.abi, "openmpi");
    mpg_mpi4py_result_clear(&res);
    cr_assert(mkfifo(joinp(vlib, "libmpi.so.12"), 0644) == 0);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "LIBMPI_NOT_FOUND");
    cr_expect(strstr(r->packages[0].import_error, "is a FIFO"), "%s", r->packages[0].import_error);
    mpg_report_free(r);
}

Test(mpi4py, oversized_search_variables_are_reported)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false);
    make_wheel(site_dir(prefix), "4.1.2", both);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "openmpi");
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++) big[i] = i % 20 == 19 ? ':' : '/';
    big[n] = '\0';
    envb_set(&e, "MPI4PY_LIBMPI", big);
    envb_set(&e, "LD_LIBRARY_PATH", big);
    free(big);
    struct mpg_report *r = run_check(&e, NULL);
    int libmpi = 0, ldlp = 0; /* one line each */
    for (size_t i = 0; i < r->n_problems; i++) {
        libmpi += strstr(r->problems[i], "MPI4PY_LIBMPI is 102400 characters long") != NULL;
        ldlp += strstr(r->problems[i], "LD_LIBRARY_PATH is 102400 characters long") != NULL;
    }
    cr_expect(libmpi == 1 && ldlp == 1, "one problem line for each (%d, %d)", libmpi, ldlp);
    mpg_report_free(r);
}
