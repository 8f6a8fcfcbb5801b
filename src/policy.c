/* policy.c: reads the site policy file and applies it to a report.
 *
 * The file is user-visible configuration that an admin edits by hand, so every error names
 * the file and line, and a malformed file never yields a half-applied policy: the caller
 * gets the built-in defaults and one message. */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A policy file is a few dozen lines; anything much bigger is a mistake, not a policy. */
#define POLICY_MAX_BYTES (1024 * 1024)
#define POLICY_MAX_LINE 4096

static const char *const action_names[] = {
    [MPG_ACT_KEEP] = "keep", [MPG_ACT_IGNORE] = "ignore", [MPG_ACT_NOTE] = "note",
    [MPG_ACT_WARN] = "warn", [MPG_ACT_BLOCK] = "block",
};

const char *mpg_action_name(enum mpg_action a)
{
    if ((unsigned)a < sizeof action_names / sizeof action_names[0])
        return action_names[a];
    return "keep";
}

void mpg_policy_defaults(struct mpg_policy *p)
{
    *p = (struct mpg_policy){
        .default_action = MPG_ACT_KEEP,
        .export_mpicc = true,
        .log = true,
        .warn_fails = false,
        .user_override = false,
    };
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void mpg_policy_free(struct mpg_policy *p)
{
    if (!p)
        return;
    free(p->source);
    for (size_t i = 0; i < p->n_rules; i++)
        free(p->rules[i].code);
    free(p->rules);
    free(p->log_socket);
    free_list(p->exempt_users, p->n_exempt_users);
    free_list(p->exempt_prefixes, p->n_exempt_prefixes);
    mpg_policy_defaults(p);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char **copy_list(char *const *list, size_t n, bool *oom)
{
    if (n == 0)
        return NULL;
    char **out = calloc(n, sizeof *out);
    if (!out) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (!(out[i] = strdup(list[i])))
            *oom = true;
    return out;
}

/* Deep copy; returns -1 when out of memory (dst then holds whatever was copied, freeable). */
static int policy_copy(struct mpg_policy *dst, const struct mpg_policy *src)
{
    bool oom = false;
    *dst = *src;
    dst->source = src->source ? strdup(src->source) : NULL;
    dst->log_socket = src->log_socket ? strdup(src->log_socket) : NULL;
    dst->rules = src->n_rules ? calloc(src->n_rules, sizeof *dst->rules) : NULL;
    if (src->n_rules && !dst->rules) {
        dst->n_rules = 0;
        oom = true;
    }
    for (size_t i = 0; dst->rules && i < src->n_rules; i++) {
        dst->rules[i].action = src->rules[i].action;
        if (!(dst->rules[i].code = strdup(src->rules[i].code)))
            oom = true;
    }
    dst->exempt_users = copy_list(src->exempt_users, src->n_exempt_users, &oom);
    dst->exempt_prefixes = copy_list(src->exempt_prefixes, src->n_exempt_prefixes, &oom);
    if (!dst->exempt_users)
        dst->n_exempt_users = 0;
    if (!dst->exempt_prefixes)
        dst->n_exempt_prefixes = 0;
    return oom ? -1 : 0;
}

/* ---- parsing ----------------------------------------------------------------------------- */

struct parser {
    struct mpg_policy *p;
    const char *name;
    size_t line;
    bool user; /* a user's file: only [actions] and export_mpicc */
    char *err;
    size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->err && ps->errlen) {
        int n = snprintf(ps->err, ps->errlen, "%s:%zu: ", ps->name, ps->line);
        if (n >= 0 && (size_t)n < ps->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

static bool word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

static int parse_bool(struct parser *ps, const char *key, const char *v, size_t n, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (word_is(v, n, yes[i])) {
            *out = true;
            return 0;
        }
        if (word_is(v, n, no[i])) {
            *out = false;
            return 0;
        }
    }
    return fail(ps, "%s: expected yes or no, got \"%.*s\"", key, (int)(n > 64 ? 64 : n), v);
}

static int parse_action(struct parser *ps, const char *key, const char *v, size_t n,
                        enum mpg_action *out)
{
    for (size_t i = 0; i < sizeof action_names / sizeof action_names[0]; i++)
        if (word_is(v, n, action_names[i])) {
            *out = (enum mpg_action)i;
            return 0;
        }
    return fail(ps, "%s: expected ignore, note, warn, block or keep, got \"%.*s\"", key,
                (int)(n > 64 ? 64 : n), v);
}

/* A list: items separated by commas and/or blanks. Replaces *list. */
static int parse_list(struct parser *ps, const char *key, const char *v, size_t n, bool absolute,
                      char ***list, size_t *count)
{
    free_list(*list, *count);
    *list = NULL;
    *count = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_space(v[i]) || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && !is_space(v[i]) && v[i] != ',')
            i++;
        if (i == start)
            break;
        if (absolute && v[start] != '/')
            return fail(ps, "%s: \"%.*s\" is not an absolute path", key,
                        (int)(i - start > 64 ? 64 : i - start), v + start);
        char **grown = realloc(*list, (*count + 1) * sizeof *grown);
        if (!grown)
            return fail(ps, "out of memory");
        *list = grown;
        if (!((*list)[*count] = dup_n(v + start, i - start)))
            return fail(ps, "out of memory");
        (*count)++;
    }
    return 0;
}

static bool is_code(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] < 'A' || s[0] > 'Z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static int set_rule(struct parser *ps, const char *code, size_t n, enum mpg_action a)
{
    struct mpg_policy *p = ps->p;
    for (size_t i = 0; i < p->n_rules; i++)
        if (word_is(code, n, p->rules[i].code)) {
            p->rules[i].action = a;
            return 0;
        }
    struct mpg_policy_rule *grown = realloc(p->rules, (p->n_rules + 1) * sizeof *grown);
    if (!grown)
        return fail(ps, "out of memory");
    p->rules = grown;
    if (!(grown[p->n_rules].code = dup_n(code, n)))
        return fail(ps, "out of memory");
    grown[p->n_rules].action = a;
    p->n_rules++;
    return 0;
}

enum section { SEC_NONE, SEC_GENERAL, SEC_ACTIONS };

static int parse_general(struct parser *ps, const char *k, size_t kn, const char *v, size_t vn)
{
    struct mpg_policy *p = ps->p;
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(kn > 63 ? 63 : kn), k);

    if (word_is(k, kn, "export_mpicc"))
        return parse_bool(ps, key, v, vn, &p->export_mpicc);
    if (ps->user)
        return fail(ps, "%s: only the site policy may set this", key);
    if (word_is(k, kn, "log"))
        return parse_bool(ps, key, v, vn, &p->log);
    if (word_is(k, kn, "warn_fails"))
        return parse_bool(ps, key, v, vn, &p->warn_fails);
    if (word_is(k, kn, "user_override"))
        return parse_bool(ps, key, v, vn, &p->user_override);
    if (word_is(k, kn, "log_socket")) {
        if (vn == 0 || v[0] != '/')
            return fail(ps, "log_socket: expected an absolute path");
        free(p->log_socket);
        if (!(p->log_socket = dup_n(v, vn)))
            return fail(ps, "out of memory");
        return 0;
    }
    if (word_is(k, kn, "exempt_users"))
        return parse_list(ps, key, v, vn, false, &p->exempt_users, &p->n_exempt_users);
    if (word_is(k, kn, "exempt_prefixes"))
        return parse_list(ps, key, v, vn, true, &p->exempt_prefixes, &p->n_exempt_prefixes);
    return fail(ps, "unknown key \"%s\" in [general]", key);
}

static int parse_line(struct parser *ps, enum section *sec, const char *s, size_t n)
{
    trim(&s, &n);
    if (n == 0 || s[0] == '#' || s[0] == ';')
        return 0;
    if (s[0] == '[') {
        if (s[n - 1] != ']')
            return fail(ps, "a section header must end with ']'");
        const char *name = s + 1;
        size_t nn = n - 2;
        trim(&name, &nn);
        if (word_is(name, nn, "general"))
            *sec = SEC_GENERAL;
        else if (word_is(name, nn, "actions"))
            *sec = SEC_ACTIONS;
        else
            return fail(ps, "unknown section [%.*s] (expected [general] or [actions])",
                        (int)(nn > 64 ? 64 : nn), name);
        return 0;
    }
    const char *eq = memchr(s, '=', n);
    if (!eq)
        return fail(ps, "expected \"key = value\", a [section] or a # comment");
    const char *k = s, *v = eq + 1;
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    trim(&k, &kn);
    trim(&v, &vn);
    if (kn == 0)
        return fail(ps, "missing key before '='");
    if (*sec == SEC_NONE)
        return fail(ps, "\"%.*s\" is outside a section ([general] or [actions])",
                    (int)(kn > 64 ? 64 : kn), k);
    if (*sec == SEC_GENERAL)
        return parse_general(ps, k, kn, v, vn);

    enum mpg_action a = MPG_ACT_KEEP;
    char key[72];
    snprintf(key, sizeof key, "%.*s", (int)(kn > 64 ? 64 : kn), k);
    if (parse_action(ps, key, v, vn, &a) < 0)
        return -1;
    if (word_is(k, kn, "default")) {
        ps->p->default_action = a;
        return 0;
    }
    if (!is_code(k, kn))
        return fail(ps, "\"%s\" is not a finding code (A-Z, 0-9, _)", key);
    return set_rule(ps, k, kn, a);
}

/* Parses into ps->p as it stands (the caller handles roll-back). */
static int parse_into(struct parser *ps, const char *text, size_t len)
{
    enum section sec = SEC_NONE;
    if (len > POLICY_MAX_BYTES) {
        ps->line = 0;
        return fail(ps, "file is larger than %d bytes", POLICY_MAX_BYTES);
    }
    size_t pos = 0;
    ps->line = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) /* a UTF-8 byte order mark (Windows editors) */
        pos = 3;
    while (pos < len) {
        ps->line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - pos;
        if (n && text[pos + n - 1] == '\r')
            n--;
        if (n > POLICY_MAX_LINE)
            return fail(ps, "line longer than %d bytes", POLICY_MAX_LINE);
        if (memchr(text + pos, '\0', n))
            return fail(ps, "NUL byte: not a text file");
        if (parse_line(ps, &sec, text + pos, n) < 0)
            return -1;
        pos = nl ? end + 1 : len;
    }
    return 0;
}

int mpg_policy_parse(struct mpg_policy *p, const char *text, size_t len, const char *name,
                     char *err, size_t errlen)
{
    mpg_policy_defaults(p);
    struct parser ps = {.p = p, .name = name ? name : "policy", .err = err, .errlen = errlen};
    if (parse_into(&ps, text, len) < 0) {
        mpg_policy_free(p);
        return -1;
    }
    if (name && !(p->source = strdup(name))) {
        mpg_policy_free(p);
        return fail(&ps, "out of memory");
    }
    return 0;
}

/* Reads a whole file; 1 when it does not exist, -1 on error (err set), 0 on success. */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_size > POLICY_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, POLICY_MAX_BYTES);
        close(fd);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    *out = buf;
    *len = got;
    return 0;
}

int mpg_policy_load(struct mpg_policy *p, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    mpg_policy_defaults(p);
    int rc = read_file(path, &text, &len, err, errlen);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    rc = mpg_policy_parse(p, text, len, path, err, errlen);
    free(text);
    return rc;
}

static const char *env_get(const char *const *environ_, const char *name)
{
    if (!environ_)
        return getenv(name);
    size_t n = strlen(name);
    for (const char *const *e = environ_; *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

int mpg_policy_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    return read_file(path, text, len, err, errlen);
}

int mpg_policy_load_effective(struct mpg_policy *p, const char *site_path,
                              const char *const *environ_, char *err, size_t errlen)
{
    if (mpg_policy_load(p, site_path ? site_path : MPIGUARD_POLICY_FILE, err, errlen) < 0)
        return -1;
    const char *user_path = env_get(environ_, MPG_POLICY_USER_VAR);
    if (!p->user_override || !user_path || !*user_path)
        return 0;

    char *text = NULL;
    size_t len = 0;
    int rc = read_file(user_path, &text, &len, err, errlen);
    if (rc > 0) {
        snprintf(err, errlen, "%s: %s names a file that does not exist", user_path,
                 MPG_POLICY_USER_VAR);
        return -1;
    }
    if (rc < 0)
        return -1;
    rc = mpg_policy_merge_user_text(p, text, len, user_path, err, errlen);
    free(text);
    return rc;
}

int mpg_policy_merge_user_text(struct mpg_policy *p, const char *text, size_t len,
                               const char *name, char *err, size_t errlen)
{
    if (!p->user_override)
        return 0;
    struct mpg_policy merged;
    if (policy_copy(&merged, p) < 0) {
        mpg_policy_free(&merged);
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    struct parser ps = {.p = &merged, .name = name, .user = true, .err = err,
                        .errlen = errlen};
    if (parse_into(&ps, text, len) < 0) {
        mpg_policy_free(&merged);
        return -1;
    }
    mpg_policy_free(p);
    *p = merged;
    return 0;
}

/* ---- application --------------------------------------------------------------------------- */

enum mpg_action mpg_policy_action(const struct mpg_policy *p, const char *code)
{
    for (size_t i = 0; code && i < p->n_rules; i++)
        if (strcmp(p->rules[i].code, code) == 0)
            return p->rules[i].action;
    return p->default_action;
}

/* prefix == path, or path lies below prefix (a trailing '/' on prefix is allowed). */
static bool path_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    while (n > 1 && prefix[n - 1] == '/')
        n--;
    if (strncmp(path, prefix, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/' || (n == 1 && prefix[0] == '/');
}

bool mpg_policy_exempt(const struct mpg_policy *p, const char *user, const char *env_prefix)
{
    for (size_t i = 0; user && i < p->n_exempt_users; i++)
        if (strcmp(p->exempt_users[i], user) == 0)
            return true;
    for (size_t i = 0; env_prefix && i < p->n_exempt_prefixes; i++)
        if (path_under(env_prefix, p->exempt_prefixes[i]))
            return true;
    return false;
}

static void finding_clear(struct mpg_finding *f)
{
    free(f->message);
    free(f->fix);
    free(f->package);
    free(f->path);
}

void mpg_policy_apply(const struct mpg_policy *p, struct mpg_report *r)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        struct mpg_finding *f = &r->findings[i];
        switch (mpg_policy_action(p, f->code)) {
        case MPG_ACT_IGNORE:
            finding_clear(f);
            continue;
        case MPG_ACT_NOTE:
            f->severity = MPG_SEV_NOTE;
            break;
        case MPG_ACT_WARN:
            f->severity = MPG_SEV_WARN;
            break;
        case MPG_ACT_BLOCK:
            f->severity = MPG_SEV_BLOCK;
            break;
        case MPG_ACT_KEEP:
            break;
        }
        if (kept != i)
            r->findings[kept] = *f;
        kept++;
    }
    r->n_findings = kept;
    mpg_report_update_verdict(r);
}
