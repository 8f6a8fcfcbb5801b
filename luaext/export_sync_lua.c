/* export_sync_lua.c: the binding's side of MPICC & co. (src/export_sync.h), for the hooks:
 *
 *   mpiguard.sync_exports{want = {MPICC = path, ...}, module = "mpich/4.0.2", shell = "sh",
 *                         set_by_module = function(var, value) -> bool}
 *     -> {cmd = "export MPICC=...; ..." | nil, changes = {{var, value | false}, ...} (without
 *         cmd), notices = {"mpiguard: ...", ...} (when there are)}
 *
 * and the same table as check{export = ..., sync = {module, shell, set_by_module}}.sync, for
 * want = the exports the check found (module: the check's log_module, escaped, by default). With cmd, the changes are already made in this
 * process's environment (as Lmod's own setenv would make them): the hooks hand cmd to Lmod's
 * execute{}. Without it (another shell, or a value that would need quoting) the hooks make
 * the changes through Lmod's setenv and unsetenv. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding.h"
#include "export_sync.h"

extern char **environ;

/* The hooks' FrameStk lookup, called from C (never raises: an error counts as "no"). */
static bool set_by_module(void *ctx, const char *var, const char *cur)
{
    lua_State *L = ctx;
    lua_pushvalue(L, -1); /* the function, left on the stack's top by mpg_lua_push_sync */
    lua_pushstring(L, var);
    lua_pushstring(L, cur);
    bool yes = lua_pcall(L, 2, 1, 0) == 0 && lua_toboolean(L, -1);
    lua_pop(L, 1);
    return yes;
}

static void apply_here(const struct mpg_export_plan *p)
{
    for (size_t i = 0; i < p->n_changes; i++) {
        if (p->changes[i].value) setenv(p->changes[i].var, p->changes[i].value, 1);
        else unsetenv(p->changes[i].var);
    }
}

void mpg_lua_push_sync(lua_State *L, int opts, const char *const want[MPG_EXPORT_VARS],
                       const char *default_module)
{
    lua_getfield(L, opts, "module");
    const char *module = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                         : default_module ? default_module : "";
    lua_getfield(L, opts, "shell");
    const char *shell = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_getfield(L, opts, "set_by_module");
    bool fn = lua_isfunction(L, -1);

    struct mpg_export_plan p;
    mpg_export_plan_make(&p, (const char *const *)environ, want, module, fn ? set_by_module : NULL, L);
    char *cmd = mpg_export_plan_shell(&p, shell);
    if (cmd) apply_here(&p);
    lua_pop(L, 3);

    lua_createtable(L, 0, 2);
    if (cmd) {
        lua_pushstring(L, cmd);
        lua_setfield(L, -2, "cmd");
        free(cmd);
    }
    if (p.n_notices) {
        lua_createtable(L, (int)p.n_notices, 0);
        for (size_t i = 0; i < p.n_notices; i++) {
            lua_pushstring(L, p.notices[i]);
            lua_rawseti(L, -2, (int)i + 1);
        }
        lua_setfield(L, -2, "notices");
    }
    if (cmd) { /* the changes are made: the hooks need only cmd */
        mpg_export_plan_free(&p);
        return;
    }
    lua_createtable(L, (int)p.n_changes, 0);
    for (size_t i = 0; i < p.n_changes; i++) {
        lua_createtable(L, 2, 0);
        lua_pushstring(L, p.changes[i].var);
        lua_rawseti(L, -2, 1);
        if (p.changes[i].value) lua_pushstring(L, p.changes[i].value);
        else lua_pushboolean(L, 0);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "changes");
    mpg_export_plan_free(&p);
}

/* want from opts.want = {VAR = path}; values that are not strings count as absent. */
int mpg_lua_sync_exports(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *want[MPG_EXPORT_VARS] = {0};
    lua_getfield(L, 1, "want");
    int w = lua_gettop(L);
    if (!lua_isnil(L, w) && !lua_istable(L, w)) return luaL_error(L, "option want must be a table");
    for (int i = 0; lua_istable(L, w) && i < MPG_EXPORT_VARS; i++) {
        lua_getfield(L, w, mpg_export_var[i]);
        want[i] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        lua_pop(L, 1); /* the string stays alive in opts.want */
    }
    mpg_lua_push_sync(L, 1, want, NULL);
    return 1;
}
