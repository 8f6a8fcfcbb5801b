/* fsmemo.c: see fsmemo.h. Three string-keyed tables (open addressing), freed at the end of the
 * check: the components of real folders (what each is, or resolves to, or why not), the paths
 * asked about (their answer, so a path asked again costs one lookup), and folders the loader
 * searches. */
#include "fsmemo.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define MAX_SYMLINKS 40  /* as the kernel's and glibc's realpath() */
#define MAX_LISTED 256   /* bigger folders (the system's lib) are cheaper to probe than to list */

enum dir_state { DIR_ASKED_ONCE, DIR_LISTED, DIR_UNLISTED };

/* What lstat() said of a path that is not a symlink: what stat() needs to answer for it. */
struct ident {
    struct timespec mtim;
    unsigned long long dev, ino;
    long long size;
    unsigned mode;
};

/* An entry of a table, its key stored after it; entries live in the check's arena and never
 * move, so a pointer to one stays valid until the end of the check. */
struct slot {
    char *real;              /* paths: a symlink's resolution (NULL: not a link); asked: the real path */
    struct ident *id;        /* paths, not a link: lstat()'s answer */
    struct mpg_strv *names;  /* dirs, DIR_LISTED: sorted */
    uint32_t h;              /* hash(key) */
    uint32_t real_h;         /* paths: hash(real) */
    int16_t err;             /* paths, asked: lstat(), readlink() or the resolution failed */
    uint16_t type;           /* paths, asked: S_IFMT of what it is, or resolves to */
    int8_t links;            /* paths: symlinks its resolution follows (at most MAX_SYMLINKS) */
    int8_t xok;              /* paths (not a link) and asked: access(X_OK) 1 yes, -1 no, 0 not asked */
    uint8_t state;           /* dirs: enum dir_state */
    char key[];
};

struct table {
    struct slot **s; /* open addressing: a slot per bucket, NULL when empty */
    size_t cap, n;
};

/* The check's strings and entries, freed together at its end (each was a malloc() and a free()
 * of its own, a fifth of a check's instructions). */
struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
};

#define ARENA_BLOCK 16384

/* A file the ELF reader opened (mpg_fsmemo_note_opened); a check opens a handful. */
struct opened {
    struct opened *next;
    struct stat st;
    unsigned char head[MPG_FSMEMO_HEAD];
    size_t head_n;
    char path[];
};

struct fsmemo {
    struct table paths, asked, dirs;
    struct opened *opened;
    struct arena_block *arena;
    void *spare; /* mpg_fsmemo_keep_buffer() */
    size_t spare_size;
};

static _Thread_local struct fsmemo *g_memo;

/* Hashes eight bytes at a time (a byte at a time, a path's bytes cost more than the lookups
 * they served). The paths table hashes a real path component by component, so a path's hash
 * grows as the walk adds names to it: the hash of "/usr/lib" is component_hash(the hash of
 * "/usr", "lib"). */
#define HASH_ROOT 0x84222325u
#define HASH_MUL 0x9E3779B97F4A7C15ull
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static uint64_t mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * HASH_MUL;
    return h ^ (h >> 29);
}

/* Up to 8 bytes from s (the first in the low bits, zeros past end), reading only the string
 * [lo, end): end is one past its NUL. */
static uint64_t load8(const char *s, const char *lo, const char *end)
{
    uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - s >= 8) {
        memcpy(&w, s, 8);
        return w;
    }
    if (end - lo >= 8) { /* the last 8 bytes of the string, shifted */
        memcpy(&w, end - 8, 8);
        return w >> (8 * (8 - (end - s)));
    }
#endif
    for (size_t i = 0; s + i < end && i < 8; i++) w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    (void)lo;
    return w;
}

/* h extended by the component at s (up to the next '/' or the end), its length in *len. */
static uint32_t component_hash(uint32_t dir_h, const char *s, const char *lo, const char *end, size_t *len)
{
    uint64_t h = dir_h;
    size_t n = 0;
    for (;;) {
        uint64_t w = load8(s + n, lo, end), x = w ^ (ONES * '/');
        uint64_t stop = ((w - ONES) & ~w & HIGHS) | ((x - ONES) & ~x & HIGHS); /* a NUL or '/' */
        if (!stop) {
            h = mix(h, w);
            n += 8;
            continue;
        }
        unsigned k = (unsigned)__builtin_ctzll(stop) / 8; /* the first is exact */
        if (k) h = mix(h, w & ((1ull << (8 * k)) - 1));
        n += k;
        break;
    }
    *len = n;
    return (uint32_t)mix(h, n);
}

/* A real path's hash, as the walk builds it (its components; "/" is HASH_ROOT). */
static uint32_t hash_path(const char *s)
{
    const char *lo = s, *end = s + strlen(s) + 1;
    uint32_t h = HASH_ROOT;
    for (size_t n; *s; s += n) {
        while (*s == '/') s++;
        if (*s) h = component_hash(h, s, lo, end, &n);
        else n = 0;
    }
    return h;
}

/* Any other key's hash (paths asked, folders). */
static uint32_t hash_key(const char *s)
{
    size_t n = strlen(s), i = 0;
    const char *end = s + n + 1;
    uint64_t h = HASH_ROOT;
    for (; i + 8 <= n; i += 8) h = mix(h, load8(s + i, s, end));
    if (i < n) h = mix(h, load8(s + i, s, end) & ((1ull << (8 * (n - i))) - 1));
    return (uint32_t)mix(h, n);
}

static void *arena_alloc(size_t size)
{
    size = (size + 7) & ~(size_t)7;
    struct arena_block *a = g_memo->arena;
    if (!a || a->cap - a->used < size) {
        size_t cap = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
        a = mpg_xmalloc(sizeof *a + cap);
        a->used = 0;
        a->cap = cap;
        a->next = g_memo->arena;
        if (cap != ARENA_BLOCK && g_memo->arena) { /* a big one: behind the block in use */
            a->next = g_memo->arena->next;
            g_memo->arena->next = a;
        } else {
            g_memo->arena = a;
        }
    }
    void *p = a->data + a->used;
    a->used += size;
    return p;
}

static char *arena_strdup(const char *s, size_t n)
{
    char *p = arena_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The entry of key (whose hash is h), or NULL. */
static struct slot *lookup(const struct table *t, const char *key, uint32_t h)
{
    if (!t->cap) return NULL;
    for (size_t i = h & (t->cap - 1); t->s[i]; i = (i + 1) & (t->cap - 1))
        if (t->s[i]->h == h && strcmp(t->s[i]->key, key) == 0) return t->s[i];
    return NULL;
}

/* A new entry for key, which is not in t. */
static struct slot *insert(struct table *t, const char *key, uint32_t h)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64; /* a check asks about ~60 paths */
        struct table bigger = {mpg_xcalloc(cap, sizeof *t->s), cap, t->n};
        for (size_t i = 0; i < t->cap; i++)
            if (t->s[i]) {
                size_t j = t->s[i]->h & (bigger.cap - 1);
                while (bigger.s[j]) j = (j + 1) & (bigger.cap - 1);
                bigger.s[j] = t->s[i];
            }
        free(t->s);
        *t = bigger;
    }
    size_t i = h & (t->cap - 1);
    while (t->s[i]) i = (i + 1) & (t->cap - 1);
    size_t n = strlen(key);
    struct slot *k = arena_alloc(sizeof *k + n + 1);
    memset(k, 0, sizeof *k);
    memcpy(k->key, key, n + 1);
    k->h = h;
    t->s[i] = k;
    t->n++;
    return k;
}

static struct slot *find_h(struct table *t, const char *key, uint32_t h, bool add)
{
    struct slot *k = lookup(t, key, h);
    return k || !add ? k : insert(t, key, h);
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->s[i] && t->s[i]->names) mpg_strv_free(t->s[i]->names);
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
    table_free(&g_memo->asked);
    table_free(&g_memo->dirs);
    for (struct arena_block *a = g_memo->arena, *next; a; a = next) {
        next = a->next;
        free(a);
    }
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

/* A name in the folder a walk resolves, looked at whole before the folder's first component
 * not known yet (see walk). */
#define PROBE_MISSED (-1)
struct probe {
    const char *path; /* the name, as asked */
    struct stat st;   /* its lstat(), when seen */
    bool asked, seen;
    int err;          /* ENOENT or ENOTDIR, when missed */
};

/* Resolves path, as glibc's realpath() does, into cur (a real path already when path is
 * relative): left to right, each component of a real folder looked up once per check (the key
 * is the real folder and the name, so every path through it shares the answer). *links counts
 * the symlinks followed, as glibc counts them for the whole resolution (ELOOP past 40); each
 * component remembers how many its own resolution takes. known, when not NULL, is lstat()'s
 * answer for path, a single name. With probe, the first component not known yet is preceded by
 * an lstat() of probe->path, and its miss ends the walk. Returns 0 or an errno; PROBE_MISSED
 * when the probe missed (its errno in probe->err). */
static int walk(const char *path, struct path *cur, uint32_t *cur_h, unsigned *type, int *links,
                const struct stat *known, struct probe *probe)
{
    if (path[0] == '/') path_set(cur, "/", 1);
    uint32_t h = path[0] == '/' ? HASH_ROOT : *cur_h; /* of cur, extended as names are added */
    const char *end = path + strlen(path) + 1;
    unsigned t = S_IFDIR;
    for (const char *s = path; *s;) {
        while (*s == '/') s++;
        if (!*s) break;
        size_t n;
        uint32_t name_h = component_hash(h, s, path, end, &n);
        const char *e = s + n;
        bool more = *e != '\0'; /* a slash or more components follow */
        if (n == 1 && s[0] == '.') {
            s = e;
            continue;
        }
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            path_pop(cur);
            h = hash_path(cur->s);
            t = S_IFDIR;
            s = e;
            continue;
        }
        size_t parent_len = cur->len;
        uint32_t parent_h = h;
        path_push(cur, s, n);
        h = name_h;
        struct slot *k = lookup(&g_memo->paths, cur->s, h);
        if (k) {
            *links += k->links;
            if (*links > MAX_SYMLINKS) return ELOOP;
        } else {
            if (probe && !probe->asked) {
                /* The name the folder is walked for, looked at whole first: a miss (a python
                 * or an mpirun looked for in each folder on PATH) is answered by the kernel in
                 * one lstat() as realpath() would, where resolving the folder takes one a
                 * component. */
                probe->asked = true;
                if (lstat(probe->path, &probe->st) == 0) {
                    probe->seen = true;
                } else if (errno == ENOENT || errno == ENOTDIR) {
                    probe->err = errno;
                    return PROBE_MISSED;
                }
            }
            struct stat st;
            if (known) {
                st = *known;
            } else if (lstat(cur->s, &st) != 0) {
                int err = errno;
                insert(&g_memo->paths, cur->s, h)->err = (int16_t)err;
                return err;
            }
            if (!S_ISLNK(st.st_mode)) {
                k = insert(&g_memo->paths, cur->s, h);
                k->type = st.st_mode & S_IFMT;
                k->id = arena_alloc(sizeof *k->id);
                *k->id = (struct ident){st.st_mtim, st.st_dev, st.st_ino, st.st_size, st.st_mode};
            } else {
                if (++*links > MAX_SYMLINKS) return ELOOP;
                int before = *links - 1;
                /* Most targets are short ("python3.11", "/usr/bin/mpicc.mpich"): read onto the
                 * stack, and onto the heap only a long one. A heap buffer a link touched a fresh
                 * page for each, and a page fault costs more than the rest of the link here. */
                char short_target[256], *target = short_target;
                ssize_t tn = readlink(cur->s, target, sizeof short_target - 1);
                if (tn == (ssize_t)sizeof short_target - 1) {
                    target = mpg_xmalloc(PATH_MAX);
                    tn = readlink(cur->s, target, PATH_MAX - 1);
                }
                int err = tn < 0 ? errno : 0;
                struct path sub = {0};
                unsigned sub_type = 0;
                uint32_t sub_h = parent_h;
                if (!err) {
                    target[tn] = '\0';
                    path_set(&sub, cur->s, parent_len); /* a relative target starts in the folder */
                    err = walk(target, &sub, &sub_h, &sub_type, links, NULL, NULL);
                }
                if (target != short_target) free(target);
                if (err) {
                    /* ELOOP may come from the links followed before this one: not this name's own */
                    if (err != ELOOP) find_h(&g_memo->paths, cur->s, h, true)->err = err;
                    path_free(&sub);
                    return err;
                }
                k = find_h(&g_memo->paths, cur->s, h, true);
                k->real = arena_strdup(sub.s, sub.len);
                k->real_h = sub_h;
                path_free(&sub);
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
    *cur_h = h;
    return 0;
}

/* A new entry of the asked table for path: resolved from the folder's answer when it has one,
 * else from the root; cur holds the real path (its hash cur_h) when err is 0. */
static struct slot *keep_answer(const char *path, uint32_t h, int err, const struct path *cur, uint32_t cur_h,
                                unsigned type, int links)
{
    struct slot *a = insert(&g_memo->asked, path, h);
    a->err = (int16_t)err;
    if (!err) {
        a->type = (uint16_t)type;
        a->real = arena_strdup(cur->s, cur->len);
        a->real_h = cur_h;
        a->links = (int8_t)links;
    }
    return a;
}

/* The answer for an absolute path: asked before in this check, or resolved now and kept. A
 * check asks about a third of its paths more than once (the python, the MPI's wrappers) and
 * about many paths in the same folder (bin/mpicc, bin/mpicxx, ...): the folder is answered
 * once, kept as a path of its own, and each name in it resolved from its real path. As
 * realpath() does: the folder's error is the path's, and a folder that is not one is ENOTDIR.
 * The entry stays valid until the end of the check. */
static struct slot *answer(const char *path)
{
    uint32_t h = hash_key(path);
    struct slot *a = lookup(&g_memo->asked, path, h);
    if (a) return a;
    char buf[PATH_MAX];
    struct path cur = {buf, 0, PATH_MAX, false};
    unsigned type = 0;
    int links = 0, err;
    uint32_t cur_h = HASH_ROOT;
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    if (dlen > 0 && dlen < PATH_MAX && *name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
        char dir[PATH_MAX];
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
        uint32_t dh = hash_key(dir);
        struct slot *d = lookup(&g_memo->asked, dir, dh);
        struct probe probe = {.path = path};
        if (!d) {
            err = walk(dir, &cur, &cur_h, &type, &links, NULL, &probe);
            if (err == PROBE_MISSED) {
                a = keep_answer(path, h, probe.err, &cur, cur_h, 0, 0);
                path_free(&cur);
                return a;
            }
            d = keep_answer(dir, dh, err, &cur, cur_h, type, links);
        }
        if (d->err) {
            err = d->err;
        } else if (d->type != S_IFDIR) {
            err = ENOTDIR;
        } else {
            path_set(&cur, d->real, strlen(d->real));
            cur_h = d->real_h;
            links = d->links;
            err = walk(name, &cur, &cur_h, &type, &links, probe.seen ? &probe.st : NULL, NULL); /* not lstat() twice */
        }
    } else {
        err = walk(path, &cur, &cur_h, &type, &links, NULL, NULL);
    }
    a = keep_answer(path, h, err, &cur, cur_h, type, links);
    path_free(&cur);
    return a;
}

char *mpg_fsmemo_realpath(const char *path)
{
    if (!g_memo || path[0] != '/') return realpath(path, NULL);
    const struct slot *a = answer(path);
    errno = a->err;
    return a->err ? NULL : mpg_strdup(a->real);
}

unsigned mpg_fsmemo_type(const char *path)
{
    const struct slot *a = answer(path);
    if (a->err) errno = a->err;
    return a->err ? 0 : a->type;
}

bool mpg_fsmemo_executable(const char *path)
{
    struct slot *a = answer(path);
    if (a->err || a->type != S_IFREG) return false;
    if (!a->xok) {
        /* the real file's own entry, shared by every path that leads to it */
        struct slot *k = lookup(&g_memo->paths, a->real, a->real_h);
        if (k && !k->xok) k->xok = access(a->real, X_OK) == 0 ? 1 : -1;
        a->xok = k ? k->xok : access(a->real, X_OK) == 0 ? 1 : -1;
    }
    return a->xok > 0;
}

bool mpg_fsmemo_known_stat(const char *path, struct stat *st, int *err)
{
    if (!g_memo || path[0] != '/') return false;
    const struct slot *k = lookup(&g_memo->paths, path, hash_path(path));
    if (!k || (!k->err && !k->id)) return false; /* not looked at, or a symlink */
    *err = k->err;
    if (!k->err) {
        memset(st, 0, sizeof *st);
        st->st_mode = k->id->mode;
        st->st_dev = (dev_t)k->id->dev;
        st->st_ino = (ino_t)k->id->ino;
        st->st_size = (off_t)k->id->size;
        st->st_mtim = k->id->mtim;
    }
    return true;
}

static struct opened *opened_named(const char *path)
{
    for (struct opened *o = g_memo ? g_memo->opened : NULL; o; o = o->next)
        if (strcmp(o->path, path) == 0) return o;
    return NULL;
}

void mpg_fsmemo_note_opened(const char *path, const struct stat *st, const unsigned char *head, size_t n)
{
    if (!g_memo || opened_named(path)) return;
    size_t len = strlen(path);
    struct opened *o = arena_alloc(sizeof *o + len + 1);
    memcpy(o->path, path, len + 1);
    o->st = *st;
    o->head_n = n < MPG_FSMEMO_HEAD ? n : MPG_FSMEMO_HEAD;
    if (o->head_n) memcpy(o->head, head, o->head_n);
    o->next = g_memo->opened;
    g_memo->opened = o;
}

bool mpg_fsmemo_opened_stat(const char *path, struct stat *st)
{
    const struct opened *o = opened_named(path);
    if (o) *st = o->st;
    return o != NULL;
}

size_t mpg_fsmemo_opened_head(const struct stat *st, unsigned char *head)
{
    for (const struct opened *o = g_memo ? g_memo->opened : NULL; o; o = o->next)
        if (o->st.st_dev == st->st_dev && o->st.st_ino == st->st_ino && o->st.st_size == st->st_size &&
            o->st.st_mtim.tv_sec == st->st_mtim.tv_sec && o->st.st_mtim.tv_nsec == st->st_mtim.tv_nsec) {
            memcpy(head, o->head, o->head_n);
            return o->head_n;
        }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool mpg_fsmemo_may_exist(const char *dir, const char *name)
{
    if (!g_memo) return true;
    uint32_t h = hash_key(dir);
    struct slot *d = lookup(&g_memo->dirs, dir, h);
    if (!d) {
        d = insert(&g_memo->dirs, dir, h);
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
        struct mpg_strv names = {0};
        bool complete = true;
        while ((de = readdir(dp)))
            if (names.n == MAX_LISTED) {
                complete = false;
                break;
            } else {
                mpg_strv_add(&names, de->d_name);
            }
        closedir(dp);
        if (!complete) {
            mpg_strv_free(&names);
            return true;
        }
        /* no names at all (the folder was removed while it was read): nothing is in it; names.v
         * is NULL then, which qsort() and bsearch() must not be given */
        if (names.n) qsort(names.v, names.n, sizeof *names.v, cmp_str);
        d->names = arena_alloc(sizeof *d->names);
        *d->names = names;
        d->state = DIR_LISTED;
    }
    if (d->state != DIR_LISTED) return true;
    return d->names->n && bsearch(&name, d->names->v, d->names->n, sizeof *d->names->v, cmp_str) != NULL;
}
