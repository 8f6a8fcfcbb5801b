/* test_badinput.c: what users' shells and files really contain: missing or relative prefixes,
 * garbage extensions, malformed records, unreadable folders, loops, huge variables and envs.
 * Each gives a clear problem line, a finding or a skip; never a crash or a hang. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

static bool has_problem(const struct mpg_report *r, const char *needle)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (strstr(r->problems[i], needle)) return true;
    return false;
}

Test(badinput, relative_conda_prefix)
{
    struct envb e;
    envb_init(&e);
    envb_set(&e, "CONDA_PREFIX", "envs/sim");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_eq(r->env.kind, MPG_ENV_NONE);
    cr_expect(has_problem(r, "not an absolute path"));
    cr_expect_eq(r->n_findings, 0);
    mpg_report_free(r);
}

Test(badinput, conda_prefix_that_does_not_exist)
{
    struct envb e;
    envb_init(&e);
    envb_set(&e, "CONDA_PREFIX", "/nonexistent/envs/gone");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect(r->inspected);
    cr_expect(has_problem(r, "does not exist"));
    mpg_report_free(r);
}

Test(badinput, env_option_on_missing_or_plain_folder)
{
    struct envb e;
    envb_init(&e);
    struct mpg_report *r = run_check(&e, "/nonexistent/prefix");
    cr_expect_not(r->inspected);
    cr_expect(has_problem(r, "no such folder"));
    mpg_report_free(r);
    char *d = scratch();
    r = run_check(&e, d);
    cr_expect_not(r->inspected);
    cr_expect(has_problem(r, "neither a conda env"));
    mpg_report_free(r);
}

Test(badinput, garbage_and_truncated_mpi_so)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, "ext_ompi.so", "pip", NULL);
    char *so = fmt("%s/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so", site);
    write_file(so, "\x7f" "ELF\x02\x01\x01 garbage that stops here");
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_eq(r->n_packages, 0);
    cr_expect(has_problem(r, "MPI.cpython-311-x86_64-linux-gnu.so"));
    mpg_report_free(r);
    /* a real extension cut in half */
    char *cmd = fmt("head -c 3000 '%s/ext_ompi.so' > '%s'", fx(), so);
    cr_assert(system(cmd) == 0);
    r = run_check(&e, NULL);
    cr_expect_eq(r->n_packages, 0);
    mpg_report_free(r);
}

Test(badinput, malformed_conda_record_is_skipped_with_a_message)
{
    char *root = scratch(), *prefix = make_conda(root, "bad");
    char *p = joinp(prefix, "conda-meta/mpich-4.0.2-h1_100.json");
    write_file(p, "{\"name\": \"mpich\", \"files\": [\"lib/libmpi.so.12\"");
    char *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL); /* MPI to explain: records are read */
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "bad");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_eq(r->n_conda_mpi, 0);
    cr_expect(has_problem(r, "malformed JSON"));
    mpg_report_free(r);
}

Test(badinput, unreadable_folders)
{
    /* As an unprivileged user (root reads everything); the test process is forked by Criterion. */
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    put_mpi4py(site, "ext_ompi.so", "pip", NULL);
    char *pkg = joinp(site, "mpi4py");
    cr_assert(chmod(pkg, 0) == 0);
    struct envb e;
    envb_init(&e);
    if (geteuid() == 0) cr_assert(setgid(65534) == 0 && setuid(65534) == 0, "cannot drop to nobody");
    activate_venv(&e, prefix);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_eq(r->n_packages, 0);
    cr_expect(has_problem(r, "cannot list"), "an unreadable package folder is reported");
    mpg_report_free(r);
}

Test(badinput, symlink_loops)
{
    char *root = scratch(), *prefix = make_venv(root, "v", false), *site = site_dir(prefix);
    char *loop = joinp(site, "mpi4py");
    cr_assert(symlink(loop, loop) == 0);
    char *l2 = joinp(root, "loop");
    cr_assert(symlink(l2, l2) == 0);
    struct envb e;
    envb_init(&e);
    activate_venv(&e, prefix);
    envb_set(&e, "PYTHONPATH", l2);
    envb_prepend_path(&e, "LD_LIBRARY_PATH", l2);
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_eq(r->n_packages, 0);
    mpg_report_free(r);
    envb_set(&e, "VIRTUAL_ENV", l2);
    r = run_check(&e, NULL);
    cr_expect(has_problem(r, "VIRTUAL_ENV"));
    mpg_report_free(r);
}

Test(badinput, very_long_paths_and_variables)
{
    size_t n = 200000;
    char *huge = malloc(n + 1);
    for (size_t i = 0; i < n; i++) huge[i] = (i % 50 == 0) ? ':' : 'a' + (char)(i % 26);
    huge[0] = '/';
    huge[n] = '\0';
    struct envb e;
    envb_init(&e);
    envb_set(&e, "PATH", huge);
    envb_set(&e, "LD_LIBRARY_PATH", huge);
    envb_set(&e, "PYTHONPATH", huge);
    char *longp = malloc(8000);
    memset(longp, 'x', 7999);
    longp[0] = '/';
    longp[7999] = '\0';
    envb_set(&e, "CONDA_PREFIX", longp);
    envb_set(&e, "MPI_HOME", longp);
    envb_set(&e, "LMOD_FAMILY_MPI", "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect(has_problem(r, "CONDA_PREFIX is longer than"));
    cr_expect(has_problem(r, "PATH is 200000 characters long"), "too long to read: said, not silent");
    mpg_report_free(r);
    /* a CONDA_PREFIX too long even to be read: said too, not silently no env */
    envb_set(&e, "CONDA_PREFIX", huge);
    r = run_check(&e, NULL);
    cr_expect(has_problem(r, "CONDA_PREFIX is 200000 characters long"));
    cr_expect_eq(r->env.kind, MPG_ENV_NONE);
    mpg_report_free(r);
    free(huge);
    free(longp);
}

Test(badinput, five_thousand_conda_records)
{
    char *root = scratch(), *prefix = make_conda(root, "big");
    for (int i = 0; i < 5000; i++) {
        char *name = fmt("pkg%04d", i);
        conda_record(prefix, name, "1.0", "h0_0", "conda-forge", "[\"lib/x\"]", NULL);
        free(name);
    }
    conda_record(prefix, "mpich", "4.0.2", "external_0", "conda-forge", "[]", NULL);
    char *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "big");
    load_module(&e, "mpich");
    struct mpg_report *r = run_check(&e, NULL);
    cr_assert_eq(r->n_conda_mpi, 1);
    cr_expect(r->conda_mpi[0].external);
    cr_expect_eq(r->n_findings, 0, "external MPICH resolving to the module is healthy");
    mpg_report_free(r);
}

Test(badinput, environ_with_thousands_of_variables)
{
    struct envb e;
    envb_init(&e);
    for (int i = 0; i < 500; i++) {
        char *k = fmt("JUNK_%d", i);
        envb_set(&e, k, "=== not a path ===");
        free(k);
    }
    envb_set(&e, "LMOD_FAMILY_MPI", "");
    struct mpg_report *r = run_check(&e, NULL);
    cr_expect_not(r->module.loaded);
    mpg_report_free(r);
}
