/* log_parse.c: see log_parse.h. One pass over the line, no allocation (the journal's JSON
 * objects excepted: jansson parses those). */
#include "log_parse.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const field_names[MPG_LF_COUNT] = {
    [MPG_LF_CODE] = "code",       [MPG_LF_ACTION] = "action", [MPG_LF_SOURCE] = "source",
    [MPG_LF_USER] = "user",       [MPG_LF_MODULE] = "module", [MPG_LF_ENV] = "env",
    [MPG_LF_ENV_NAME] = "env_name", [MPG_LF_PREFIX] = "prefix", [MPG_LF_JOB] = "job",
    [MPG_LF_STEP] = "step",       [MPG_LF_NODE] = "node",     [MPG_LF_FIX] = "fix",
};

const char *mpg_logfield_name(enum mpg_logfield f)
{
    return f < MPG_LF_COUNT ? field_names[f] : "?";
}

void mpg_logparser_init(struct mpg_logparser *p, time_t now, int year)
{
    p->now = now;
    p->year = year;
    p->cached_year = 0;
    p->cached_mon = p->cached_mday = -1;
    p->cached_midnight = 0;
}

/* A cursor over the line: every reader checks the end, so a line may stop anywhere. */
struct cur {
    const char *s, *end;
};

static bool at(const struct cur *c, char ch) { return c->s < c->end && *c->s == ch; }
static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

static bool take(struct cur *c, char ch)
{
    if (!at(c, ch)) return false;
    c->s++;
    return true;
}

/* Exactly n digits. */
static bool take_num(struct cur *c, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (c->s >= c->end || !is_digit(*c->s)) return false;
        v = v * 10 + (*c->s++ - '0');
    }
    *out = v;
    return true;
}

/* The next blank-separated word (may be empty at the end of the line). */
static struct cur take_word(struct cur *c)
{
    struct cur w = {c->s, c->s};
    while (w.end < c->end && *w.end != ' ') w.end++;
    c->s = w.end;
    return w;
}

static bool word_is(struct cur w, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(w.end - w.s) == n && memcmp(w.s, s, n) == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool valid_clock(int mon, int mday, int h, int mi, int s)
{
    return mon >= 1 && mon <= 12 && mday >= 1 && mday <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

/* 2025-11-24T03:10:01[.123456](Z|+01:00|+0100); journalctl's short-iso uses a blank for T. */
static bool take_rfc3339(struct cur *c, time_t *when)
{
    int y, mon, d, h, mi, s;
    if (!take_num(c, 4, &y) || !take(c, '-') || !take_num(c, 2, &mon) || !take(c, '-') ||
        !take_num(c, 2, &d) || !(take(c, 'T') || take(c, ' ')) || !take_num(c, 2, &h) ||
        !take(c, ':') || !take_num(c, 2, &mi) || !take(c, ':') || !take_num(c, 2, &s) ||
        !valid_clock(mon, d, h, mi, s))
        return false;
    if (take(c, '.') || take(c, ','))
        while (c->s < c->end && is_digit(*c->s)) c->s++;
    int offset = 0;
    if (!take(c, 'Z')) {
        int sign = at(c, '-') ? -1 : 1, oh, om;
        if (!take(c, '+') && !take(c, '-')) return false;
        if (!take_num(c, 2, &oh)) return false;
        take(c, ':');
        if (!take_num(c, 2, &om)) return false;
        offset = sign * (oh * 3600 + om * 60);
    }
    *when = (time_t)(days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s - offset);
    return true;
}

/* Local midnight of a BSD date, cached: a log is mostly one day after another. */
static time_t local_midnight(struct mpg_logparser *p, int year, int mon, int mday)
{
    if (year != p->cached_year || mon != p->cached_mon || mday != p->cached_mday) {
        struct tm tm = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = mday, .tm_isdst = -1};
        p->cached_midnight = mktime(&tm);
        p->cached_year = year;
        p->cached_mon = mon;
        p->cached_mday = mday;
    }
    return p->cached_midnight;
}

/* "Nov 24 03:10:01" or "Nov  4 03:10:01", local time, no year. */
static bool take_bsd_time(struct mpg_logparser *p, struct cur *c, time_t *when)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (c->end - c->s < 15) return false;
    int mon = 0;
    for (int i = 0; i < 12; i++)
        if (memcmp(c->s, months + 3 * i, 3) == 0) mon = i + 1;
    if (!mon || c->s[3] != ' ') return false;
    c->s += 4;
    int mday, h, mi, s;
    if (at(c, ' ')) {
        c->s++;
        if (!take_num(c, 1, &mday)) return false;
    } else if (!take_num(c, 2, &mday)) {
        return false;
    }
    if (!take(c, ' ') || !take_num(c, 2, &h) || !take(c, ':') || !take_num(c, 2, &mi) ||
        !take(c, ':') || !take_num(c, 2, &s) || !valid_clock(mon, mday, h, mi, s))
        return false;
    int year = p->year;
    if (!year) {
        struct tm now_tm;
        localtime_r(&p->now, &now_tm);
        year = now_tm.tm_year + 1900;
        /* A December line read in January belongs to last year. */
        if (local_midnight(p, year, mon, mday) > p->now + 86400) year--;
    }
    /* The hours are added to midnight: off by the DST shift only on its two days a year. */
    *when = local_midnight(p, year, mon, mday) + h * 3600 + mi * 60 + s;
    return true;
}

static int hex_value(char ch)
{
    if (is_digit(ch)) return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Unquotes one value into *dst. Returns false on an unterminated quote or a bad escape. */
static bool take_value(struct cur *c, char **dst, const char **value)
{
    char *out = *dst;
    *value = out;
    if (take(c, '"')) {
        for (;;) {
            if (c->s >= c->end) return false;
            char ch = *c->s++;
            if (ch == '"') break;
            if (ch == '\\') {
                if (c->s >= c->end) return false;
                char e = *c->s++;
                if (e == 'x') {
                    int hi = c->end - c->s >= 2 ? hex_value(c->s[0]) : -1;
                    int lo = hi >= 0 ? hex_value(c->s[1]) : -1;
                    if (lo < 0) return false;
                    c->s += 2;
                    ch = (char)(hi * 16 + lo);
                } else {
                    ch = e;
                }
            }
            *out++ = ch;
        }
        if (c->s < c->end && *c->s != ' ') return false;
    } else {
        while (c->s < c->end && *c->s != ' ') *out++ = *c->s++;
    }
    *out++ = '\0';
    if (strcmp(*value, "-") == 0) *value = NULL;
    *dst = out;
    return true;
}

static bool is_code(const char *s)
{
    if (!s || !(*s >= 'A' && *s <= 'Z')) return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || is_digit(*s) || *s == '_')) return false;
    return true;
}

/* The key=value message. */
static enum mpg_logline_status parse_message(struct mpg_logparser *p, struct cur c,
                                             struct mpg_logline *out)
{
    char *dst = p->scratch;
    for (;;) {
        while (at(&c, ' ')) c.s++;
        if (c.s >= c.end) break;
        const char *key = c.s;
        while (c.s < c.end && ((*c.s >= 'a' && *c.s <= 'z') || *c.s == '_' || is_digit(*c.s))) c.s++;
        size_t klen = (size_t)(c.s - key);
        if (klen == 0 || !take(&c, '=')) {
            out->why = "a word that is not key=value";
            return MPG_LOGLINE_BAD;
        }
        const char *value;
        if (!take_value(&c, &dst, &value)) {
            out->why = "an unterminated quote or a bad escape";
            return MPG_LOGLINE_BAD;
        }
        for (int f = 0; f < MPG_LF_COUNT; f++)
            if (strlen(field_names[f]) == klen && memcmp(field_names[f], key, klen) == 0)
                out->field[f] = value;
    }
    const char *action = out->field[MPG_LF_ACTION];
    if (!is_code(out->field[MPG_LF_CODE])) {
        out->why = "no code=CODE";
        return MPG_LOGLINE_BAD;
    }
    if (!action || (strcmp(action, "note") && strcmp(action, "warn") && strcmp(action, "block"))) {
        out->why = "no action=note|warn|block";
        return MPG_LOGLINE_BAD;
    }
    return MPG_LOGLINE_OK;
}

/* One `journalctl -o json` object. MESSAGE is an array of bytes when it was not UTF-8. */
static enum mpg_logline_status parse_journal(struct mpg_logparser *p, const char *line, size_t len,
                                             struct mpg_logline *out)
{
    json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        out->why = "not a journal JSON object";
        return MPG_LOGLINE_BAD;
    }
    enum mpg_logline_status st = MPG_LOGLINE_BAD;
    const char *ident = json_string_value(json_object_get(o, "SYSLOG_IDENTIFIER"));
    const char *usec = json_string_value(json_object_get(o, "__REALTIME_TIMESTAMP"));
    json_t *msg = json_object_get(o, "MESSAGE");
    char *bytes = NULL, *end = NULL;
    if (!ident || strcmp(ident, "mpiguard") != 0) {
        st = MPG_LOGLINE_OTHER;
        goto done;
    }
    unsigned long long us = usec ? strtoull(usec, &end, 10) : 0;
    if (!usec || end == usec || *end) {
        out->why = "no __REALTIME_TIMESTAMP";
        goto done;
    }
    out->when = (time_t)(us / 1000000);
    const char *text = json_string_value(msg);
    size_t tlen = json_string_length(msg);
    if (json_is_array(msg)) {
        tlen = json_array_size(msg);
        if (tlen > MPG_LOGLINE_MAX) goto bad_msg;
        bytes = malloc(tlen + 1);
        if (!bytes) goto bad_msg;
        for (size_t i = 0; i < tlen; i++) {
            json_int_t b = json_integer_value(json_array_get(msg, i));
            if (!json_is_integer(json_array_get(msg, i)) || b < 0 || b > 255) goto bad_msg;
            bytes[i] = (char)b;
        }
        text = bytes;
    }
    if (!text || tlen > MPG_LOGLINE_MAX) goto bad_msg;
    st = parse_message(p, (struct cur){text, text + tlen}, out);
    goto done;
bad_msg:
    out->why = "no MESSAGE";
done:
    free(bytes);
    json_decref(o);
    return st;
}

enum mpg_logline_status mpg_logline_parse(struct mpg_logparser *p, const char *line, size_t len,
                                          struct mpg_logline *out)
{
    memset(out, 0, sizeof *out);
    if (len > MPG_LOGLINE_MAX) {
        out->why = "longer than any mpiguard line";
        return MPG_LOGLINE_BAD;
    }
    struct cur c = {line, line + len};
    while (at(&c, ' ')) c.s++;
    if (at(&c, '{')) return parse_journal(p, c.s, (size_t)(c.end - c.s), out);

    bool rfc5424 = false;
    if (take(&c, '<')) {
        int digits = 0;
        while (c.s < c.end && is_digit(*c.s) && digits < 3) c.s++, digits++;
        if (!digits || !take(&c, '>')) {
            out->why = "a malformed <priority>";
            return MPG_LOGLINE_BAD;
        }
        if (c.end - c.s > 2 && c.s[0] == '1' && c.s[1] == ' ') {
            c.s += 2;
            rfc5424 = true;
        }
    }
    if (!(is_digit(c.s < c.end ? *c.s : 'x') ? take_rfc3339(&c, &out->when)
                                              : take_bsd_time(p, &c, &out->when)) ||
        !take(&c, ' ')) {
        out->why = "no time stamp";
        return MPG_LOGLINE_BAD;
    }
    /* The host name is there in files and absent on the socket. */
    struct cur tag = take_word(&c);
    bool ours_bare = word_is(tag, "mpiguard:") || (tag.end - tag.s > 9 && memcmp(tag.s, "mpiguard[", 9) == 0);
    if (!(rfc5424 ? word_is(tag, "mpiguard") : ours_bare)) {
        take(&c, ' ');
        tag = take_word(&c);
    }
    if (rfc5424) {
        if (!word_is(tag, "mpiguard")) return MPG_LOGLINE_OTHER;
        take(&c, ' ');
        take_word(&c); /* PROCID */
        take(&c, ' ');
        take_word(&c); /* MSGID */
        take(&c, ' ');
        if (!take(&c, '-')) {
            out->why = "RFC 5424 structured data (mpiguard writes none)";
            return MPG_LOGLINE_BAD;
        }
        return parse_message(p, c, out);
    }
    if (word_is(tag, "mpiguard:")) return take(&c, ' '), parse_message(p, c, out);
    if (tag.end - tag.s < 12 || memcmp(tag.s, "mpiguard[", 9) != 0) return MPG_LOGLINE_OTHER;
    if (tag.end[-2] != ']' || tag.end[-1] != ':') {
        out->why = "a malformed mpiguard[PID]: tag";
        return MPG_LOGLINE_BAD;
    }
    take(&c, ' ');
    return parse_message(p, c, out);
}
