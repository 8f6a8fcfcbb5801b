/* fsmemo.c: see fsmemo.h. Two string-keyed tables (open addressing, FNV-1a), freed at the end
 * of the check: real paths (positive and negative answers), and folders the loader searches. */
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
    char *real;           /* realpath table: the answer, or NULL (err) */
    int err;
    enum dir_state state; /* folder table */
    struct mpg_strv names; /* folder table, DIR_LISTED: sorted */
};

struct table {
    struct slot *s;
    size_t cap, n;
};

struct fsmemo {
    struct table dirs_real, dirs;
};

static _Thread_local struct fsmemo *g_memo;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct slot *find(struct table *t, const char *key, bool add)
{
    if (add && (t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct table bigger = {mpg_xcalloc(cap, sizeof *t->s), cap, 0};
        for (size_t i = 0; i < t->cap; i++)
            if (t->s[i].key) {
                size_t j = hash(t->s[i].key) & (bigger.cap - 1);
                while (bigger.s[j].key) j = (j + 1) & (bigger.cap - 1);
                bigger.s[j] = t->s[i];
                bigger.n++;
            }
        free(t->s);
        *t = bigger;
    }
    if (!t->cap) return NULL;
    size_t i = hash(key) & (t->cap - 1);
    while (t->s[i].key) {
        if (strcmp(t->s[i].key, key) == 0) return &t->s[i];
        i = (i + 1) & (t->cap - 1);
    }
    if (!add) return NULL;
    t->s[i].key = mpg_strdup(key);
    t->n++;
    return &t->s[i];
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

void mpg_fsmemo_begin(void)
{
    if (!g_memo) g_memo = mpg_xcalloc(1, sizeof *g_memo);
}

void mpg_fsmemo_end(void)
{
    if (!g_memo) return;
    table_free(&g_memo->dirs_real);
    table_free(&g_memo->dirs);
    free(g_memo);
    g_memo = NULL;
}

bool mpg_fsmemo_active(void)
{
    return g_memo != NULL;
}

/* realpath() of a folder, from glibc once per check. */
static const char *real_dir(const char *dir)
{
    struct slot *k = find(&g_memo->dirs_real, dir, true);
    if (!k->real && !k->err) {
        k->real = realpath(dir, NULL);
        k->err = k->real ? 0 : errno ? errno : ENOENT;
    }
    errno = k->err;
    return k->real;
}

/* realpath() of an absolute path: its folder resolved once per check, then its last
 * component: a symlink is read and what it names resolved in turn. Malloc'ed, or NULL (errno). */
static char *resolve(const char *path, int depth)
{
    if (depth > MAX_SYMLINKS) return errno = ELOOP, NULL;
    size_t len = strlen(path);
    const char *base = path + len;
    while (base > path && base[-1] != '/') base--;
    size_t blen = (size_t)(path + len - base);
    if (blen == 0 || (blen == 1 && base[0] == '.') || (blen == 2 && base[0] == '.' && base[1] == '.'))
        return realpath(path, NULL); /* "/", "dir/", "x/.", "x/..": glibc's own answer */
    char *dir = base - 1 == path ? mpg_strdup("/") : mpg_strndup(path, (size_t)(base - 1 - path));
    const char *rdir = real_dir(dir);
    free(dir);
    if (!rdir) return NULL;
    char *cand = mpg_xmalloc(strlen(rdir) + blen + 2);
    char *o = stpcpy(cand, rdir);
    if (o[-1] != '/') *o++ = '/';
    memcpy(o, base, blen + 1);
    struct stat st;
    if (lstat(cand, &st) != 0) {
        int err = errno;
        free(cand);
        errno = err;
        return NULL;
    }
    if (!S_ISLNK(st.st_mode)) return cand;
    char target[PATH_MAX];
    ssize_t n = readlink(cand, target, sizeof target - 1);
    char *next = NULL;
    if (n >= 0) {
        target[n] = '\0';
        next = target[0] == '/' ? mpg_strdup(target) : mpg_path_join(rdir, target);
    }
    free(cand);
    if (!next) return NULL;
    char *real = resolve(next, depth + 1);
    int err = errno;
    free(next);
    errno = err;
    return real;
}

char *mpg_fsmemo_realpath(const char *path)
{
    if (!g_memo || path[0] != '/') return realpath(path, NULL);
    return resolve(path, 0);
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
