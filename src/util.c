/* util.c: string, path and file helpers. */
#include "util.h"

#include "fsmemo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void oom(void)
{
    static const char msg[] = "mpiguard: out of memory\n";
    if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */
    }
    abort();
}

void *mpg_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom();
    return p;
}

void *mpg_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom();
    return p;
}

void *mpg_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) oom();
    return p;
}

char *mpg_strdup(const char *s)
{
    if (!s) return NULL;
    return mpg_strndup(s, strlen(s));
}

char *mpg_strndup(const char *s, size_t n)
{
    char *d = mpg_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mpg_vprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) oom();
    return s;
}

char *mpg_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = mpg_vprintf(fmt, ap);
    va_end(ap);
    return s;
}

void mpg_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

bool mpg_str_starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool mpg_str_ends(const char *s, const char *suffix)
{
    if (!s) return false;
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

void mpg_strv_push(struct mpg_strv *sv, char *owned)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 8;
        sv->v = mpg_xrealloc(sv->v, sv->cap * sizeof *sv->v);
    }
    sv->v[sv->n++] = owned;
}

void mpg_strv_add(struct mpg_strv *sv, const char *s) { mpg_strv_push(sv, mpg_strdup(s)); }

bool mpg_strv_contains(const struct mpg_strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0) return true;
    return false;
}

void mpg_strv_free(struct mpg_strv *sv)
{
    for (size_t i = 0; i < sv->n; i++) free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

void mpg_strv_split(struct mpg_strv *sv, const char *s, char sep)
{
    while (s && *s) {
        const char *e = strchr(s, sep);
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n) mpg_strv_push(sv, mpg_strndup(s, n));
        s = e ? e + 1 : NULL;
    }
}

char *mpg_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir), m = strlen(name);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *p = mpg_xmalloc(n + m + 2);
    memcpy(p, dir, n);
    p[n] = '/';
    memcpy(p + n + 1, name, m + 1);
    return p;
}

char *mpg_concat(const char *first, ...)
{
    va_list ap;
    size_t n = 0;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *)) n += strlen(s);
    va_end(ap);
    char *out = mpg_xmalloc(n + 1), *at = out;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *)) {
        size_t m = strlen(s);
        memcpy(at, s, m);
        at += m;
    }
    va_end(ap);
    *at = '\0';
    return out;
}

char *mpg_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return mpg_strdup(".");
    if (slash == path) return mpg_strdup("/");
    return mpg_strndup(path, (size_t)(slash - path));
}

const char *mpg_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *mpg_realpath(const char *path)
{
    if (!path || strlen(path) >= MPG_MAX_PATH) return NULL;
    /* during a check, each folder and symlink is resolved once (fsmemo.h) */
    return mpg_fsmemo_active() ? mpg_fsmemo_realpath(path) : realpath(path, NULL);
}

bool mpg_path_under(const char *path, const char *dir)
{
    if (!path || !dir) return false;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* During a check, what a path is comes from fsmemo (asked once; its folders shared). */
static bool memo_answers(const char *path)
{
    return path[0] == '/' && mpg_fsmemo_active() && strlen(path) < MPG_MAX_PATH;
}

unsigned mpg_path_type(const char *path)
{
    struct stat st;
    if (path && memo_answers(path)) return mpg_fsmemo_type(path);
    return path && stat(path, &st) == 0 ? (unsigned)(st.st_mode & S_IFMT) : 0;
}

bool mpg_is_dir(const char *path) { return mpg_path_type(path) == S_IFDIR; }

bool mpg_is_file(const char *path) { return mpg_path_type(path) == S_IFREG; }

int mpg_stat(const char *path, struct stat *st)
{
    if (mpg_fsmemo_opened_stat(path, st)) return 0;
    int err;
    if (path && memo_answers(path) && mpg_fsmemo_known_stat(path, st, &err)) {
        if (!err) return 0;
        errno = err;
        return -1;
    }
    return stat(path, st);
}

bool mpg_is_executable(const char *path)
{
    if (path && memo_answers(path)) return mpg_fsmemo_executable(path);
    return mpg_is_file(path) && access(path, X_OK) == 0;
}

char *mpg_read_fd(int fd, size_t max, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        errno = EINVAL;
        return NULL;
    }
    return mpg_read_fd_st(fd, &st, max, len);
}

char *mpg_read_fd_st(int fd, const struct stat *st, size_t max, size_t *len)
{
    if (!S_ISREG(st->st_mode)) {
        errno = EINVAL;
        return NULL;
    }
    if ((unsigned long long)st->st_size > max) {
        errno = EFBIG;
        return NULL;
    }
    size_t cap = (size_t)st->st_size, got = 0;
    char *buf = mpg_xmalloc(cap + 1);
    while (got < cap) {
        ssize_t r = pread(fd, buf + got, cap - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break; /* shrank under us: keep what we have */
        got += (size_t)r;
    }
    buf[got] = '\0';
    if (len) *len = got;
    return buf;
}

char *mpg_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return NULL;
    char *buf = mpg_read_fd(fd, max, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return buf;
}

char *mpg_which(const char *path_var, const char *name)
{
    struct mpg_strv dirs = {0};
    mpg_strv_split(&dirs, path_var, ':');
    char *found = NULL;
    for (size_t i = 0; i < dirs.n && !found; i++) {
        if (dirs.v[i][0] != '/') continue; /* relative PATH entries depend on the cwd: skip */
        char *p = mpg_path_join(dirs.v[i], name);
        if (mpg_is_executable(p))
            found = p;
        else
            free(p);
    }
    mpg_strv_free(&dirs);
    return found;
}

int mpg_version_cmp(const char *a, const char *b, int components)
{
    for (int i = 0; i < components; i++) {
        if (!a || !b || !isdigit((unsigned char)*a) || !isdigit((unsigned char)*b)) return 0;
        unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
        if (x != y) return x < y ? -1 : 1;
        if (*a != '.' || *b != '.') return 0;
        a++, b++;
    }
    return 0;
}

char *mpg_version_major_minor(const char *v)
{
    if (!v) return NULL;
    const char *dot = strchr(v, '.');
    if (!dot) return mpg_strdup(v);
    const char *end = dot + 1;
    while (isdigit((unsigned char)*end)) end++;
    return mpg_strndup(v, (size_t)(end - v));
}

/* ---- values that leave the core ------------------------------------------------------------ */

/* Length of the UTF-8 sequence at s that may be shown as it is, or 0 when its first byte must
 * be escaped: not valid UTF-8 (overlong, surrogate, truncated), or a code point a terminal
 * acts on instead of showing: C1 controls (U+0080..U+009F; U+009B is a one-byte CSI),
 * bidirectional marks, embeddings, overrides and isolates (they reorder what is shown), and
 * the line and paragraph separators. */
static size_t shown_utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_of[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_of[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    if (cp <= 0x9f || cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069))
        return 0;
    return n;
}

static bool is_shown_ascii(unsigned char c) { return c >= 0x20 && c < 0x7f; }

static char *put_hex(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    *o++ = '\\';
    *o++ = 'x';
    *o++ = hex[c >> 4];
    *o++ = hex[c & 15];
    return o;
}

char *mpg_escape_for_display(const char *s)
{
    if (!s) return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (is_shown_ascii(*p)) p++; /* the usual case: plain ASCII, nothing to do */
    if (!*p) return mpg_strdup(s);
    p = (const unsigned char *)s;
    char *out = mpg_xmalloc(strlen(s) * 4 + 1), *o = out;
    while (*p) {
        size_t n = is_shown_ascii(*p) ? 1 : shown_utf8_len(p);
        if (n) {
            memcpy(o, p, n);
            o += n;
            p += n;
        } else {
            o = put_hex(o, *p++);
        }
    }
    *o = '\0';
    return out;
}

static bool is_bare_shell_char(unsigned char c)
{
    return isalnum(c) || strchr("_@%+=:,./-", c);
}

char *mpg_quote_for_shell(const char *s)
{
    if (!s) return NULL;
    const unsigned char *p = (const unsigned char *)s;
    bool bare = *p != '\0', shown = true;
    for (const unsigned char *q = p; *q; q++) {
        if (!is_bare_shell_char(*q)) bare = false;
        if (!is_shown_ascii(*q)) {
            size_t n = shown_utf8_len(q);
            if (!n) shown = false;
            else q += n - 1;
        }
    }
    if (bare) return mpg_strdup(s);
    char *out = mpg_xmalloc(strlen(s) * 4 + 4), *o = out;
    if (shown) { /* '...' takes everything literally but the quote itself: close, \', reopen */
        *o++ = '\'';
        for (; *p; p++) {
            if (*p == '\'') o = stpcpy(o, "'\\''");
            else *o++ = (char)*p;
        }
        *o++ = '\'';
    } else { /* bash's $'...': escapes for what cannot be pasted or shown */
        *o++ = '$';
        *o++ = '\'';
        while (*p) {
            size_t n = is_shown_ascii(*p) ? 1 : shown_utf8_len(p);
            if (n == 1 && (*p == '\'' || *p == '\\')) {
                *o++ = '\\';
                *o++ = (char)*p++;
            } else if (n) {
                memcpy(o, p, n);
                o += n;
                p += n;
            } else {
                o = put_hex(o, *p++);
            }
        }
        *o++ = '\'';
    }
    *o = '\0';
    return out;
}

bool mpg_safe_for_shell_eval(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}
