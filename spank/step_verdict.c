/* step_verdict.c: see step_verdict.h. */
#include "step_verdict.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PROBLEMS_SHOWN 3

static void log_findings(const struct mpg_core *core, const struct mpg_policy *p, const struct mpg_report *r,
                         const struct mpg_step *s)
{
    if (!p->log || !core->log_send) return;
    char module[512];
    if (r->module.loaded)
        snprintf(module, sizeof module, "%s%s%s", r->module.name ? r->module.name : "?",
                 r->module.version ? "/" : "", r->module.version ? r->module.version : "");
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct mpg_finding *f = &r->findings[i];
        struct mpg_log_entry e = {
            .code = f->code,
            .action = core->severity_name(f->severity),
            .source = "slurm",
            .user = s->user,
            .module = r->module.loaded ? module : NULL,
            .env_kind = core->env_kind_name(r->env.kind),
            .env_name = r->env.name,
            .prefix = r->env.prefix,
            .job = s->job,
            .step = s->step,
            .node = s->node,
            .fix = f->fix, /* the formatter keeps its first line */
        };
        core->log_send(p->log_socket, &e);
    }
}

static void render(const struct mpg_core *core, const struct mpg_report *r, const struct mpg_step *s, FILE *out,
                   const char *codes)
{
    core->report_text(r, out, false, false);
    if (r->n_findings)
        fprintf(out, "(mpiguard findings for job %s step %s: %s; details: mpiguard check)\n", s->job, s->step,
                codes);
    size_t shown = s->verbose || r->n_problems < MAX_PROBLEMS_SHOWN ? r->n_problems : MAX_PROBLEMS_SHOWN;
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "mpiguard: note: step %s.%s: not fully inspected: %s\n", s->job, s->step, r->problems[i]);
    if (shown < r->n_problems)
        fprintf(out, "mpiguard: note: ... and %zu more (srun --mpiguard=verbose shows them)\n",
                r->n_problems - shown);
}

/* The policy for this step: the site's, and the user's own on top where the site allows it.
 * Parsed afresh from the site's text (slurmstepd read it as root at start-up) so that a
 * user's additions never outlive their step. Returns the policy to use; *own is then to be
 * freed when used. */
static const struct mpg_policy *effective(const struct mpg_core *core, const struct mpg_site_policy *site,
                                          const struct mpg_step_report *sr, struct mpg_policy *own, bool *used_own,
                                          char *note, size_t notelen)
{
    *used_own = false;
    note[0] = '\0';
    if (!site->policy.user_override) return &site->policy;
    if (sr->user_policy_error) {
        snprintf(note, notelen, "%s", sr->user_policy_error);
        return &site->policy;
    }
    if (!sr->user_policy || !site->text) return &site->policy;
    char err[600];
    if (core->policy_parse(own, site->text, site->len, site->path, err, sizeof err) != 0) {
        core->policy_free(own);
        return &site->policy;
    }
    const char *name = sr->user_policy_name ? sr->user_policy_name : "your policy";
    if (core->policy_merge_user_text(own, sr->user_policy, sr->user_policy_len, name, err, sizeof err) != 0) {
        snprintf(note, notelen, "%s", err);
        core->policy_free(own);
        return &site->policy;
    }
    *used_own = true;
    return own;
}

void mpg_step_decide(const struct mpg_core *core, const struct mpg_site_policy *site, const struct mpg_step *s,
                     struct mpg_step_report *sr, struct mpg_step_result *out)
{
    struct mpg_report *r = &sr->report;
    struct mpg_policy own;
    bool used_own;
    char note[700];
    const struct mpg_policy *p = effective(core, site, sr, &own, &used_own, note, sizeof note);
    out->verdict = MPG_SEV_OK;
    if (!core->policy_exempt(p, s->user, r->env.prefix)) {
        core->policy_apply(p, r);
        out->verdict = r->verdict;
        char *codes = NULL, *text = NULL;
        size_t codes_len = 0, text_len = 0;
        FILE *c = open_memstream(&codes, &codes_len);
        if (c) {
            for (size_t i = 0; i < r->n_findings; i++)
                fprintf(c, "%s%s=%s", i ? "," : "", r->findings[i].code, core->severity_name(r->findings[i].severity));
            fclose(c);
        }
        if (codes && !codes[0]) {
            free(codes);
            codes = NULL;
        }
        if (s->first_node) {
            FILE *t = open_memstream(&text, &text_len);
            if (t) {
                if (note[0]) fprintf(t, "mpiguard: note: your own policy is not used: %s\n", note);
                render(core, r, s, t, codes ? codes : "");
                fclose(t);
            }
            if (text && !text[0]) {
                free(text);
                text = NULL;
            }
            log_findings(core, p, r, s);
        }
        out->codes = codes;
        out->text = text;
    }
    if (used_own) core->policy_free(&own);
}
