/* test_dircache.c: the listing cache is used while a folder is unchanged, never after it changed,
 * and a damaged cache file only costs a listing. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dircache.h"
#include "helpers.h"
#include "util.h"

static bool want_json(const char *n) { return mpg_str_ends(n, ".json"); }

static void age(const char *dir, int seconds)
{
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= seconds;
    t[1] = t[0];
    cr_assert(utimensat(AT_FDCWD, dir, t, 0) == 0);
}

static struct mpg_strv list(const char *file, const char *dir)
{
    struct mpg_dircache *c = mpg_dircache_new_at(file);
    struct mpg_strv out = {0};
    cr_assert_eq(mpg_dircache_list(c, dir, "conda", want_json, &out), 0);
    mpg_dircache_free(c);
    return out;
}

Test(dircache, fresh_entry_is_used_and_stale_one_is_not)
{
    char *root = scratch(), *dir = joinp(root, "conda-meta"), *file = joinp(root, "cache/listings-v1");
    mkdirs(dir);
    char *a = joinp(dir, "a-1-0.json"), *b = joinp(dir, "b-1-0.json");
    write_file(a, "{}");
    age(dir, 60);
    struct mpg_strv first = list(file, dir);
    cr_expect_eq(first.n, 1);
    cr_assert(mpg_is_file(file), "a listing of an unchanged folder is remembered");

    /* A new file with the folder's old mtime restored: only a cache would miss it. */
    struct stat st;
    cr_assert(stat(dir, &st) == 0);
    write_file(b, "{}");
    struct timespec t[2] = {st.st_mtim, st.st_mtim};
    cr_assert(utimensat(AT_FDCWD, dir, t, 0) == 0);
    struct mpg_strv cached = list(file, dir);
    cr_expect_eq(cached.n, 1, "served from the cache while (dev, ino, mtime) match");

    age(dir, 30); /* any real change moves the mtime */
    struct mpg_strv fresh = list(file, dir);
    cr_expect_eq(fresh.n, 2, "a changed folder is listed again");
    mpg_strv_free(&first), mpg_strv_free(&cached), mpg_strv_free(&fresh);
}

Test(dircache, recently_changed_folder_is_not_cached)
{
    char *root = scratch(), *dir = joinp(root, "d"), *file = joinp(root, "c");
    mkdirs(dir);
    struct mpg_strv out = list(file, dir);
    cr_expect_not(mpg_is_file(file), "mtime within 2 s: its resolution may hide the next change");
    mpg_strv_free(&out);
}

Test(dircache, damaged_cache_files_cost_only_a_listing)
{
    char *root = scratch(), *dir = joinp(root, "d"), *file = joinp(root, "c");
    mkdirs(dir);
    char *a = joinp(dir, "x-1-0.json");
    write_file(a, "{}");
    age(dir, 60);
    static const char *const junk[] = {
        "", "garbage\n", "mpiguard-dircache 1\nD\t1\t2\n", "mpiguard-dircache 1\nN\tfoo\n",
        "mpiguard-dircache 1\nD\tx\ty\tz\tw\tconda\t/nowhere\nN\t../../etc/passwd\n", NULL,
    };
    for (const char *const *j = junk; *j; j++) {
        write_file(file, *j);
        struct mpg_strv out = list(file, dir);
        cr_expect_eq(out.n, 1, "cache text [%s]", *j);
        mpg_strv_free(&out);
    }
}

Test(dircache, check_uses_it_end_to_end)
{
    /* Two checks of an aged conda env with mpi4py: the second reads the same records. */
    char *root = scratch(), *prefix = make_conda(root, "c");
    conda_record(prefix, "mpich", "4.0.2", "external_0", "conda-forge", "[]", NULL);
    char *site = site_dir(prefix);
    put_mpi4py(site, "ext_mpi12_condarpath.so", "conda", NULL);
    char *meta = joinp(prefix, "conda-meta");
    age(meta, 60), age(site, 60);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "c");
    load_module(&e, "mpich");
    struct mpg_report *r1 = run_check(&e, NULL);
    char *cache = joinp(envb_get(&e, "HOME"), ".cache/mpiguard/listings-v1");
    cr_assert(mpg_is_file(cache));
    struct mpg_report *r2 = run_check(&e, NULL);
    cr_expect_eq(r1->n_conda_mpi, 1);
    cr_expect_eq(r2->n_conda_mpi, 1);
    cr_expect_str_eq(r2->packages[0].installer, "conda");
    envb_set(&e, "MPIGUARD_NO_CACHE", "1");
    unlink(cache);
    struct mpg_report *r3 = run_check(&e, NULL);
    cr_expect_not(mpg_is_file(cache), "MPIGUARD_NO_CACHE writes nothing");
    cr_expect_eq(r3->n_conda_mpi, 1);
    mpg_report_free(r1), mpg_report_free(r2), mpg_report_free(r3);
}
