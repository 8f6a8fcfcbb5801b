/* modules_hook.c: the Environment Modules integration's check (site/mpiguard.tcl.in), run
 * in-process through the Tcl extension (tclext/) or by `mpiguard module-hook` when the
 * extension cannot be loaded. It does what the Lmod hooks do through the Lua binding: the
 * effective site policy, the wrappers MPICC & co. are about to get, the check with those
 * values, exemptions, the policy's actions, one syslog line per shown finding; the result is
 * one Tcl dict, which Tcl reads without any package:
 *
 *   verdict ok|note|warn|block   after the site policy
 *   warn_fails 0|1               the policy's warn_fails
 *   exempt 0|1                   the user or env is exempt (nothing is shown or logged)
 *   message {...}                what to show the user on stderr, "" when nothing
 *   exports {MPICC /p/mpicc ...} the values to export (MPICC, MPI4PY_BUILD_MPICC, MPICXX,
 *                                MPIFC: those found), empty when export_mpicc = no
 *   logged N                     syslog lines sent
 *   changes {set MPICC /p/mpicc unset __MPIGUARD_USER_MPICC {} ...}
 *                                what makes the variables those values, in order: the plan of
 *                                src/export_sync.c, the Lmod hooks' (one marker, __MPIGUARD_SET)
 *   notices {...}                one-line messages about MPICC & co. to show the user
 *
 * mpg_modules_giveback_tcl's dict holds only changes and notices: MPICC & co. given back when
 * no MPI is loaded any more.
 *
 * The environment is the process's: the one the module command is about to give the shell
 * (Tcl keeps the C environment in step with its env array, and passes it to children). */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export_sync.h"
#include "modules_hook.h"
#include "mpi_module.h"
#include "mpiguard.h"
#include "policy.h"

/* The variables exported for the loaded MPI, and the wrapper each one names (in the order of
 * mpg_export_var, which the plan of MPICC & co. takes). */
enum { N_EXPORTS = 4 };
_Static_assert(N_EXPORTS == MPG_EXPORT_VARS, "the same variables as src/export_sync.c");
static const struct mpg_export exports[N_EXPORTS] = {
    {"MPICC", "mpicc"}, {"MPI4PY_BUILD_MPICC", "mpicc"}, {"MPICXX", "mpicxx"}, {"MPIFC", "mpifort"}};

/* The value for export i, or NULL: none found, or one that must not reach the shell. */
static const char *export_value(const struct mpg_wrappers *w, size_t i)
{
    const char *v = mpg_wrapper_path(w, exports[i].wrapper);
    return mpg_safe_for_shell_eval(v) ? v : NULL;
}

/* One Tcl list element: bare characters that need no quoting, a backslash before the others,
 * \n and \t for line breaks and tabs, \u00XX for other control characters. Bytes >= 0x80 are
 * written as they are (Tcl decodes them as it decodes the rest of the output). */
static void put_tcl_word(FILE *out, const char *s)
{
    if (!s || !*s) {
        fputs("{}", out);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n') fputs("\\n", out);
        else if (*p == '\t') fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\u%04x", *p);
        else if (*p >= 0x80 || strchr("/._-+=:,@%^~", *p) || (*p >= '0' && *p <= '9') ||
                 ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
            fputc(*p, out);
        else
            fprintf(out, "\\%c", *p);
    }
}

/* What the user sees, in the Lmod hooks' words: a broken policy, what could not be inspected
 * (unless the findings already say it), the findings, one closing line with codes and actions. */
static void write_message(FILE *out, const struct mpg_report *r, const char *policy_err, const char *module)
{
    if (policy_err) fprintf(out, "mpiguard: ignoring the site policy: %s (built-in defaults apply)\n", policy_err);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        mpg_report_text(r, f, false, false);
        fclose(f);
    }
    const char *sep = "mpiguard: could not inspect everything (results may be incomplete): ";
    for (size_t i = 0; i < r->n_problems; i++) {
        if (text && strstr(text, r->problems[i])) continue;
        char *shown = mpg_escape_for_display(r->problems[i]);
        fprintf(out, "%s%s", sep, shown ? shown : "");
        free(shown);
        sep = "; ";
    }
    if (sep[0] == ';') fputc('\n', out);
    if (text && len) {
        fputs(text, out);
        if (text[len - 1] != '\n') fputc('\n', out);
    }
    free(text);
    if (r->n_findings) {
        char *shown = mpg_escape_for_display(module ? module : "the loaded MPI");
        fprintf(out, "(mpiguard findings for %s: ", shown ? shown : "");
        free(shown);
        for (size_t i = 0; i < r->n_findings; i++)
            fprintf(out, "%s%s=%s", i ? ", " : "", r->findings[i].code, mpg_severity_name(r->findings[i].severity));
        fputs("; details: mpiguard check)\n", out);
    }
}

/* Whether var is named in ctx, the variables a modulefile set in this command (what Modules'
 * g_stateEnvVars says, passed by mpiguard_act.tcl; names separated by blanks or ':'): Spack's
 * MPI modules export MPICC themselves, and that value is the module's, not the user's own to
 * give back after unload. */
static bool named_in(void *ctx, const char *var, const char *cur)
{
    (void)cur;
    size_t n = strlen(var);
    for (const char *p = ctx; *p;) {
        p += strspn(p, " :");
        size_t len = strcspn(p, " :");
        if (len == n && strncmp(p, var, n) == 0) return true;
        p += len;
    }
    return false;
}

/* The changes that make MPICC & co. want[i] (NULL: given back), from the process environment,
 * and the notices about them, as the dict's last two keys. */
static void write_plan(FILE *out, const char *const want[MPG_EXPORT_VARS], const char *module,
                       const char *set_by_module)
{
    char *shown = mpg_escape_for_display(module ? module : "");
    struct mpg_export_plan p;
    mpg_export_plan_make(&p, (const char *const *)environ, want, shown ? shown : "",
                         set_by_module && *set_by_module ? named_in : NULL, (void *)set_by_module);
    free(shown);
    fputs("changes {", out);
    for (size_t i = 0; i < p.n_changes; i++) {
        fprintf(out, "%s%s %s ", i ? " " : "", p.changes[i].value ? "set" : "unset", p.changes[i].var);
        put_tcl_word(out, p.changes[i].value);
    }
    fputs("}\nnotices {", out);
    for (size_t i = 0; i < p.n_notices; i++) {
        if (i) fputc(' ', out);
        put_tcl_word(out, p.notices[i]);
    }
    fputs("}\n", out);
    mpg_export_plan_free(&p);
}

char *mpg_modules_giveback_tcl(const char *set_by_module)
{
    char *dict = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&dict, &len);
    if (!out) return NULL;
    write_plan(out, NULL, NULL, set_by_module);
    if (fclose(out) != 0) {
        free(dict);
        return NULL;
    }
    return dict;
}

char *mpg_modules_hook_tcl(const char *module, const char *source, const char *policy_file)
{
    return mpg_modules_hook_tcl_sync(module, source, policy_file, NULL);
}

char *mpg_modules_hook_tcl_sync(const char *module, const char *source, const char *policy_file,
                                const char *set_by_module)
{
    struct mpg_policy pol;
    char perr[512] = "";
    bool policy_broken = mpg_policy_load_effective(&pol, policy_file ? policy_file : MPIGUARD_POLICY_FILE,
                                                   NULL, perr, sizeof perr) < 0;
    struct mpg_wrappers w = {0};
    /* The wrappers and the check from one discovery of the module. */
    struct mpg_report *r = pol.export_mpicc ? mpg_check_exporting(NULL, exports, N_EXPORTS, &w) : mpg_check(NULL);
    bool exporting = w.mpicc != NULL;
    char *dict = NULL;
    size_t dict_len = 0;
    FILE *out = r ? open_memstream(&dict, &dict_len) : NULL;
    if (!out) {
        mpg_report_free(r);
        goto done;
    }
    /* The user's name only when needed: getpwuid() is an LDAP or NSS call at many sites. */
    const char *user = NULL;
    if (pol.n_exempt_users || (pol.log && r->n_findings)) {
        struct passwd *pw = getpwuid(geteuid());
        user = pw ? pw->pw_name : NULL;
    }
    bool exempt = mpg_policy_exempt(&pol, user, r->env.prefix);
    if (exempt) {
        pol.default_action = MPG_ACT_IGNORE;
        for (size_t i = 0; i < pol.n_rules; i++) pol.rules[i].action = MPG_ACT_IGNORE;
    }
    mpg_policy_apply(&pol, r);
    struct mpg_log_entry who = {.source = source ? source : "modules", .user = user, .module = module};
    int logged = pol.log && r->n_findings ? mpg_log_report(pol.log_socket, r, &who) : 0;

    fprintf(out, "verdict %s\nwarn_fails %d\nexempt %d\nmessage ", mpg_severity_name(r->verdict), pol.warn_fails, exempt);
    char *msg = NULL;
    size_t msg_len = 0;
    FILE *m = open_memstream(&msg, &msg_len);
    if (m) {
        write_message(m, r, policy_broken ? perr : NULL, module);
        fclose(m);
    }
    put_tcl_word(out, msg);
    free(msg);
    fputs("\nexports {", out);
    const char *want[MPG_EXPORT_VARS] = {0};
    for (size_t e = 0; exporting && e < N_EXPORTS; e++) {
        if (!(want[e] = export_value(&w, e))) continue;
        fprintf(out, "%s%s ", e ? " " : "", exports[e].var);
        put_tcl_word(out, want[e]);
    }
    fprintf(out, "}\nlogged %d\n", logged);
    write_plan(out, want, module, set_by_module);
    if (fclose(out) != 0) {
        free(dict);
        dict = NULL;
    }
    mpg_report_free(r);
done:
    mpg_wrappers_clear(&w);
    mpg_policy_free(&pol);
    return dict;
}
