/* test_stacks.c: the loaded MPI module on every real site stack (FACTS 7, issue 7 point 2), from
 * the signals each stack really gives: EasyBuild (EBROOT*, no family, RPATH builds without
 * LD_LIBRARY_PATH), Spack (family("mpi") or none, no LD_LIBRARY_PATH, MPICC set by the module,
 * hashed prefixes), HPE Cray PE (CRAY_MPICH_DIR, libmpi_gnu_123.so.12, no mpicc,
 * cray-mpich-abi), Intel MPI (I_MPI_ROOT, lib/release), HPC-X, MVAPICH, Environment Modules
 * (no *_VERSION variable), RHEL's mpi/openmpi-x86_64, and a site-named module. Each shape gets
 * its exact findings with an env built against the module (healthy: none) and one that is not. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#define SYSLIB "/usr/lib/x86_64-linux-gnu"

static char *stack(const char *rel) { return fmt("%s/stacks/%s", fx(), rel); }
#define SPACK "spack/opt/spack/linux-debian12-x86_64/gcc-12.2.0"
#define CRAY "opt/cray/pe/mpich/8.1.28/ofi/gnu/12.3"

static char *real(const char *p) { return canon_path(p); }

/* A venv whose mpi4py extension is the given fixture, built with pip. */
static char *venv_with(const char *root, const char *ext_fixture)
{
    char *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, ext_fixture, "pip", NULL);
    return prefix;
}

static bool has_problem(const struct mpg_report *r, const char *needle)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (strstr(r->problems[i], needle)) return true;
    return false;
}

/* ---- EasyBuild ----------------------------------------------------------------------------- */

static void load_easybuild_openmpi(struct envb *e)
{
    char *root = stack("apps/software/OpenMPI/4.1.4-GCC-12.2.0");
    envb_set(e, "LOADEDMODULES", "GCCcore/12.2.0:zlib/1.2.12-GCCcore-12.2.0:GCC/12.2.0:OpenMPI/4.1.4-GCC-12.2.0");
    envb_set(e, "EBROOTOPENMPI", root);
    envb_set(e, "EBVERSIONOPENMPI", "4.1.4");
    envb_prepend_path(e, "PATH", joinp(root, "bin"));
}

Test(stacks, easybuild_openmpi_rpath_build_without_ld_library_path)
{
    struct envb e;
    envb_init(&e);
    load_easybuild_openmpi(&e);
    char *root = scratch(), *prefix = venv_with(root, "ext_ompi.so");
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    const struct mpg_module *m = &r->module;
    cr_assert(m->loaded, "EasyBuild's OpenMPI is a loaded MPI module");
    cr_expect_str_eq(m->name, "OpenMPI");
    cr_expect_str_eq(m->version, "4.1.4-GCC-12.2.0");
    cr_expect_str_eq(m->found_by, "LOADEDMODULES");
    cr_expect_str_eq(m->home_var, "EBROOTOPENMPI");
    cr_expect_str_eq(m->mpi.impl, "Open MPI");
    cr_expect_str_eq(m->mpi.path, real(SYSLIB "/libmpi.so.40"));
    cr_expect(strstr(m->mpicc, "OpenMPI/4.1.4-GCC-12.2.0/bin/mpicc"), "%s", m->mpicc);
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
    /* an mpi4py built for MPICH under it */
    char *prefix2 = venv_with(scratch(), "ext_mpich.so");
    activate_venv(&e, prefix2);
    r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH");
    const struct mpg_finding *f = finding(r, "ABI_MISMATCH");
    cr_assert(f);
    cr_expect(strstr(f->message, "OpenMPI/4.1.4-GCC-12.2.0"), "%s", f->message);
    cr_expect(strstr(f->fix, "OpenMPI/4.1.4-GCC-12.2.0/bin/mpicc python -m pip install"), "%s", f->fix);
    mpg_report_free(r);
}

Test(stacks, prefix_reached_through_a_site_symlink_keeps_its_spelling_in_the_wrappers)
{
    /* Sites link /opt/apps -> /gpfs/apps: the module says /opt/apps/..., and MPICC must too
     * (the link is what stays valid when the storage moves); comparisons use the real folder. */
    char *link = joinp(scratch(), "apps");
    cr_assert(symlink(stack("apps"), link) == 0);
    char *root = joinp(link, "software/OpenMPI/4.1.4-GCC-12.2.0");
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LOADEDMODULES", "GCC/12.2.0:OpenMPI/4.1.4-GCC-12.2.0");
    envb_set(&e, "EBROOTOPENMPI", root);
    envb_prepend_path(&e, "PATH", joinp(root, "bin"));
    envb_set(&e, "MPICC", joinp(root, "bin/mpicc"));
    char *prefix = venv_with(scratch(), "ext_ompi.so");
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    const struct mpg_module *m = &r->module;
    cr_assert(m->loaded);
    cr_expect_str_eq(m->mpicc, joinp(root, "bin/mpicc"), "the wrapper as the module spells its prefix");
    cr_expect_str_eq(m->mpiexec, joinp(root, "bin/mpiexec"));
    cr_expect_str_eq(m->home, real(root), "home is the real folder");
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
    /* the same through PATH alone (a Spack-like module with no prefix variable) */
    envb_init(&e);
    envb_set(&e, "LOADEDMODULES", "stack/2024");
    envb_prepend_path(&e, "PATH", joinp(root, "bin"));
    activate_venv(&e, prefix);
    r = run_check(&e, NULL);
    cr_assert(r->module.loaded);
    cr_expect_str_eq(r->module.mpicc, joinp(root, "bin/mpicc"));
    cr_expect_str_eq(r->module.home, real(root));
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
}

Test(stacks, easybuild_impi_finds_lib_release_under_i_mpi_root)
{
    char *ebroot = stack("apps/software/impi/2021.9.0-intel-compilers-2023.1.0"), *impi = joinp(ebroot, "mpi/2021.9.0");
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LOADEDMODULES", "GCCcore/12.3.0:intel-compilers/2023.1.0:impi/2021.9.0-intel-compilers-2023.1.0");
    envb_set(&e, "EBROOTIMPI", ebroot);
    envb_set(&e, "EBVERSIONIMPI", "2021.9.0");
    envb_set(&e, "I_MPI_ROOT", impi);
    envb_prepend_path(&e, "PATH", joinp(impi, "bin"));
    struct mpg_report *r = run_check(&e, NULL);
    const struct mpg_module *m = &r->module;
    cr_assert(m->loaded);
    cr_expect_str_eq(m->name, "impi");
    cr_expect_str_eq(m->version, "2021.9.0-intel-compilers-2023.1.0");
    cr_expect_str_eq(m->home_var, "I_MPI_ROOT");
    cr_expect_str_eq(m->mpi.impl, "Intel MPI");
    cr_expect_str_eq(m->mpi.version, "2021.9.0");
    cr_expect_eq(m->mpi.abi, MPG_ABI_MPICH);
    cr_expect_str_eq(m->libdir, real(joinp(impi, "lib/release")));
    mpg_report_free(r);
    /* EBROOTIMPI alone (a hand-written module): the lib folder is found below it via its mpicc */
    envb_set(&e, "I_MPI_ROOT", "");
    r = run_check(&e, NULL);
    cr_expect_str_eq(r->module.home_var, "EBROOTIMPI");
    cr_expect_str_eq(r->module.mpi.impl, "Intel MPI");
    mpg_report_free(r);
}

/* ---- Spack ---------------------------------------------------------------------------------- */

/* Spack's Lmod module: family("mpi") (Lmod exports it upper-cased), PATH only, MPICC set by the
 * package's run environment, no LD_LIBRARY_PATH. */
static void load_spack_openmpi(struct envb *e, bool family)
{
    char *prefix = stack(SPACK "/openmpi-4.1.4-qwertyuiopasdfg");
    if (family) {
        envb_set(e, "LMOD_FAMILY_MPI", "openmpi");
        envb_set(e, "LMOD_FAMILY_MPI_VERSION", "4.1.4");
        envb_set(e, "LOADEDMODULES", "gcc/12.2.0:openmpi/4.1.4");
    }
    envb_prepend_path(e, "PATH", joinp(prefix, "bin"));
    envb_set(e, "MPICC", joinp(prefix, "bin/mpicc"));
    envb_set(e, "MPICXX", joinp(prefix, "bin/mpicxx"));
}

Test(stacks, spack_lmod_module_family_mpi_no_ld_library_path_own_mpicc)
{
    struct envb e;
    envb_init(&e);
    load_spack_openmpi(&e, true);
    /* Spack's py-mpi4py (or pip with Spack's wrappers) carries RUNPATH to the MPI. */
    char *prefix = venv_with(scratch(), "ext_ompi_rpath_spack.so");
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    const struct mpg_module *m = &r->module;
    cr_assert(m->loaded);
    cr_expect_str_eq(m->name, "openmpi");
    cr_expect_str_eq(m->version, "4.1.4");
    cr_expect_str_eq(m->found_by, "LMOD_FAMILY_MPI");
    cr_expect_str_eq(m->home_var, "PATH");
    cr_expect_str_eq(m->home, real(stack(SPACK "/openmpi-4.1.4-qwertyuiopasdfg")));
    cr_expect_str_eq(m->mpi.impl, "Open MPI");
    EXPECT_CODES(r, "(none)"); /* the module's own MPICC is not "another MPI's" */
    cr_expect_str_eq(r->packages[0].resolved_via, "RUNPATH");
    mpg_report_free(r);
}

Test(stacks, spack_module_with_conda_env_activated_after_keeps_its_own_wrappers)
{
    /* A conda env with its own MPICH (and mpicc, mpiexec) activated after the Spack module: the
     * module's wrappers are still the module's, and its MPICC is still not the user's. */
    char *root = scratch(), *conda = make_conda(root, "sim");
    char *cbin = joinp(conda, "bin");
    for (const char *const *w = (const char *const[]){"mpicc", "mpiexec", NULL}; *w; w++) {
        char *p = joinp(cbin, *w);
        write_file(p, "#!/bin/sh\n");
        chmod(p, 0755);
    }
    struct envb e;
    envb_init(&e);
    load_spack_openmpi(&e, true);
    activate_conda(&e, conda, "sim");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect(strstr(r->module.mpicc, "openmpi-4.1.4-qwertyuiopasdfg/bin/mpicc"), "%s", r->module.mpicc);
    EXPECT_CODES(r, "LAUNCHER_SHADOWED");
    mpg_report_free(r);
}

Test(stacks, spack_tcl_module_without_family)
{
    struct envb e;
    envb_init(&e);
    load_spack_openmpi(&e, false);
    envb_set(&e, "LOADEDMODULES", "gcc/12.2.0:openmpi/4.1.4-gcc-12.2.0-qwertyu");
    struct mpg_report *r = run_check(&e, NULL);
    cr_assert(r->module.loaded);
    cr_expect_str_eq(r->module.found_by, "LOADEDMODULES");
    cr_expect_str_eq(r->module.name, "openmpi");
    cr_expect_str_eq(r->module.version, "4.1.4-gcc-12.2.0-qwertyu");
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
}

Test(stacks, module_known_only_by_its_wrappers_on_path)
{
    /* A module named by nothing mpiguard knows ("stack/2024"): its mpicc on PATH, in a Spack
     * prefix, is the module; the prefix names it. */
    struct envb e;
    envb_init(&e);
    load_spack_openmpi(&e, false);
    envb_set(&e, "LOADEDMODULES", "stack/2024");
    struct mpg_report *r = run_check(&e, NULL);
    cr_assert(r->module.loaded);
    cr_expect_str_eq(r->module.found_by, "PATH");
    cr_expect_str_eq(r->module.name, "openmpi");
    cr_expect_str_eq(r->module.version, "4.1.4");
    cr_expect_str_eq(r->module.mpi.impl, "Open MPI");
    mpg_report_free(r);
}

/* ---- HPE Cray PE ---------------------------------------------------------------------------- */

static void load_cray_mpich(struct envb *e, bool abi)
{
    char *dir = stack(CRAY);
    envb_set(e, "LMOD_FAMILY_MPI", abi ? "cray-mpich-abi" : "cray-mpich");
    envb_set(e, "LMOD_FAMILY_MPI_VERSION", "8.1.28");
    envb_set(e, "LOADEDMODULES", abi ? "craype/2.7.30:PrgEnv-gnu/8.5.0:cray-mpich-abi/8.1.28"
                                     : "craype/2.7.30:PrgEnv-gnu/8.5.0:cray-mpich/8.1.28");
    envb_set(e, "CRAY_MPICH_DIR", dir);
    envb_set(e, "MPICH_DIR", dir);
    envb_set(e, "CRAY_MPICH_VERSION", "8.1.28");
    envb_set(e, "CRAY_LD_LIBRARY_PATH", joinp(dir, "lib"));
    envb_prepend_path(e, "PATH", joinp(dir, "bin"));
    if (abi) envb_prepend_path(e, "LD_LIBRARY_PATH", joinp(dir, "lib-abi-mpich"));
}

Test(stacks, cray_mpich_vendor_named_library_and_no_mpicc)
{
    struct envb e;
    envb_init(&e);
    load_cray_mpich(&e, false);
    char *prefix = venv_with(scratch(), "ext_cray.so");
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    const struct mpg_module *m = &r->module;
    cr_assert(m->loaded);
    cr_expect_str_eq(m->name, "cray-mpich");
    cr_expect_str_eq(m->home_var, "CRAY_MPICH_DIR");
    cr_expect_str_eq(m->mpi.soname, "libmpi_gnu_123.so.12");
    cr_expect_str_eq(m->mpi.impl, "Cray MPICH");
    cr_expect_str_eq(m->mpi.version, "8.1.28");
    cr_expect_eq(m->mpi.abi, MPG_ABI_MPICH);
    cr_expect_null(m->mpicc);
    /* built with cc, run without the lib on LD_LIBRARY_PATH (only CRAY_LD_LIBRARY_PATH) and not in
     * this machine's ld.so.cache: the import fails */
    EXPECT_CODES(r, "LIBMPI_NOT_FOUND");
    cr_assert_eq(r->n_packages, 1);
    cr_expect_str_eq(r->packages[0].needed, "libmpi_gnu_123.so.12");
    mpg_report_free(r);
    /* with CRAY_LD_LIBRARY_PATH put on LD_LIBRARY_PATH (lumi-CrayPath does) it is healthy */
    envb_prepend_path(&e, "LD_LIBRARY_PATH", joinp(stack(CRAY), "lib"));
    r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
    /* Debian's mpi4py (Open MPI) under cray-mpich; the fix builds with the PE's cc */
    char *v2 = make_venv(scratch(), "d", true);
    activate_venv(&e, v2);
    if (access("/usr/lib/python3/dist-packages/mpi4py", F_OK) == 0) {
        r = run_check(&e, NULL);
        EXPECT_CODES(r, "ABI_MISMATCH");
        const struct mpg_finding *f = finding(r, "ABI_MISMATCH");
        cr_assert(f);
        cr_expect(strstr(f->fix, "MPICC=cc python -m pip install"), "%s", f->fix);
        mpg_report_free(r);
    }
}

Test(stacks, cray_mpich_abi_module_is_the_abi_library)
{
    struct envb e;
    envb_init(&e);
    load_cray_mpich(&e, true);
    char *prefix = venv_with(scratch(), "ext_mpi12.so");
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    const struct mpg_module *m = &r->module;
    cr_expect_str_eq(m->mpi.soname, "libmpi.so.12");
    cr_expect_str_eq(m->mpi.impl, "Cray MPICH");
    cr_expect(strstr(m->libdir, "lib-abi-mpich"), "%s", m->libdir);
    EXPECT_CODES(r, "(none)"); /* an MPICH-ABI mpi4py runs on cray-mpich-abi */
    mpg_report_free(r);
}

/* ---- Intel MPI, HPC-X, MVAPICH -------------------------------------------------------------- */

Test(stacks, intel_mpi_both_layouts_without_family)
{
    static const char *const layouts[][2] = {{"2021.10.0", "lib/release"}, {"2021.13.1", "lib"}};
    for (size_t i = 0; i < 2; i++) {
        char *root = stack(fmt("opt/intel/oneapi/mpi/%s", layouts[i][0]));
        struct envb e;
        envb_init(&e);
        envb_set(&e, "LOADEDMODULES", fmt("intel-oneapi-compilers/2024.2.0:intel-mpi/%s", layouts[i][0]));
        envb_set(&e, "I_MPI_ROOT", root);
        envb_prepend_path(&e, "PATH", joinp(root, "bin"));
        envb_prepend_path(&e, "LD_LIBRARY_PATH", joinp(root, layouts[i][1]));
        char *prefix = venv_with(scratch(), "ext_mpi12.so");
        activate_venv(&e, prefix);
        struct mpg_report *r = run_check(&e, NULL);
        const struct mpg_module *m = &r->module;
        cr_assert(m->loaded);
        cr_expect_str_eq(m->name, "intel-mpi");
        cr_expect_str_eq(m->version, layouts[i][0]);
        cr_expect_str_eq(m->mpi.impl, "Intel MPI");
        cr_expect_str_eq(m->mpi.version, layouts[i][0]);
        cr_expect_str_eq(m->libdir, real(joinp(root, layouts[i][1])));
        EXPECT_CODES(r, "(none)");
        mpg_report_free(r);
    }
}

Test(stacks, hpcx_open_mpi)
{
    char *ompi = stack("opt/hpcx-v2.17.1/ompi");
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LOADEDMODULES", "hpcx/2.17.1");
    envb_set(&e, "HPCX_DIR", stack("opt/hpcx-v2.17.1"));
    envb_set(&e, "HPCX_MPI_DIR", ompi);
    envb_set(&e, "OMPI_HOME", ompi);
    envb_prepend_path(&e, "PATH", joinp(ompi, "bin"));
    envb_prepend_path(&e, "LD_LIBRARY_PATH", joinp(ompi, "lib"));
    char *prefix = venv_with(scratch(), "ext_mpich.so");
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_str_eq(r->module.name, "hpcx");
    cr_expect_str_eq(r->module.version, "2.17.1");
    cr_expect_str_eq(r->module.home_var, "HPCX_MPI_DIR");
    cr_expect_str_eq(r->module.mpi.impl, "Open MPI");
    EXPECT_CODES(r, "ABI_MISMATCH");
    mpg_report_free(r);
    activate_venv(&e, venv_with(scratch(), "ext_ompi.so"));
    r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
}

Test(stacks, mvapich2)
{
    char *root = stack("opt/mvapich2-2.3.7");
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LOADEDMODULES", "gcc/12.2.0:mvapich2/2.3.7");
    envb_prepend_path(&e, "PATH", joinp(root, "bin"));
    envb_prepend_path(&e, "LD_LIBRARY_PATH", joinp(root, "lib"));
    activate_venv(&e, venv_with(scratch(), "ext_mpi12.so"));
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_str_eq(r->module.name, "mvapich2");
    cr_expect_str_eq(r->module.mpi.impl, "MVAPICH");
    cr_expect_str_eq(r->module.mpi.version, "2.3.7");
    cr_expect_str_eq(r->module.mpi.device, "ch3:mrail");
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
}

/* ---- Environment Modules, RHEL, site names ------------------------------------------------- */

Test(stacks, environment_modules_version_from_loadedmodules)
{
    /* Environment Modules 5 exports MODULES_FAMILY_MPI (the module's name) and no *_VERSION. */
    struct envb e;
    envb_init(&e);
    char *home = fxp("mpich-module");
    envb_set(&e, "MODULES_FAMILY_MPI", "mpich");
    envb_set(&e, "LOADEDMODULES", "gcc/12.2.0:mpich/4.0.2");
    envb_set(&e, "_LMFILES_", "/etc/modulefiles/gcc/12.2.0:/etc/modulefiles/mpich/4.0.2");
    envb_set(&e, "MPI_HOME", home);
    envb_prepend_path(&e, "PATH", joinp(home, "bin"));
    envb_prepend_path(&e, "LD_LIBRARY_PATH", joinp(home, "lib"));
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_str_eq(r->module.name, "mpich");
    cr_expect_str_eq(r->module.version, "4.0.2");
    cr_expect_str_eq(r->module.found_by, "MODULES_FAMILY_MPI");
    mpg_report_free(r);
}

Test(stacks, rhel_mpi_module_name_without_version)
{
    struct envb e;
    envb_init(&e);
    char *home = fxp("openmpi-module");
    envb_set(&e, "LOADEDMODULES", "mpi/openmpi-x86_64");
    envb_set(&e, "MPI_HOME", home);
    envb_prepend_path(&e, "LD_LIBRARY_PATH", SYSLIB "/openmpi/lib");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_str_eq(r->module.name, "mpi/openmpi-x86_64");
    cr_expect_null(r->module.version);
    cr_expect_str_eq(r->module.mpi.impl, "Open MPI");
    mpg_report_free(r);
}

Test(stacks, site_named_mpi_module)
{
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LOADEDMODULES", "base/1:pe-mpi/2024.1");
    envb_prepend_path(&e, "LD_LIBRARY_PATH", SYSLIB "/openmpi/lib");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_not(r->module.loaded, "an unknown name alone is not an MPI");
    mpg_report_free(r);
    const char *const sites[] = {"pe-mpi", NULL};
    struct mpg_input in = {.environ = (const char *const *)e.v, .mpi_modules = sites};
    r = mpg_check(&in);
    cr_assert(r->module.loaded);
    cr_expect_str_eq(r->module.name, "pe-mpi");
    cr_expect_str_eq(r->module.version, "2024.1");
    cr_expect_str_eq(r->module.mpi.impl, "Open MPI");
    mpg_report_free(r);
}

Test(stacks, debian_mpicc_in_usr_bin_is_not_a_module)
{
    struct envb e;
    envb_init(&e); /* PATH=/usr/bin:/bin holds Debian's mpicc alternative */
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_not(r->module.loaded);
    mpg_report_free(r);
}

/* ---- bad input ------------------------------------------------------------------------------ */

Test(stacks, ebroot_pointing_nowhere_is_a_problem_line)
{
    struct envb e;
    envb_init(&e);
    envb_set(&e, "EBROOTOPENMPI", "/nonexistent/software/OpenMPI/4.1.4");
    envb_set(&e, "LOADEDMODULES", "OpenMPI/4.1.4-GCC-12.2.0");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect(has_problem(r, "EBROOTOPENMPI=/nonexistent/software/OpenMPI/4.1.4 is not a folder"));
    cr_expect(r->module.loaded, "the loaded modules still name it");
    cr_expect(has_problem(r, "sets no library folder"));
    mpg_report_free(r);
}

Test(stacks, huge_loadedmodules_is_a_problem_line)
{
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++) big[i] = i % 10 == 9 ? ':' : 'a' + (char)(i % 7);
    big[n] = '\0';
    memcpy(big + n - 20, ":OpenMPI/4.1.4-GCC12", 20);
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LOADEDMODULES", big);
    free(big);
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect(has_problem(r, "LOADEDMODULES is 102400 characters long"));
    cr_expect_not(r->module.loaded);
    mpg_report_free(r);
}

Test(stacks, fifo_and_dev_zero_where_the_module_library_should_be)
{
    char *root = scratch(), *lib = joinp(root, "lib"), *bin = joinp(root, "bin");
    mkdirs(lib), mkdirs(bin);
    cr_assert(mkfifo(joinp(lib, "libmpi.so.12"), 0644) == 0);
    cr_assert(symlink("/dev/zero", joinp(lib, "libmpi.so.40")) == 0);
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LMOD_FAMILY_MPI", "mpich");
    envb_set(&e, "MPI_HOME", root);
    envb_prepend_path(&e, "LD_LIBRARY_PATH", lib);
    struct mpg_report *r = run_check(&e, NULL); /* must not block on the FIFO */
    cr_expect(has_problem(r, "libmpi.so.12 is not a regular file"), "FIFO reported");
    cr_expect(r->module.loaded);
    cr_expect_null(r->module.mpi.path);
    mpg_report_free(r);
}
