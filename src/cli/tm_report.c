/* tm_report.c: the two outputs of `mpiguard test-mpi`: the table with its verdict for people
 * (every name, path and word that came from the user's env or its programs escaped), and one
 * JSON object (schema mpiguard.probe/1, see cli/test_mpi.c) for tools. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/tm_state.h"

/* s into buf, escaped for display (the user's names, paths, their programs' words). */
static const char *tm_shown(char *buf, size_t len, const char *s)
{
    char *e = mpg_escape_for_display(s ? s : "");
    snprintf(buf, len, "%s", e);
    free(e);
    return buf;
}

/* The column labels: the module's name, the env's kind and name (or its python). */
void tm_labels(struct tm_state *s)
{
    const struct mpg_module *m = &s->report->module;
    char raw[sizeof s->module_label];
    if (m->name && m->version)
        snprintf(raw, sizeof raw, "%s/%s", m->name, m->version);
    else if (m->name)
        snprintf(raw, sizeof raw, "%s", m->name);
    else if (s->libmpi) {
        const char *b = strrchr(s->libmpi, '/');
        snprintf(raw, sizeof raw, "%s", b ? b + 1 : s->libmpi);
    } else
        snprintf(raw, sizeof raw, "(none)");
    tm_shown(s->module_label, sizeof s->module_label, raw);
    const struct mpg_env *e = &s->report->env;
    if (e->kind != MPG_ENV_NONE)
        snprintf(raw, sizeof raw, "%s \"%s\"", mpg_env_kind_name(e->kind),
                 e->name ? e->name : e->prefix ? e->prefix : "?");
    else if (s->python)
        snprintf(raw, sizeof raw, "\"%s\"", s->python);
    else
        snprintf(raw, sizeof raw, "no env");
    tm_shown(s->env_label, sizeof s->env_label, raw);
}

static const char *tm_cell(char *buf, size_t len, const struct probe_leg *l, size_t size)
{
    if (!strcmp(l->state, "zero_of_one"))
        return "0 of 1";
    double v = probe_leg_mbps(l, size);
    if (v < 0)
        return "-";
    snprintf(buf, len, "%.1f", v);
    return buf;
}

/* The table's sizes: the ones asked for and any a leg measured, ascending, each once. out
 * holds 4 * PROBE_MAX_SIZES. */
static size_t tm_table_sizes(const struct tm_state *s, size_t *out)
{
    size_t n = 0;
    const struct probe_leg *legs[3] = {&s->res.verbs, &s->res.mpi, &s->res.mpi4py};
    for (size_t i = 0; i < s->n_sizes; i++)
        out[n++] = s->sizes[i];
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < legs[k]->n; i++)
            out[n++] = legs[k]->sizes[i];
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
            size_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || out[u - 1] != out[i])
            out[u++] = out[i];
    return u;
}

void tm_print_text(const struct tm_state *s)
{
    char env_col[520], mpi_col[520], h0[1100], h1[1100], buf[8192];
    snprintf(mpi_col, sizeof mpi_col, "MPI %s [MB/s]", s->module_label);
    snprintf(env_col, sizeof env_col, "mpi4py in %s [MB/s]", s->env_label);
    printf("# mpiguard test-mpi: 2 ranks, %s <-> %s (%s%s), module %s, %s\n",
           s->res.host0[0] ? tm_shown(h0, sizeof h0, s->res.host0) : "(no rank",
           s->res.host1[0] ? tm_shown(h1, sizeof h1, s->res.host1) : "met)",
           s->srun ? "srun" : "mpiexec", s->intra_node ? ", intra-node only" : "",
           s->module_label, s->env_label);
    int w2 = 18, w3 = (int)strlen(mpi_col) + 2, w4 = (int)strlen(env_col) + 2;
    printf("# %-10s %*s %*s %*s\n", "Size [B]", w2, "RDMA write [MB/s]", w3, mpi_col, w4,
           env_col);
    size_t all[3 * PROBE_MAX_SIZES + PROBE_MAX_SIZES];
    size_t n = tm_table_sizes(s, all);
    const struct probe_leg *legs[3] = {&s->res.verbs, &s->res.mpi, &s->res.mpi4py};
    for (size_t i = 0; i < n; i++) {
        char b1[32], b2[32], b3[32];
        printf("%-12zu %*s %*s %*s\n", all[i], w2, tm_cell(b1, sizeof b1, legs[0], all[i]), w3,
               tm_cell(b2, sizeof b2, legs[1], all[i]), w4,
               tm_cell(b3, sizeof b3, legs[2], all[i]));
    }
    char l1[32] = "-", l2[32] = "-", l3[32] = "-";
    if (legs[0]->lat_us > 0)
        snprintf(l1, sizeof l1, "%.2f", legs[0]->lat_us);
    if (legs[1]->lat_us > 0)
        snprintf(l2, sizeof l2, "%.2f", legs[1]->lat_us);
    if (legs[2]->lat_us > 0)
        snprintf(l3, sizeof l3, "%.2f", legs[2]->lat_us);
    printf("# latency [us] %*s %*s %*s\n", w2 - 2, l1, w3, l2, w4, l3);
    static const char *const names[3] = {"RDMA write", "MPI", "mpi4py"};
    for (size_t k = 0; k < 3; k++)
        if (legs[k]->state[0] && strcmp(legs[k]->state, "ok"))
            printf("# %s: %s: %s\n", names[k],
                   !strcmp(legs[k]->state, "zero_of_one") ? "0 of 1" : tm_shown(h0, sizeof h0, legs[k]->state),
                   tm_shown(buf, sizeof buf, legs[k]->reason));
        else if (legs[k]->reason[0])
            printf("# %s: %s\n", names[k], tm_shown(buf, sizeof buf, legs[k]->reason));
    if (s->res.mpi4py_library[0])
        printf("# mpi4py loaded %s\n", tm_shown(buf, sizeof buf, s->res.mpi4py_library));
    if (s->runs > 1)
        printf("# sizes >= 64 KiB: best of %d launches of each leg (the first looked slow)\n",
               s->runs);
    if (s->mpi_vs_verbs >= 0)
        printf("# MPI reaches %.0f%% of RDMA write at >= 64 KiB\n", 100 * s->mpi_vs_verbs);
    printf("verdict: %s: %s\n", s->verdict, tm_shown(buf, sizeof buf, s->verdict_msg));
    if (s->cause) {
        printf("cause: %s: %s\n", s->cause->code, s->cause->message ? s->cause->message : "");
        if (s->cause->fix) {
            const char *p = s->cause->fix;
            const char *label = "fix: ";
            while (*p) {
                const char *nl = strchr(p, '\n');
                int len = nl ? (int)(nl - p) : (int)strlen(p);
                printf("%s%.*s\n", label, len, p);
                label = "     ";
                p = nl ? nl + 1 : p + len;
            }
        }
        for (size_t i = 0; i < s->report->n_findings; i++) {
            const struct mpg_finding *f = &s->report->findings[i];
            if (f != s->cause && f->severity >= MPG_SEV_WARN)
                printf("also: %s: %s\n", f->code, f->message ? f->message : "");
        }
    }
    if (s->note[0])
        printf("note: %s\n", tm_shown(buf, sizeof buf, s->note));
}

static json_t *tm_json_str(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *tm_json_leg(const struct probe_leg *l, bool asked)
{
    json_t *o = json_object();
    const char *state = !asked ? "skipped" : l->state[0] ? l->state : "failed";
    json_object_set_new(o, "status", json_string(state));
    json_object_set_new(o, "reason", tm_json_str(!asked ? "not asked for (--legs)" : l->reason));
    json_t *rows = json_array();
    for (size_t i = 0; i < l->n; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "size", json_integer((json_int_t)l->sizes[i]));
        json_object_set_new(r, "mb_per_s", json_real(l->mbps[i]));
        json_object_set_new(r, "iterations", json_integer(l->iters[i]));
        json_array_append_new(rows, r);
    }
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "latency_us", l->lat_us > 0 ? json_real(l->lat_us) : json_null());
    return o;
}

static json_t *tm_json_finding(const struct mpg_finding *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", tm_json_str(f->code));
    json_object_set_new(o, "severity", json_string(mpg_severity_name(f->severity)));
    json_object_set_new(o, "message", tm_json_str(f->message));
    json_object_set_new(o, "fix", tm_json_str(f->fix));
    json_object_set_new(o, "package", tm_json_str(f->package));
    json_object_set_new(o, "path", tm_json_str(f->path));
    return o;
}

int tm_print_json(const struct tm_state *s)
{
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_string("mpiguard.probe/1"));
    json_t *launch = json_object();
    json_object_set_new(launch, "launcher", tm_json_str(s->launcher));
    json_object_set_new(launch, "how", json_string(s->srun ? "srun" : "mpiexec"));
    json_object_set_new(launch, "ranks", json_integer(2));
    json_object_set_new(launch, "intra_node", json_boolean(s->intra_node));
    json_t *hosts = json_array();
    json_array_append_new(hosts, tm_json_str(s->res.host0));
    json_array_append_new(hosts, tm_json_str(s->res.host1));
    json_object_set_new(launch, "hosts", hosts);
    json_object_set_new(root, "launch", launch);

    const struct mpg_module *m = &s->report->module;
    json_t *mod = json_object();
    json_object_set_new(mod, "name", tm_json_str(m->name));
    json_object_set_new(mod, "version", tm_json_str(m->version));
    json_object_set_new(mod, "label", tm_json_str(s->module_label));
    json_object_set_new(mod, "libmpi", tm_json_str(s->libmpi));
    json_object_set_new(mod, "abi", tm_json_str(s->res.abi));
    json_object_set_new(mod, "mpi_version", tm_json_str(s->res.mpi_version));
    json_object_set_new(root, "module", mod);

    const struct mpg_env *e = &s->report->env;
    json_t *env = json_object();
    json_object_set_new(env, "kind", json_string(mpg_env_kind_name(e->kind)));
    json_object_set_new(env, "name", tm_json_str(e->name));
    json_object_set_new(env, "prefix", tm_json_str(e->prefix));
    json_object_set_new(env, "python", tm_json_str(s->python));
    json_object_set_new(env, "mpi4py_library", tm_json_str(s->res.mpi4py_library));
    json_object_set_new(root, "env", env);

    json_t *legs = json_object();
    json_t *verbs = tm_json_leg(&s->res.verbs, s->o.leg_verbs);
    json_object_set_new(verbs, "device", tm_json_str(s->res.verbs_device));
    json_object_set_new(legs, "verbs", verbs);
    json_object_set_new(legs, "mpi", tm_json_leg(&s->res.mpi, s->o.leg_mpi));
    json_object_set_new(legs, "mpi4py", tm_json_leg(&s->res.mpi4py, s->o.leg_mpi4py));
    json_object_set_new(root, "legs", legs);

    /* the table as printed: one row a size, a column a leg (null: not measured) */
    json_t *rows = json_array();
    const struct probe_leg *cols[3] = {&s->res.verbs, &s->res.mpi, &s->res.mpi4py};
    static const char *const col_names[3] = {"verbs", "mpi", "mpi4py"};
    size_t sizes[3 * PROBE_MAX_SIZES + PROBE_MAX_SIZES];
    size_t ns = tm_table_sizes(s, sizes);
    for (size_t i = 0; i < ns; i++) {
        json_t *r = json_object();
        json_object_set_new(r, "size", json_integer((json_int_t)sizes[i]));
        for (size_t k = 0; k < 3; k++) {
            double mbps = probe_leg_mbps(cols[k], sizes[i]);
            json_object_set_new(r, col_names[k], mbps >= 0 ? json_real(mbps) : json_null());
        }
        json_array_append_new(rows, r);
    }
    json_object_set_new(root, "rows", rows);

    json_t *v = json_object();
    json_object_set_new(v, "status", json_string(s->verdict));
    json_object_set_new(v, "message", json_string(s->verdict_msg));
    json_object_set_new(v, "env_vs_mpi", s->env_vs_mpi >= 0 ? json_real(s->env_vs_mpi) : json_null());
    json_object_set_new(v, "mpi_vs_verbs",
                        s->mpi_vs_verbs >= 0 ? json_real(s->mpi_vs_verbs) : json_null());
    json_object_set_new(v, "min_size", json_integer(PROBE_VERDICT_MIN_SIZE));
    json_object_set_new(v, "runs", json_integer(s->runs));
    json_object_set_new(v, "cause", s->cause ? tm_json_str(s->cause->code) : json_null());
    json_object_set_new(v, "fix", s->cause ? tm_json_str(s->cause->fix) : json_null());
    json_object_set_new(v, "note", tm_json_str(s->note));
    json_object_set_new(v, "exit", json_integer(s->exit_code));
    json_object_set_new(root, "verdict", v);

    json_t *findings = json_array();
    for (size_t i = 0; i < s->report->n_findings; i++)
        json_array_append_new(findings, tm_json_finding(&s->report->findings[i]));
    json_object_set_new(root, "findings", findings);

    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (!text)
        return -1;
    printf("%s\n", text);
    free(text);
    return 0;
}
