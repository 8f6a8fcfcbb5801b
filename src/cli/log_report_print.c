/* log_report_print.c: the text, JSON and CSV views of `mpiguard report` (log_report.h).
 *
 * The text view is what an admin reads before turning a code from warn into block: per code,
 * how many findings, users and distinct envs it would refuse; then where they come from. The
 * JSON (schema mpiguard.report/1) and CSV views have every row, for dashboards:
 *   JSON  {schema, inputs, since, until, first, last, period,
 *          lines {read, findings, other_programs, unparsable, outside_period},
 *          capped {rows, distinct}, total ROW, by_code [ROW], by_module, by_user, by_env_kind,
 *          by_source, by_day, by_week, top_fixes, by_env (with --envs)}
 *         ROW = {key, note, warn, block, total, users, envs, codes {CODE: {note, ..., envs}}}
 *   CSV   dimension,key,code,note,warn,block,total,users,envs (code empty: all codes)
 * users and envs are null (CSV: empty) in the per-code rows of day, week, user, fix and env:
 * those are not counted (log_tally.c). */
#include "cli/log_report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>


static const enum mpg_dim listed[] = {
    MPG_DIM_CODE, MPG_DIM_MODULE, MPG_DIM_USER, MPG_DIM_ENV_KIND, MPG_DIM_SOURCE,
    MPG_DIM_DAY, MPG_DIM_WEEK, MPG_DIM_FIX, MPG_DIM_ENV,
};

static void time_str(time_t t, const char *fmt, char *buf, size_t len)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, len, fmt, &tm)) snprintf(buf, len, "@%lld", (long long)t);
}

static const char *period_of(const struct mpg_logrun *run)
{
    if (run->period) return run->period;
    return mpg_tally_last(run->tally) - mpg_tally_first(run->tally) <= 31 * 86400 ? "day" : "week";
}

/* ---- text ------------------------------------------------------------------------------- */

/* A value from the log, padded to width: control bytes come from users' paths and must not
 * reach the admin's terminal, so they are shown as \xHH. */
static void put_key(FILE *out, const char *s, int width)
{
    int n = 0;
    for (; *s; s++, n++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f) n += fprintf(out, "\\x%02x", ch) - 1;
        else fputc(ch, out);
    }
    for (; n < width; n++) fputc(' ', out);
}

static void text_table(const struct mpg_logrun *run, FILE *out, enum mpg_dim dim, const char *title,
                       const char *what)
{
    size_t n;
    struct mpg_tally_row **rows = mpg_tally_rows(run->tally, dim, NULL, &n);
    if (!n) {
        free(rows);
        return;
    }
    bool time_dim = dim == MPG_DIM_DAY || dim == MPG_DIM_WEEK, fix = dim == MPG_DIM_FIX;
    size_t shown = run->top && !time_dim && (size_t)run->top < n ? (size_t)run->top : n;
    int w = (int)strlen(what);
    for (size_t i = 0; i < shown && !fix; i++) {
        int kl = (int)strlen(rows[i]->key);
        if (kl > w) w = kl > 40 ? 40 : kl;
    }
    fprintf(out, "\n%s", title);
    if (shown < n) fprintf(out, " (top %zu of %zu)", shown, n);
    fputc('\n', out);
    if (fix)
        fprintf(out, "  %8s %6s %6s  %s\n", "findings", "users", "envs", "fix (<env>: the user's env)");
    else
        fprintf(out, "  %-*s %8s %8s %8s %8s %6s %6s%s\n", w, what, "note", "warn", "block", "total",
                "users", "envs", dim == MPG_DIM_CODE ? "" : "  codes");
    for (size_t i = 0; i < shown; i++) {
        const struct mpg_tally_row *r = rows[i];
        if (fix) {
            fprintf(out, "  %8llu %6llu %6llu  ", (unsigned long long)r->total,
                    (unsigned long long)r->users, (unsigned long long)r->envs);
            put_key(out, r->key, 0);
            fputc('\n', out);
            continue;
        }
        fputs("  ", out);
        put_key(out, r->key, w);
        fprintf(out, " %8llu %8llu %8llu %8llu %6llu %6llu",
                (unsigned long long)r->n[MPG_TALLY_NOTE], (unsigned long long)r->n[MPG_TALLY_WARN],
                (unsigned long long)r->n[MPG_TALLY_BLOCK], (unsigned long long)r->total,
                (unsigned long long)r->users, (unsigned long long)r->envs);
        if (dim != MPG_DIM_CODE) {
            /* The codes behind this row, most frequent first. */
            size_t nc;
            struct mpg_tally_row **codes = mpg_tally_rows(run->tally, dim, "*", &nc);
            const char *sep = "  ";
            for (size_t j = 0, k = 0; j < nc && k < 3; j++)
                if (!strcmp(codes[j]->key, r->key)) {
                    fprintf(out, "%s%s %llu", sep, codes[j]->code, (unsigned long long)codes[j]->total);
                    sep = ", ";
                    k++;
                }
            free(codes);
        }
        fputc('\n', out);
    }
    free(rows);
}

void mpg_logrun_print_text(const struct mpg_logrun *run, FILE *out)
{
    const struct mpg_tally_row *t = mpg_tally_total(run->tally);
    fputs("mpiguard report: ", out);
    for (size_t i = 0; i < run->n_inputs; i++) fprintf(out, "%s%s", i ? ", " : "", run->inputs[i]);
    fprintf(out, "\n  %llu lines read: %llu mpiguard findings", (unsigned long long)run->lines,
            (unsigned long long)run->findings);
    if (run->outside) fprintf(out, ", %llu outside the period", (unsigned long long)run->outside);
    if (run->other) fprintf(out, ", %llu of other programs", (unsigned long long)run->other);
    if (run->bad) fprintf(out, ", %llu skipped (not readable)", (unsigned long long)run->bad);
    fputc('\n', out);
    if (!t) {
        fputs("  no mpiguard findings", out);
        if (run->has_since || run->has_until) fputs(" in this period", out);
        fputs(" (mpiguard logs one syslog line per finding shown, unless the policy says log = no)\n", out);
        return;
    }
    char a[40], b[40];
    time_str(mpg_tally_first(run->tally), "%Y-%m-%d %H:%M", a, sizeof a);
    time_str(mpg_tally_last(run->tally), "%Y-%m-%d %H:%M", b, sizeof b);
    fprintf(out, "  from %s to %s: %llu users, %llu distinct envs (note %llu, warn %llu, block %llu)\n", a, b,
            (unsigned long long)t->users, (unsigned long long)t->envs, (unsigned long long)t->n[MPG_TALLY_NOTE],
            (unsigned long long)t->n[MPG_TALLY_WARN], (unsigned long long)t->n[MPG_TALLY_BLOCK]);
    if (mpg_tally_rows_capped(run->tally))
        fputs("  (more distinct values than tracked: the rest are counted under \"(more)\")\n", out);
    if (mpg_tally_distinct_capped(run->tally))
        fputs("  (more users and envs than tracked: their counts are lower bounds)\n", out);

    text_table(run, out, MPG_DIM_CODE, "By code (users and envs: who a block would stop)", "code");
    text_table(run, out, MPG_DIM_MODULE, "By module", "module");
    text_table(run, out, MPG_DIM_USER, "By user", "user");
    text_table(run, out, MPG_DIM_ENV_KIND, "By env kind (envs: distinct envs)", "env");
    text_table(run, out, MPG_DIM_SOURCE, "By source", "source");
    if (!strcmp(period_of(run), "day")) text_table(run, out, MPG_DIM_DAY, "By day", "day");
    else text_table(run, out, MPG_DIM_WEEK, "By week", "week");
    text_table(run, out, MPG_DIM_FIX, "Top fixes shown", "fix");
    if (run->envs) text_table(run, out, MPG_DIM_ENV, "By env", "env");
}

/* ---- JSON ------------------------------------------------------------------------------- */

/* JSON strings are UTF-8; a log value that is not (a raw byte in a path) is shown with its
 * bytes above 0x7f as \xHH, as the syslog line itself would have written them. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j) return j;
    size_t n = strlen(s);
    char *buf = malloc(4 * n + 1), *o = buf;
    if (!buf) return json_null();
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x80) *o++ = (char)ch;
        else o += sprintf(o, "\\x%02x", ch);
    }
    *o = '\0';
    j = json_string(buf);
    free(buf);
    return j ? j : json_null();
}

static json_t *json_counts(const struct mpg_tally_row *r)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "note", (json_int_t)r->n[MPG_TALLY_NOTE],
                     "warn", (json_int_t)r->n[MPG_TALLY_WARN], "block", (json_int_t)r->n[MPG_TALLY_BLOCK],
                     "total", (json_int_t)r->total,
                     "users", r->distinct ? json_integer((json_int_t)r->users) : json_null(),
                     "envs", r->distinct ? json_integer((json_int_t)r->envs) : json_null());
}

static int row_key_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct mpg_tally_row *const *)a)->key, (*(const struct mpg_tally_row *const *)b)->key);
}

static json_t *json_rows(const struct mpg_logrun *run, enum mpg_dim dim)
{
    size_t n, nc = 0;
    struct mpg_tally_row **rows = mpg_tally_rows(run->tally, dim, NULL, &n);
    struct mpg_tally_row **codes = dim == MPG_DIM_CODE ? NULL : mpg_tally_rows(run->tally, dim, "*", &nc);
    /* Per-code rows by key (stable: most frequent code first within a key), found by bisection:
     * thousands of users times their codes would otherwise be a quadratic scan. */
    if (codes) qsort(codes, nc, sizeof *codes, row_key_cmp);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_counts(rows[i]);
        json_object_set_new(o, "key", json_text(rows[i]->key));
        if (codes) {
            json_t *by = json_object();
            size_t lo = 0, hi = nc;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(codes[mid]->key, rows[i]->key) < 0) lo = mid + 1;
                else hi = mid;
            }
            for (size_t j = lo; j < nc && !strcmp(codes[j]->key, rows[i]->key); j++)
                json_object_set_new(by, codes[j]->code, json_counts(codes[j]));
            json_object_set_new(o, "codes", by);
        }
        json_array_append_new(arr, o);
    }
    free(rows);
    free(codes);
    return arr;
}

static json_t *json_time(time_t t)
{
    char buf[40];
    time_str(t, "%Y-%m-%dT%H:%M:%S%z", buf, sizeof buf);
    return json_string(buf);
}

int mpg_logrun_print_json(const struct mpg_logrun *run, FILE *out)
{
    const struct mpg_tally_row *t = mpg_tally_total(run->tally);
    json_t *inputs = json_array();
    for (size_t i = 0; i < run->n_inputs; i++) json_array_append_new(inputs, json_text(run->inputs[i]));
    json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:b, s:b}}",
        "schema", "mpiguard.report/1", "inputs", inputs,
        "since", run->has_since ? json_time(run->since) : json_null(),
        "until", run->has_until ? json_time(run->until) : json_null(),
        "first", t ? json_time(mpg_tally_first(run->tally)) : json_null(),
        "last", t ? json_time(mpg_tally_last(run->tally)) : json_null(),
        "period", t ? period_of(run) : "day",
        "lines", "read", (json_int_t)run->lines, "findings", (json_int_t)run->findings,
        "other_programs", (json_int_t)run->other, "unparsable", (json_int_t)run->bad,
        "outside_period", (json_int_t)run->outside,
        "capped", "rows", mpg_tally_rows_capped(run->tally), "distinct", mpg_tally_distinct_capped(run->tally));
    if (!o) return -1;
    static const char *const names[] = {
        [MPG_DIM_CODE] = "by_code", [MPG_DIM_MODULE] = "by_module", [MPG_DIM_USER] = "by_user",
        [MPG_DIM_ENV_KIND] = "by_env_kind", [MPG_DIM_SOURCE] = "by_source", [MPG_DIM_DAY] = "by_day",
        [MPG_DIM_WEEK] = "by_week", [MPG_DIM_FIX] = "top_fixes", [MPG_DIM_ENV] = "by_env",
    };
    json_object_set_new(o, "total", t ? json_counts(t) : json_null());
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++)
        if (listed[i] != MPG_DIM_ENV || run->envs) json_object_set_new(o, names[listed[i]], json_rows(run, listed[i]));
    int rc = json_dumpf(o, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER) == 0 ? 0 : -1;
    fputc('\n', out);
    json_decref(o);
    return rc;
}

/* ---- CSV (RFC 4180) --------------------------------------------------------------------- */

static void csv_field(FILE *out, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_row(FILE *out, const struct mpg_tally_row *r)
{
    fputs(mpg_dim_name(r->dim), out);
    fputc(',', out);
    csv_field(out, r->key);
    fputc(',', out);
    csv_field(out, r->code);
    fprintf(out, ",%llu,%llu,%llu,%llu", (unsigned long long)r->n[MPG_TALLY_NOTE],
            (unsigned long long)r->n[MPG_TALLY_WARN], (unsigned long long)r->n[MPG_TALLY_BLOCK],
            (unsigned long long)r->total);
    if (r->distinct) fprintf(out, ",%llu,%llu\n", (unsigned long long)r->users, (unsigned long long)r->envs);
    else fputs(",,\n", out);
}

void mpg_logrun_print_csv(const struct mpg_logrun *run, FILE *out)
{
    fputs("dimension,key,code,note,warn,block,total,users,envs\n", out);
    if (mpg_tally_total(run->tally)) csv_row(out, mpg_tally_total(run->tally));
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++) {
        if (listed[i] == MPG_DIM_ENV && !run->envs) continue;
        size_t n, nc;
        struct mpg_tally_row **rows = mpg_tally_rows(run->tally, listed[i], NULL, &n);
        struct mpg_tally_row **codes = mpg_tally_rows(run->tally, listed[i], "*", &nc);
        for (size_t j = 0; j < n; j++) csv_row(out, rows[j]);
        for (size_t j = 0; j < nc; j++) csv_row(out, codes[j]);
        free(rows);
        free(codes);
    }
}
