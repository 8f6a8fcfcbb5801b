/* export_sync.c: what the Lmod hooks set and unset to keep MPICC & co. on the loaded MPI's
 * wrappers (export_sync.h). */
#include "export_sync.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *const mpg_export_var[MPG_EXPORT_VARS] = {"MPICC", "MPI4PY_BUILD_MPICC", "MPICXX", "MPIFC"};

#define MARKER "__MPIGUARD_SET"
/* Per variable: the user's own value mpiguard replaced, and earlier mpiguard's marker. */
static const char *const saved_name[MPG_EXPORT_VARS] = {
    "__MPIGUARD_USER_MPICC", "__MPIGUARD_USER_MPI4PY_BUILD_MPICC", "__MPIGUARD_USER_MPICXX",
    "__MPIGUARD_USER_MPIFC"};
static const char *const old_name[MPG_EXPORT_VARS] = {
    MARKER "_MPICC", MARKER "_MPI4PY_BUILD_MPICC", MARKER "_MPICXX", MARKER "_MPIFC"};

/* The values of the variables this file reads, from one pass over the environment (it holds
 * a hundred variables or more; a scan per name cost an MPI load ~35 k instructions). */
struct vars {
    const char *cur[MPG_EXPORT_VARS], *saved[MPG_EXPORT_VARS], *old[MPG_EXPORT_VARS], *marker;
};

static const char *value_of(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=' ? entry + n + 1 : NULL;
}

static void read_vars(const char *const *env, struct vars *v)
{
    memset(v, 0, sizeof *v);
    for (; env && *env; env++) {
        const char *e = *env, *x;
        if (e[0] == 'M' && e[1] == 'P' && e[2] == 'I') {
            for (int i = 0; i < MPG_EXPORT_VARS; i++)
                if (!v->cur[i] && (x = value_of(e, mpg_export_var[i]))) v->cur[i] = x;
        } else if (strncmp(e, MARKER, sizeof MARKER - 1) == 0) {
            if (!v->marker && (x = value_of(e, MARKER))) v->marker = x;
            for (int i = 0; i < MPG_EXPORT_VARS; i++)
                if (!v->old[i] && (x = value_of(e, old_name[i]))) v->old[i] = x;
        } else if (strncmp(e, "__MPIGUARD_USER_", 16) == 0) {
            for (int i = 0; i < MPG_EXPORT_VARS; i++)
                if (!v->saved[i] && (x = value_of(e, saved_name[i]))) v->saved[i] = x;
        }
    }
}

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* ours[i]: the value mpiguard set for mpg_export_var[i] by the marker (owned), else by the
 * marker of earlier mpiguard (__MPIGUARD_SET_<VAR>, owned copy), else NULL. */
static void read_marker(const struct vars *vars, char *ours[MPG_EXPORT_VARS])
{
    const char *m = vars->marker;
    while (m && *m) {
        const char *end = strchr(m, ':'), *eq = memchr(m, '=', end ? (size_t)(end - m) : strlen(m));
        if (!end) end = m + strlen(m);
        if (eq) {
            const char *name = eq; /* the name: the word characters just before '=' */
            while (name > m && word_char(name[-1])) name--;
            for (int i = 0; name < eq && i < MPG_EXPORT_VARS; i++) {
                if (strlen(mpg_export_var[i]) != (size_t)(eq - name) ||
                    strncmp(name, mpg_export_var[i], (size_t)(eq - name)) != 0)
                    continue;
                char *v = mpg_strndup(eq + 1, (size_t)(end - eq - 1)), *w = v;
                for (const char *r = v; *r; r++) { /* %3A -> ':' and %25 -> '%' */
                    if (r[0] == '%' && r[1] == '3' && r[2] == 'A') { *w++ = ':'; r += 2; }
                    else if (r[0] == '%' && r[1] == '2' && r[2] == '5') { *w++ = '%'; r += 2; }
                    else *w++ = *r;
                }
                *w = '\0';
                free(ours[i]); /* a name given twice: the last one counts */
                ours[i] = v;
            }
        }
        m = *end ? end + 1 : end;
    }
    for (int i = 0; i < MPG_EXPORT_VARS; i++)
        if (!ours[i]) ours[i] = mpg_strdup(vars->old[i]);
}

static void out(struct mpg_export_plan *p, const char *var, const char *value)
{
    p->changes[p->n_changes++] = (struct mpg_export_change){var, mpg_strdup(value)};
}

static void notice(struct mpg_export_plan *p, char *text)
{
    p->notices = mpg_xrealloc(p->notices, (p->n_notices + 1) * sizeof *p->notices);
    p->notices[p->n_notices++] = text;
}

/* The marker's value for set (NULL entries left out): '%' and ':' written %25 and %3A. */
static char *marker_value(const char *const set[MPG_EXPORT_VARS])
{
    size_t len = 1;
    for (int i = 0; i < MPG_EXPORT_VARS; i++)
        if (set[i]) len += strlen(mpg_export_var[i]) + 2 + 3 * strlen(set[i]);
    char *s = mpg_xmalloc(len), *w = s;
    for (int i = 0; i < MPG_EXPORT_VARS; i++) {
        if (!set[i]) continue;
        if (w > s) *w++ = ':';
        w = stpcpy(w, mpg_export_var[i]);
        *w++ = '=';
        for (const char *r = set[i]; *r; r++) {
            if (*r == '%') w = stpcpy(w, "%25");
            else if (*r == ':') w = stpcpy(w, "%3A");
            else *w++ = *r;
        }
    }
    *w = '\0';
    return s;
}

void mpg_export_plan_make(struct mpg_export_plan *p, const char *const *env,
                          const char *const want[MPG_EXPORT_VARS], const char *module,
                          mpg_set_by_module_fn set_by_module, void *ctx)
{
    memset(p, 0, sizeof *p);
    struct vars vars;
    read_vars(env, &vars);
    char *ours[MPG_EXPORT_VARS] = {0};
    read_marker(&vars, ours);
    const char *set[MPG_EXPORT_VARS] = {0};
    if (!module) module = "";

    for (int i = 0; i < MPG_EXPORT_VARS; i++) {
        const char *var = mpg_export_var[i], *savedv = saved_name[i];
        const char *cur = vars.cur[i], *saved = vars.saved[i];
        const char *target = want ? want[i] : NULL;
        if (target && !mpg_safe_for_shell_eval(target)) {
            notice(p, mpg_printf("mpiguard: %s not exported for %s: the path of its wrapper holds a "
                                 "control character (a newline?)", var, module));
            target = NULL;
        }
        if (target) {
            bool users = cur && !same(cur, ours[i]) &&
                         !(set_by_module && set_by_module(ctx, var, cur));
            if (users && (!same(cur, target) || !ours[i])) {
                /* the user's own value (or just this one): keep it for later, if it can go back */
                if (mpg_safe_for_shell_eval(cur)) {
                    out(p, savedv, cur);
                } else {
                    notice(p, mpg_printf("mpiguard: your %s held a control character (a newline?): "
                                         "replaced by %s's, and it will not come back after unload "
                                         "(a value with a newline cannot be handed back to your "
                                         "shell safely)", var, module));
                    if (saved) out(p, savedv, NULL);
                }
            }
            if (!same(cur, target)) out(p, var, target);
            set[i] = target;
        } else if (ours[i]) {
            if (same(cur, ours[i])) {
                if (saved && mpg_safe_for_shell_eval(saved)) {
                    out(p, var, saved);
                } else {
                    if (saved)
                        notice(p, mpg_printf("mpiguard: not restoring %s: the value kept for it "
                                             "holds a control character (a newline?)", var));
                    out(p, var, NULL);
                }
            } /* else the user changed it since: leave it */
            if (saved) out(p, savedv, NULL);
        }
    }
    for (int i = 0; i < MPG_EXPORT_VARS; i++)
        if (vars.old[i]) out(p, old_name[i], NULL);
    char *value = marker_value(set);
    const char *now = vars.marker;
    if (!*value) {
        if (now) out(p, MARKER, NULL);
    } else if (!same(value, now)) {
        out(p, MARKER, value);
    }
    free(value);
    for (int i = 0; i < MPG_EXPORT_VARS; i++)
        free(ours[i]);
}

void mpg_export_plan_free(struct mpg_export_plan *p)
{
    for (size_t i = 0; i < p->n_changes; i++)
        free(p->changes[i].value);
    for (size_t i = 0; i < p->n_notices; i++)
        free(p->notices[i]);
    free(p->notices);
    memset(p, 0, sizeof *p);
}

static bool plain_value(const char *v)
{
    static const char first[] = "_./", rest[] = "_./+,:@%=-";
    for (const char *r = v; *r; r++) {
        bool alnum = (*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z') || (*r >= '0' && *r <= '9');
        if (!alnum && !strchr(r == v ? first : rest, *r)) return false;
    }
    return *v != '\0';
}

char *mpg_export_plan_shell(const struct mpg_export_plan *p, const char *shell)
{
    static const struct { const char *shell, *set, *unset; } syntax[] = {
        {"sh", "export %s=%s", "unset %s"},
        {"csh", "setenv %s %s", "unsetenv %s"},
        {"fish", "set -gx %s %s", "set -e %s"},
    };
    int s = -1;
    for (int i = 0; shell && i < (int)(sizeof syntax / sizeof *syntax); i++)
        if (strcmp(shell, syntax[i].shell) == 0) s = i;
    if (s < 0 || p->n_changes == 0) return NULL;
    for (size_t i = 0; i < p->n_changes; i++)
        if (p->changes[i].value && !plain_value(p->changes[i].value)) return NULL;
    size_t len = 1;
    for (size_t i = 0; i < p->n_changes; i++)
        len += strlen(syntax[s].set) + strlen(p->changes[i].var) + 2 +
               (p->changes[i].value ? strlen(p->changes[i].value) : 0);
    char *cmds = mpg_xmalloc(len), *w = cmds;
    for (size_t i = 0; i < p->n_changes; i++) {
        const struct mpg_export_change *c = &p->changes[i];
        if (i) w = stpcpy(w, "; ");
        /* "export %s=%s": the command's words up to the first %s, the name, what joins the
         * value, the value (the formats above have no other conversion) */
        const char *fmt = c->value ? syntax[s].set : syntax[s].unset, *at = strstr(fmt, "%s");
        w = stpcpy(mempcpy(w, fmt, (size_t)(at - fmt)), c->var);
        if (c->value) {
            const char *join = at + 2, *next = strstr(join, "%s");
            w = stpcpy(mempcpy(w, join, (size_t)(next - join)), c->value);
        }
    }
    *w = '\0';
    return cmds;
}
