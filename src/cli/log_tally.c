/* log_tally.c: see log_tally.h. Two open-addressing hash tables: rows by (dimension, code,
 * key), and the set of (row, user) and (row, env) pairs seen, as 64-bit hashes. */
#include "cli/log_tally.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct mpg_tally {
    struct mpg_tally_row **slots;
    size_t nslots, nrows, max_rows;
    uint64_t *seen; /* 0 = empty slot */
    size_t nseen_slots, nseen, max_distinct;
    bool rows_capped, distinct_capped, track_envs;
    time_t first, last;
    struct mpg_tally_row *total;
    time_t hour_start;               /* day and week of the last line's hour, local time */
    char day[16], week[16];
    char fix[MPG_LOGLINE_MAX + 1];
    char env_id[MPG_LOGLINE_MAX + 1];
};

static const char *const dim_names[MPG_DIM_COUNT] = {
    [MPG_DIM_TOTAL] = "total", [MPG_DIM_CODE] = "code", [MPG_DIM_MODULE] = "module",
    [MPG_DIM_USER] = "user", [MPG_DIM_ENV_KIND] = "env_kind", [MPG_DIM_SOURCE] = "source",
    [MPG_DIM_DAY] = "day", [MPG_DIM_WEEK] = "week", [MPG_DIM_FIX] = "fix", [MPG_DIM_ENV] = "env",
};

const char *mpg_dim_name(enum mpg_dim d) { return d < MPG_DIM_COUNT ? dim_names[d] : "?"; }

/* 64-bit FNV-1a, then a final mix so that nearby hashes spread over the table. */
static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

#define FNV_SEED 0xcbf29ce484222325ULL

struct mpg_tally *mpg_tally_new(bool track_envs, size_t max_rows, size_t max_distinct)
{
    struct mpg_tally *t = mpg_xcalloc(1, sizeof *t);
    t->nslots = 1024;
    t->slots = mpg_xcalloc(t->nslots, sizeof *t->slots);
    t->max_rows = max_rows;
    t->nseen_slots = 4096;
    t->seen = mpg_xcalloc(t->nseen_slots, sizeof *t->seen);
    t->max_distinct = max_distinct;
    t->track_envs = track_envs;
    t->hour_start = -1;
    return t;
}

void mpg_tally_free(struct mpg_tally *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nslots; i++) free(t->slots[i]);
    free(t->slots);
    free(t->seen);
    free(t);
}

static void rows_grow(struct mpg_tally *t)
{
    size_t n = t->nslots * 2;
    struct mpg_tally_row **slots = mpg_xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < t->nslots; i++) {
        struct mpg_tally_row *r = t->slots[i];
        if (!r) continue;
        size_t j = r->hash & (n - 1);
        while (slots[j]) j = (j + 1) & (n - 1);
        slots[j] = r;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
}

static struct mpg_tally_row *row_get(struct mpg_tally *t, enum mpg_dim dim, const char *code,
                                     const char *key)
{
    uint64_t h = mix(hash_str(hash_str(FNV_SEED ^ (uint64_t)dim, code ? code : ""), key) ^ (code != NULL));
    size_t i = h & (t->nslots - 1);
    for (struct mpg_tally_row *r; (r = t->slots[i]); i = (i + 1) & (t->nslots - 1))
        if (r->hash == h && r->dim == dim && (r->code == code || (r->code && code && !strcmp(r->code, code))) &&
            !strcmp(r->key, key))
            return r;
    if (t->nrows >= t->max_rows && strcmp(key, "(more)") != 0) {
        t->rows_capped = true;
        return row_get(t, dim, code, "(more)");
    }
    size_t klen = strlen(key) + 1, clen = code ? strlen(code) + 1 : 0;
    struct mpg_tally_row *r = mpg_xcalloc(1, sizeof *r + klen + clen);
    char *k = (char *)(r + 1);
    memcpy(k, key, klen);
    r->key = k;
    if (code) r->code = memcpy(k + klen, code, clen);
    r->dim = dim;
    r->hash = h;
    t->slots[i] = r;
    if (++t->nrows * 2 > t->nslots) rows_grow(t);
    return r;
}

/* Adds h to the set of pairs seen; true when it was new. */
static bool seen_add(struct mpg_tally *t, uint64_t h)
{
    h = mix(h);
    if (!h) h = 1;
    size_t i = h & (t->nseen_slots - 1);
    for (; t->seen[i]; i = (i + 1) & (t->nseen_slots - 1))
        if (t->seen[i] == h) return false;
    if (t->nseen >= t->max_distinct) {
        t->distinct_capped = true;
        return false;
    }
    t->seen[i] = h;
    if (++t->nseen * 2 > t->nseen_slots) {
        size_t n = t->nseen_slots * 2;
        uint64_t *s = mpg_xcalloc(n, sizeof *s);
        for (size_t j = 0; j < t->nseen_slots; j++) {
            if (!t->seen[j]) continue;
            size_t k = t->seen[j] & (n - 1);
            while (s[k]) k = (k + 1) & (n - 1);
            s[k] = t->seen[j];
        }
        free(t->seen);
        t->seen = s;
        t->nseen_slots = n;
    }
    return true;
}

static void count(struct mpg_tally *t, struct mpg_tally_row *r, enum mpg_tally_act act, uint64_t user_h,
                  uint64_t env_h, bool distinct)
{
    r->n[act]++;
    r->total++;
    r->distinct = distinct;
    if (!distinct) return;
    if (seen_add(t, r->hash ^ user_h)) r->users++;
    if (env_h && seen_add(t, r->hash ^ env_h ^ 0x5bd1e995ULL)) r->envs++;
}

/* Day and week of a time, local; localtime_r once per hour of log. */
static void period_of(struct mpg_tally *t, time_t when)
{
    if (t->hour_start >= 0 && when >= t->hour_start && when < t->hour_start + 3600) return;
    struct tm tm;
    if (!localtime_r(&when, &tm)) {
        strcpy(t->day, "-");
        strcpy(t->week, "-");
        t->hour_start = -1;
        return;
    }
    strftime(t->day, sizeof t->day, "%Y-%m-%d", &tm);
    strftime(t->week, sizeof t->week, "%G-W%V", &tm);
    t->hour_start = when - tm.tm_min * 60 - tm.tm_sec;
}

/* The fix with the env's prefix replaced by <env>, so one fix shown to many envs is one row. */
static const char *fix_key(struct mpg_tally *t, const char *fix, const char *prefix)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    if (plen < 2 || !strstr(fix, prefix)) return fix;
    char *out = t->fix, *end = t->fix + sizeof t->fix - 1;
    for (const char *s = fix; *s && out < end;) {
        if (strncmp(s, prefix, plen) == 0 && (s[plen] == '\0' || s[plen] == ' ' || s[plen] == '/' || s[plen] == '"')) {
            size_t n = strlen("<env>");
            if ((size_t)(end - out) < n) break;
            memcpy(out, "<env>", n);
            out += n;
            s += plen;
        } else {
            *out++ = *s++;
        }
    }
    *out = '\0';
    return t->fix;
}

void mpg_tally_add(struct mpg_tally *t, const struct mpg_logline *l)
{
    const char *const *f = l->field;
    const char *code = f[MPG_LF_CODE], *user = f[MPG_LF_USER] ? f[MPG_LF_USER] : "-";
    enum mpg_tally_act act = !strcmp(f[MPG_LF_ACTION], "block") ? MPG_TALLY_BLOCK
                       : !strcmp(f[MPG_LF_ACTION], "warn") ? MPG_TALLY_WARN : MPG_TALLY_NOTE;
    /* An env is its prefix; lines without one name it by user and env name. */
    const char *env = f[MPG_LF_PREFIX];
    if (!env && f[MPG_LF_ENV_NAME]) {
        snprintf(t->env_id, sizeof t->env_id, "%s:%s", user, f[MPG_LF_ENV_NAME]);
        env = t->env_id;
    }
    if (f[MPG_LF_ENV] && !strcmp(f[MPG_LF_ENV], "none")) env = NULL;
    uint64_t user_h = hash_str(FNV_SEED, user) | 1, env_h = env ? hash_str(FNV_SEED ^ 1, env) | 1 : 0;

    if (!t->total) t->total = row_get(t, MPG_DIM_TOTAL, NULL, "");
    if (t->total->total == 0 || l->when < t->first) t->first = l->when;
    if (t->total->total == 0 || l->when > t->last) t->last = l->when;
    count(t, t->total, act, user_h, env_h, true);
    count(t, row_get(t, MPG_DIM_CODE, NULL, code), act, user_h, env_h, true);

    period_of(t, l->when);
    const char *keys[MPG_DIM_COUNT] = {
        [MPG_DIM_MODULE] = f[MPG_LF_MODULE] ? f[MPG_LF_MODULE] : "-",
        [MPG_DIM_USER] = user,
        [MPG_DIM_ENV_KIND] = f[MPG_LF_ENV] ? f[MPG_LF_ENV] : "-",
        [MPG_DIM_SOURCE] = f[MPG_LF_SOURCE] ? f[MPG_LF_SOURCE] : "-",
        [MPG_DIM_DAY] = t->day,
        [MPG_DIM_WEEK] = t->week,
        [MPG_DIM_FIX] = f[MPG_LF_FIX] ? fix_key(t, f[MPG_LF_FIX], f[MPG_LF_PREFIX]) : NULL,
        [MPG_DIM_ENV] = t->track_envs ? env : NULL,
    };
    for (int d = MPG_DIM_MODULE; d < MPG_DIM_COUNT; d++) {
        if (!keys[d]) continue;
        /* Distinct users and envs per code only where the keys are few: per code and day (or
         * user, fix, env) they would be most of the pairs remembered, and most of the time. */
        bool few = d == MPG_DIM_MODULE || d == MPG_DIM_ENV_KIND || d == MPG_DIM_SOURCE;
        count(t, row_get(t, (enum mpg_dim)d, NULL, keys[d]), act, user_h, env_h, true);
        count(t, row_get(t, (enum mpg_dim)d, code, keys[d]), act, user_h, env_h, few);
    }
}

static int by_total_desc(const void *a, const void *b)
{
    const struct mpg_tally_row *x = *(const struct mpg_tally_row *const *)a;
    const struct mpg_tally_row *y = *(const struct mpg_tally_row *const *)b;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->code ? x->code : "", y->code ? y->code : "");
}

static int by_key(const void *a, const void *b)
{
    const struct mpg_tally_row *x = *(const struct mpg_tally_row *const *)a;
    const struct mpg_tally_row *y = *(const struct mpg_tally_row *const *)b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    return strcmp(x->code ? x->code : "", y->code ? y->code : "");
}

struct mpg_tally_row **mpg_tally_rows(const struct mpg_tally *t, enum mpg_dim dim, const char *code,
                                      size_t *n)
{
    struct mpg_tally_row **rows = mpg_xcalloc(t->nrows + 1, sizeof *rows);
    size_t k = 0;
    bool any_code = code && !strcmp(code, "*");
    for (size_t i = 0; i < t->nslots; i++) {
        struct mpg_tally_row *r = t->slots[i];
        if (!r || r->dim != dim) continue;
        if (any_code ? r->code != NULL : code ? (r->code && !strcmp(r->code, code)) : r->code == NULL)
            rows[k++] = r;
    }
    qsort(rows, k, sizeof *rows, dim == MPG_DIM_DAY || dim == MPG_DIM_WEEK ? by_key : by_total_desc);
    *n = k;
    return rows;
}

const struct mpg_tally_row *mpg_tally_total(const struct mpg_tally *t) { return t->total; }
time_t mpg_tally_first(const struct mpg_tally *t) { return t->first; }
time_t mpg_tally_last(const struct mpg_tally *t) { return t->last; }
bool mpg_tally_rows_capped(const struct mpg_tally *t) { return t->rows_capped; }
bool mpg_tally_distinct_capped(const struct mpg_tally *t) { return t->distinct_capped; }
