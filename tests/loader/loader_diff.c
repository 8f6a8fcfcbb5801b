/* loader_diff.c: the differential test of mpiguard's loader emulation against glibc's real
 * loader (issue 7 point 4). For a seeded, reproducible matrix of loader configurations (DT_RPATH
 * vs DT_RUNPATH vs both (different folders: RUNPATH must hide RPATH) on the extension and on an
 * intermediate library, the interpreter's own RPATH or
 * RUNPATH, $ORIGIN and ${ORIGIN}, relative and empty entries, LD_LIBRARY_PATH order, empty
 * entries and ';', ld.so.cache hits, DF_1_NODEFLIB, wrong-class and wrong-machine files, text,
 * empty, folder, /dev/zero and FIFO where a library should be, dangling symlinks, symlinked
 * folders and prefixes), it lays the configuration out as a conda-like env, asks mpg_check()
 * which libmpi the env's mpi4py extension gets, and runs the oracle (oracle.c, as the env's
 * python, with the configuration's RPATH) to dlopen the extension in the same environment and
 * report what glibc mapped. Every configuration must agree.
 *
 *   loader_diff [--seed N] [--count N] [--keep] [--only I] [--verbose]
 *
 * Templates are compiled once (cc); each configuration patches their placeholder strings
 * (DT_NEEDED, DT_RPATH/DT_RUNPATH) in copies. Exit 0 when all agree, 1 otherwise, 77 when no
 * compiler is there. */
#include <elf.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mpiguard.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

#define NEEDED_PH "libNEEDEDPLACEHOLDERxxxxxxxxxxxxxxxxxxxx.so"
#define PATH_PH_LEN 500
#define N_DIRS 6
#define EXT_REL "lib/python3.11/site-packages/mpi4py/MPI.cpython-311-x86_64-linux-gnu.so"

static char work[4096];
static bool verbose;

/* ---- small helpers ------------------------------------------------------------------------- */

/* Every string of a configuration lives in one pool, freed when the configuration is done. */
static char **pool;
static size_t n_pool, cap_pool;

static char *keep(char *s)
{
    if (!s) abort();
    if (n_pool == cap_pool) {
        cap_pool = cap_pool ? cap_pool * 2 : 256;
        pool = realloc(pool, cap_pool * sizeof *pool);
        if (!pool) abort();
    }
    return pool[n_pool++] = s;
}

static void pool_free(void)
{
    for (size_t i = 0; i < n_pool; i++) free(pool[i]);
    n_pool = 0;
}

static char *xprintf(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0) abort();
    va_end(ap);
    return keep(s);
}

static void die(const char *what)
{
    fprintf(stderr, "loader_diff: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void mkdirp(const char *path)
{
    char *p = xprintf("%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) die(path);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)n);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) die(path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len) die(path);
    close(fd);
}

static void fill_placeholder(unsigned char *b, size_t len, const char *ph, const char *value)
{
    unsigned char *q = memmem(b, len, ph, strlen(ph));
    if (!q) return;
    if (!value || strlen(value) >= PATH_PH_LEN) die("path placeholder");
    memset(q, 0, PATH_PH_LEN);
    memcpy(q, value, strlen(value));
}

/* Writes template with each placeholder replaced (a shorter string, NUL-padded in place):
 * path goes to the DT_RPATH or DT_RUNPATH string, runpath to the second one of an object that
 * has both. */
static void patch_copy(const char *tmpl, const char *out, const char *needed, const char *path, const char *runpath,
                       mode_t mode)
{
    size_t len;
    unsigned char *b = slurp(tmpl, &len);
    if (needed) {
        unsigned char *p = memmem(b, len, NEEDED_PH, strlen(NEEDED_PH));
        if (!p || strlen(needed) >= strlen(NEEDED_PH)) die("needed placeholder");
        memset(p, 0, strlen(NEEDED_PH));
        memcpy(p, needed, strlen(needed));
    }
    fill_placeholder(b, len, "/RPATHPLACEHOLDER", path);
    fill_placeholder(b, len, "/RUNPATHPLACEHOLDER", runpath);
    spit(out, b, len, mode);
    free(b);
}

/* The linker writes DT_RPATH or DT_RUNPATH, never both: lib_both.so is linked with an RPATH and
 * a SONAME holding the second placeholder, and its DT_SONAME entry becomes DT_RUNPATH. */
static int retag_soname_as_runpath(const char *path)
{
    size_t len;
    unsigned char *b = slurp(path, &len);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b;
    int done = 0;
    for (int i = 0; i < eh->e_phnum && !done; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(b + eh->e_phoff + (size_t)i * eh->e_phentsize);
        if (ph->p_type != PT_DYNAMIC) continue;
        for (Elf64_Dyn *d = (Elf64_Dyn *)(b + ph->p_offset); (unsigned char *)(d + 1) <= b + len && d->d_tag != DT_NULL; d++)
            if (d->d_tag == DT_SONAME) {
                d->d_tag = DT_RUNPATH;
                done = 1;
                break;
            }
    }
    if (done) spit(path, b, len, 0755);
    free(b);
    return done ? 0 : 1;
}

static int unlink_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir) { nftw(dir, unlink_one, 16, FTW_DEPTH | FTW_PHYS); }

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

/* ---- a deterministic generator ---------------------------------------------------------- */

static uint64_t rng;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static int pick(int n) { return (int)(next() % (uint32_t)n); }
static bool chance(int percent) { return pick(100) < percent; }

/* ---- templates ------------------------------------------------------------------------------ */

static char *tmpl(const char *name) { return xprintf("%s/t/%s", work, name); }

static int build_templates(void)
{
    char *t = tmpl("");
    mkdirp(t);
    char ph[PATH_PH_LEN + 1], ph2[PATH_PH_LEN + 1];
    memset(ph, 'X', PATH_PH_LEN);
    memcpy(ph, "/RPATHPLACEHOLDER", 17);
    ph[PATH_PH_LEN] = '\0';
    memset(ph2, 'X', PATH_PH_LEN);
    memcpy(ph2, "/RUNPATHPLACEHOLDER", 19);
    ph2[PATH_PH_LEN] = '\0';
    char *cmd = xprintf(
        "set -e; cd '%s'; cc=${CC:-cc};"
        "printf 'int mpg_stub(void) { return 1; }\\n' > stub.c;"
        "$cc -shared -fPIC -Wl,-soname," NEEDED_PH " -o " NEEDED_PH " stub.c;"
        "$cc -shared -fPIC -Wl,-soname,libmpi.so.12 -o good.so stub.c;"
        "$cc -shared -fPIC -o lib_none.so stub.c -Wl,--no-as-needed -L. -l:" NEEDED_PH ";"
        "$cc -shared -fPIC -o lib_rpath.so stub.c -Wl,--no-as-needed -L. -l:" NEEDED_PH " -Wl,--disable-new-dtags,-rpath,%s;"
        "$cc -shared -fPIC -o lib_runpath.so stub.c -Wl,--no-as-needed -L. -l:" NEEDED_PH " -Wl,--enable-new-dtags,-rpath,%s;"
        "$cc -shared -fPIC -o lib_nodeflib.so stub.c -Wl,--no-as-needed -L. -l:" NEEDED_PH " -Wl,-z,nodefaultlib,--enable-new-dtags,-rpath,%s;"
        "$cc -shared -fPIC -o lib_both.so stub.c -Wl,--no-as-needed -L. -l:" NEEDED_PH " -Wl,-soname,%s,--disable-new-dtags,-rpath,%s;"
        "$cc -o exe_none '%s/oracle.c' -ldl;"
        "$cc -o exe_rpath '%s/oracle.c' -ldl -Wl,--disable-new-dtags,-rpath,%s;"
        "$cc -o exe_runpath '%s/oracle.c' -ldl -Wl,--enable-new-dtags,-rpath,%s",
        t, ph, ph, ph, ph2, ph, SRCDIR, SRCDIR, ph, SRCDIR, ph);
    int rc = run(cmd);
    if (rc == 0) rc = retag_soname_as_runpath(tmpl("lib_both.so"));
    return rc;
}

/* ---- one configuration ---------------------------------------------------------------------- */

enum content { ABSENT, GOOD, OTHER_CLASS, OTHER_MACHINE, TEXT, EMPTY, FOLDER, DANGLING, DEVZERO, FIFO, N_CONTENT };
static const char *const content_name[] = {"absent", "good", "ELFCLASS32", "aarch64", "text", "empty",
                                           "folder", "dangling", "/dev/zero", "FIFO"};

struct config {
    int index;
    char *root, *prefix, *prefix_as_given, *cwd;
    const char *needed;
    bool via_inter;
    char *ext_kind, *ext_path;     /* "none", "RPATH", "RUNPATH", "RUNPATH+NODEFLIB", "RPATH+RUNPATH" */
    char *ext_runpath;             /* "RPATH+RUNPATH": the DT_RUNPATH (ext_path is the DT_RPATH) */
    char *inter_kind, *inter_path, *inter_runpath;
    char *exe_kind, *exe_path;
    char *ldlp;                    /* NULL: unset */
    enum content dir_content[N_DIRS + 2]; /* d0..d5, cwd, <prefix>/lib */
};

static void put(const char *dir, const char *name, enum content c)
{
    char *p = xprintf("%s/%s", dir, name);
    char *good = tmpl("good.so");
    size_t len;
    unsigned char *b;
    switch (c) {
    case ABSENT: break;
    case GOOD: patch_copy(good, p, NULL, NULL, NULL, 0755); break;
    case OTHER_CLASS:
    case OTHER_MACHINE:
        b = slurp(good, &len);
        if (c == OTHER_CLASS)
            b[EI_CLASS] = ELFCLASS32;
        else {
            uint16_t m = EM_AARCH64;
            memcpy(b + 18, &m, 2);
        }
        spit(p, b, len, 0755);
        free(b);
        break;
    case TEXT: spit(p, "this is not a shared object, only some text in its place\n", 58, 0644); break;
    case EMPTY: spit(p, "", 0, 0644); break;
    case FOLDER: mkdirp(p); break;
    case DANGLING:
        if (symlink("/nonexistent/libgone.so", p) != 0) die(p);
        break;
    case DEVZERO:
        if (symlink("/dev/zero", p) != 0) die(p);
        break;
    case FIFO:
        if (mkfifo(p, 0644) != 0) die(p);
        break;
    default: break;
    }
}

static enum content random_content(bool allow_fifo)
{
    int r = pick(1000);
    if (r < 480) return ABSENT;
    if (r < 800) return GOOD;
    if (r < 845) return OTHER_CLASS;
    if (r < 890) return OTHER_MACHINE;
    if (r < 920) return TEXT;
    if (r < 940) return EMPTY;
    if (r < 960) return FOLDER;
    if (r < 985) return DANGLING;
    if (!allow_fifo) return DEVZERO;
    return FIFO; /* in configurations that allow one: 1.5% of their folders */
}

/* One entry of a search path, chosen among the kinds the matrix covers. origin_up: how many
 * ".." lead from the object's folder to the configuration's root. */
static char *random_entry(const struct config *c, int origin_up, bool allow_relative)
{
    int d = pick(N_DIRS);
    char up[64] = "";
    for (int i = 0; i < origin_up; i++) strcat(up, "/..");
    switch (pick(allow_relative ? 9 : 7)) {
    case 0:
    case 1: return xprintf("%s/d%d", c->root, d);
    case 2: return xprintf("%s/s%d", c->root, d % 3); /* a symlinked folder */
    case 3: return xprintf("$ORIGIN%s/d%d", up, d);
    case 4: return xprintf("${ORIGIN}%s/d%d", up, d);
    case 5: return xprintf("%s/p/lib", c->root);
    case 6: return xprintf("%s/dnone", c->root); /* a folder that does not exist */
    case 7: return xprintf("%s", "");             /* the current directory */
    default: return xprintf("../d%d", d);         /* relative to the current directory */
    }
}

static char *random_list(const struct config *c, int n, int origin_up, bool allow_relative, char sep)
{
    char *list = xprintf("%s", "");
    for (int i = 0; i < n; i++) list = xprintf("%s%s%s", list, i ? (char[]){sep, 0} : "", random_entry(c, origin_up, allow_relative));
    return list;
}

static char *with_entry(char *list, const char *entry) { return xprintf("%s%s%s", list, *list ? ":" : "", entry); }

static void make_config(struct config *c, int index, const char *base)
{
    memset(c, 0, sizeof *c);
    c->index = index;
    c->root = xprintf("%s/c%d", base, index);
    c->prefix = xprintf("%s/p", c->root);
    c->cwd = xprintf("%s/cwd", c->root);
    /* libmpi.so.12: no such file on Debian; libmpich.so.12 and libmpi.so.40: in ld.so.cache;
     * libmpich.so.12.2.2: only in the system folders (ldconfig caches the SONAME links) */
    static const char *const names[] = {"libmpi.so.12", "libmpi.so.12", "libmpi.so.12", "libmpich.so.12",
                                        "libmpi.so.40", "libmpi.so.12", "libmpi.so.12", "libmpich.so.12.2.2"};
    c->needed = names[pick(8)];
    c->via_inter = chance(30);
    bool fifo_ok = chance(4); /* a blocking configuration now and then: each costs the oracle's timeout */

    /* the extension's own search path ($ORIGIN is <prefix>/lib/python3.11/site-packages/mpi4py:
     * 5 levels below the root) */
    static const char *const kinds[] = {"none", "RPATH", "RUNPATH", "RPATH", "RUNPATH", "none", "RUNPATH+NODEFLIB"};
    c->ext_kind = xprintf("%s", kinds[pick(chance(8) ? 7 : 6)]);
    c->ext_path = strcmp(c->ext_kind, "none") ? random_list(c, 1 + pick(3), 5, true, ':') : xprintf("%s", "");
    if (strcmp(c->ext_kind, "RPATH") == 0 && chance(30)) {
        c->ext_kind = xprintf("%s", "RPATH+RUNPATH");
        c->ext_runpath = random_list(c, 1 + pick(2), 5, true, ':');
    }
    if (c->via_inter) {
        /* the intermediate library lives in <root>/inter; the extension must find it */
        c->inter_kind = xprintf("%s", kinds[pick(6)]);
        c->inter_path = strcmp(c->inter_kind, "none") ? random_list(c, 1 + pick(3), 1, true, ':') : xprintf("%s", "");
        if (strcmp(c->inter_kind, "RPATH") == 0 && chance(30)) {
            c->inter_kind = xprintf("%s", "RPATH+RUNPATH");
            c->inter_runpath = random_list(c, 1 + pick(2), 1, true, ':');
        }
        if (strcmp(c->ext_kind, "none") == 0) {
            c->ext_kind = xprintf("%s", chance(50) ? "RPATH" : "RUNPATH");
        }
        if (c->ext_runpath)
            c->ext_runpath = with_entry(c->ext_runpath, xprintf("%s/inter", c->root));
        else
            c->ext_path = with_entry(c->ext_path, xprintf("%s/inter", c->root));
    }
    static const char *const exe_kinds[] = {"none", "none", "RPATH", "RUNPATH"};
    c->exe_kind = xprintf("%s", exe_kinds[pick(4)]);
    c->exe_path = strcmp(c->exe_kind, "none") ? (chance(50) ? xprintf("%s", "$ORIGIN/../lib") : random_list(c, 1 + pick(2), 2, false, ':'))
                                              : xprintf("%s", "");
    if (chance(80)) {
        int n = 1 + pick(4);
        char sep = chance(10) ? ';' : ':';
        c->ldlp = random_list(c, n, 0, true, sep);
        if (chance(15)) c->ldlp = xprintf("%s%c$ORIGIN/../lib", c->ldlp, sep); /* $ORIGIN: the executable's folder */
        if (chance(10)) c->ldlp = chance(50) ? xprintf(":%s", c->ldlp) : xprintf("%s:", c->ldlp); /* an empty entry */
    }
    for (int i = 0; i < N_DIRS + 2; i++) {
        c->dir_content[i] = random_content(fifo_ok);
        if (c->dir_content[i] == FIFO) fifo_ok = false; /* one FIFO at most */
    }
    c->prefix_as_given = chance(30) ? xprintf("%s/plink", c->root) : c->prefix;
}

static const char *template_of(const char *kind)
{
    return strcmp(kind, "RPATH") == 0               ? "lib_rpath.so"
           : strcmp(kind, "RUNPATH") == 0           ? "lib_runpath.so"
           : strcmp(kind, "RUNPATH+NODEFLIB") == 0  ? "lib_nodeflib.so"
           : strcmp(kind, "RPATH+RUNPATH") == 0     ? "lib_both.so"
                                                    : "lib_none.so";
}

static void lay_out(const struct config *c)
{
    mkdirp(c->root);
    for (int i = 0; i < N_DIRS; i++) {
        char *d = xprintf("%s/d%d", c->root, i);
        mkdirp(d);
        put(d, c->needed, c->dir_content[i]);
    }
    for (int i = 0; i < 3; i++) {
        char *s = xprintf("%s/s%d", c->root, i), *target = xprintf("d%d", i);
        if (symlink(target, s) != 0) die(s);
    }
    mkdirp(c->cwd);
    put(c->cwd, c->needed, c->dir_content[N_DIRS]);
    char *lib = xprintf("%s/lib", c->prefix), *bin = xprintf("%s/bin", c->prefix), *meta = xprintf("%s/conda-meta", c->prefix);
    char *site = xprintf("%s/lib/python3.11/site-packages/mpi4py", c->prefix);
    mkdirp(lib), mkdirp(bin), mkdirp(meta), mkdirp(site);
    put(lib, c->needed, c->dir_content[N_DIRS + 1]);
    if (symlink("p", xprintf("%s/plink", c->root)) != 0) die("plink");
    /* the env's python: the oracle with the configuration's RPATH or RUNPATH */
    char *exe_t = tmpl(strcmp(c->exe_kind, "RPATH") == 0 ? "exe_rpath" : strcmp(c->exe_kind, "RUNPATH") == 0 ? "exe_runpath" : "exe_none");
    char *py = xprintf("%s/python3.11", bin);
    patch_copy(exe_t, py, NULL, c->exe_path, NULL, 0755);
    if (symlink("python3.11", xprintf("%s/python3", bin)) != 0) die("python3");
    /* the extension */
    char *ext = xprintf("%s/%s", c->prefix, EXT_REL), *tp = tmpl(template_of(c->ext_kind));
    patch_copy(tp, ext, c->via_inter ? "libinter.so.1" : c->needed, c->ext_path, c->ext_runpath, 0755);
    if (c->via_inter) {
        char *inter_dir = xprintf("%s/inter", c->root);
        mkdirp(inter_dir);
        char *itp = tmpl(template_of(c->inter_kind)), *inter = xprintf("%s/libinter.so.1", inter_dir);
        patch_copy(itp, inter, c->needed, c->inter_path, c->inter_runpath, 0755);
    }
}

/* ---- the two answers ------------------------------------------------------------------------ */

enum outcome { FOUND, NOT_FOUND, WRONG_CLASS, STOPPED, HANG, NO_PACKAGE };
static const char *const outcome_name[] = {"found", "not found", "wrong ELF class", "stopped by a file that is not a library",
                                           "loader blocks", "no package"};

struct answer {
    enum outcome what;
    char *path;      /* FOUND: the library; STOPPED: the file the loader stopped at (canonical) */
    const char *via; /* mpiguard's step */
    char *text;      /* for the report */
};

static char *canon(const char *p)
{
    char *r = realpath(p, NULL);
    return r ? keep(r) : xprintf("%s", p);
}

/* "<path>: invalid ELF header" / "<path> is a FIFO..." -> the path, canonical; glibc names a
 * file found through a relative entry relatively (to cwd). */
static char *error_path(const char *msg, const char *cwd)
{
    const char *colon = strstr(msg, ": "), *is = strstr(msg, " is a");
    const char *end = colon && (!is || colon < is) ? colon : is;
    if (!end) return NULL;
    char *p = xprintf("%.*s", (int)(end - msg), msg);
    return canon(p[0] == '/' ? p : xprintf("%s/%s", cwd, p));
}

static char *snap(const char *name, const char *value) { return xprintf("%s=%s", name, value); }

static void environment(const struct config *c, char **vars)
{
    int n = 0;
    vars[n++] = snap("PATH", xprintf("%s/bin:/usr/bin:/bin", c->prefix_as_given));
    vars[n++] = snap("HOME", xprintf("%s/home", work));
    vars[n++] = snap("CONDA_PREFIX", c->prefix_as_given);
    vars[n++] = snap("PWD", c->cwd);
    vars[n++] = snap("PYTHONNOUSERSITE", "1");
    vars[n++] = snap("MPIGUARD_NO_CACHE", "1");
    if (c->ldlp) vars[n++] = snap("LD_LIBRARY_PATH", c->ldlp);
    vars[n] = NULL;
}

static struct answer mpiguard_says(const struct config *c, char **vars)
{
    struct answer a = {.what = NO_PACKAGE};
    struct mpg_input in = {.environ = (const char *const *)vars};
    struct mpg_report *r = mpg_check(&in);
    for (size_t i = 0; r && i < r->n_packages; i++) {
        const struct mpg_package *p = &r->packages[i];
        if (strcmp(p->name, "mpi4py") != 0) continue;
        if (p->resolved) {
            a.what = FOUND;
            a.path = canon(p->resolved);
            const char *of = strstr(p->resolved_via, " of libinter");
            a.via = of ? xprintf("%.*s (for libinter.so.1)", (int)(of - p->resolved_via), p->resolved_via)
                       : xprintf("%s", p->resolved_via);
        } else if (p->import_error && strstr(p->import_error, "FIFO")) {
            a.what = HANG;
        } else if (p->import_error && strstr(p->import_error, "wrong ELF class")) {
            a.what = WRONG_CLASS;
        } else if (p->import_error && strstr(p->import_error, "cannot open shared object file")) {
            a.what = NOT_FOUND;
        } else if (p->import_error) {
            a.what = STOPPED;
            a.path = error_path(p->import_error, c->cwd);
        }
        a.text = xprintf("%s%s%s", p->resolved ? p->resolved : p->import_error ? p->import_error : "?",
                         p->resolved_via ? " via " : "", p->resolved_via ? p->resolved_via : "");
    }
    mpg_report_free(r);
    return a;
}

static struct answer loader_says(const struct config *c, char **vars)
{
    struct answer a = {.what = NO_PACKAGE};
    int fd[2];
    if (pipe(fd) != 0) die("pipe");
    char *py = xprintf("%s/bin/python3.11", c->prefix_as_given);
    char *ext = xprintf("%s/%s", c->prefix_as_given, EXT_REL);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        if (chdir(c->cwd) != 0) _exit(126);
        char *argv[] = {py, ext, NULL};
        execve(py, argv, vars);
        _exit(127);
    }
    close(fd[1]);
    char buf[8192];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = read(fd[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
    buf[len] = '\0';
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    a.text = xprintf("%s", buf);
    char *mapped = strstr(buf, "MAPPED ");
    if (strstr(buf, "HANG")) {
        a.what = HANG;
    } else if (mapped) {
        a.what = FOUND;
        char *line = mapped + 7;
        a.path = xprintf("%.*s", (int)strcspn(line, "\n"), line);
        if (strstr(line, "MAPPED ") || !strstr(buf, "NOW OK")) a.what = NO_PACKAGE; /* two libmpi or RTLD_NOW fails */
    } else if (strstr(buf, "ERROR ")) {
        if (strstr(buf, xprintf("%s: cannot open shared object file", c->needed)))
            a.what = NOT_FOUND;
        else if (strstr(buf, xprintf("%s: wrong ELF class", c->needed)))
            a.what = WRONG_CLASS;
        else {
            a.what = STOPPED;
            a.path = error_path(strstr(buf, "ERROR ") + 6, c->cwd);
        }
    }
    return a;
}

static bool agree(const struct answer *m, const struct answer *l)
{
    if (m->what != l->what) return false;
    if (m->what == FOUND || m->what == STOPPED) return m->path && l->path && strcmp(m->path, l->path) == 0;
    return m->what != NO_PACKAGE;
}

static void describe(const struct config *c, FILE *out)
{
    fprintf(out, "  config %d (%s): needs %s%s\n", c->index, c->root, c->via_inter ? "libinter.so.1 -> " : "", c->needed);
    fprintf(out, "    extension %s [%s]%s%s%s%s%s [%s]%s%s%s\n", c->ext_kind, c->ext_path, c->ext_runpath ? " [" : "",
            c->ext_runpath ? c->ext_runpath : "", c->ext_runpath ? "]" : "", c->via_inter ? ", libinter.so.1 " : "",
            c->via_inter ? c->inter_kind : "", c->via_inter ? c->inter_path : "", c->inter_runpath ? " [" : "",
            c->inter_runpath ? c->inter_runpath : "", c->inter_runpath ? "]" : "");
    fprintf(out, "    python %s [%s]; LD_LIBRARY_PATH %s%s%s; prefix as %s\n", c->exe_kind, c->exe_path, c->ldlp ? "[" : "",
            c->ldlp ? c->ldlp : "unset", c->ldlp ? "]" : "", c->prefix_as_given);
    fprintf(out, "    %s in:", c->needed);
    for (int i = 0; i < N_DIRS + 2; i++)
        fprintf(out, " %s=%s", i < N_DIRS ? xprintf("d%d", i) : i == N_DIRS ? "cwd" : "p/lib", content_name[c->dir_content[i]]);
    fputc('\n', out);
}

int main(int argc, char **argv)
{
    uint64_t seed = 20250607;
    int count = 400, only = -1;
    bool keep_dir = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) count = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0) keep_dir = true;
        else if (strcmp(argv[i], "--verbose") == 0) verbose = true;
        else {
            fprintf(stderr, "usage: loader_diff [--seed N] [--count N] [--only I] [--keep] [--verbose]\n");
            return 2;
        }
    }
    if (run("command -v ${CC:-cc} >/dev/null") != 0) {
        fprintf(stderr, "loader_diff: SKIPPED: no C compiler to build the templates (apt-get install gcc)\n");
        return 77;
    }
    /* a short root: the search paths must fit the templates' placeholders */
    snprintf(work, sizeof work, "/tmp/mpg-ld-XXXXXX");
    if (!mkdtemp(work)) die("mkdtemp");
    chmod(work, 0755);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (build_templates() != 0) {
        fprintf(stderr, "loader_diff: could not build the templates in %s\n", work);
        return 1;
    }
    pool_free();
    mkdirp(xprintf("%s/home", work));
    pool_free();
    int agreed = 0, ran = 0, by_outcome[6] = {0}, by_step[16] = {0};
    const char *steps[16] = {0};
    int n_steps = 0;
    for (int i = 0; i < count; i++) {
        rng = seed * 0x9E3779B97F4A7C15ull + (uint64_t)i * 0xBF58476D1CE4E5B9ull + 1;
        for (int w = 0; w < 4; w++) next();
        struct config c;
        make_config(&c, i, xprintf("%s", work));
        if (only >= 0 && i != only) {
            pool_free();
            continue;
        }
        lay_out(&c);
        char *vars[16];
        environment(&c, vars);
        struct answer m = mpiguard_says(&c, vars), l = loader_says(&c, vars);
        if (l.what == HANG && m.what != HANG) {
            /* the oracle gives a load 0.5 s: on a loaded machine (a sanitizer suite beside it)
             * a big libmpi can take longer. Asked again with 30 s before it counts. */
            int n = 0;
            while (vars[n]) n++;
            vars[n++] = snap("MPG_ORACLE_HANG_MS", "30000");
            vars[n] = NULL;
            l = loader_says(&c, vars);
        }
        ran++;
        bool ok = agree(&m, &l);
        agreed += ok;
        by_outcome[l.what]++;
        if (m.what == FOUND && m.via) {
            int k = 0;
            while (k < n_steps && strcmp(steps[k], m.via) != 0) k++;
            if (k == n_steps && n_steps < 16) steps[n_steps++] = strdup(m.via);
            if (k < 16) by_step[k]++;
        }
        if (!ok || verbose) {
            printf("%s config %d: mpiguard: %s (%s) | loader: %s (%s)\n", ok ? "ok  " : "DIFF", i, outcome_name[m.what],
                   m.text ? m.text : "", outcome_name[l.what], l.text ? l.text : "");
            describe(&c, stdout);
        }
        if (!keep_dir) remove_tree(c.root);
        pool_free();
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("loader_diff: seed %llu, %d configurations, %d agree with glibc's loader (%.1f s)\n", (unsigned long long)seed,
           ran, agreed, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    printf("  what the loader did:");
    for (int k = 0; k < 6; k++)
        if (by_outcome[k]) printf(" %s %d;", outcome_name[k], by_outcome[k]);
    printf("\n  found by (mpiguard's step):");
    for (int k = 0; k < n_steps; k++) printf(" %s %d;", steps[k], by_step[k]);
    printf("\n");
    for (int k = 0; k < n_steps; k++) free((char *)steps[k]);
    if (!keep_dir) remove_tree(work);
    else printf("kept %s\n", work);
    pool_free();
    free(pool);
    return agreed == ran && (only >= 0 || ran >= 300) ? 0 : 1;
}
