/* memo_lua.c: the memo of a check that found nothing, for the Lmod hooks (check{memo = ...}).
 *
 * An MPI load with nothing to report spends most of the hooks' time loading this binding and
 * running the check (bench/HOT_PATH.md). When the last such check's memo says that nothing it
 * looked at has changed, mpiguard_hooks_act.lua hands Lmod the same exports without either: it
 * compares the variables the check read, looks again (lfs.attributes) at each real folder the
 * check walked and each file it reached (a name appearing or going away changes its folder; a
 * file rewritten, its times; another mount, its device and inode), and asks Lmod again the
 * questions the exports asked it. Anything else, and the check runs as always.
 *
 * The memo is written only for a check with nothing to say (no finding, no problem, no notice,
 * the policy read), whose exports went as one execute{} line, when the pass could be recorded
 * (fsmemo.h: no relative path, no variable found by a pattern, nothing changed in the last 2
 * seconds), into the user's private cache folder, as the listing cache is. Its lines:
 *   mpiguard-memo 1
 *   K <key>                  the hooks' own (module, shell, settings): compared whole
 *   E <name> <value>         a variable the check or the exports read, and its value then
 *   U <name>                 ... unset then
 *   F <path> <ino> <mtime> <ctime> <size> <dev>
 *   B <var> <value> <0|1>    the exports asked Lmod whether a modulefile set var to value
 *   S <var> <value>          what the exports set in this process's environment (R: unset)
 *   R <var>
 *   X <cmd>                  the execute{} line of the exports
 *   end <lines between>
 * (tab-separated; nothing is written when a value holds a tab or a newline). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding.h"
#include "envsnap.h"
#include "export_sync.h"
#include "fsmemo.h"
#include "policy.h"
#include "util.h"

static bool one_line(const char *s)
{
    return !strpbrk(s, "\t\n\r");
}

bool mpg_lua_memo_begin(lua_State *L, int opts, struct mpg_lua_memo *m)
{
    memset(m, 0, sizeof *m);
    if (!opts) return false;
    lua_getfield(L, opts, "env");
    bool overridden = !lua_isnil(L, -1); /* a check of another environment than this one */
    lua_getfield(L, opts, "memo");
    int t = lua_gettop(L);
    if (overridden || !lua_istable(L, t)) {
        lua_pop(L, 2);
        return false;
    }
    lua_getfield(L, t, "file");
    lua_getfield(L, t, "key");
    const char *file = lua_tostring(L, -2), *key = lua_tostring(L, -1);
    bool ok = file && key && file[0] == '/' && one_line(key) && strlen(file) < MPG_MAX_PATH;
    if (ok) {
        m->file = mpg_strdup(file);
        m->key = mpg_strdup(key);
        mpg_fsmemo_record_start();
        /* the files the result also depends on (the binding itself: another build, another
         * check), walked with the rest */
        lua_getfield(L, t, "files");
        for (int i = 1; lua_istable(L, -1); i++) {
            lua_rawgeti(L, -1, i);
            const char *p = lua_tostring(L, -1);
            if (p) mpg_fsmemo_note(p);
            lua_pop(L, 1);
            if (!p) break;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 4);
    return ok;
}

void mpg_lua_memo_asked(struct mpg_lua_memo *m, const char *var, const char *cur, bool yes)
{
    if (!one_line(var) || !one_line(cur)) m->refused = true;
    else mpg_strv_push(&m->asked, mpg_printf("B\t%s\t%s\t%d", var, cur, yes ? 1 : 0));
}

void mpg_lua_memo_applied(struct mpg_lua_memo *m, const char *var, const char *value)
{
    if (!one_line(var) || (value && !one_line(value))) m->refused = true;
    else mpg_strv_push(&m->applied, value ? mpg_printf("S\t%s\t%s", var, value) : mpg_printf("R\t%s", var));
}

/* Whether the brief result at index res has nothing for the user: no message, error, warning or
 * notice, and its exports as one execute{} line (or none at all). *cmd: that line, or NULL. */
static bool quiet(lua_State *L, int res, const char **cmd)
{
    *cmd = NULL;
    lua_getfield(L, res, "message");
    lua_getfield(L, res, "error");
    lua_getfield(L, res, "warning");
    const char *msg = lua_tostring(L, -3);
    bool ok = (!msg || !msg[0]) && lua_isnil(L, -2) && lua_isnil(L, -1);
    lua_pop(L, 3);
    lua_getfield(L, res, "sync");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "notices");
        lua_getfield(L, -2, "changes");
        lua_getfield(L, -3, "cmd");
        ok = ok && lua_isnil(L, -3) && (lua_isnil(L, -2) || lua_rawlen(L, -2) == 0);
        /* the string stays alive in the result table, which stays on the stack */
        *cmd = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
    return ok && (!*cmd || one_line(*cmd));
}

/* The P line of the family scan (src/mpi_module.c, family_var: the first variable, longer than
 * 12 characters, whose name ends in _FAMILY_MPI in any case, with a value): each one there was,
 * "NAME=value". False when there were two or more (the first one in the environment's order
 * answered; Lua sees no order) or one cannot go on a line. */
static bool family_line(struct mpg_strv *out, const char *const *vars)
{
    const char *found = NULL;
    for (const char *const *v = vars; v && *v; v++) {
        const char *eq = strchr(*v, '=');
        size_t n = eq ? (size_t)(eq - *v) : 0;
        if (!eq || eq[1] == '\0' || n <= 12 || strncasecmp(eq - 11, "_FAMILY_MPI", 11) != 0) continue;
        if (found || !one_line(*v)) return false;
        found = *v;
    }
    mpg_strv_push(out, found ? mpg_printf("P\t_FAMILY_MPI\t%s", found) : mpg_strdup("P\t_FAMILY_MPI"));
    return true;
}

/* E and U lines for each name, its value in vars (the environment the check began with); false
 * when a value cannot go on one line. */
static bool env_lines(struct mpg_strv *out, const struct mpg_strv *names, const char *const *vars)
{
    for (size_t i = 0; i < names->n; i++) {
        const char *name = names->v[i], *value = NULL;
        if (strcmp(name, "*_FAMILY_MPI") == 0) {
            if (!family_line(out, vars)) return false;
            continue;
        }
        size_t n = strlen(name);
        for (const char *const *v = vars; v && *v && !value; v++)
            if (strncmp(*v, name, n) == 0 && (*v)[n] == '=') value = *v + n + 1;
        if (!one_line(name) || (value && !one_line(value))) return false;
        mpg_strv_push(out, value ? mpg_printf("E\t%s\t%s", name, value) : mpg_printf("U\t%s", name));
    }
    return true;
}

static void write_memo(const char *file, const struct mpg_strv *lines)
{
    char *dir = mpg_dirname(file);
    const char *name = mpg_basename(file);
    char *parent = mpg_dirname(dir); /* ~/.cache: created when missing, never HOME itself */
    int fd = mpg_make_private_dir(dir, strcmp(mpg_basename(dir), "mpiguard") == 0 ? parent : NULL);
    free(parent);
    free(dir);
    if (fd < 0) return;
    size_t len = 0;
    for (size_t i = 0; i < lines->n; i++) len += strlen(lines->v[i]) + 1;
    char *text = mpg_xmalloc(len + 1), *p = text;
    for (size_t i = 0; i < lines->n; i++) {
        size_t n = strlen(lines->v[i]);
        memcpy(p, lines->v[i], n);
        p[n] = '\n';
        p += n + 1;
    }
    mpg_replace_file_at(fd, name, text, len);
    free(text);
    close(fd);
}

void mpg_lua_memo_finish(lua_State *L, int res, struct mpg_lua_memo *m, const char *const *vars, bool clean)
{
    const char *cmd = NULL;
    struct mpg_strv files = {0}, names = {0}, lines = {0};
    if (clean && !m->refused && quiet(L, res, &cmd) && mpg_fsmemo_record(&files, &names, (long long)time(NULL)) == 0) {
        for (const char *const *v = mpg_export_read_vars; *v; v++)
            if (!mpg_strv_contains(&names, *v)) mpg_strv_add(&names, *v);
        if (!mpg_strv_contains(&names, MPG_POLICY_USER_VAR)) mpg_strv_add(&names, MPG_POLICY_USER_VAR);
        mpg_strv_add(&lines, "mpiguard-memo 1");
        mpg_strv_push(&lines, mpg_printf("K\t%s", m->key));
        if (env_lines(&lines, &names, vars)) {
            for (size_t i = 0; i < files.n; i++) mpg_strv_add(&lines, files.v[i]);
            for (size_t i = 0; i < m->asked.n; i++) mpg_strv_add(&lines, m->asked.v[i]);
            for (size_t i = 0; i < m->applied.n; i++) mpg_strv_add(&lines, m->applied.v[i]);
            if (cmd) mpg_strv_push(&lines, mpg_printf("X\t%s", cmd));
            mpg_strv_push(&lines, mpg_printf("end %zu", lines.n - 1));
            write_memo(m->file, &lines);
        }
    }
    mpg_strv_free(&files);
    mpg_strv_free(&names);
    mpg_strv_free(&lines);
    mpg_strv_free(&m->asked);
    mpg_strv_free(&m->applied);
    free(m->file);
    free(m->key);
}
