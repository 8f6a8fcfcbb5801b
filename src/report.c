/* report.c: the report's life cycle and its two renderings: JSON (schema mpiguard.check/1, built
 * with jansson so escaping is never hand-rolled) and plain text for people. */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conda_meta.h"
#include "extensions.h"
#include "findings.h"
#include "mpi_module.h"
#include "mpiguard.h"
#include "pyenv.h"
#include "util.h"

const char *mpg_severity_name(enum mpg_severity s)
{
    switch (s) {
    case MPG_SEV_NOTE: return "note";
    case MPG_SEV_WARN: return "warn";
    case MPG_SEV_BLOCK: return "block";
    default: return "ok";
    }
}

const char *mpg_env_kind_name(enum mpg_env_kind k)
{
    switch (k) {
    case MPG_ENV_CONDA: return "conda";
    case MPG_ENV_VENV: return "venv";
    default: return "none";
    }
}

void mpg_report_update_verdict(struct mpg_report *r)
{
    r->verdict = MPG_SEV_OK;
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].severity > r->verdict) r->verdict = r->findings[i].severity;
}

void mpg_report_free(struct mpg_report *r)
{
    if (!r) return;
    mpg_env_clear(&r->env);
    mpg_module_clear(&r->module);
    for (size_t i = 0; i < r->n_packages; i++) mpg_package_clear(&r->packages[i]);
    free(r->packages);
    for (size_t i = 0; i < r->n_conda_mpi; i++) mpg_conda_mpi_clear(&r->conda_mpi[i]);
    free(r->conda_mpi);
    for (size_t i = 0; i < r->n_findings; i++) mpg_finding_clear(&r->findings[i]);
    free(r->findings);
    for (size_t i = 0; i < r->n_problems; i++) free(r->problems[i]);
    free(r->problems);
    free(r);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *mpi_json(const struct mpg_mpi *m)
{
    if (!m->path) return json_null();
    return json_pack("{s:o, s:o, s:s, s:o, s:o, s:o}", "path", jstr(m->path), "soname", jstr(m->soname), "abi",
                     mpg_abi_name(m->abi), "impl", jstr(m->impl), "version", jstr(m->version), "device", jstr(m->device));
}

static json_t *env_json(const struct mpg_env *e)
{
    json_t *sp = json_array();
    for (size_t i = 0; i < e->n_sys_path; i++) json_array_append_new(sp, json_string(e->sys_path[i]));
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o}", "kind", mpg_env_kind_name(e->kind), "prefix",
                     jstr(e->prefix), "name", jstr(e->name), "found_by", jstr(e->found_by), "flavor", jstr(e->flavor),
                     "python_version", jstr(e->python_version), "base_prefix", jstr(e->base_prefix),
                     "system_site_packages", e->system_site_packages, "sys_path", sp);
}

static json_t *module_json(const struct mpg_module *m)
{
    return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "loaded", m->loaded, "name",
                     jstr(m->name), "version", jstr(m->version), "found_by", jstr(m->found_by), "home", jstr(m->home),
                     "home_var", jstr(m->home_var), "mpicc",
                     jstr(m->mpicc), "mpicxx", jstr(m->mpicxx), "mpifort", jstr(m->mpifort), "mpiexec", jstr(m->mpiexec),
                     "libdir", jstr(m->libdir), "mpi", mpi_json(&m->mpi));
}

static json_t *package_json(const struct mpg_package *p)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name",
                     jstr(p->name), "version", jstr(p->version), "installer", jstr(p->installer), "site_dir",
                     jstr(p->site_dir), "extension", jstr(p->extension), "needed", jstr(p->needed), "rpath",
                     jstr(p->rpath), "runpath", jstr(p->runpath), "resolved", jstr(p->resolved), "resolved_via",
                     jstr(p->resolved_via), "import_error", jstr(p->import_error), "mpi4py_library",
                     jstr(p->mpi4py_library), "mpicc_cfg", jstr(p->mpicc_cfg), "mpi", mpi_json(&p->mpi));
}

char *mpg_report_json(const struct mpg_report *r)
{
    json_t *pkgs = json_array(), *conda = json_array(), *finds = json_array(), *probs = json_array();
    for (size_t i = 0; i < r->n_packages; i++) json_array_append_new(pkgs, package_json(&r->packages[i]));
    for (size_t i = 0; i < r->n_conda_mpi; i++) {
        const struct mpg_conda_mpi *c = &r->conda_mpi[i];
        json_array_append_new(conda, json_pack("{s:o, s:o, s:o, s:o, s:s, s:o}", "name", jstr(c->name), "version",
                                               jstr(c->version), "build", jstr(c->build), "channel", jstr(c->channel),
                                               "kind", strcmp(c->name, "mpi") == 0 ? "metapackage"
                                                       : c->external ? "external" : "bundled",
                                               "libmpi", jstr(c->libmpi)));
    }
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct mpg_finding *f = &r->findings[i];
        json_array_append_new(finds, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "code", f->code, "severity",
                                               mpg_severity_name(f->severity), "message", jstr(f->message), "fix",
                                               jstr(f->fix), "package", jstr(f->package), "path", jstr(f->path)));
    }
    for (size_t i = 0; i < r->n_problems; i++) json_array_append_new(probs, json_string(r->problems[i]));
    json_t *root = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o}", "schema", MPG_CHECK_SCHEMA, "verdict",
                             mpg_severity_name(r->verdict), "inspected", r->inspected, "env", env_json(&r->env),
                             "module_mpi", module_json(&r->module), "packages", pkgs, "conda_mpi", conda, "findings",
                             finds, "problems", probs);
    if (!root) return NULL;
    char *out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return out;
}

/* ---- text ---------------------------------------------------------------------------------- */

static void print_lines(FILE *out, const char *first_prefix, const char *prefix, const char *text)
{
    const char *p = first_prefix;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        int n = end ? (int)(end - line) : (int)strlen(line);
        fprintf(out, "%s%.*s\n", p, n, line);
        p = prefix;
        line = end ? end + 1 : NULL;
    }
}

/* fprintf with every %s argument escaped for display (the report's strings are the user's
 * names and paths): the format holds only %s. */
static void shown_printf(FILE *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            const char *arg = va_arg(ap, const char *);
            char *shown = mpg_escape_for_display(arg ? arg : "(null)");
            fputs(shown, out);
            free(shown);
            p++;
        } else {
            fputc(*p, out);
        }
    }
    va_end(ap);
}

void mpg_report_text(const struct mpg_report *r, FILE *out, bool colour, bool verbose)
{
    const char *bold = colour ? "\033[1m" : "", *off = colour ? "\033[0m" : "";
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct mpg_finding *f = &r->findings[i];
        const char *col = !colour ? "" : f->severity >= MPG_SEV_WARN ? "\033[1;31m" : "\033[1;33m";
        fprintf(out, "mpiguard: %s%s%s %s%s%s\n", col, mpg_severity_name(f->severity), off, bold, f->code, off);
        print_lines(out, "  ", "  ", f->message);
        print_lines(out, "  fix: ", "   or: ", f->fix);
    }
    if (!verbose) return;
    if (!r->n_findings) fprintf(out, "mpiguard: ok: nothing to report\n");
    shown_printf(out, "env: %s%s%s%s%s%s\n", mpg_env_kind_name(r->env.kind), r->env.prefix ? " " : "",
                 r->env.prefix ? r->env.prefix : "", r->env.found_by ? " (found by " : "",
                 r->env.found_by ? r->env.found_by : "", r->env.found_by ? ")" : "");
    if (r->module.loaded)
        shown_printf(out, "MPI module: %s%s%s, library %s (%s %s)\n", r->module.name ? r->module.name : "?",
                     r->module.version ? "/" : "", r->module.version ? r->module.version : "",
                     r->module.mpi.path ? r->module.mpi.path : "not found", r->module.mpi.impl ? r->module.mpi.impl : "",
                     r->module.mpi.version ? r->module.mpi.version : "");
    else
        fprintf(out, "MPI module: none loaded\n");
    for (size_t i = 0; i < r->n_packages; i++) {
        const struct mpg_package *p = &r->packages[i];
        shown_printf(out, "package: %s %s (%s) needs %s -> %s%s%s%s\n", p->name, p->version ? p->version : "",
                     p->installer ? p->installer : "installer unknown", p->needed ? p->needed : "?",
                     p->resolved ? p->resolved : "NOT FOUND", p->resolved_via ? " [" : "",
                     p->resolved_via ? p->resolved_via : "", p->resolved_via ? "]" : "");
        if (p->import_error) shown_printf(out, "  import fails: %s\n", p->import_error);
    }
    for (size_t i = 0; i < r->n_problems; i++) fprintf(out, "skipped: %s\n", r->problems[i]);
}
