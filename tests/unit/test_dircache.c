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

#include "conda_meta.h"
#include "dircache.h"
#include "elf_memo.h"
#include "fsmemo.h"
#include "helpers.h"
#include "mpi_ident.h"
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

/* Sets path's mtime back to what st says it was: a change only a cache can tell. */
static void keep_mtime(const char *path, const struct stat *st)
{
    struct timespec t[2] = {st->st_mtim, st->st_mtim};
    cr_assert(utimensat(AT_FDCWD, path, t, 0) == 0);
}

/* Rewrites path with text, keeping its inode and mtime: only a cache can tell it changed. */
static void overwrite_in_place(const char *path, const char *text)
{
    struct stat st;
    cr_assert(stat(path, &st) == 0);
    write_file(path, text);
    keep_mtime(path, &st);
}

/* Cuts path to its first n bytes, keeping its inode and mtime: a library whose ELF header the
 * loader still accepts, but whose tables are gone. */
static void cut_in_place(const char *path, off_t n)
{
    struct stat st;
    cr_assert(stat(path, &st) == 0 && truncate(path, n) == 0);
    keep_mtime(path, &st);
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

/* A conda env "c" in a fresh scratch folder: an external mpich record, and conda's mpi4py in its
 * site folder (*site, malloc'ed). Returns its prefix. */
static char *conda_with_mpi4py(char **site)
{
    char *prefix = make_conda(scratch(), "c");
    conda_record(prefix, "mpich", "4.0.2", "external_0", "conda-forge", "[]", NULL);
    *site = site_dir(prefix);
    put_mpi4py(*site, "ext_mpi12_condarpath.so", "conda", NULL);
    return prefix;
}

Test(dircache, check_uses_it_end_to_end)
{
    /* Two checks of an aged conda env with mpi4py: the second reads the same records. */
    char *site, *prefix = conda_with_mpi4py(&site);
    char *meta = joinp(prefix, "conda-meta");
    age(meta, 60), age(site, 60);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "c");
    load_module(&e, "mpich");
    struct mpg_report *r1 = run_check(&e, NULL);
    char *cache = joinp(envb_get(&e, "HOME"), ".cache/mpiguard/listings-v2");
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

/* A cache file cut at a line boundary (no end line) is not used: trusting it would serve a
 * listing with names missing. */
Test(dircache, file_cut_at_a_line_boundary_is_not_trusted)
{
    char *root = scratch(), *dir = joinp(root, "d"), *file = joinp(root, "c/listings");
    mkdirs(dir);
    write_file(joinp(dir, "a-1-0.json"), "{}");
    write_file(joinp(dir, "b-1-0.json"), "{}");
    age(dir, 60);
    struct mpg_strv first = list(file, dir);
    cr_assert_eq(first.n, 2);
    size_t len = 0;
    char *text = mpg_read_file(file, 1 << 20, &len);
    cr_assert(text && strstr(text, "\nend 1\n"), "an end line: %s", text);
    char *n = strstr(text, "\nN\t");
    cr_assert(n);
    n[1] = '\0'; /* keep the header and the D line */
    write_file(file, text);
    struct mpg_strv again = list(file, dir);
    cr_expect_eq(again.n, 2, "the cut file is ignored, the folder listed again");
    mpg_strv_free(&first), mpg_strv_free(&again);
    free(text);
}

/* A cache folder others may write to (shared, or made group-writable) is not used at all. */
Test(dircache, folder_others_can_write_is_not_used)
{
    char *root = scratch(), *dir = joinp(root, "d"), *cdir = joinp(root, "c"), *file = joinp(cdir, "listings");
    mkdirs(dir), mkdirs(cdir);
    write_file(joinp(dir, "a-1-0.json"), "{}");
    age(dir, 60);
    chmod(cdir, 0777);
    struct mpg_strv out = list(file, dir);
    cr_expect_eq(out.n, 1);
    cr_expect_not(mpg_is_file(file), "nothing written into a folder others can write to");
    /* a listing planted there (claiming the folder is empty) is not read either */
    struct stat st;
    cr_assert(stat(dir, &st) == 0);
    char *forged = fmt("mpiguard-dircache 2\nD\t%llu\t%llu\t%lld\t%lld\tconda\t%s\nend 1\n",
                       (unsigned long long)st.st_dev, (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec,
                       (long long)st.st_mtim.tv_nsec, dir);
    write_file(file, forged);
    struct mpg_strv again = list(file, dir);
    cr_expect_eq(again.n, 1, "the planted listing is not believed");
    chmod(cdir, 0700);
    struct mpg_strv trusted = list(file, dir);
    cr_expect_eq(trusted.n, 0, "(the same file in a private folder is used: the test can tell)");
    mpg_strv_free(&out), mpg_strv_free(&again), mpg_strv_free(&trusted);
    free(forged);
}

/* A FIFO where the new file is written (or a symlink where the cache file is) neither blocks
 * nor is followed. */
Test(dircache, fifo_and_symlink_in_the_folder, .timeout = 20)
{
    char *root = scratch(), *dir = joinp(root, "d"), *cdir = joinp(root, "c"), *file = joinp(cdir, "listings");
    mkdirs(dir), mkdirs(cdir);
    write_file(joinp(dir, "a-1-0.json"), "{}");
    age(dir, 60);
    char *tmp = fmt("%s.%ld.tmp", file, (long)getpid());
    cr_assert(mkfifo(tmp, 0600) == 0);
    struct mpg_strv out = list(file, dir);
    cr_expect_eq(out.n, 1);
    cr_expect(mpg_is_file(file), "written despite the FIFO at the temporary name");
    unlink(file);
    char *elsewhere = joinp(root, "elsewhere");
    write_file(elsewhere, "mpiguard-dircache 2\nend 0\n");
    cr_assert(symlink(elsewhere, file) == 0);
    age(dir, 50);
    struct mpg_strv again = list(file, dir);
    cr_expect_eq(again.n, 1);
    size_t len;
    char *kept = mpg_read_file(elsewhere, 4096, &len);
    cr_expect_str_eq(kept, "mpiguard-dircache 2\nend 0\n", "the symlink's target is not written through");
    mpg_strv_free(&out), mpg_strv_free(&again);
    free(kept);
}

/* HOME pointing at a folder that does not exist: no folder is created anywhere. */
Test(dircache, missing_home_creates_nothing)
{
    char *root = scratch(), *home = joinp(root, "gone/home"), *dir = joinp(root, "d");
    mkdirs(dir);
    write_file(joinp(dir, "a-1-0.json"), "{}");
    age(dir, 60);
    const char *vars[] = {fmt("HOME=%s", home), NULL};
    struct mpg_envsnap env = {.vars = vars};
    struct mpg_dircache *c = mpg_dircache_new(&env);
    struct mpg_strv out = {0};
    if (c) cr_expect_eq(mpg_dircache_list(c, dir, "conda", want_json, &out), 0);
    mpg_dircache_free(c);
    char *gone = joinp(root, "gone");
    cr_expect_not(mpg_is_dir(gone), "created %s", gone);
    mpg_strv_free(&out);
}

/* The packages found are the same from the listing cache (cold, then warm), without it
 * (MPIGUARD_NO_CACHE, as the Slurm checker runs: small folders listed once, big ones probed by
 * name), in a small site folder and in one of 300 entries; a file named like a known package
 * is not a package. */
static void same_packages_three_ways(int extra_folders)
{
    char *site, *prefix = conda_with_mpi4py(&site);
    char *h5 = joinp(site, "h5py");
    write_file(h5, "not a package folder");
    for (int i = 0; i < extra_folders; i++) {
        char name[32];
        snprintf(name, sizeof name, "pkg%d", i);
        char *d = joinp(site, name);
        mkdirs(d);
        free(d);
    }
    char *meta = joinp(prefix, "conda-meta");
    age(site, 60), age(meta, 60);
    struct envb e;
    envb_init(&e);
    activate_conda(&e, prefix, "c");
    load_module(&e, "mpich");
    struct mpg_report *r[3];
    r[0] = run_check(&e, NULL); /* cold */
    r[1] = run_check(&e, NULL); /* warm */
    envb_set(&e, "MPIGUARD_NO_CACHE", "1");
    r[2] = run_check(&e, NULL);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(r[i]->n_packages, 1, "run %d (%d extra folders): %zu packages", i, extra_folders,
                     r[i]->n_packages);
        cr_expect_str_eq(r[i]->packages[0].name, "mpi4py");
        cr_expect_str_eq(r[i]->packages[0].installer, "conda");
        cr_expect_str_eq(r[i]->packages[0].resolved, r[0]->packages[0].resolved);
        cr_expect_str_eq(r[i]->packages[0].site_dir, r[0]->packages[0].site_dir);
    }
    for (int i = 0; i < 3; i++) mpg_report_free(r[i]);
    free(h5);
    free(meta);
    free(site);
}

Test(dircache, same_packages_with_and_without_it_small_folder) { same_packages_three_ways(0); }
Test(dircache, same_packages_with_and_without_it_big_folder) { same_packages_three_ways(300); }

/* A conda record is read (and libjansson loaded) once: what it said is remembered with the
 * record's device, inode and mtime, every field as it was, '/', '%' and blanks included; a
 * changed record is read again, and a remembered line that does not decode is not used. */
static struct mpg_conda_scan scan_with(const char *file, const char *prefix)
{
    struct mpg_dircache *c = mpg_dircache_new_at(file);
    struct mpg_conda_scan out;
    struct mpg_strv problems = {0};
    mpg_conda_scan(prefix, c, &out, &problems);
    cr_expect_eq(problems.n, 0, "%s", problems.n ? problems.v[0] : "");
    mpg_strv_free(&problems);
    mpg_dircache_free(c);
    return out;
}

static const struct mpg_conda_mpi *record_named(const struct mpg_conda_scan *s, const char *name)
{
    for (size_t i = 0; i < s->n_mpi; i++)
        if (strcmp(s->mpi[i].name, name) == 0) return &s->mpi[i];
    cr_assert_fail("no %s record", name);
    return NULL;
}

static void edit_cache(const char *file, const char *from, const char *to)
{
    size_t len = 0;
    char *text = mpg_read_file(file, 1 << 20, &len);
    cr_assert(text);
    char *at = strstr(text, from);
    cr_assert(at, "no %s in %s", from, text);
    *at = '\0';
    char *edited = fmt("%s%s%s", text, to, at + strlen(from));
    write_file(file, edited);
    free(edited);
    free(text);
}

Test(dircache, conda_records_are_read_once_while_unchanged)
{
    char *prefix = make_conda(scratch(), "c"), *file = joinp(prefix, "../cache/listings");
    char *rec = joinp(prefix, "conda-meta/mpich-4.0.2-h_100.json");
    write_file(rec, "{\"name\": \"mpich\", \"version\": \"4.0.2 rc%1\", \"build\": \"h_100\","
                    " \"channel\": \"https://conda.anaconda.org/conda-forge\", \"files\": [\"lib/libmpi.so.12\"]}");
    char *ext = joinp(prefix, "conda-meta/openmpi-4.1.6-external_0.json");
    write_file(ext, "{\"name\": \"openmpi\", \"version\": \"4.1.6\", \"build\": \"external_0\", \"files\": []}");
    char *meta = joinp(prefix, "conda-meta");
    age(rec, 60), age(ext, 60), age(meta, 60);

    struct mpg_conda_scan first = scan_with(file, prefix);
    cr_assert_eq(first.n_mpi, 2);
    struct stat st;
    cr_assert(stat(rec, &st) == 0);
    write_file(rec, "{\"name\": \"mpich\", \"version\": \"9\", \"build\": \"b\", \"files\": []}");
    struct timespec t[2] = {st.st_mtim, st.st_mtim};
    cr_assert(utimensat(AT_FDCWD, rec, t, 0) == 0); /* same inode and mtime: only the cache remembers 4.0.2 */
    struct mpg_conda_scan cached = scan_with(file, prefix);
    cr_assert_eq(cached.n_mpi, 2);
    for (size_t i = 0; i < 2; i++) {
        const struct mpg_conda_mpi *a = &first.mpi[i], *b = record_named(&cached, a->name);
        cr_expect_str_eq(b->name, a->name);
        cr_expect_str_eq(b->version, a->version);
        cr_expect_str_eq(b->build, a->build);
        cr_expect(a->channel ? b->channel && strcmp(a->channel, b->channel) == 0 : !b->channel, "channel %s", b->channel);
        cr_expect(a->libmpi ? b->libmpi && strcmp(a->libmpi, b->libmpi) == 0 : !b->libmpi, "libmpi %s", b->libmpi);
        cr_expect_eq(b->external, a->external);
    }
    cr_expect_str_eq(record_named(&cached, "mpich")->version, "4.0.2 rc%1");
    cr_expect_str_eq(record_named(&cached, "mpich")->libmpi, "lib/libmpi.so.12");
    cr_expect_null(record_named(&cached, "openmpi")->channel);
    cr_expect(record_named(&cached, "openmpi")->external);

    /* the remembered line is what is used: edited validly, the edit shows; malformed, the record is read */
    edit_cache(file, "=4.0.2%20rc%251 ", "=4.0.3 ");
    struct mpg_conda_scan edited = scan_with(file, prefix);
    cr_expect_str_eq(record_named(&edited, "mpich")->version, "4.0.3");
    edit_cache(file, "=4.0.3 ", "=4.0.3%G0 ");
    struct mpg_conda_scan malformed = scan_with(file, prefix);
    cr_expect_str_eq(record_named(&malformed, "mpich")->version, "9", "a line that does not decode: the record is read");

    age(rec, 30); /* a real change moves the mtime */
    struct mpg_conda_scan changed = scan_with(file, prefix);
    cr_expect_str_eq(record_named(&changed, "mpich")->version, "9");
    cr_expect_null(record_named(&changed, "mpich")->libmpi);
    mpg_conda_scan_free(&first), mpg_conda_scan_free(&cached), mpg_conda_scan_free(&edited);
    mpg_conda_scan_free(&malformed), mpg_conda_scan_free(&changed);
    free(prefix), free(file), free(rec), free(ext), free(meta);
}

/* What the MPI module's libmpi is (its ELF tables read: 11-17 system calls) is remembered with
 * the library's device, inode and mtime, with its first bytes, which the loader's check of the
 * file then takes from the check's memory; a changed library, or a remembered line that does not
 * decode, is read again. */
static int identify_with(const char *file, const char *lib, struct mpg_mpi *out, unsigned char *head)
{
    struct mpg_dircache *c = mpg_dircache_new_at(file);
    char err[512] = "";
    mpg_fsmemo_begin();
    int rc = mpg_identify_mpi_cached(lib, c, out, err, sizeof err);
    struct stat st;
    if (head) cr_expect(stat(lib, &st) == 0 && mpg_fsmemo_opened_head(&st, head) == MPG_FSMEMO_HEAD,
                        "its first bytes in the check's memory");
    mpg_fsmemo_end();
    mpg_dircache_free(c);
    return rc;
}

Test(dircache, an_mpi_library_is_identified_once_while_unchanged)
{
    char *root = canon_path(scratch()), *dir = joinp(root, "lib"), *lib = joinp(dir, "libmpi.so.12");
    char *file = joinp(root, "cache/listings");
    mkdirs(dir);
    copy_file(fxp("bundled-libmpi.so.12"), lib);
    age(lib, 60);
    unsigned char want[MPG_FSMEMO_HEAD], head[MPG_FSMEMO_HEAD];
    FILE *in = fopen(lib, "rb");
    cr_assert(in && fread(want, 1, sizeof want, in) == sizeof want);
    fclose(in);

    struct mpg_mpi first, cached, again;
    cr_assert_eq(identify_with(file, lib, &first, NULL), 0);
    cr_assert_str_eq(first.impl, "MPICH");
    overwrite_in_place(lib, "not a library any more");
    cr_assert_eq(identify_with(file, lib, &cached, head), 0, "remembered: the file is not read");
    cr_expect(memcmp(head, want, sizeof head) == 0, "the first bytes it had");
    cr_expect_str_eq(cached.path, first.path);
    cr_expect_str_eq(cached.soname, first.soname);
    cr_expect_str_eq(cached.impl, first.impl);
    cr_expect_str_eq(cached.version, first.version);
    cr_expect_str_eq(cached.device, first.device);
    cr_expect_eq(cached.abi, first.abi);

    edit_cache(file, "i1 ", "i9 ");
    cr_expect_neq(identify_with(file, lib, &again, NULL), 0, "a line that does not decode: the file is read");
    mpg_mpi_clear(&again);
    copy_file(fxp("bundled-libmpi.so.12"), lib);
    age(lib, 60);
    cr_assert_eq(identify_with(file, lib, &again, NULL), 0);
    mpg_mpi_clear(&again);
    write_file(lib, "not a library any more");
    age(lib, 30);
    cr_expect_neq(identify_with(file, lib, &again, NULL), 0, "changed since: the file is read");
    mpg_mpi_clear(&again);
    mpg_mpi_clear(&cached);
    mpg_mpi_clear(&first);
    free(file);
    free(lib);
    free(dir);
}

static int open_with(const char *file, const char *path, struct mpg_elf *e)
{
    struct mpg_dircache *c = mpg_dircache_new_at(file);
    mpg_fsmemo_begin();
    int rc = mpg_elf_open_cached(path, c, e, NULL, 0);
    struct stat st, known;
    if (rc == 0) cr_expect(stat(path, &st) == 0 && mpg_fsmemo_opened_stat(path, &known) && known.st_ino == st.st_ino,
                           "its stat in the check's memory, as for a file opened");
    mpg_fsmemo_end();
    mpg_dircache_free(c);
    return rc;
}

static void expect_same_dynamic(const struct mpg_elf *a, const struct mpg_elf *b)
{
    cr_expect_eq(a->is64, b->is64);
    cr_expect_eq(a->big_endian, b->big_endian);
    cr_expect_eq(a->type, b->type);
    cr_expect_eq(a->machine, b->machine);
    cr_expect_eq(a->flags_1, b->flags_1);
    cr_expect(!a->soname == !b->soname && (!a->soname || strcmp(a->soname, b->soname) == 0));
    cr_expect(!a->rpath == !b->rpath && (!a->rpath || strcmp(a->rpath, b->rpath) == 0));
    cr_expect(!a->runpath == !b->runpath && (!a->runpath || strcmp(a->runpath, b->runpath) == 0));
    cr_assert_eq(a->n_needed, b->n_needed);
    for (size_t i = 0; i < a->n_needed; i++) cr_expect_str_eq(a->needed[i], b->needed[i]);
}

Test(dircache, an_elf_objects_dynamic_section_is_read_once_while_unchanged)
{
    /* an extension with a RUNPATH and an MPI in its DT_NEEDED, and conda's python (DT_RPATH
     * $ORIGIN/../lib, DT_FLAGS_1): the two an MPI load in an env reads every time */
    const char *const fixtures[] = {"ext_mpich_runpath_other.so", "python_conda"};
    for (size_t k = 0; k < 2; k++) {
        char *root = canon_path(scratch()), *obj = joinp(root, fixtures[k]);
        char *file = joinp(root, "cache/listings");
        copy_file(fxp(fixtures[k]), obj);
        age(obj, 60);
        struct mpg_elf first, cached, again;
        cr_assert_eq(open_with(file, obj, &first), 0);
        cr_assert(mpg_elf_symbols_readable(&first));
        cr_assert(first.n_needed > 0 && (first.rpath || first.runpath), "%s: a fixture with what is tested", obj);
        overwrite_in_place(obj, "not an ELF file any more");
        cr_assert_eq(open_with(file, obj, &cached), 0, "remembered: the file is not read");
        cr_expect(!mpg_elf_symbols_readable(&cached), "known from the cache: symbols need the file");
        cr_expect(!mpg_elf_defines(&cached, "MPI_Init"), "a lookup in it finds nothing, safely");
        expect_same_dynamic(&cached, &first);
        mpg_elf_close(&cached);

        edit_cache(file, "\te1 ", "\te9 ");
        cr_expect_neq(open_with(file, obj, &again), 0, "a line that does not decode: the file is read");
        copy_file(fxp(fixtures[k]), obj);
        age(obj, 60);
        cr_assert_eq(open_with(file, obj, &again), 0);
        mpg_elf_close(&again);
        write_file(obj, "not an ELF file any more");
        age(obj, 30);
        cr_expect_neq(open_with(file, obj, &again), 0, "changed since: the file is read");
        mpg_elf_close(&first);
        free(file), free(obj), free(root);
    }
}

/* A user whose HOME (and so listing cache) is home, in the venv at prefix, Open MPI loaded. */
static void venv_under_openmpi(struct envb *e, const char *home, const char *prefix)
{
    envb_init(e);
    envb_set(e, "HOME", home);
    activate_venv(e, prefix);
    load_module(e, "openmpi");
}

/* A user (HOME in a fresh scratch folder) in a venv there with pip's mpi4py (an Open MPI
 * extension; an mpi.cfg naming mpicc_cfg unless NULL), Open MPI loaded. Returns the venv's site
 * folder; *root the scratch folder. */
static char *pip_mpi4py_under_openmpi(struct envb *e, const char *mpicc_cfg, char **root)
{
    *root = canon_path(scratch());
    char *home = joinp(*root, "home"), *prefix = make_venv(*root, "v", false), *site = site_dir(prefix);
    mkdirs(home);
    put_mpi4py(site, "ext_ompi_condarpath.so", "pip", mpicc_cfg);
    venv_under_openmpi(e, home, prefix);
    free(prefix), free(home);
    return site;
}

Test(dircache, an_extension_known_from_the_cache_is_opened_for_its_symbols)
{
    /* mpi4py built for Open MPI 5 under Open MPI 4.1 (mpi4py/mpi4py#570): "undefined symbol".
     * The extension's dynamic section comes from the cache; the verdict on its symbols does not
     * (forgotten here), so the extension must be opened to look them up again. */
    char *root = canon_path(scratch()), *home = joinp(root, "home"), *prefix = make_venv(root, "v", false);
    mkdirs(home);
    char *so = fmt("%s/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so", site_dir(prefix));
    put_mpi4py(site_dir(prefix), "ext_ompi5.so", "pip", NULL);
    age(so, 60);
    struct envb e;
    venv_under_openmpi(&e, home, prefix);
    char *file = joinp(home, ".cache/mpiguard/listings-v2");
    for (int round = 0; round < 3; round++) {
        if (round == 2) edit_cache(file, "\tmpi-symbols ", "\tmpi-symbolz ");
        struct mpg_report *r = run_check(&e, NULL);
        EXPECT_CODES(r, "VERSION_MISMATCH");
        cr_assert_eq(r->n_packages, 1);
        cr_expect(r->packages[0].import_error && strstr(r->packages[0].import_error, "undefined symbol: ompi_mpi_errors_abort"),
                  "round %d: %s", round, r->packages[0].import_error ? r->packages[0].import_error : "(none)");
        mpg_report_free(r);
        size_t len = 0;
        char *text = mpg_read_file(file, 1 << 20, &len);
        cr_assert(text && strstr(text, "\telf-dynamic 1\t"), "round %d: the extension remembered", round);
        free(text);
    }
    envb_free(&e);
    free(file), free(so), free(prefix), free(home), free(root);
}

Test(dircache, an_extensions_libmpi_other_than_the_modules_is_identified_once_while_unchanged)
{
    /* conda's mpi4py and the env's own MPICH under the Open MPI module: the library the
     * extension gets is not the module's, and what it is was read again on every MPI load. */
    char *root = canon_path(scratch()), *prefix = make_conda(root, "c"), *home = joinp(root, "home");
    mkdirs(home);
    mkdirs(joinp(prefix, "lib"));
    char *lib = joinp(prefix, "lib/libmpi.so.12");
    copy_file(fxp("bundled-libmpi.so.12"), lib);
    conda_record(prefix, "mpich", "4.0.2", "h_100", "conda-forge", "[\"lib/libmpi.so.12\"]", NULL);
    put_mpi4py(site_dir(prefix), "ext_mpi12_condarpath.so", "conda", NULL);
    age(lib, 60);
    struct envb e;
    envb_init(&e);
    envb_set(&e, "HOME", home);
    activate_conda(&e, prefix, "c");
    load_module(&e, "openmpi");
    char *file = joinp(home, ".cache/mpiguard/listings-v2");
    struct mpg_input in = {.environ = (const char *const *)e.v};
    for (int round = 0; round < 3; round++) {
        if (round == 1) cut_in_place(lib, 64); /* the header the loader reads is left: only the cache knows */
        if (round == 2) { /* this library's line, not the module's */
            char *from = fmt("\tmpi-ident 1\t%s\n", lib), *to = fmt("\tmpi-idenz 1\t%s\n", lib);
            edit_cache(file, from, to);
            free(from), free(to);
        }
        struct mpg_report *r = round == 0 ? run_check(&e, NULL) : mpg_check(&in);
        cr_assert_eq(r->n_packages, 1);
        const struct mpg_mpi *m = &r->packages[0].mpi;
        if (round < 2) {
            cr_expect(m->impl && strcmp(m->impl, "MPICH") == 0, "round %d: %s", round, m->impl ? m->impl : "(none)");
            cr_expect(m->path && strcmp(m->path, lib) == 0, "round %d: %s", round, m->path ? m->path : "(none)");
        } else {
            cr_expect_null(m->impl, "forgotten: the library is read again, and is cut short");
        }
        mpg_report_free(r);
        size_t len = 0;
        char *text = mpg_read_file(file, 1 << 20, &len);
        char *line = fmt("\tmpi-ident 1\t%s\n", lib);
        cr_expect(round == 2 || (text && strstr(text, line)), "round %d: the library remembered", round);
        free(line), free(text);
    }
    envb_free(&e);
    free(file), free(lib), free(home), free(prefix), free(root);
}

Test(dircache, mpi4pys_extension_names_are_listed_once_while_its_folder_is_unchanged)
{
    /* MPI.abi3.so, then MPI.cpython-311-<triplet>.so beside it (which Python's finder prefers)
     * with the folder's mtime kept: the remembered listing has only the first; once the folder
     * has changed, the second. */
    struct envb e;
    char *root, *site = pip_mpi4py_under_openmpi(&e, NULL, &root), *pkgdir = joinp(site, "mpi4py");
    char *so = joinp(pkgdir, "MPI.cpython-311-x86_64-linux-gnu.so"), *abi3 = joinp(pkgdir, "MPI.abi3.so");
    cr_assert(rename(so, abi3) == 0);
    age(pkgdir, 60);
    struct stat st;
    cr_assert(stat(pkgdir, &st) == 0);
    const char *const want[] = {abi3, abi3, so};
    for (int round = 0; round < 3; round++) {
        if (round == 1) { /* the folder's mtime kept: only the cache can tell */
            copy_file(abi3, so);
            keep_mtime(pkgdir, &st);
        } else if (round == 2) {
            age(pkgdir, 30);
        }
        struct mpg_report *r = run_check(&e, NULL);
        cr_assert_eq(r->n_packages, 1, "round %d: %zu packages", round, r->n_packages);
        const char *ext = r->packages[0].extension;
        cr_expect(ext && strcmp(ext, want[round]) == 0, "round %d: %s", round, ext ? ext : "(none)");
        mpg_report_free(r);
    }
    envb_free(&e);
    free(abi3), free(so), free(pkgdir), free(site), free(root);
}

Test(dircache, an_mpi_cfg_added_with_the_folders_mtime_kept_is_not_looked_for)
{
    /* mpi4py's folder listed (remembered) without an mpi.cfg: none is looked for until the
     * folder changes; then the one added is read. */
    struct envb e;
    char *root, *site = pip_mpi4py_under_openmpi(&e, NULL, &root), *pkgdir = joinp(site, "mpi4py");
    char *cfg = joinp(pkgdir, "mpi.cfg");
    age(pkgdir, 60);
    struct stat st;
    cr_assert(stat(pkgdir, &st) == 0);
    const char *const want[] = {NULL, NULL, "/opt/openmpi/bin/mpicc"};
    for (int round = 0; round < 3; round++) {
        if (round == 1) {
            write_file(cfg, "[mpi]\nmpicc = /opt/openmpi/bin/mpicc\n");
            age(cfg, 60);
            keep_mtime(pkgdir, &st);
        } else if (round == 2) {
            age(pkgdir, 30);
        }
        struct mpg_report *r = run_check(&e, NULL);
        cr_assert_eq(r->n_packages, 1);
        const char *got = r->packages[0].mpicc_cfg;
        cr_expect(want[round] ? got && strcmp(got, want[round]) == 0 : !got, "round %d: %s", round, got ? got : "(none)");
        mpg_report_free(r);
    }
    envb_free(&e);
    free(cfg), free(pkgdir), free(site), free(root);
}

Test(dircache, a_dist_infos_installer_is_read_once_while_unchanged)
{
    struct envb e;
    char *root, *site = pip_mpi4py_under_openmpi(&e, NULL, &root);
    char *inst = joinp(site, "mpi4py-3.1.6.dist-info/INSTALLER");
    age(inst, 60);
    const char *const want[] = {"pip", "pip", "uv"};
    for (int round = 0; round < 3; round++) {
        if (round == 1) { /* only the cache knows */
            overwrite_in_place(inst, "xyz\n");
        } else if (round == 2) {
            write_file(inst, "uv\n");
            age(inst, 30);
        }
        struct mpg_report *r = run_check(&e, NULL);
        cr_assert_eq(r->n_packages, 1);
        const char *got = r->packages[0].installer;
        cr_expect(got && strcmp(got, want[round]) == 0, "round %d: %s", round, got ? got : "(none)");
        mpg_report_free(r);
    }
    envb_free(&e);
    free(inst), free(site), free(root);
}

Test(dircache, mpi4pys_mpicc_is_read_once_while_its_mpi_cfg_is_unchanged)
{
    struct envb e;
    char *root, *site = pip_mpi4py_under_openmpi(&e, "/opt/openmpi/bin/mpicc", &root);
    char *cfg = joinp(site, "mpi4py/mpi.cfg");
    age(cfg, 60);
    const char *const want[] = {"/opt/openmpi/bin/mpicc", "/opt/openmpi/bin/mpicc", "/other/mpicc"};
    for (int round = 0; round < 3; round++) {
        if (round == 1) { /* only the cache knows it was /opt/openmpi's */
            overwrite_in_place(cfg, "[mpi]\nmpicc = /tmp/changed/mpicc\n");
        } else if (round == 2) {
            write_file(cfg, "[mpi]\nmpicc = /other/mpicc\n");
            age(cfg, 30);
        }
        struct mpg_report *r = run_check(&e, NULL);
        cr_assert_eq(r->n_packages, 1);
        cr_expect(r->packages[0].mpicc_cfg && strcmp(r->packages[0].mpicc_cfg, want[round]) == 0, "round %d: %s",
                  round, r->packages[0].mpicc_cfg ? r->packages[0].mpicc_cfg : "(none)");
        mpg_report_free(r);
    }
    envb_free(&e);
    free(cfg), free(site), free(root);
}
