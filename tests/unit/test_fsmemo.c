/* test_fsmemo.c: during a check, mpg_realpath() answers exactly as glibc's realpath() does (the
 * path, or NULL and the same errno), the first time and from memory; a folder searched again is
 * listed once and only names absent from it are skipped. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_read.h"
#include "fsmemo.h"
#include "helpers.h"
#include "util.h"

static void link_at(const char *target, const char *root, const char *name)
{
    char *p = joinp(root, name);
    cr_assert(symlink(target, p) == 0, "symlink %s", p);
    free(p);
}

static void mkdirs_at(const char *root, const char *name)
{
    char *p = joinp(root, name);
    mkdirs(p);
    free(p);
}

static void write_at(const char *root, const char *name)
{
    char *p = joinp(root, name);
    write_file(p, "x");
    free(p);
}

/* dir/<p>0 -> dir/<p>1 -> ... -> dir/<p>(n-1) -> last: a chain of n symlinks. */
static void link_chain(const char *dir, char p, int n, const char *last)
{
    char name[32], target[32];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%c%d", p, i);
        snprintf(target, sizeof target, "%c%d", p, i + 1);
        link_at(i == n - 1 ? last : target, dir, name);
    }
}

/* Every path in paths (relative to root) as glibc and as the memo answer it, twice. */
static void same_as_glibc(const char *root, const char *const *paths)
{
    mpg_fsmemo_begin();
    for (int round = 0; round < 2; round++)
        for (const char *const *p = paths; *p; p++) {
            char *path = joinp(root, *p);
            errno = 0;
            char *want = realpath(path, NULL);
            int want_err = want ? 0 : errno;
            errno = 0;
            char *got = mpg_realpath(path);
            int got_err = got ? 0 : errno;
            if (want)
                cr_expect(got && strcmp(got, want) == 0, "round %d, %s: got %s, glibc %s", round, *p, got, want);
            else
                cr_expect(!got && got_err == want_err, "round %d, %s: got %s (errno %d), glibc NULL (errno %d)", round,
                          *p, got, got_err, want_err);
            free(want);
            free(got);
            free(path);
        }
    mpg_fsmemo_end();
}

Test(fsmemo, realpath_answers_as_glibc_does)
{
    char *root = scratch();
    char *d = joinp(root, "real/lib/sub");
    mkdirs(d);
    char *f = joinp(root, "real/lib/libmpi.so.40.1.0");
    write_file(f, "x");
    link_at("libmpi.so.40.1.0", root, "real/lib/libmpi.so.40");       /* relative, same folder */
    link_at("libmpi.so.40", root, "real/lib/libmpi.so");              /* a chain */
    link_at("real/lib", root, "lib");                                 /* a folder, relative */
    char *abs = joinp(root, "real");
    link_at(abs, root, "abs");                                        /* a folder, absolute */
    link_at("../lib/libmpi.so", root, "real/lib/sub/up");              /* through .. */
    link_at("nowhere", root, "real/lib/dangling");
    link_at("loop2", root, "loop1");
    link_at("loop1", root, "loop2");
    link_at("self", root, "self");
    link_at(".", root, "dot");
    link_at("/", root, "slash");
    link_at("grow/x", root, "grow");                                  /* names a path below itself */
    char *deep = mpg_strdup("real");                                  /* deeper than the memo goes */
    for (int i = 0; i < 140; i++) {
        char *next = joinp(deep, "d");
        free(deep);
        deep = next;
    }
    char *deep_abs = joinp(root, deep);
    mkdirs(deep_abs);
    link_at(deep_abs, root, "deeplink");
    /* c0 -> c1 -> ... -> c30 (a file): 30 links, within the limit of 40. e0 -> ... -> e14 -> c0:
     * 45, too many. Asked first, e0 meets c0 already 15 links deep: that ELOOP is not c0's. */
    link_chain(root, 'c', 30, f);
    link_chain(root, 'e', 15, "c0");
    /* g0 -> ... -> g29 -> real/lib (a folder), and in it h0 -> ... -> h14 -> libmpi.so.40.1.0:
     * g0/h0 follows 45 links, g0/h10 35; a folder's links count for the names in it. */
    char *reallib = joinp(root, "real/lib");
    link_chain(root, 'g', 30, reallib);
    link_chain(reallib, 'h', 15, "libmpi.so.40.1.0");
    free(reallib);
    /* first, while their folders are not resolved yet: a miss, a miss under a file, a file and
     * a symlink found, each answered from one lstat() of the whole path or resolved after it */
    mkdirs_at(root, "fresh/bin");
    write_at(root, "fresh/bin/python3.11");
    link_at("python3.11", root, "fresh/bin/python3");
    link_at("fresh", root, "fresh-lnk");
    const char *const paths[] = {
        "fresh/bin/python", "fresh-lnk/bin/python", "fresh/nobin/python", "fresh/bin/python3.11/x",
        "fresh/bin/python3.11", "fresh-lnk/bin/python3", "fresh/bin/python3", "fresh/bin",
        "g0/h10", "g0/h0", "g0/libmpi.so", "real/lib/h0",
        "real/lib/libmpi.so.40.1.0", "real/lib/libmpi.so.40", "real/lib/libmpi.so", "lib/libmpi.so",
        "abs/lib/libmpi.so.40", "abs/lib/sub/up", "lib/sub/up", "lib/sub/../libmpi.so", "lib/./libmpi.so",
        "lib//libmpi.so", "lib/", "lib/.", "lib/..", "dot/dot/lib", "slash/tmp", "real/lib/dangling",
        "real/lib/missing", "missing/libmpi.so", "loop1", "loop1/x", "self", "real/lib/libmpi.so.40.1.0/x",
        "real/lib/libmpi.so/", "abs/../abs/lib", "", "grow", "grow/x/y", "deeplink", "deeplink/../d", deep,
        "e0", "c0", "e7", "c10", NULL,
    };
    same_as_glibc(root, paths);
    free(deep);
    free(deep_abs);
    free(d);
    free(f);
    free(abs);
}

/* A name looked for in a folder not resolved yet (a python or an mpirun on each folder of
 * PATH) and not there costs one lstat(): the folder is not resolved for it, so removed since,
 * it is not known from memory. */
Test(fsmemo, a_miss_in_a_folder_not_resolved_yet_does_not_resolve_it)
{
    char *root = scratch(), *bin = joinp(root, "opt/site/gcc/bin"), *python = joinp(bin, "python3");
    mkdirs(bin);
    mpg_fsmemo_begin();
    errno = 0;
    cr_expect_null(mpg_realpath(python));
    cr_expect_eq(errno, ENOENT);
    char *opt = joinp(root, "opt"), *cmd = fmt("rm -r '%s'", opt);
    cr_assert(system(cmd) == 0);
    errno = 0;
    char *r = mpg_realpath(bin);
    cr_expect_null(r, "the folder was not resolved for the miss: gone, not remembered (%s)", r);
    cr_expect_eq(errno, ENOENT);
    mpg_fsmemo_end();
    free(r), free(cmd), free(opt), free(python), free(bin), free(root);
}

Test(fsmemo, outside_a_check_nothing_is_remembered)
{
    char *root = scratch(), *f = joinp(root, "a");
    write_file(f, "x");
    cr_assert(!mpg_fsmemo_active());
    char *r1 = mpg_realpath(f);
    cr_assert(r1);
    unlink(f);
    cr_expect_null(mpg_realpath(f), "no memo outside a check: the file is gone");
    free(r1);
    free(f);
}

/* What a check learned through one path answers every other path to the same file: a name
 * reached through a symlinked folder is the real folder's name, and a path asked again is
 * answered from memory (here the file is removed in between, so only the memo can answer). */
Test(fsmemo, answers_are_shared_by_every_path_to_a_file)
{
    char *root = scratch(), *lib = joinp(root, "real/lib"), *f = joinp(root, "real/lib/libmpi.so.12");
    mkdirs(lib);
    write_file(f, "x");
    cr_assert(chmod(f, 0755) == 0);
    link_at("real/lib", root, "lnk");
    char *via = joinp(root, "lnk/libmpi.so.12");
    mpg_fsmemo_begin();
    char *r1 = mpg_realpath(via);
    cr_assert(r1 && strcmp(r1, f) == 0, "through the link: %s", r1);
    cr_assert(mpg_is_executable(via));
    cr_assert(unlink(f) == 0);
    char *r2 = mpg_realpath(f);
    cr_expect(r2 && strcmp(r2, f) == 0, "the real path, never asked, is known from the walk through the link: %s", r2);
    char *r3 = mpg_realpath(via);
    cr_expect(r3 && strcmp(r3, f) == 0, "asked again: from memory");
    cr_expect(mpg_is_file(f) && mpg_is_executable(f), "asked by its real path once it is gone: its type and "
                                                      "access(X_OK) as learned through the link");
    mpg_fsmemo_end();
    cr_expect_null(mpg_realpath(f), "after the check: gone");
    free(r1);
    free(r2);
    free(r3);
    free(via);
    free(f);
    free(lib);
}

/* mpg_path_type() answers as stat() does (what the path resolves to, 0 when it does not), in a
 * check and outside one; in a check, from the memo: find_libmpi() and the env's markers ask it
 * first and mpg_realpath() or mpg_is_file() then costs no system call. */
Test(fsmemo, path_type_answers_as_stat_and_is_remembered)
{
    char *root = scratch(), *f = joinp(root, "lib/libmpich.so.12.2.2"), *d = joinp(root, "lib");
    mkdirs(d);
    write_file(f, "x");
    link_at("libmpich.so.12.2.2", d, "libmpich.so.12");
    link_at("nowhere", d, "dangling");
    char *lnk = joinp(root, "lib/libmpich.so.12"), *dang = joinp(root, "lib/dangling"),
         *missing = joinp(root, "lib/libmpi.so.12"), *fifo = joinp(root, "lib/fifo");
    cr_assert(mkfifo(fifo, 0600) == 0);
    for (int in_check = 0; in_check < 2; in_check++) {
        if (in_check) mpg_fsmemo_begin();
        cr_expect_eq(mpg_path_type(f), (unsigned)S_IFREG, "in_check=%d", in_check);
        cr_expect_eq(mpg_path_type(lnk), (unsigned)S_IFREG, "a symlink: what it resolves to");
        cr_expect_eq(mpg_path_type(d), (unsigned)S_IFDIR);
        cr_expect_eq(mpg_path_type(fifo), (unsigned)S_IFIFO);
        cr_expect_eq(mpg_path_type(dang), 0u, "a dangling symlink does not resolve");
        cr_expect_eq(mpg_path_type(missing), 0u);
        cr_expect_eq(mpg_path_type(NULL), 0u);
        if (in_check) {
            cr_assert(unlink(f) == 0);
            cr_expect_eq(mpg_path_type(lnk), (unsigned)S_IFREG, "asked again in the check: from memory");
            char *real = mpg_realpath(lnk);
            cr_expect(real && strcmp(real, f) == 0, "its real path, from the same walk: %s", real);
            free(real);
            mpg_fsmemo_end();
            cr_expect_eq(mpg_path_type(lnk), 0u, "after the check: gone");
        }
    }
    free(fifo);
    free(missing);
    free(dang);
    free(lnk);
    free(d);
    free(f);
}

/* A file the ELF reader opened in a check is known by its name (mpg_stat: what fstat() said at
 * open) and by its identity (its first bytes, for the loader's look at a link to it), until it
 * changes or the check ends; outside a check, mpg_stat() is stat(). */
Test(fsmemo, a_file_opened_is_known_by_name_and_identity)
{
    char *root = scratch(), *d = joinp(root, "lib"), *f = joinp(d, "libmpi.so.12.0.0"), *other = joinp(d, "copy.so");
    mkdirs(d);
    copy_file(fxp("bundled-libmpi.so.12"), f);
    copy_file(fxp("bundled-libmpi.so.12"), other);
    struct stat st, seen, st_other;
    unsigned char head[MPG_FSMEMO_HEAD], want[MPG_FSMEMO_HEAD];
    FILE *in = fopen(f, "rb");
    cr_assert(in && fread(want, 1, sizeof want, in) == sizeof want);
    fclose(in);
    cr_assert(stat(f, &st) == 0 && stat(other, &st_other) == 0);
    struct mpg_elf e;
    char err[256];

    cr_assert(mpg_elf_open(f, &e, err, sizeof err) == 0, "%s", err);
    mpg_elf_close(&e);
    cr_expect_eq(mpg_fsmemo_opened_head(&st, head), 0u, "outside a check nothing is kept");
    cr_expect_not(mpg_fsmemo_opened_stat(f, &seen));

    mpg_fsmemo_begin();
    cr_assert(mpg_elf_open(f, &e, err, sizeof err) == 0, "%s", err);
    mpg_elf_close(&e);
    cr_expect_eq(mpg_fsmemo_opened_head(&st, head), sizeof head);
    cr_expect(memcmp(head, want, sizeof head) == 0, "its first bytes");
    cr_expect_eq(mpg_fsmemo_opened_head(&st_other, head), 0u, "another file with the same bytes: another inode");
    struct stat later = st;
    later.st_mtim.tv_sec += 1;
    cr_expect_eq(mpg_fsmemo_opened_head(&later, head), 0u, "the same inode changed since: not known");
    char *lnk = joinp(d, "libmpi.so.12");
    cr_assert(symlink("libmpi.so.12.0.0", lnk) == 0);
    cr_expect_not(mpg_fsmemo_opened_stat(lnk, &seen), "known by the name it was opened by only");
    cr_assert(unlink(f) == 0);
    cr_expect(mpg_stat(f, &seen) == 0 && seen.st_ino == st.st_ino && seen.st_size == st.st_size,
              "asked again in the check: from memory");
    mpg_fsmemo_end();
    cr_expect_neq(mpg_stat(f, &seen), 0, "after the check: stat(), and the file is gone");
    cr_expect_eq(errno, ENOENT);
    free(lnk);
    free(other);
    free(f);
    free(d);
}

/* A path a walk looked at is stat()ed from memory for the rest of the check (the loader's
 * candidates, the listing cache's folders): a file (its mode, device, inode, size and
 * modification time), a name found missing (ENOENT, even once it is there), a folder walked
 * through. A symlink, or a path no walk looked at, is asked of stat(). */
Test(fsmemo, a_path_walked_is_stated_from_memory)
{
    char *scr = scratch(), *root = realpath(scr, NULL), *d = joinp(root, "lib"), *f = joinp(d, "libmpi.so.40"),
         *gone = joinp(d, "libmpi.so.12"), *lnk = joinp(d, "libmpi.so"), *unseen = joinp(d, "libmpich.so.12");
    mkdirs(d);
    write_file(f, "not an ELF file, 27 bytes\n");
    write_file(unseen, "x");
    cr_assert(symlink("libmpi.so.40", lnk) == 0);
    struct stat st, dst, seen;
    cr_assert(stat(f, &st) == 0 && stat(d, &dst) == 0);

    mpg_fsmemo_begin();
    cr_expect(mpg_is_file(f));
    cr_expect_not(mpg_is_file(gone));
    cr_expect(mpg_is_file(lnk));
    cr_assert(unlink(f) == 0);
    write_file(gone, "here now");
    cr_expect(mpg_stat(f, &seen) == 0, "a file walked to: from memory");
    cr_expect(seen.st_dev == st.st_dev && seen.st_ino == st.st_ino && seen.st_size == st.st_size &&
              seen.st_mode == st.st_mode && seen.st_mtim.tv_sec == st.st_mtim.tv_sec &&
              seen.st_mtim.tv_nsec == st.st_mtim.tv_nsec, "what lstat() said of it");
    errno = 0;
    cr_expect(mpg_stat(gone, &seen) != 0 && errno == ENOENT, "a name found missing: ENOENT, from memory");
    cr_expect(mpg_stat(d, &seen) == 0 && S_ISDIR(seen.st_mode) && seen.st_ino == dst.st_ino, "a folder walked through");
    errno = 0;
    cr_expect(mpg_stat(lnk, &seen) != 0 && errno == ENOENT, "a symlink: stat(), which finds its file gone");
    cr_assert(unlink(unseen) == 0);
    cr_expect(mpg_stat(unseen, &seen) != 0 && errno == ENOENT, "a name no walk looked at: stat()");
    char *unnormal = mpg_printf("%s//lib/libmpi.so.40", root);
    cr_expect(mpg_stat(unnormal, &seen) != 0, "another spelling of a path walked: stat()");
    mpg_fsmemo_end();
    cr_expect(mpg_stat(f, &seen) != 0 && errno == ENOENT, "after the check: stat()");
    cr_expect(mpg_stat(gone, &seen) == 0, "after the check: stat(), which finds the file made since");
    free(unnormal);
    free(unseen);
    free(lnk);
    free(gone);
    free(f);
    free(d);
    free(root);
}

/* mpg_read_fd_st() reads what mpg_read_fd() reads, from the caller's fstat(): a regular file
 * whole, one over the limit refused (EFBIG), anything else refused (EINVAL). */
Test(fsmemo, read_fd_st_reads_as_read_fd)
{
    char *root = scratch(), *f = joinp(root, "listings"), *fifo = joinp(root, "fifo");
    write_file(f, "mpiguard-dircache 2\n");
    cr_assert(mkfifo(fifo, 0600) == 0);
    int fd = open(f, O_RDONLY);
    struct stat st;
    cr_assert(fd >= 0 && fstat(fd, &st) == 0);
    size_t len = 0;
    char *text = mpg_read_fd_st(fd, &st, 1024, &len);
    cr_expect(text && len == 20 && strcmp(text, "mpiguard-dircache 2\n") == 0, "read: %s", text);
    free(text);
    errno = 0;
    cr_expect_null(mpg_read_fd_st(fd, &st, 10, &len));
    cr_expect_eq(errno, EFBIG);
    close(fd);
    fd = open(fifo, O_RDONLY | O_NONBLOCK);
    cr_assert(fd >= 0 && fstat(fd, &st) == 0);
    errno = 0;
    cr_expect_null(mpg_read_fd_st(fd, &st, 1024, &len), "a FIFO is never read");
    cr_expect_eq(errno, EINVAL);
    close(fd);
    free(fifo);
    free(f);
}

Test(fsmemo, a_folder_searched_again_is_listed_once)
{
    char *root = scratch(), *lib = joinp(root, "lib"), *big = joinp(root, "big");
    mkdirs(lib);
    mkdirs(big);
    char *present = joinp(lib, "libmpi.so.12");
    write_file(present, "x");
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof name, "lib%d.so", i);
        char *p = joinp(big, name);
        write_file(p, "x");
        free(p);
    }
    cr_expect(mpg_fsmemo_may_exist(lib, "absent.so"), "no memo: open it and see");
    mpg_fsmemo_begin();
    cr_expect(mpg_fsmemo_may_exist(lib, "absent.so"), "first question: open it and see");
    cr_expect(!mpg_fsmemo_may_exist(lib, "absent.so"), "second: listed, absent");
    cr_expect(mpg_fsmemo_may_exist(lib, "libmpi.so.12"), "listed, present");
    /* created after the listing: the check's answer is the listing's, as if it ran a moment earlier */
    cr_expect(mpg_fsmemo_may_exist(big, "none.so"));
    cr_expect(mpg_fsmemo_may_exist(big, "none.so"), "a big folder is never listed");
    cr_expect(mpg_fsmemo_may_exist(big, "none.so"));
    char *gone = joinp(root, "gone");
    cr_expect(mpg_fsmemo_may_exist(gone, "x.so"));
    cr_expect(mpg_fsmemo_may_exist(gone, "x.so"), "a folder that cannot be listed: open and see");
    mpg_fsmemo_end();
    free(gone);
    free(present);
    free(lib);
    free(big);
}

/* A folder removed while the check lists it gives no names at all, not even "." and "..":
 * nothing is in it (opendir() of /proc/self/fd/N, an open folder since removed, lists so). */
Test(fsmemo, a_folder_removed_while_listed_holds_nothing)
{
    char *d = joinp(scratch(), "gone");
    mkdirs(d);
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    cr_assert(fd >= 0);
    cr_assert(rmdir(d) == 0);
    char *via = fmt("/proc/self/fd/%d", fd);
    mpg_fsmemo_begin();
    cr_expect(mpg_fsmemo_may_exist(via, "libmpi.so.12"), "first question: open it and see");
    cr_expect_not(mpg_fsmemo_may_exist(via, "libmpi.so.12"), "listed: nothing in it");
    mpg_fsmemo_end();
    close(fd);
    free(via);
    free(d);
}
