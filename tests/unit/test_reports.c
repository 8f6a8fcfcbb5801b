/* test_reports.c: public user reports reproduced as env shapes, each with the exact findings
 * (issue 7 point 5). Each test names its source; where the report could not be read in full, the
 * comment says what the shape is built from. Every run_check() also goes through the real loader
 * (oracle_check.c). Healthy shapes give no warning. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#define SKIP_UNLESS(cond, why)                                                                    \
    do {                                                                                          \
        if (!(cond)) cr_skip_test("SKIPPED: %s", why);                                            \
    } while (0)
#define EXT ".cpython-311-x86_64-linux-gnu.so"

static char *rep(const char *rel) { return fmt("%s/reports/%s", fx(), rel); }

/* Fedora's/RHEL's `module load mpi/<mpi>-x86_64` (Environment Modules): no family, MPI_HOME. */
static void load_rhel_module(struct envb *e, const char *mpi)
{
    char *home = rep(fmt("usr/lib64/%s", mpi));
    envb_set(e, "LOADEDMODULES", fmt("mpi/%s-x86_64", mpi));
    envb_set(e, "_LMFILES_", fmt("/usr/share/modulefiles/mpi/%s-x86_64", mpi));
    envb_set(e, "MPI_HOME", home);
    envb_set(e, "MPI_BIN", joinp(home, "bin"));
    envb_set(e, "MPI_LIB", joinp(home, "lib"));
    envb_prepend_path(e, "PATH", joinp(home, "bin"));
    envb_prepend_path(e, "LD_LIBRARY_PATH", joinp(home, "lib"));
}

/* An mpi4py wheel of mpi4py >= 4.1 with both ABI variants. */
static void put_wheel(const char *site, const char *version)
{
    char *pkg = joinp(site, "mpi4py"), *info = fmt("%s/mpi4py-%s.dist-info", site, version);
    mkdirs(pkg), mkdirs(info);
    write_file(joinp(info, "INSTALLER"), "pip\n");
    copy_file(fxp("ext_mpi12.so"), joinp(pkg, "MPI.mpich" EXT));
    copy_file(fxp("ext_ompi.so"), joinp(pkg, "MPI.openmpi" EXT));
}

Test(reports, anaconda_issues_1310_mpich2_env_under_fedora_openmpi_module)
{
    /* ContinuumIO/anaconda-issues#1310: the Anaconda root env's mpi4py and mpich2 on Fedora 24
     * with `module load mpi/openmpi-x86_64` loaded before the env was activated; `mpirun -np 4
     * python -c "...COMM_WORLD.size"` prints 1 four times. */
    char *root = scratch(), *prefix = fmt("%s/anaconda3", root);
    mkdirs(joinp(prefix, "conda-meta")), mkdirs(joinp(prefix, "bin")), mkdirs(joinp(prefix, "lib")), mkdirs(joinp(prefix, "envs"));
    copy_file(fxp("python_conda"), joinp(prefix, "bin/python3.11"));
    cr_assert(symlink("python3.11", joinp(prefix, "bin/python3")) == 0);
    copy_file(rep("mpich2/libmpich.so.3"), joinp(prefix, "lib/libmpich.so.3"));
    conda_record(prefix, "mpich2", "1.4.1p1", "0", "defaults", "[\"lib/libmpich.so.3\", \"bin/mpiexec\"]", NULL);
    char *site = site_dir(prefix);
    mkdirs(site);
    put_mpi4py(site, "ext_mpich2_condarpath.so", "conda", NULL);
    conda_record(prefix, "mpi4py", "2.0.0", "py35_1", "defaults", "[]", NULL);
    struct envb e;
    envb_init(&e);
    load_rhel_module(&e, "openmpi");
    activate_conda(&e, prefix, "root");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_str_eq(r->env.name, "base");
    cr_expect_str_eq(r->module.name, "mpi/openmpi-x86_64");
    EXPECT_CODES(r, "ABI_MISMATCH ENV_BUNDLED_MPI");
    const struct mpg_finding *f = finding(r, "ABI_MISMATCH");
    cr_assert(f);
    cr_expect(strstr(f->message, "\"0 of 1\""), "%s", f->message);
    cr_expect(strstr(finding(r, "ENV_BUNDLED_MPI")->message, "conda package mpich2 1.4.1p1"), "%s",
              finding(r, "ENV_BUNDLED_MPI")->message);
    mpg_report_free(r);
}

Test(reports, mpi4py_175_conda_external_mpich_on_centos)
{
    /* mpi4py/mpi4py#175: CentOS with MPICH installed, mpi4py from conda: "ImportError:
     * libmpi.so.12: cannot open shared object file". The conda mpich is an "external" build
     * (Anaconda's mpich-3.3.2-external_0); RHEL's MPICH module was not loaded. */
    char *root = scratch(), *prefix = make_conda(root, "work");
    conda_record(prefix, "mpi", "1.0", "mpich", "pkgs/main", "[]", NULL);
    conda_record(prefix, "mpich", "3.3.2", "external_0", "pkgs/main", "[]", NULL);
    put_mpi4py(site_dir(prefix), "ext_mpi12_condarpath.so", "conda", NULL);
    conda_record(prefix, "mpi4py", "3.1.4", "py311hfc96bbd_0", "pkgs/main", "[]", NULL);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "work");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "LIBMPI_NOT_FOUND");
    const struct mpg_finding *f = finding(r, "LIBMPI_NOT_FOUND");
    cr_assert(f);
    cr_expect(strstr(f->message, "\"external\" build"), "%s", f->message);
    cr_expect(strstr(f->fix, "module load"), "%s", f->fix);
    mpg_report_free(r);
    /* with the site's MPICH module loaded it works */
    load_rhel_module(&e, "mpich");
    r = run_check(&e, NULL);
    EXPECT_CODES(r, "(none)");
    mpg_report_free(r);
}

Test(reports, safety_starter_agents_11_conda_mpi4py_without_any_mpi)
{
    /* openai/safety-starter-agents#11: Ubuntu, `conda install mpi4py` from the defaults channel
     * brought mpi-1.0-mpich, mpi4py-3.1.4 and mpich-3.3.2-external_0, and no MPI on the machine:
     * "ImportError: libmpi.so.12: cannot open shared object file". */
    char *root = scratch(), *prefix = make_conda(root, "safe");
    conda_record(prefix, "mpi", "1.0", "mpich", "anaconda/pkgs/main", "[]", NULL);
    conda_record(prefix, "mpich", "3.3.2", "external_0", "anaconda/pkgs/main", "[]", NULL);
    conda_record(prefix, "mpi4py", "3.1.4", "py37hfc96bbd_0", "anaconda/pkgs/main", "[]", NULL);
    put_mpi4py(site_dir(prefix), "ext_mpi12_condarpath.so", "conda", NULL);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "safe");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "LIBMPI_NOT_FOUND");
    cr_expect_str_eq(r->packages[0].import_error, "libmpi.so.12: cannot open shared object file: No such file or directory");
    cr_assert_eq(r->n_conda_mpi, 2);
    mpg_report_free(r);
}

Test(reports, mpi4py_570_built_for_open_mpi_5_run_with_4_1)
{
    /* mpi4py/mpi4py#570 (and #622): mpi4py 4.0.1 built with Open MPI 5 (pip reused a cached
     * wheel), run under an Open MPI 4.1 module: "ImportError: ...MPI.cpython-...so: undefined
     * symbol: ompi_mpi_errors_abort". (The report's python is a pyenv build outside any env:
     * here the same extension in a venv.) */
    char *root = scratch(), *prefix = make_venv(root, "v", false);
    put_mpi4py(site_dir(prefix), "ext_ompi5.so", "pip", NULL);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "openmpi");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "VERSION_MISMATCH");
    const struct mpg_finding *f = finding(r, "VERSION_MISMATCH");
    cr_assert(f);
    cr_expect_eq(f->severity, MPG_SEV_WARN);
    cr_expect(strstr(f->message, "undefined symbol: ompi_mpi_errors_abort"), "%s", f->message);
    cr_expect(strstr(f->fix, "--no-cache-dir"), "%s", f->fix);
    mpg_report_free(r);
}

Test(reports, mpi4py_659_wheel_does_not_see_a_spack_module_without_ld_library_path)
{
    /* mpi4py/mpi4py#659: `pip install mpi4py` 4.1.0 (the first binary wheel) in a venv of a
     * Spack python, MPI from Spack: the wheel searches only the venv's lib and the loader path
     * ("RuntimeError: cannot load MPI library" on the reporter's Mac, which has no other MPI).
     * On this Debian machine the loader path has the distribution's Open MPI, so the same shape
     * silently runs on that instead of the module's: the Spack module sets no LD_LIBRARY_PATH. */
    char *root = scratch(), *spack = fmt("%s/spack/openmpi-4.1.4-qwertyuiopasdfg", root);
    mkdirs(joinp(spack, "lib")), mkdirs(joinp(spack, "bin"));
    copy_file("/usr/lib/x86_64-linux-gnu/libmpi.so.40", joinp(spack, "lib/libmpi.so.40"));
    cr_assert(symlink("/usr/bin/mpicc.openmpi", joinp(spack, "bin/mpicc")) == 0);
    char *prefix = make_venv(root, "venv", false);
    put_wheel(site_dir(prefix), "4.1.0");
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LMOD_FAMILY_MPI", "openmpi");
    envb_set(&e, "LMOD_FAMILY_MPI_VERSION", "4.1.4");
    envb_prepend_path(&e, "PATH", joinp(spack, "bin"));
    envb_set(&e, "MPICC", joinp(spack, "bin/mpicc"));
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "MPI_INSTALL_MISMATCH");
    cr_expect(strstr(r->packages[0].resolved_via, "mpi4py 4.1.0 search: libmpi.so on the loader path (ld.so.cache)"),
              "%s", r->packages[0].resolved_via);
    cr_expect_str_eq(r->module.mpi.path, canon_path(joinp(spack, "lib/libmpi.so.40")));
    mpg_report_free(r);
}

Test(reports, mpi4py_discussion_378_conda_open_mpi_under_the_site_open_mpi)
{
    /* mpi4py/mpi4py discussion #378: not in the stored material. Built as the seed's problem,
     * which such discussions are about: a conda-forge mpi4py with conda's own Open MPI (a copy of
     * the library, RPATH $ORIGIN/../../..) under the site's Open MPI module (EasyBuild). Same
     * ABI, so it starts, but on conda's library, off the site's network. */
    char *root = scratch(), *prefix = make_conda(root, "sci");
    mkdirs(joinp(prefix, "lib"));
    copy_file("/usr/lib/x86_64-linux-gnu/libmpi.so.40", joinp(prefix, "lib/libmpi.so.40"));
    conda_record(prefix, "openmpi", "4.1.4", "h_101", "conda-forge", "[\"lib/libmpi.so.40\"]", NULL);
    put_mpi4py(site_dir(prefix), "ext_ompi_condarpath.so", "conda", NULL);
    struct envb e;
    envb_init(&e);
    char *site_home = fxp("stacks/apps/software/OpenMPI/4.1.4-GCC-12.2.0");
    envb_set(&e, "LOADEDMODULES", "GCC/12.2.0:OpenMPI/4.1.4-GCC-12.2.0");
    envb_set(&e, "EBROOTOPENMPI", site_home);
    envb_prepend_path(&e, "PATH", joinp(site_home, "bin"));
    activate_conda(&e, prefix, "sci");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ENV_BUNDLED_MPI");
    const struct mpg_finding *f = finding(r, "ENV_BUNDLED_MPI");
    cr_assert(f);
    cr_expect(strstr(f->fix, "mpi-external openmpi=4.1"), "%s", f->fix);
    mpg_report_free(r);
}

Test(reports, mpich_feedstock_132_conda_forge_mpich_in_an_env)
{
    /* conda-forge/mpich-feedstock#132 (read through KhiopsML/khiops#938, which links it): the
     * MPICH 4.x that conda-forge ships (ch4:ofi) is very slow; `export FI_PROVIDER=tcp` was
     * the workaround. Under the site's MPICH module the env should use the module's instead. */
    char *root = scratch(), *prefix = make_conda(root, "khiops");
    mkdirs(joinp(prefix, "lib"));
    /* the package's hydra launcher, as mpiexec and mpirun */
    cr_assert(symlink("/usr/bin/mpiexec.mpich", joinp(prefix, "bin/mpiexec")) == 0);
    cr_assert(symlink("/usr/bin/mpiexec.mpich", joinp(prefix, "bin/mpirun")) == 0);
    copy_file(rep("cf-mpich-4.3.2.so"), joinp(prefix, "lib/libmpi.so.12"));
    conda_record(prefix, "mpich", "4.3.2", "h_104", "conda-forge", "[\"lib/libmpi.so.12\"]", NULL);
    put_mpi4py(site_dir(prefix), "ext_mpi12_condarpath.so", "conda", NULL);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "khiops");
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "NO_MPI_MODULE"); /* no module: a note, conda's MPI is what runs */
    cr_expect_str_eq(r->packages[0].mpi.device, "ch4:ofi");
    mpg_report_free(r);
    /* the module loaded after activation: its mpiexec comes first, but it has no mpirun, so
     * `mpirun` is still conda's */
    load_module(&e, "mpich");
    r = run_check(&e, NULL);
    EXPECT_CODES(r, "ENV_BUNDLED_MPI LAUNCHER_SHADOWED");
    cr_expect(strstr(finding(r, "LAUNCHER_SHADOWED")->message, "the first mpirun on your PATH"), "%s",
              finding(r, "LAUNCHER_SHADOWED")->message);
    cr_expect(strstr(finding(r, "ENV_BUNDLED_MPI")->message, "MPICH 4.3.2"), "%s", finding(r, "ENV_BUNDLED_MPI")->message);
    cr_expect(strstr(finding(r, "ENV_BUNDLED_MPI")->fix, "mpi-external mpich=4.0"), "%s",
              finding(r, "ENV_BUNDLED_MPI")->fix);
    mpg_report_free(r);
}

Test(reports, spack_packages_3485_wheel_under_a_spack_mpich_module)
{
    /* spack/spack-packages#3485: not in the stored material. Built from Spack's documented
     * module behaviour (FACTS 7): an MPICH module that sets PATH and MPICC and no
     * LD_LIBRARY_PATH, and mpi4py's 4.1 wheel in a venv: the search's first name, libmpi.so,
     * is on the loader path only as the distribution's Open MPI, so MPI.openmpi is imported under
     * the MPICH module. */
    char *prefix = make_venv(scratch(), "v", false);
    put_wheel(site_dir(prefix), "4.1.2");
    char *sp = fxp("stacks/spack/opt/spack/linux-debian12-x86_64/gcc-12.2.0/mpich-4.0.2-zxcvbnmlkjhgfds");
    struct envb e;
    envb_init(&e);
    envb_set(&e, "LMOD_FAMILY_MPI", "mpich");
    envb_set(&e, "LMOD_FAMILY_MPI_VERSION", "4.0.2");
    envb_prepend_path(&e, "PATH", joinp(sp, "bin"));
    envb_set(&e, "MPICC", joinp(sp, "bin/mpicc"));
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "ABI_MISMATCH");
    cr_expect(strstr(r->packages[0].extension, "MPI.openmpi"), "%s", r->packages[0].extension);
    cr_expect(strstr(finding(r, "ABI_MISMATCH")->fix, fmt("MPICC=%s/bin/mpicc", sp)), "%s", finding(r, "ABI_MISMATCH")->fix);
    mpg_report_free(r);
}

Test(reports, firedrake_2980_mpirun_of_another_mpi)
{
    /* firedrake#2980: firedrake-install links mpiexec of the MPICH PETSc built into the venv, but
     * not mpirun; `mpirun -n 2 python -c "...rank, size"` prints "0 1" twice: mpirun is the
     * system's Open MPI. No MPI module is loaded. */
    SKIP_UNLESS(access("/usr/bin/mpirun.openmpi", X_OK) == 0, "Debian's openmpi-bin is not installed");
    char *prefix = make_venv(scratch(), "firedrake", false);
    put_mpi4py(site_dir(prefix), "ext_mpich_rpath_petsc.so", "pip", NULL);
    cr_assert(symlink(rep("petsc/default/bin/mpiexec"), joinp(prefix, "bin/mpiexec")) == 0);
    struct envb e;
    envb_init(&e); /* PATH=/usr/bin:/bin: Debian's mpirun (Open MPI by default) */
    activate_venv(&e, prefix);
    struct mpg_report *r = run_check(&e, NULL);
    EXPECT_CODES(r, "LAUNCHER_SHADOWED NO_MPI_MODULE");
    const struct mpg_finding *f = finding(r, "LAUNCHER_SHADOWED");
    cr_assert(f);
    cr_expect(strstr(f->message, "the first mpirun on your PATH is /usr/bin/mpirun, Open MPI's launcher"), "%s", f->message);
    cr_expect(strstr(f->fix, joinp(prefix, "bin/mpiexec")), "%s", f->fix);
    mpg_report_free(r);
}
