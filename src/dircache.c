/* dircache.c: see dircache.h. File format (text, one record per line, tab-separated):
 *   mpiguard-dircache 1
 *   D <dev> <ino> <mtime_s> <mtime_ns> <kind> <path>
 *   N <name>               (names of the D line above)
 */
#include "dircache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "mpiguard-dircache 1\n"
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
    char *file;
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

struct mpg_dircache *mpg_dircache_new_at(const char *file)
{
    struct mpg_dircache *c = mpg_xcalloc(1, sizeof *c);
    c->file = mpg_strdup(file);
    return c;
}

struct mpg_dircache *mpg_dircache_new(const struct mpg_envsnap *env)
{
    if (mpg_env_nonempty(env, "MPIGUARD_NO_CACHE")) return NULL;
    const char *xdg = mpg_env_nonempty(env, "XDG_CACHE_HOME"), *home = mpg_env_nonempty(env, "HOME");
    char *file = xdg && xdg[0] == '/' ? mpg_printf("%s/mpiguard/listings-v1", xdg)
                 : home && home[0] == '/' ? mpg_printf("%s/.cache/mpiguard/listings-v1", home) : NULL;
    if (!file || strlen(file) >= MPG_MAX_PATH) {
        free(file);
        return NULL;
    }
    struct mpg_dircache *c = mpg_dircache_new_at(file);
    free(file);
    return c;
}

void mpg_dircache_parse(struct mpg_dircache *c, const char *text, size_t len)
{
    if (len < sizeof MAGIC - 1 || memcmp(text, MAGIC, sizeof MAGIC - 1) != 0) return;
    const char *p = text + sizeof MAGIC - 1, *end = text + len;
    struct entry *cur = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = mpg_strndup(p, n);
        p += n + 1;
        if (strlen(line) != n) { /* embedded NUL: not ours */
            free(line);
            cur = NULL;
            continue;
        }
        if (line[0] == 'D' && line[1] == '\t' && c->n < MAX_ENTRIES) {
            struct entry e = {0};
            int kind_at = 0;
            if (sscanf(line + 2, "%llu\t%llu\t%lld\t%lld\t%n", &e.dev, &e.ino, &e.mtime_s, &e.mtime_ns, &kind_at) == 4 &&
                kind_at > 0) {
                char *kind = line + 2 + kind_at, *tab = strchr(kind, '\t');
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
        } else if (line[0] == 'N' && line[1] == '\t' && cur && cur->names.n < MAX_NAMES && line[2] &&
                   !strchr(line + 2, '/')) {
            mpg_strv_add(&cur->names, line + 2);
        }
        free(line);
    }
}

static void load(struct mpg_dircache *c)
{
    if (c->loaded) return;
    c->loaded = true;
    size_t len = 0;
    char *text = mpg_read_file(c->file, MAX_FILE, &len);
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
    if (!c || strchr(dir, '\n') || strchr(dir, '\t') || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
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
    return c && !strpbrk(path, "\n\t") && !strpbrk(kind, "\n\t") && path[0] == '/' && stat(path, st) == 0 &&
           S_ISREG(st->st_mode);
}

bool mpg_dircache_memo_get(struct mpg_dircache *c, const char *path, const char *kind, char **value)
{
    struct stat st;
    if (!memo_usable(c, path, kind, &st)) return false;
    load(c);
    struct entry *e = find(c, path, kind);
    if (!fresh(e, &st) || e->names.n != 1) return false;
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

/* mkdir -p for the cache folder, private to the user. */
static void make_parent(const char *file)
{
    char *dir = mpg_dirname(file);
    for (char *s = dir + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        mkdir(dir, 0700);
        *s = '/';
    }
    mkdir(dir, 0700);
    free(dir);
}

static void save(const struct mpg_dircache *c)
{
    make_parent(c->file);
    char *tmp = mpg_printf("%s.%ld.tmp", c->file, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        free(tmp);
        return;
    }
    fputs(MAGIC, f);
    for (size_t i = 0; i < c->n; i++) {
        const struct entry *e = &c->e[i];
        fprintf(f, "D\t%llu\t%llu\t%lld\t%lld\t%s\t%s\n", e->dev, e->ino, e->mtime_s, e->mtime_ns, e->kind, e->path);
        for (size_t j = 0; j < e->names.n; j++) fprintf(f, "N\t%s\n", e->names.v[j]);
    }
    bool ok = fflush(f) == 0 && !ferror(f);
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, c->file) != 0) unlink(tmp);
    free(tmp);
}

void mpg_dircache_free(struct mpg_dircache *c)
{
    if (!c) return;
    if (c->dirty) save(c);
    for (size_t i = 0; i < c->n; i++) entry_free(&c->e[i]);
    free(c->e);
    free(c->file);
    free(c);
}
