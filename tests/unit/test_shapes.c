/* test_shapes.c: mpg_check() on real env shapes laid out on disk, with extensions compiled
 * against Debian's real MPICH and Open MPI: the exact findings for each shape of issue 2. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

/* Skips loudly: the reason reaches the test log. */
#define SKIP_UNLESS(cond, why)                                                                    \
    do {                                                                                          \
        if (!(cond)) cr_skip_test("SKIPPED: %s", why);                                            \
    } while (0)

/* conda env whose mpich package bundles libmpi.so.12; conda-build's MPI.so has RPATH
 * $ORIGIN/../../.., so the env's library beats the module's LD_LIBRARY_PATH. */
static char *bundled_conda(const char *root)
{
    char *prefix = make_conda(root, "sim");
    char *lib = joinp(prefix, "lib"), *dst = joinp(lib, "libmpi.so.12"), *src = fxp("bundled-libmpi.so.12");
    mkdirs(lib);
    copy_file(src, dst);
    conda_record(prefix, "mpich", "4.0.2", "h846660c_100", "conda-forge",
                 "[\"bin/mpiexec\", \"lib/libmpi.so\", \"lib/libmpi.so.12\", \"lib/libmpi.so.12.2.2\"]", NULL);
    conda_record(prefix, "mpi4py", "3.1.6", "py311h2d1c1b3_1", "conda-forge", "[]", NULL);
    char *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL);
    free(lib), free(dst), free(src), free(site);
    return prefix;
}

Test(shapes, conda_bundled_mpich_under_mpich_module)
{
    char *root = scratch(), *prefix = bundled_conda(root);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "sim");
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ENV_BUNDLED_MPI");
    const struct mpg_finding *f = finding(r, "ENV_BUNDLED_MPI");
    cr_assert(f);
    cr_expect_eq(f->severity, MPG_SEV_WARN);
    cr_expect(strstr(f->message, "conda env \"sim\""), "%s", f->message);
    cr_expect(strstr(f->message, "conda package mpich 4.0.2"), "%s", f->message);
    cr_expect(strstr(f->fix, "conda-forge/label/mpi-external mpich=4.0"), "%s", f->fix);
    cr_expect(strstr(f->fix, "--no-binary=mpi4py"), "%s", f->fix);
    cr_expect_eq(r->verdict, MPG_SEV_WARN);
    cr_assert_eq(r->n_packages, 1);
    cr_expect_str_eq(r->packages[0].resolved_via, "RPATH");
    cr_expect_str_eq(r->packages[0].installer, "conda");
    cr_expect_str_eq(r->packages[0].mpi.impl, "MPICH");
    cr_expect_str_eq(r->packages[0].mpi.version, "4.0.2");
    cr_assert_eq(r->n_conda_mpi, 1);
    cr_expect_not(r->conda_mpi[0].external);
    cr_expect_str_eq(r->conda_mpi[0].libmpi, "lib/libmpi.so");
    mpg_report_free(r);
    envb_free(&e);
}

Test(shapes, conda_bundled_mpich_under_openmpi_module_is_abi_mismatch)
{
    char *root = scratch(), *prefix = bundled_conda(root);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "sim");
    load_module(&e, "openmpi");
    struct mpg_report *r = run_check(&e, NULL);
    /* what breaks (another ABI) and why (the env's own MPI), with the conda fix in both */
    EXPECT_CODES(r, "ABI_MISMATCH ENV_BUNDLED_MPI");
    const struct mpg_finding *abi = finding(r, "ABI_MISMATCH"), *bundled = finding(r, "ENV_BUNDLED_MPI");
    cr_assert(abi && bundled);
    cr_expect(strstr(abi->message, "the env's own library: see ENV_BUNDLED_MPI"), "%s", abi->message);
    cr_expect(strstr(bundled->message, "conda package mpich 4.0.2"), "%s", bundled->message);
    cr_expect(strstr(bundled->fix, "mpi-external openmpi=4.1"), "%s", bundled->fix);
    mpg_report_free(r);
}

Test(shapes, conda_bundled_launcher_first_on_path)
{
    char *root = scratch(), *prefix = bundled_conda(root);
    char *mpiexec = joinp(prefix, "bin/mpiexec");
    write_file(mpiexec, "#!/bin/sh\n");
    chmod(mpiexec, 0755);
    struct envb e;
    envb_init(&e);
    load_module(&e, "mpich");
    activate_conda(&e, prefix, "sim"); /* activated after the module: the env's bin comes first */
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ENV_BUNDLED_MPI LAUNCHER_SHADOWED");
    const struct mpg_finding *f = finding(r, "LAUNCHER_SHADOWED");
    cr_assert(f);
    cr_expect(strstr(f->message, mpiexec), "%s", f->message);
    mpg_report_free(r);
}

/* A package resolving to the module's own libmpi takes what that library is from the module's
 * reading of it: the same answer as reading the file again. */
static void expect_package_mpi_read_from_file(const struct mpg_package *p)
{
    struct mpg_mpi direct;
    char err[256];
    cr_assert_eq(mpg_identify_mpi(p->resolved, &direct, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(p->mpi.path, direct.path);
    cr_expect_str_eq(p->mpi.soname, direct.soname);
    cr_expect_eq(p->mpi.abi, direct.abi);
    cr_expect(p->mpi.impl && direct.impl && strcmp(p->mpi.impl, direct.impl) == 0, "impl %s, read %s", p->mpi.impl,
              direct.impl);
    cr_expect(p->mpi.version && direct.version && strcmp(p->mpi.version, direct.version) == 0, "version %s, read %s",
              p->mpi.version, direct.version);
    cr_expect((!p->mpi.device && !direct.device) || (p->mpi.device && direct.device && !strcmp(p->mpi.device, direct.device)),
              "device %s, read %s", p->mpi.device, direct.device);
    mpg_mpi_clear(&direct);
}

Test(shapes, conda_external_mpich_resolving_to_module_is_healthy)
{
    char *root = scratch(), *prefix = make_conda(root, "ext");
    conda_record(prefix, "mpich", "4.0.2", "external_0", "conda-forge", "[]", NULL);
    conda_record(prefix, "mpi", "1.0", "mpich", "conda-forge", "[]", NULL);
    char *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "ext");
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    cr_expect_eq(r->verdict, MPG_SEV_OK);
    cr_assert_eq(r->n_packages, 1);
    cr_expect_str_eq(r->packages[0].resolved_via, "LD_LIBRARY_PATH");
    cr_expect_str_eq(r->packages[0].resolved, r->module.mpi.path);
    expect_package_mpi_read_from_file(&r->packages[0]);
    mpg_report_free(r);
}

Test(shapes, conda_external_2026_label_pinned_newer_than_module)
{
    /* 2026 style: an ordinary build string on the mpi-external label, built for MPICH 4.3. */
    char *root = scratch(), *prefix = make_conda(root, "new");
    conda_record(prefix, "mpich", "4.3.2", "h7063c07_105", "https://conda.anaconda.org/conda-forge/label/mpi-external",
                 "[]", "\"url\": \"https://conda.anaconda.org/conda-forge/label/mpi-external/linux-64/mpich-4.3.2-h7063c07_105.conda\"");
    char *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "new");
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "VERSION_MISMATCH");
    const struct mpg_finding *f = finding(r, "VERSION_MISMATCH");
    cr_assert(f);
    cr_expect_eq(f->severity, MPG_SEV_WARN, "module 4.0 older than the 4.3 the env was built for");
    cr_expect(r->conda_mpi[0].external);
    mpg_report_free(r);
}

Test(shapes, conda_external_on_debian_mpich_finds_no_libmpi)
{
    char *root = scratch(), *prefix = make_conda(root, "ext");
    conda_record(prefix, "mpich", "4.0.2", "external_0", "conda-forge", "[]", NULL);
    char *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "ext");
    load_module(&e, "mpich-debian");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "LIBMPI_NOT_FOUND");
    const struct mpg_finding *f = finding(r, "LIBMPI_NOT_FOUND");
    cr_assert(f);
    cr_expect(strstr(f->message, "libmpi.so.12"), "%s", f->message);
    cr_expect(strstr(f->message, "external"), "%s", f->message);
    cr_expect(strstr(f->message, "provides libmpich.so.12"), "%s", f->message);
    mpg_report_free(r);
}

Test(shapes, venv_with_debian_mpi4py_under_mpich_is_abi_mismatch)
{
    /* Debian's real python3-mpi4py (links libmpi.so.40) seen through --system-site-packages. */
    SKIP_UNLESS(access("/usr/lib/python3/dist-packages/mpi4py", F_OK) == 0,
                "python3-mpi4py is not installed (apt-get install python3-mpi4py)");
    char *root = scratch(), *prefix = make_venv(root, "v", true);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH");
    cr_assert_eq(r->n_packages, 1);
    cr_expect_str_eq(r->packages[0].installer, "debian");
    cr_expect_str_eq(r->packages[0].needed, "libmpi.so.40");
    cr_expect_str_eq(r->packages[0].mpi.impl, "Open MPI");
    cr_expect_eq(r->env.kind, MPG_ENV_VENV);
    cr_expect(r->env.system_site_packages);
    mpg_report_free(r);
}

Test(shapes, venv_with_debian_mpi4py_under_openmpi_is_healthy)
{
    SKIP_UNLESS(access("/usr/lib/python3/dist-packages/mpi4py", F_OK) == 0,
                "python3-mpi4py is not installed (apt-get install python3-mpi4py)");
    char *root = scratch(), *prefix = make_venv(root, "v", true);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "openmpi");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    cr_assert_eq(r->n_packages, 1);
    expect_package_mpi_read_from_file(&r->packages[0]);
    mpg_report_free(r);
}

Test(shapes, venv_without_system_site_hides_debian_mpi4py)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    cr_expect_eq(r->n_packages, 0);
    mpg_report_free(r);
}

Test(shapes, venv_pip_built_against_module_is_healthy)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpich.so", "pip", "/usr/bin/mpicc.mpich");
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich-debian");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    cr_expect_str_eq(r->packages[0].installer, "pip");
    mpg_report_free(r);
}

Test(shapes, venv_pip_built_against_mpich_under_openmpi)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpich.so", "pip", "/usr/bin/mpicc.mpich");
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "openmpi");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH");
    const struct mpg_finding *f = finding(r, "ABI_MISMATCH");
    cr_expect(strstr(f->fix, "MPICC=") && strstr(f->fix, "openmpi-module/bin/mpicc"), "%s", f->fix);
    mpg_report_free(r);
}

Test(shapes, rpath_to_other_install_beats_ld_library_path)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpich_rpath_other.so", "pip", NULL);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich-debian");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "MPI_INSTALL_MISMATCH");
    cr_expect_str_eq(r->packages[0].resolved_via, "RPATH");
    char *other = fxp("other-mpich/lib/libmpich.so.12");
    cr_expect_str_eq(r->packages[0].resolved, other);
    mpg_report_free(r);
}

Test(shapes, runpath_to_other_install_loses_to_ld_library_path)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpich_runpath_other.so", "pip", NULL);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich-debian");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    cr_expect_str_eq(r->packages[0].resolved_via, "LD_LIBRARY_PATH");
    mpg_report_free(r);
}

Test(shapes, mpicc_cfg_of_other_version_prefix)
{
    /* mpi.cfg recorded an mpicc of another MPICH installation (a different version). */
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    char *other = joinp(root, "mpich-3.4.3"), *bin = joinp(other, "bin"), *lib = joinp(other, "lib");
    mkdirs(bin), mkdirs(lib);
    char *cc = joinp(bin, "mpicc"), *libmpi = joinp(lib, "libmpi.so.12");
    write_file(cc, "#!/bin/sh\n");
    chmod(cc, 0755);
    /* A real ELF whose version string says 3.4.3: built by the test, identified by its symbols. */
    char *cmd = fmt("printf 'const char MPII_Version_string[] = \"3.4.3\";\\n' > '%s/v.c' && cc -shared -fPIC "
                    "-Wl,-soname,libmpi.so.12 -o '%s' '%s/v.c'", root, libmpi, root);
    cr_assert(system(cmd) == 0);
    put_mpi4py(site, "ext_mpi12.so", "pip", cc);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "VERSION_MISMATCH");
    const struct mpg_finding *f = finding(r, "VERSION_MISMATCH");
    cr_assert(f);
    cr_expect_eq(f->severity, MPG_SEV_NOTE, "module 4.0 is newer than the 3.4 it was built for");
    cr_expect(strstr(f->message, "3.4.3"), "%s", f->message);
    mpg_report_free(r);
}

Test(shapes, exported_mpicc_of_other_mpi)
{
    struct envb e;
    envb_init(&e);
    load_module(&e, "mpich");
    envb_set(&e, "MPICC", "/usr/bin/mpicc.openmpi");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "MPICC_MISMATCH");
    cr_expect_eq(finding(r, "MPICC_MISMATCH")->severity, MPG_SEV_WARN);
    mpg_report_free(r);
}

Test(shapes, exported_mpicc_of_the_module_is_fine)
{
    struct envb e;
    envb_init(&e);
    load_module(&e, "mpich");
    char *cc = fxp("mpich-module/bin/mpicc");
    envb_set(&e, "MPICC", cc);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
}

Test(shapes, env_with_mpi4py_and_no_module)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, "ext_ompi.so", "pip", NULL);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "NO_MPI_MODULE");
    cr_expect_eq(r->verdict, MPG_SEV_NOTE);
    cr_expect_not(r->module.loaded);
    mpg_report_free(r);
}

Test(shapes, no_env_no_module_is_ok)
{
    struct envb e;
    envb_init(&e);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    cr_expect_eq(r->env.kind, MPG_ENV_NONE);
    cr_expect(r->inspected);
    mpg_report_free(r);
}

Test(shapes, user_site_mpi4py_shadows_env_copy)
{
    /* pip install --user put an Open MPI mpi4py in ~/.local; a conda env's python imports that
     * one first, even though the env itself has an external (healthy) MPICH mpi4py. */
    char *root = scratch(), *prefix = make_conda(root, "ext");
    conda_record(prefix, "mpich", "4.0.2", "external_0", "conda-forge", "[]", NULL);
    char *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL);
    struct envb e;
    envb_init(&e);
    char *user_site = joinp(envb_get(&e, "HOME"), ".local/lib/python3.11/site-packages");
    mkdirs(user_site);
    put_mpi4py(user_site, "ext_ompi.so", "pip", NULL);
    activate_conda(&e, prefix, "ext");
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH");
    cr_expect_str_eq(r->packages[0].site_dir, user_site);
    envb_set(&e, "PYTHONNOUSERSITE", "1");
    struct mpg_report *r2 = run_check(&e, NULL);
    EXPECT_CODES(r2, "(none)");
    mpg_report_free(r);
    mpg_report_free(r2);
}

Test(shapes, h5py_linking_mpi_through_parallel_hdf5)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    char *pkg = joinp(site, "h5py"), *so = joinp(pkg, "_objects.cpython-311-x86_64-linux-gnu.so"), *src = fxp("ext_h5py.so");
    mkdirs(pkg);
    copy_file(src, so);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH");
    cr_assert_eq(r->n_packages, 1);
    cr_expect_str_eq(r->packages[0].name, "h5py");
    cr_expect_str_eq(r->packages[0].needed, "libmpi.so.40");
    cr_expect(strstr(r->packages[0].resolved_via, "libhdf5_fixture"), "%s", r->packages[0].resolved_via);
    mpg_report_free(r);
}

Test(shapes, pip_mpich_wheel_with_multi_abi_mpi4py)
{
    /* mpi4py >= 4.1 multi-ABI layout plus PyPI's mpich wheel, which puts libmpi.so.12 in the
     * venv's lib: mpi4py's own search finds it before the loader path. */
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    char *pkg = joinp(site, "mpi4py"), *info = joinp(site, "mpi4py-4.1.0.dist-info"), *winfo = joinp(site, "mpich-4.3.1.dist-info");
    mkdirs(pkg), mkdirs(info), mkdirs(winfo);
    char *a = joinp(pkg, "MPI.mpich.cpython-311-x86_64-linux-gnu.so"), *b = joinp(pkg, "MPI.openmpi.cpython-311-x86_64-linux-gnu.so");
    char *s1 = fxp("ext_mpi12.so"), *s2 = fxp("ext_ompi.so");
    copy_file(s1, a), copy_file(s2, b);
    char *inst = joinp(info, "INSTALLER");
    write_file(inst, "pip\n");
    char *lib = joinp(prefix, "lib/libmpi.so.12"), *src = fxp("bundled-libmpi.so.12");
    copy_file(src, lib);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ENV_BUNDLED_MPI");
    const struct mpg_finding *f = finding(r, "ENV_BUNDLED_MPI");
    cr_assert(f);
    cr_expect(strstr(f->message, "pip package mpich 4.3.1"), "%s", f->message);
    cr_expect_str_eq(r->packages[0].version, "4.1.0");
    /* Without the wheel's library, the search's first name, libmpi.so, is not in the MPICH
     * module's folder (it has libmpi.so.12 only), and on the loader path it is Debian's Open MPI
     * (ld.so.cache): mpi4py imports MPI.openmpi under the MPICH module (issue 7). */
    unlink(lib);
    struct mpg_report *r2 = run_check(&e, NULL);
    EXPECT_CODES(r2, "ABI_MISMATCH");
    cr_expect(strstr(r2->packages[0].resolved_via, "libmpi.so on the loader path (ld.so.cache) -> the openmpi ABI"),
              "%s", r2->packages[0].resolved_via);
    cr_expect(strstr(r2->packages[0].extension, "MPI.openmpi."), "%s", r2->packages[0].extension);
    mpg_report_free(r);
    mpg_report_free(r2);
}

Test(shapes, env_option_inspects_given_prefix)
{
    char *root = scratch(), *prefix = bundled_conda(root);
    struct envb e;
    envb_init(&e);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, prefix);
    EXPECT_CODES(r, "ENV_BUNDLED_MPI");
    cr_expect_eq(r->env.kind, MPG_ENV_CONDA);
    mpg_report_free(r);
}

/* ---- which env: what the user's `python` runs ------------------------------------------------ */

Test(shapes, venv_found_from_path_when_variables_are_unset)
{
    SKIP_UNLESS(access("/usr/lib/python3/dist-packages/mpi4py", F_OK) == 0, "python3-mpi4py is not installed");
    char *root = scratch(), *prefix = make_venv(root, "v", true), *bin = joinp(prefix, "bin");
    struct envb e;
    envb_init(&e);
    envb_prepend_path(&e, "PATH", bin); /* `deactivate` done by hand: VIRTUAL_ENV unset */
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_eq(r->env.kind, MPG_ENV_VENV);
    cr_expect_str_eq(r->env.found_by, "PATH");
    EXPECT_CODES(r, "ABI_MISMATCH");
    mpg_report_free(r);
}

Test(shapes, conda_found_from_path_when_conda_prefix_is_unset)
{
    char *root = scratch(), *prefix = make_conda(root, "sim"), *bin = joinp(prefix, "bin");
    char *lib = joinp(prefix, "lib"), *site = site_dir(prefix);
    copy_file(fxp("bundled-libmpi.so.12"), joinp(lib, "libmpi.so.12"));
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL);
    conda_record(prefix, "mpich", "4.1.2", "h_100", "conda-forge", "[\"lib/libmpi.so.12\"]", NULL);
    struct envb e;
    envb_init(&e);
    envb_prepend_path(&e, "PATH", bin);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_eq(r->env.kind, MPG_ENV_CONDA);
    cr_expect_str_eq(r->env.prefix, prefix);
    cr_expect_str_eq(r->env.found_by, "PATH");
    EXPECT_CODES(r, "ENV_BUNDLED_MPI");
    mpg_report_free(r);
}

/* VIRTUAL_ENV names one venv, but PATH runs another's python: the one that runs is checked. */
Test(shapes, python_first_on_path_beats_a_stale_variable)
{
    char *root = scratch(), *a = make_venv(root, "a", false), *b = make_venv(root, "b", true);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, a);
    char *bbin = joinp(b, "bin");
    envb_prepend_path(&e, "PATH", bbin);
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_str_eq(r->env.prefix, b);
    cr_expect_str_eq(r->env.found_by, "PATH");
    mpg_report_free(r);
}

/* The variable still counts when no python on PATH is an env's (its bin was dropped from
 * PATH, or a module's python comes first): more checking, never less. */
Test(shapes, variable_counts_when_no_env_python_is_on_path)
{
    char *root = scratch(), *a = make_venv(root, "a", false);
    struct envb e;
    envb_init(&e);
    envb_set(&e, "VIRTUAL_ENV", a);
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_str_eq(r->env.prefix, a);
    cr_expect_str_eq(r->env.found_by, "VIRTUAL_ENV");
    mpg_report_free(r);
}

/* `python` is the system's but `python3` the env's (PATH=/usr/bin:env/bin on a system whose
 * /usr/bin has no `python`): either name a user may type reaches the env, so it is checked. */
Test(shapes, env_python3_behind_a_system_python_is_found)
{
    char *root = scratch(), *a = make_venv(root, "a", false), *sys = joinp(root, "sysbin");
    mkdirs(sys);
    char *py = joinp(sys, "python");
    cr_assert(symlink("/usr/bin/python3", py) == 0);
    char *abin = joinp(a, "bin"), *py2 = joinp(abin, "python");
    unlink(py2); /* the env has only python3 */
    struct envb e;
    envb_init(&e);
    envb_prepend_path(&e, "PATH", abin);
    envb_prepend_path(&e, "PATH", sys);
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_str_eq(r->env.prefix, a);
    mpg_report_free(r);
}

/* The loader's own files (the python's ELF, ld.so.cache) are read only when a library has to be
 * found: a named cache that cannot be read is said for a venv whose mpi4py needs its libmpi, and
 * not for a check with no extension to resolve, which never opens it. */
static bool says(const struct mpg_report *r, const char *what)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (strstr(r->problems[i], what)) return true;
    return false;
}

Test(shapes, loader_files_are_read_only_to_find_a_library)
{
    char *root = scratch(), *bad = joinp(root, "no-such-ld.so.cache");
    struct envb e;
    envb_init(&e);
    load_module(&e, "mpich-debian");
    struct mpg_input in = {.environ = (const char *const *)e.v, .ld_cache = bad};
    struct mpg_report *r = mpg_check(&in);
    cr_assert(r && r->inspected);
    cr_expect_eq(r->n_packages, 0);
    cr_expect_not(says(r, "no-such-ld.so.cache"), "nothing to resolve: the cache is not read");
    mpg_report_free(r);

    char *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpich.so", "pip", "/usr/bin/mpicc.mpich");
    activate_venv(&e, prefix);
    in.environ = (const char *const *)e.v;
    r = mpg_check(&in);
    cr_assert(r);
    cr_expect_eq(r->n_packages, 1);
    cr_expect(says(r, "no-such-ld.so.cache"), "mpi4py's libmpi to find: the named cache is read, and its failure said");
    mpg_report_free(r);
    free(bad);
}
