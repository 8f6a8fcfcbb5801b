/* sitelog.c: the syslog line (see mpiguard.h, "The syslog line"). One formatter for every
 * layer, so a site's log parser sees the same line from Lmod, Environment Modules, the CLI
 * and Slurm. Lines go straight to a local syslog socket, without openlog(): the process is
 * Lmod or slurmstepd, and its global syslog state is not ours to change. Sending never blocks
 * and never fails loudly: logging must not slow or break `module`. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mpiguard.h"

#define LOG_USER_FACILITY (1 << 3)
#define N_FIELDS 12
#define MIN_CUT 8 /* the shortest cut value: "ab..." with its quotes */
/* "<13>Nov 24 03:10:01 mpiguard[4194304]: ": the longest header, pid_max being 2^22 */
#define HEADER_MAX 42

/* Bytes of the escaped form of one byte of a value (quoted form). */
static size_t unit_len(unsigned char c)
{
    if (c == '"' || c == '\\') return 2;
    if (c < 0x20 || c >= 0x7f) return 4;
    return 1;
}

static bool needs_quotes(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return true;
    }
    return false;
}

/* A value as it is written: "-" when missing; the fix only up to its first line. */
struct val {
    const char *s;
    size_t n;     /* bytes of s written */
    size_t full;  /* length of its written form, uncut */
    bool quoted;
};

static void measure(struct val *v, const char *s, bool first_line)
{
    v->s = s ? s : "";
    v->n = first_line ? strcspn(v->s, "\n") : strlen(v->s);
    if (!v->n) v->s = "-", v->n = 1;
    v->quoted = needs_quotes(v->s, v->n);
    v->full = v->quoted ? 2 : 0;
    for (size_t i = 0; i < v->n; i++) v->full += v->quoted ? unit_len((unsigned char)v->s[i]) : 1;
}

/* Writes v in at most cap bytes at o (cap >= MIN_CUT when it has to be cut). */
static char *put_val(char *o, const struct val *v, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    if (v->full <= cap && !v->quoted) {
        memcpy(o, v->s, v->n);
        return o + v->n;
    }
    bool cut = v->full > cap;
    size_t room = cut ? cap - 5 : v->full - 2; /* quotes, and "..." when cut */
    *o++ = '"';
    for (size_t i = 0; i < v->n; i++) {
        unsigned char c = (unsigned char)v->s[i];
        size_t u = unit_len(c);
        if (u > room) break;
        room -= u;
        if (u == 2) *o++ = '\\', *o++ = (char)c;
        else if (u == 4) *o++ = '\\', *o++ = 'x', *o++ = hex[c >> 4], *o++ = hex[c & 15];
        else *o++ = (char)c;
    }
    if (cut) o = stpcpy(o, "...");
    *o++ = '"';
    return o;
}

static size_t total_len(const struct val *v, const size_t *keys, size_t cap)
{
    size_t t = 0;
    for (size_t i = 0; i < N_FIELDS; i++) t += keys[i] + (v[i].full <= cap ? v[i].full : cap);
    return t;
}

size_t mpg_log_format(const struct mpg_log_entry *e, char *buf, size_t len)
{
    static const char *const names[N_FIELDS] = {"code", "action", "source", "user", "module", "env",
                                                "env_name", "prefix", "job", "step", "node", "fix"};
    const char *vals[N_FIELDS] = {e->code, e->action, e->source, e->user, e->module, e->env_kind,
                                  e->env_name, e->prefix, e->job, e->step, e->node, e->fix};
    if (!len) return 0;
    struct val v[N_FIELDS];
    size_t keys[N_FIELDS], longest = 0;
    for (size_t i = 0; i < N_FIELDS; i++) {
        measure(&v[i], vals[i], i == N_FIELDS - 1);
        keys[i] = strlen(names[i]) + 1 + (i > 0); /* " key=" */
        if (v[i].full > longest) longest = v[i].full;
    }
    /* Too long: every value longer than one cap is cut to it, the cap as large as fits (the
     * long ones are the prefix and the fix; code and action come first and are short). */
    size_t cap = longest;
    if (total_len(v, keys, cap) > len - 1) {
        size_t lo = MIN_CUT, hi = longest;
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (total_len(v, keys, mid) <= len - 1) lo = mid;
            else hi = mid - 1;
        }
        cap = lo;
    }
    if (total_len(v, keys, cap) > len - 1) { /* a buffer too small for all fields */
        buf[0] = '\0';
        return 0;
    }
    char *o = buf;
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (i) *o++ = ' ';
        o = stpcpy(o, names[i]);
        *o++ = '=';
        o = put_val(o, &v[i], cap);
    }
    *o = '\0';
    return (size_t)(o - buf);
}

static int severity_of(const char *action)
{
    if (action && strcmp(action, "block") == 0) return 3; /* err */
    if (action && strcmp(action, "warn") == 0) return 4;  /* warning */
    return 5;                                             /* notice */
}

static int send_to(int type, const struct sockaddr_un *sa, const char *line, size_t n)
{
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int rc = -1;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0) {
        /* A stream syslog socket needs a terminator; a datagram is one message. */
        size_t len = type == SOCK_STREAM ? n + 1 : n;
        rc = send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
    } else if (errno == EPROTOTYPE) {
        rc = -2;
    }
    close(fd);
    return rc;
}

int mpg_log_send(const char *socket_path, const struct mpg_log_entry *e)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *path = socket_path ? socket_path : MPG_LOG_DEFAULT_SOCKET;
    if (strlen(path) >= sizeof sa.sun_path) return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);

    char stamp[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm)) strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
    char line[MPG_LOG_MAX];
    int n = snprintf(line, sizeof line, "<%d>%.15s mpiguard[%ld]: ", LOG_USER_FACILITY | severity_of(e->action),
                     stamp, (long)getpid());
    if (n < 0 || n > HEADER_MAX) return -1;
    size_t len = (size_t)n + mpg_log_format(e, line + n, sizeof line - (size_t)n);
    int rc = send_to(SOCK_DGRAM, &sa, line, len);
    if (rc == -2) rc = send_to(SOCK_STREAM, &sa, line, len);
    return rc == 0 ? 0 : -1;
}

int mpg_log_report(const char *socket_path, const struct mpg_report *r, const struct mpg_log_entry *who)
{
    int sent = 0;
    for (size_t i = 0; r && i < r->n_findings; i++) {
        struct mpg_log_entry e = *who;
        e.code = r->findings[i].code;
        e.action = mpg_severity_name(r->findings[i].severity);
        e.env_kind = mpg_env_kind_name(r->env.kind);
        e.env_name = r->env.name;
        e.prefix = r->env.prefix;
        e.fix = r->findings[i].fix;
        if (mpg_log_send(socket_path, &e) == 0) sent++;
    }
    return sent;
}
