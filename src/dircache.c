/* dircache.c: see dircache.h. File format (text, one record per line, tab-separated):
 *   mpiguard-dircache 2
 *   D <dev> <ino> <mtime_s> <mtime_ns> <kind> <path>
 *   N <name>               (names of the D line above)
 *   end <number of D lines>
 * A file without its end line (cut short: a full disk, a crash before the data reached the
 * disk) is not used at all: a cut at a line boundary would otherwise drop names silently.
 *
 * Only a folder the user owns, that nobody else may write to, is used: in a shared or
 * symlinked folder another user could plant a listing that hides an MPI library, or a FIFO
 * where the next file is written. Files in it are opened relative to the folder, without
 * following symlinks, the new one created exclusively, written, synced, then renamed. */
#include "dircache.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "mpiguard-dircache 2\n"
#define FILE_NAME "listings-v2"
#define MAX_FILE ((size_t)4 << 20)
#define MAX_ENTRIES 64
#define MAX_NAMES 4096
/* A folder changed this recently may change again within its mtime's resolution: not cached. */
#define RACY_SECONDS 2

struct entry {
    unsigned long long dev, ino;
    long long mtime_s, mtime_ns;
    char *kind, *path;
    struct mpg_strv names;
};

struct mpg_dircache {
    char *dir;   /* the cache folder */
    char *name;  /* the file in it */
    char *make;  /* folders that may be created for it, outermost first, or NULL */
    int dirfd;   /* the folder, once opened and found private; -1 */
    bool loaded, dirty;
    struct entry *e;
    size_t n;
};

static void entry_free(struct entry *e)
{
    free(e->kind);
    free(e->path);
    mpg_strv_free(&e->names);
}

static struct mpg_dircache *cache_at(char *dir, const char *name, char *make)
{
    struct mpg_dircache *c = mpg_xcalloc(1, sizeof *c);
    c->dir = dir;
    c->name = mpg_strdup(name);
    c->make = make;
    c->dirfd = -1;
    return c;
}

struct mpg_dircache *mpg_dircache_new_at(const char *file)
{
    return cache_at(mpg_dirname(file), mpg_basename(file), NULL);
}

struct mpg_dircache *mpg_dircache_new(const struct mpg_envsnap *env)
{
    if (mpg_env_nonempty(env, "MPIGUARD_NO_CACHE")) return NULL;
    const char *xdg = mpg_env_nonempty(env, "XDG_CACHE_HOME"), *home = mpg_env_nonempty(env, "HOME");
    char *dir = NULL, *make = NULL;
    if (xdg && xdg[0] == '/') {
        dir = mpg_concat(xdg, "/mpiguard", NULL);
        make = mpg_strdup(xdg); /* created if its parent exists, as the XDG spec asks */
    } else if (home && home[0] == '/' && mpg_is_dir(home)) {
        dir = mpg_concat(home, "/.cache/mpiguard", NULL);
        make = mpg_concat(home, "/.cache", NULL); /* never HOME itself */
    }
    if (!dir || strlen(dir) + sizeof FILE_NAME + 32 >= MPG_MAX_PATH) {
        free(dir);
        free(make);
        return NULL;
    }
    return cache_at(dir, FILE_NAME, make);
}

/* The cache folder, opened, when it is the user's own and private (*uid: the user); else -1
 * (no caching). */
static int open_private_dir(const char *dir, uid_t *uid)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022))) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0 && uid) *uid = st.st_uid;
    return fd;
}

/* Whether text ends with its end line, and the number of D lines it announces matches. */
static bool complete(const char *text, size_t len)
{
    if (len < 6 || text[len - 1] != '\n') return false;
    const char *last = text + len - 1;
    while (last > text && last[-1] != '\n') last--;
    const char *p = last + 4, *end = text + len - 1; /* the text need not be NUL-terminated */
    if (end - last < 5 || memcmp(last, "end ", 4) != 0) return false;
    unsigned long want = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9' || want > 1000000) return false;
        want = want * 10 + (unsigned long)(*p - '0');
    }
    unsigned long have = 0;
    for (const char *q = text; q < last; q++)
        if (*q == '\n' && q[1] == 'D' && q[2] == '\t') have++;
    return have == want;
}

/* A number and its tab at *p ("123\t", "-5\t" when neg may be given): true, *p past the tab. */
static bool field(const char **p, bool can_be_negative, unsigned long long *v, bool *neg)
{
    const char *s = *p;
    bool minus = can_be_negative && *s == '-';
    if (minus) s++;
    if (*s < '0' || *s > '9') return false;
    unsigned long long n = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (n > (ULLONG_MAX - (unsigned)(*s - '0')) / 10) return false;
        n = n * 10 + (unsigned)(*s - '0');
    }
    if (*s != '\t') return false;
    *v = n;
    if (neg) *neg = minus;
    *p = s + 1;
    return true;
}

void mpg_dircache_parse(struct mpg_dircache *c, const char *text, size_t len)
{
    if (len < sizeof MAGIC - 1 || memcmp(text, MAGIC, sizeof MAGIC - 1) != 0 || !complete(text, len)) return;
    const char *p = text + sizeof MAGIC - 1, *end = text + len;
    struct entry *cur = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *at = p;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        p += n + 1;
        if (memchr(at, '\0', n)) { /* embedded NUL: not ours */
            cur = NULL;
            continue;
        }
        /* a name line (most lines) is copied once, into the entry */
        if (n > 2 && at[0] == 'N' && at[1] == '\t') {
            if (cur && cur->names.n < MAX_NAMES && !memchr(at + 2, '/', n - 2))
                mpg_strv_push(&cur->names, mpg_strndup(at + 2, n - 2));
            continue;
        }
        char *line = mpg_strndup(at, n);
        if (line[0] == 'D' && line[1] == '\t' && c->n < MAX_ENTRIES) {
            struct entry e = {0};
            const char *f = line + 2;
            unsigned long long ms, mns;
            bool ms_neg, mns_neg;
            if (field(&f, false, &e.dev, NULL) && field(&f, false, &e.ino, NULL) && field(&f, true, &ms, &ms_neg) &&
                field(&f, true, &mns, &mns_neg) && ms <= LLONG_MAX && mns <= LLONG_MAX) {
                e.mtime_s = ms_neg ? -(long long)ms : (long long)ms;
                e.mtime_ns = mns_neg ? -(long long)mns : (long long)mns;
                char *kind = line + (f - line), *tab = strchr(kind, '\t');
                if (tab && tab[1] == '/') {
                    e.kind = mpg_strndup(kind, (size_t)(tab - kind));
                    e.path = mpg_strdup(tab + 1);
                    c->e = mpg_xrealloc(c->e, (c->n + 1) * sizeof *c->e);
                    c->e[c->n] = e;
                    cur = &c->e[c->n++];
                    free(line);
                    continue;
                }
            }
            cur = NULL;
        }
        free(line);
    }
}

static void load(struct mpg_dircache *c)
{
    if (c->loaded) return;
    c->loaded = true;
    uid_t me = 0;
    c->dirfd = open_private_dir(c->dir, &me);
    if (c->dirfd < 0) return;
    int fd = openat(c->dirfd, c->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return;
    size_t len = 0;
    char *text = fstat(fd, &st) == 0 && st.st_uid == me ? mpg_read_fd_st(fd, &st, MAX_FILE, &len) : NULL;
    close(fd);
    if (text) mpg_dircache_parse(c, text, len);
    free(text);
}

static struct entry *find(struct mpg_dircache *c, const char *dir, const char *kind)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].path, dir) == 0 && strcmp(c->e[i].kind, kind) == 0) return &c->e[i];
    return NULL;
}

static int list_dir(const char *dir, bool (*want)(const char *), struct mpg_strv *out)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *de;
    while ((de = readdir(d)))
        if (want(de->d_name)) mpg_strv_add(out, de->d_name);
    closedir(d);
    return 0;
}

static bool fresh(const struct entry *e, const struct stat *st)
{
    return e && e->dev == (unsigned long long)st->st_dev && e->ino == (unsigned long long)st->st_ino &&
           e->mtime_s == (long long)st->st_mtim.tv_sec && e->mtime_ns == (long long)st->st_mtim.tv_nsec;
}

/* Remembers names (taken) for path as it is now (st), unless it changed too recently. */
static void store(struct mpg_dircache *c, struct entry *e, const char *path, const char *kind, const struct stat *st,
                  struct mpg_strv *names)
{
    bool storable = names->n <= MAX_NAMES;
    for (size_t i = 0; i < names->n && storable; i++) storable = !strpbrk(names->v[i], "\n\t/");
    if (time(NULL) - st->st_mtim.tv_sec < RACY_SECONDS || !storable) {
        mpg_strv_free(names);
        return;
    }
    if (!e) {
        if (c->n == MAX_ENTRIES) { /* drop the oldest */
            entry_free(&c->e[0]);
            memmove(c->e, c->e + 1, (c->n - 1) * sizeof *c->e);
            c->n--;
        }
        c->e = mpg_xrealloc(c->e, (c->n + 1) * sizeof *c->e);
        e = &c->e[c->n++];
        memset(e, 0, sizeof *e);
        e->kind = mpg_strdup(kind);
        e->path = mpg_strdup(path);
    } else {
        mpg_strv_free(&e->names);
    }
    e->dev = (unsigned long long)st->st_dev;
    e->ino = (unsigned long long)st->st_ino;
    e->mtime_s = (long long)st->st_mtim.tv_sec;
    e->mtime_ns = (long long)st->st_mtim.tv_nsec;
    e->names = *names;
    c->dirty = true;
}

int mpg_dircache_list(struct mpg_dircache *c, const char *dir, const char *kind, bool (*want)(const char *name),
                      struct mpg_strv *out)
{
    struct stat st;
    if (!c || strchr(dir, '\n') || strchr(dir, '\t') || mpg_stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return list_dir(dir, want, out);
    load(c);
    struct entry *e = find(c, dir, kind);
    if (fresh(e, &st)) {
        for (size_t i = 0; i < e->names.n; i++) mpg_strv_add(out, e->names.v[i]);
        return 0;
    }
    struct mpg_strv names = {0};
    if (list_dir(dir, want, &names) != 0) {
        mpg_strv_free(&names);
        return -1;
    }
    for (size_t i = 0; i < names.n; i++) mpg_strv_add(out, names.v[i]);
    store(c, e, dir, kind, &st, &names);
    return 0;
}

static bool memo_usable(const struct mpg_dircache *c, const char *path, const char *kind, struct stat *st)
{
    return c && !strpbrk(path, "\n\t") && !strpbrk(kind, "\n\t") && path[0] == '/' && mpg_stat(path, st) == 0 &&
           S_ISREG(st->st_mode);
}

bool mpg_dircache_memo_get(struct mpg_dircache *c, const char *path, const char *kind, char **value)
{
    struct stat st;
    return mpg_dircache_memo_get_stat(c, path, kind, value, &st);
}

bool mpg_dircache_memo_get_stat(struct mpg_dircache *c, const char *path, const char *kind, char **value,
                                struct stat *st)
{
    if (!memo_usable(c, path, kind, st)) return false;
    load(c);
    struct entry *e = find(c, path, kind);
    if (!fresh(e, st) || e->names.n != 1) return false;
    *value = mpg_strdup(e->names.v[0]);
    return true;
}

void mpg_dircache_memo_put(struct mpg_dircache *c, const char *path, const char *kind, const char *value)
{
    struct stat st;
    if (!memo_usable(c, path, kind, &st) || !value[0]) return;
    load(c);
    struct mpg_strv names = {0};
    mpg_strv_add(&names, value);
    store(c, find(c, path, kind), path, kind, &st, &names);
}

/* Creates the cache folder when it is missing: the folder, and c->make above it if needed,
 * each private (0700); never a chain from / (a HOME that does not exist). */
static void make_dir(struct mpg_dircache *c)
{
    if (c->dirfd >= 0) return;
    if (c->make && !mpg_is_dir(c->make)) mkdir(c->make, 0700);
    mkdir(c->dir, 0700);
    c->dirfd = open_private_dir(c->dir, NULL);
}

static void save(struct mpg_dircache *c)
{
    make_dir(c);
    if (c->dirfd < 0) return;
    char tmp[64 + sizeof FILE_NAME];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", c->name, (long)getpid());
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    int fd = openat(c->dirfd, tmp, flags, 0600);
    if (fd < 0 && errno == EEXIST && unlinkat(c->dirfd, tmp, 0) == 0) /* left by a crash */
        fd = openat(c->dirfd, tmp, flags, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        return;
    }
    fputs(MAGIC, f);
    for (size_t i = 0; i < c->n; i++) {
        const struct entry *e = &c->e[i];
        fprintf(f, "D\t%llu\t%llu\t%lld\t%lld\t%s\t%s\n", e->dev, e->ino, e->mtime_s, e->mtime_ns, e->kind, e->path);
        for (size_t j = 0; j < e->names.n; j++) fprintf(f, "N\t%s\n", e->names.v[j]);
    }
    fprintf(f, "end %zu\n", c->n);
    bool ok = fflush(f) == 0 && !ferror(f) && fsync(fd) == 0;
    ok &= fclose(f) == 0;
    if (!ok || renameat(c->dirfd, tmp, c->dirfd, c->name) != 0) unlinkat(c->dirfd, tmp, 0);
}

void mpg_dircache_free(struct mpg_dircache *c)
{
    if (!c) return;
    if (c->dirty) save(c);
    for (size_t i = 0; i < c->n; i++) entry_free(&c->e[i]);
    free(c->e);
    if (c->dirfd >= 0) close(c->dirfd);
    free(c->dir);
    free(c->name);
    free(c->make);
    free(c);
}

/* ---- a memo line's fields (dircache.h) ---- */

char *mpg_dircache_memo_field(const char *v)
{
    if (!v) return mpg_strdup("!");
    char *out = mpg_xmalloc(3 * strlen(v) + 2), *o = out;
    *o++ = '=';
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c <= ' ' || *c == '%' || *c == '/' || *c == 0x7f) {
            static const char hex[] = "0123456789ABCDEF";
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        } else {
            *o++ = (char)*c;
        }
    *o = '\0';
    return out;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void mpg_dircache_memo_hex(const unsigned char *b, size_t n, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

bool mpg_dircache_memo_unhex(const char *s, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
        if (lo < 0) return false;
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return true;
}

bool mpg_dircache_memo_unfield(const char *s, size_t n, char **out)
{
    *out = NULL;
    if (n == 1 && s[0] == '!') return true;
    if (n == 0 || s[0] != '=') return false;
    char *v = mpg_xmalloc(n), *o = v;
    for (size_t i = 1; i < n; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(v);
            return false;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    *out = v;
    return true;
}
