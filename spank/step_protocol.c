/* step_protocol.c: see step_protocol.h. */
#include "step_protocol.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TAG 32
#define MAX_CODE 64

/* ---- the checker's side ----------------------------------------------------------------------- */

static void record(FILE *out, const char *tag, const char *value, size_t len)
{
    fprintf(out, "%s %zu\n", tag, len);
    fwrite(value, 1, len, out);
    fputc('\n', out);
}

static void record_str(FILE *out, const char *tag, const char *value)
{
    if (value) record(out, tag, value, strlen(value));
}

void mpg_step_report_write(FILE *out, const struct mpg_report *r, const char *user_policy, size_t user_policy_len,
                           const char *user_policy_name, const char *user_policy_error)
{
    static const char *const kinds[] = {"none", "conda", "venv"};
    static const char *const severities[] = {"ok", "note", "warn", "block"};
    fputs(MPG_STEP_REPORT_MAGIC, out);
    if ((unsigned)r->env.kind < 3) record_str(out, "env_kind", kinds[r->env.kind]);
    record_str(out, "env_name", r->env.name);
    record_str(out, "prefix", r->env.prefix);
    if (r->module.loaded) {
        record_str(out, "module_name", r->module.name ? r->module.name : "?");
        record_str(out, "module_version", r->module.version);
    }
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct mpg_finding *f = &r->findings[i];
        record_str(out, "finding", f->code);
        if ((unsigned)f->severity < 4) record_str(out, "severity", severities[f->severity]);
        record_str(out, "message", f->message);
        record_str(out, "fix", f->fix);
    }
    for (size_t i = 0; i < r->n_problems; i++) record_str(out, "problem", r->problems[i]);
    record_str(out, "user_policy_name", user_policy_name);
    if (user_policy) record(out, "user_policy", user_policy, user_policy_len);
    record_str(out, "user_policy_error", user_policy_error);
    record(out, "end", "", 0);
}

/* ---- the plugin's side ------------------------------------------------------------------------ */

static bool is_code(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_CODE) return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
    return true;
}

static bool grow(void **array, size_t n, size_t size)
{
    void *p = realloc(*array, (n + 1) * size);
    if (!p) return false;
    *array = p;
    memset((char *)p + n * size, 0, size);
    return true;
}

/* Sets *slot to value unless it is set already (a record given twice is malformed). */
static bool set_once(char **slot, char *value)
{
    if (*slot) return false;
    *slot = value;
    return true;
}

bool mpg_step_report_parse(const char *buf, size_t len, struct mpg_step_report *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct mpg_report *r = &out->report;
    size_t magic = strlen(MPG_STEP_REPORT_MAGIC);
    if (len < magic || memcmp(buf, MPG_STEP_REPORT_MAGIC, magic) != 0) {
        snprintf(err, errlen, "no report");
        return false;
    }
    const char *why = NULL;
    bool done = false;
    struct mpg_finding *cur = NULL;
    for (size_t pos = magic; !why && !done;) {
        const char *head = buf + pos, *nl = memchr(head, '\n', len - pos);
        char tag[MAX_TAG];
        size_t n;
        int taglen = 0;
        if (pos >= len) why = "the report is cut short";
        else if (!nl || sscanf(head, "%31[a-z_] %zu%n", tag, &n, &taglen) != 2 || head + taglen != nl)
            why = "a malformed record";
        else if (n > (size_t)(buf + len - (nl + 1)) || (size_t)(buf + len - (nl + 1)) - n < 1 || nl[1 + n] != '\n')
            why = "a record is cut short";
        if (why) break;
        pos = (size_t)(nl + 1 - buf) + n + 1;
        if (strcmp(tag, "end") == 0) {
            done = true;
            if (pos != len) why = "data after the end of the report";
            break;
        }
        char *v = strndup(nl + 1, n);
        if (!v) {
            why = "out of memory";
            break;
        }
        bool ok = true;
        if (strcmp(tag, "env_kind") == 0) {
            r->env.kind = strcmp(v, "conda") == 0 ? MPG_ENV_CONDA : strcmp(v, "venv") == 0 ? MPG_ENV_VENV : MPG_ENV_NONE;
            free(v);
        } else if (strcmp(tag, "env_name") == 0) ok = set_once(&r->env.name, v);
        else if (strcmp(tag, "prefix") == 0) ok = set_once(&r->env.prefix, v);
        else if (strcmp(tag, "module_name") == 0) {
            ok = set_once(&r->module.name, v);
            r->module.loaded = true;
        }
        else if (strcmp(tag, "module_version") == 0) ok = set_once(&r->module.version, v);
        else if (strcmp(tag, "finding") == 0) {
            bool code_ok = is_code(v);
            if (!code_ok || !grow((void **)&out->codes, out->n_codes, sizeof *out->codes) ||
                !grow((void **)&r->findings, r->n_findings, sizeof *r->findings)) {
                free(v);
                why = code_ok ? "out of memory" : "a finding code that is not one";
                break;
            }
            out->codes[out->n_codes++] = v;
            cur = &r->findings[r->n_findings++];
            cur->code = v;
            cur->severity = MPG_SEV_NOTE;
        } else if (strcmp(tag, "severity") == 0 && cur) {
            cur->severity = strcmp(v, "block") == 0 ? MPG_SEV_BLOCK : strcmp(v, "warn") == 0 ? MPG_SEV_WARN : MPG_SEV_NOTE;
            free(v);
        } else if (strcmp(tag, "message") == 0 && cur) ok = set_once(&cur->message, v);
        else if (strcmp(tag, "fix") == 0 && cur) ok = set_once(&cur->fix, v);
        else if (strcmp(tag, "problem") == 0) {
            if (!grow((void **)&r->problems, r->n_problems, sizeof *r->problems)) {
                free(v);
                why = "out of memory";
                break;
            }
            r->problems[r->n_problems++] = v;
        } else if (strcmp(tag, "user_policy") == 0) {
            ok = set_once(&out->user_policy, v);
            out->user_policy_len = strlen(v); /* a NUL in a policy ends it */
        } else if (strcmp(tag, "user_policy_name") == 0) ok = set_once(&out->user_policy_name, v);
        else if (strcmp(tag, "user_policy_error") == 0) ok = set_once(&out->user_policy_error, v);
        else free(v); /* a newer checker may say more */
        if (!ok) {
            free(v);
            why = "a record given twice";
        }
    }
    if (!why && !done) why = "the report is cut short";
    if (why) {
        snprintf(err, errlen, "%s", why);
        mpg_step_report_free(out);
        return false;
    }
    r->inspected = true;
    r->verdict = MPG_SEV_OK;
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].severity > r->verdict) r->verdict = r->findings[i].severity;
    return true;
}

void mpg_step_report_free(struct mpg_step_report *sr)
{
    struct mpg_report *r = &sr->report;
    for (size_t i = 0; i < r->n_findings; i++) {
        free(r->findings[i].message);
        free(r->findings[i].fix);
        free(r->findings[i].package);
        free(r->findings[i].path);
    }
    free(r->findings);
    for (size_t i = 0; i < sr->n_codes; i++) free(sr->codes[i]);
    free(sr->codes);
    for (size_t i = 0; i < r->n_problems; i++) free(r->problems[i]);
    free(r->problems);
    free(r->env.name);
    free(r->env.prefix);
    free(r->module.name);
    free(r->module.version);
    free(sr->user_policy);
    free(sr->user_policy_name);
    free(sr->user_policy_error);
    memset(sr, 0, sizeof *sr);
}
