/* fsmemo.c: see fsmemo.h. Two string-keyed tables (open addressing, FNV-1a), freed at the end
 * of the check: the components of real folders (what each is, or resolves to, or why not), and
 * folders the loader searches. */
#include "fsmemo.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define MAX_SYMLINKS 40  /* as the kernel's and glibc's realpath() */
#define MAX_LISTED 256   /* bigger folders (the system's lib) are cheaper to probe than to list */

enum dir_state { DIR_ASKED_ONCE, DIR_LISTED, DIR_UNLISTED };

struct slot {
    char *key;
    uint64_t h;           /* hash(key) */
    char *real;           /* paths table, a symlink: what it resolves to (NULL: not a link) */
    uint64_t real_h;      /* hash(real) */
    int err;              /* paths table: lstat(), readlink() or the resolution failed */
    int links;            /* paths table: symlinks its resolution follows */
    unsigned type;        /* paths table: S_IFMT of what it is, or resolves to */
    signed char xok;      /* paths table, not a link: access(X_OK) 1 yes, -1 no, 0 not asked */
    enum dir_state state; /* folder table */
    struct mpg_strv names; /* folder table, DIR_LISTED: sorted */
};

struct table {
    struct slot *s;
    size_t cap, n;
};

struct fsmemo {
    struct table paths, dirs;
    void *spare; /* mpg_fsmemo_keep_buffer() */
    size_t spare_size;
};

static _Thread_local struct fsmemo *g_memo;

#define HASH_START 1469598103934665603ull

static uint64_t hash_more(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash(const char *s)
{
    return hash_more(HASH_START, s, strlen(s));
}

/* The slot of key (whose hash is h), added when add is true and it is missing. */
static struct slot *find_h(struct table *t, const char *key, uint64_t h, bool add)
{
    if (add && (t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 128; /* a check asks about ~60 paths: grown at most once */
        struct table bigger = {mpg_xcalloc(cap, sizeof *t->s), cap, 0};
        for (size_t i = 0; i < t->cap; i++)
            if (t->s[i].key) {
                size_t j = t->s[i].h & (bigger.cap - 1);
                while (bigger.s[j].key) j = (j + 1) & (bigger.cap - 1);
                bigger.s[j] = t->s[i];
                bigger.n++;
            }
        free(t->s);
        *t = bigger;
    }
    if (!t->cap) return NULL;
    size_t i = h & (t->cap - 1);
    while (t->s[i].key) {
        if (t->s[i].h == h && strcmp(t->s[i].key, key) == 0) return &t->s[i];
        i = (i + 1) & (t->cap - 1);
    }
    if (!add) return NULL;
    t->s[i].key = mpg_strdup(key);
    t->s[i].h = h;
    t->n++;
    return &t->s[i];
}

static struct slot *find(struct table *t, const char *key, bool add)
{
    return find_h(t, key, hash(key), add);
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->cap; i++) {
        free(t->s[i].key);
        free(t->s[i].real);
        mpg_strv_free(&t->s[i].names);
    }
    free(t->s);
}

bool mpg_fsmemo_begin(void)
{
    if (g_memo) return false;
    g_memo = mpg_xcalloc(1, sizeof *g_memo);
    return true;
}

void mpg_fsmemo_end(void)
{
    if (!g_memo) return;
    table_free(&g_memo->paths);
    table_free(&g_memo->dirs);
    free(g_memo->spare);
    free(g_memo);
    g_memo = NULL;
}

bool mpg_fsmemo_active(void)
{
    return g_memo != NULL;
}

void *mpg_fsmemo_take_buffer(size_t size)
{
    if (!g_memo || !g_memo->spare || g_memo->spare_size != size) return NULL;
    void *buf = g_memo->spare;
    g_memo->spare = NULL;
    return buf;
}

bool mpg_fsmemo_keep_buffer(void *buf, size_t size)
{
    if (!g_memo || g_memo->spare) return false;
    g_memo->spare = buf;
    g_memo->spare_size = size;
    return true;
}

/* A path being built: in a caller's buffer (heap false) until it outgrows it, else malloc'ed. */
struct path {
    char *s;
    size_t len, cap;
    bool heap;
};

static void path_reserve(struct path *p, size_t need)
{
    if (need <= p->cap) return;
    size_t cap = need * 2;
    if (p->heap || !p->s) {
        p->s = mpg_xrealloc(p->s, cap);
    } else {
        char *s = mpg_xmalloc(cap);
        memcpy(s, p->s, p->len + 1);
        p->s = s;
    }
    p->heap = true;
    p->cap = cap;
}

static void path_set(struct path *p, const char *s, size_t n)
{
    path_reserve(p, n + 1);
    memmove(p->s, s, n);
    p->s[n] = '\0';
    p->len = n;
}

static void path_push(struct path *p, const char *name, size_t n)
{
    size_t at = p->len == 1 ? 1 : p->len + 1; /* "/" + name, or "dir" + "/" + name */
    path_reserve(p, at + n + 1);
    p->s[at - 1] = '/';
    memcpy(p->s + at, name, n);
    p->s[at + n] = '\0';
    p->len = at + n;
}

static void path_free(struct path *p)
{
    if (p->heap) free(p->s);
}

static void path_pop(struct path *p) /* to the parent folder; "/" stays "/" */
{
    while (p->len > 1 && p->s[p->len - 1] != '/') p->len--;
    if (p->len > 1) p->len--;
    p->s[p->len] = '\0';
}

/* Resolves path, as glibc's realpath() does, into cur (a real path already when path is
 * relative): left to right, each component of a real folder looked up once per check (the key
 * is the real folder and the name, so every path through it shares the answer). *links counts
 * the symlinks followed, as glibc counts them for the whole resolution (ELOOP past 40); each
 * component remembers how many its own resolution takes. Returns 0 or an errno. */
static int walk(const char *path, struct path *cur, unsigned *type, int *links)
{
    if (path[0] == '/') path_set(cur, "/", 1);
    uint64_t h = hash(cur->s); /* of cur, extended as names are added */
    unsigned t = S_IFDIR;
    for (const char *s = path; *s;) {
        while (*s == '/') s++;
        const char *e = s;
        while (*e && *e != '/') e++;
        size_t n = (size_t)(e - s);
        if (n == 0) break;
        bool more = *e != '\0'; /* a slash or more components follow */
        if (n == 1 && s[0] == '.') {
            s = e;
            continue;
        }
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            path_pop(cur);
            h = hash(cur->s);
            t = S_IFDIR;
            s = e;
            continue;
        }
        size_t parent_len = cur->len;
        uint64_t parent_h = h;
        path_push(cur, s, n);
        h = hash_more(parent_len == 1 ? parent_h : hash_more(parent_h, "/", 1), s, n);
        struct slot *k = find_h(&g_memo->paths, cur->s, h, false);
        if (k) {
            *links += k->links;
            if (*links > MAX_SYMLINKS) return ELOOP;
        } else {
            struct stat st;
            if (lstat(cur->s, &st) != 0) {
                int err = errno;
                find_h(&g_memo->paths, cur->s, h, true)->err = err;
                return err;
            }
            if (!S_ISLNK(st.st_mode)) {
                k = find_h(&g_memo->paths, cur->s, h, true);
                k->type = st.st_mode & S_IFMT;
            } else {
                if (++*links > MAX_SYMLINKS) return ELOOP;
                int before = *links - 1;
                char *target = mpg_xmalloc(PATH_MAX);
                ssize_t tn = readlink(cur->s, target, PATH_MAX - 1);
                int err = tn < 0 ? errno : 0;
                struct path sub = {0};
                unsigned sub_type = 0;
                if (!err) {
                    target[tn] = '\0';
                    path_set(&sub, cur->s, parent_len); /* a relative target starts in the folder */
                    err = walk(target, &sub, &sub_type, links);
                }
                free(target);
                if (err) {
                    /* ELOOP may come from the links followed before this one: not this name's own */
                    if (err != ELOOP) find_h(&g_memo->paths, cur->s, h, true)->err = err;
                    path_free(&sub);
                    return err;
                }
                k = find_h(&g_memo->paths, cur->s, h, true);
                k->real = sub.s; /* malloc'ed: sub started empty */
                k->real_h = hash(sub.s);
                k->links = *links - before;
                k->type = sub_type;
            }
        }
        if (k->err) return k->err;
        if (k->real) {
            path_set(cur, k->real, strlen(k->real));
            h = k->real_h;
        }
        t = k->type;
        if (more && t != S_IFDIR) return ENOTDIR;
        s = e;
    }
    *type = t;
    return 0;
}

/* An absolute path resolved into cur (which starts as buf, PATH_MAX bytes; path_free() it):
 * 0 and *type, or an errno. */
static int resolve(const char *path, char *buf, struct path *cur, unsigned *type)
{
    *cur = (struct path){buf, 0, PATH_MAX, false};
    *type = 0;
    int links = 0;
    return walk(path, cur, type, &links);
}

char *mpg_fsmemo_realpath(const char *path)
{
    if (!g_memo || path[0] != '/') return realpath(path, NULL);
    char buf[PATH_MAX];
    struct path cur;
    unsigned type;
    int err = resolve(path, buf, &cur, &type);
    char *real = err ? NULL : cur.heap ? cur.s : mpg_strdup(cur.s);
    if (err) path_free(&cur);
    errno = err;
    return real;
}

unsigned mpg_fsmemo_type(const char *path)
{
    char buf[PATH_MAX];
    struct path cur;
    unsigned type;
    int err = resolve(path, buf, &cur, &type);
    path_free(&cur);
    if (err) errno = err;
    return err ? 0 : type;
}

bool mpg_fsmemo_executable(const char *path)
{
    char buf[PATH_MAX];
    struct path cur;
    unsigned type;
    bool yes = false;
    if (resolve(path, buf, &cur, &type) == 0 && type == S_IFREG) {
        struct slot *k = find(&g_memo->paths, cur.s, false); /* the real file's own entry */
        if (k && !k->xok) k->xok = access(cur.s, X_OK) == 0 ? 1 : -1;
        yes = k ? k->xok > 0 : access(cur.s, X_OK) == 0;
    }
    path_free(&cur);
    return yes;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool mpg_fsmemo_may_exist(const char *dir, const char *name)
{
    if (!g_memo) return true;
    struct slot *d = find(&g_memo->dirs, dir, false);
    if (!d) {
        d = find(&g_memo->dirs, dir, true);
        d->state = DIR_ASKED_ONCE;
        return true;
    }
    if (d->state == DIR_ASKED_ONCE) {
        /* Asked again: list it once. A folder that cannot be listed (search permission only)
         * or is big is left to be probed file by file, as the loader does. */
        d->state = DIR_UNLISTED;
        DIR *dp = opendir(dir);
        if (!dp) return true;
        struct dirent *de;
        bool complete = true;
        while ((de = readdir(dp)))
            if (d->names.n == MAX_LISTED) {
                complete = false;
                break;
            } else {
                mpg_strv_add(&d->names, de->d_name);
            }
        closedir(dp);
        if (!complete) {
            mpg_strv_free(&d->names);
            return true;
        }
        qsort(d->names.v, d->names.n, sizeof *d->names.v, cmp_str);
        d->state = DIR_LISTED;
    }
    if (d->state != DIR_LISTED) return true;
    return bsearch(&name, d->names.v, d->names.n, sizeof *d->names.v, cmp_str) != NULL;
}
