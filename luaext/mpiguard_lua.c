/* mpiguard_lua.c: the Lua binding of libmpiguard, loaded by Lmod's site hooks.
 *
 *   local mpiguard = require("mpiguard")   -- or package.loadlib(path, "luaopen_mpiguard")()
 *   mpiguard.version       "0.1.0"
 *   mpiguard.policy_file   the site policy path fixed at configure time
 *   mpiguard.lua_version   the Lua this module was built for, e.g. 503
 *   mpiguard.check([opts]) -> result | nil, message
 *   mpiguard.policy([path]) -> policy, error-or-nil
 *   mpiguard.wrappers([opts]) -> {bin=, mpicc=, mpicxx=, mpifort=, from=} | nil, message
 *   mpiguard.sync_exports{want, module, shell, set_by_module}   MPICC & co. (export_sync_lua.c)
 *   mpiguard.escape_for_display(s), mpiguard.quote_for_shell(s),
 *   mpiguard.safe_for_shell_eval(s)   the core's rules for values that leave mpiguard
 *
 * Expected failures come back as nil, message; only misuse (wrong argument types) raises.
 * Nothing here writes to stdout or stderr: the hooks decide what the user sees. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "binding.h"
#include "envsnap.h"
#include "fsmemo.h"
#include "mpi_module.h"
#include "mpiguard.h"
#include "policy.h"
#include "pyenv.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0"
#endif

#if LUA_VERSION_NUM < 502
#define lua_rawlen(L, i) lua_objlen(L, i)
#endif

extern char **environ;

#define LUA_API_EXPORT __attribute__((visibility("default")))

/* ---- small helpers --------------------------------------------------------------------- */

static void set_str(lua_State *L, const char *key, const char *v)
{
    if (!v)
        return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, bool v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, key);
}

/* opts[key] as a string, or NULL; raises if it is there but not a string. */
static const char *opt_string(lua_State *L, int opts, const char *key)
{
    if (opts == 0)
        return NULL;
    lua_getfield(L, opts, key);
    const char *v = NULL;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "option %s must be a string", key);
        v = lua_tostring(L, -1);
    }
    lua_pop(L, 1); /* the string stays alive in opts */
    return v;
}

/* opts[key] as a NULL-terminated array of the strings in a Lua list (malloc'd; the strings stay
 * alive in opts), or NULL when absent; raises if it is there but not a list of strings. */
static const char **opt_names(lua_State *L, int opts, const char *key)
{
    if (opts == 0)
        return NULL;
    lua_getfield(L, opts, key);
    const char **names = NULL;
    if (lua_istable(L, -1)) {
        size_t n = lua_rawlen(L, -1);
        names = calloc(n + 1, sizeof *names);
        for (size_t i = 0; names && i < n; i++) {
            lua_rawgeti(L, -1, (int)i + 1);
            if (lua_type(L, -1) != LUA_TSTRING) {
                free(names);
                luaL_error(L, "option %s must be a list of module names", key);
            }
            names[i] = lua_tostring(L, -1);
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "option %s must be a list of module names", key);
    }
    lua_pop(L, 1);
    return names;
}

/* The user's name, looked up only when asked: getpwuid() is an LDAP or NSS call at many
 * sites, and most checks need no name (no exempt users, nothing to log). */
struct user_name {
    bool looked_up;
    char name[64];
};

static const char *current_user(struct user_name *u)
{
    if (!u->looked_up) {
        u->looked_up = true;
        struct passwd *pw = getpwuid(geteuid());
        if (pw && strlen(pw->pw_name) < sizeof u->name)
            memcpy(u->name, pw->pw_name, strlen(pw->pw_name) + 1);
        else
            snprintf(u->name, sizeof u->name, "%lu", (unsigned long)geteuid());
    }
    return u->name;
}

/* ---- environment snapshot with overrides ------------------------------------------------- */

struct envsnap {
    const char **vars;
    size_t n;
    char **owned;
    size_t n_owned;
};

static void envsnap_free(struct envsnap *s)
{
    for (size_t i = 0; i < s->n_owned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->vars);
}

/* The process environment with opts.env applied: {NAME="value"} sets, {NAME=false} removes.
 * Returns -1 when out of memory. The Lua strings referenced stay alive in opts. */
static int envsnap_build(lua_State *L, int opts, struct envsnap *s)
{
    memset(s, 0, sizeof *s);
    size_t n_env = 0, n_over = 0;
    while (environ[n_env])
        n_env++;
    int over = 0;
    if (opts) {
        lua_getfield(L, opts, "env");
        if (lua_istable(L, -1)) {
            over = lua_gettop(L);
            lua_pushnil(L);
            while (lua_next(L, over)) {
                n_over++;
                lua_pop(L, 1);
            }
        } else if (!lua_isnil(L, -1)) {
            return luaL_error(L, "option env must be a table");
        }
    }
    s->vars = calloc(n_env + n_over + 1, sizeof *s->vars);
    s->owned = calloc(n_over + 1, sizeof *s->owned);
    if (!s->vars || !s->owned)
        goto oom;
    for (size_t i = 0; i < n_env; i++) {
        bool replaced = false;
        if (over) {
            const char *eq = strchr(environ[i], '=');
            size_t nlen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
            char name[256];
            if (nlen < sizeof name) {
                memcpy(name, environ[i], nlen);
                name[nlen] = '\0';
                lua_getfield(L, over, name);
                replaced = !lua_isnil(L, -1);
                lua_pop(L, 1);
            }
        }
        if (!replaced)
            s->vars[s->n++] = environ[i];
    }
    if (over) {
        lua_pushnil(L);
        while (lua_next(L, over)) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
                size_t kl, vl;
                const char *k = lua_tolstring(L, -2, &kl), *v = lua_tolstring(L, -1, &vl);
                char *e = malloc(kl + vl + 2);
                if (!e) {
                    lua_pop(L, 2);
                    goto oom;
                }
                memcpy(e, k, kl);
                e[kl] = '=';
                memcpy(e + kl + 1, v, vl + 1);
                s->owned[s->n_owned++] = e;
                s->vars[s->n++] = e;
            }
            lua_pop(L, 1);
        }
    }
    if (opts)
        lua_pop(L, 1);
    return 0;
oom:
    if (opts)
        lua_pop(L, 1);
    envsnap_free(s);
    return -1;
}

/* ---- policy -------------------------------------------------------------------------------- */

/* err quotes the policy file, which may be a user's (user_override): shown escaped. */
static void push_policy(lua_State *L, const struct mpg_policy *p, const char *err)
{
    lua_createtable(L, 0, 10);
    set_str(L, "source", p->source);
    char *shown = mpg_escape_for_display(err);
    set_str(L, "error", shown);
    free(shown);
    set_bool(L, "export_mpicc", p->export_mpicc);
    set_bool(L, "log", p->log);
    set_str(L, "log_socket", p->log_socket);
    set_bool(L, "warn_fails", p->warn_fails);
    set_bool(L, "user_override", p->user_override);
    lua_createtable(L, 0, (int)p->n_rules);
    for (size_t i = 0; i < p->n_rules; i++) {
        lua_pushstring(L, mpg_action_name(p->rules[i].action));
        lua_setfield(L, -2, p->rules[i].code);
    }
    lua_setfield(L, -2, "actions");
    lua_pushstring(L, mpg_action_name(p->default_action));
    lua_setfield(L, -2, "default_action");
}

/* mpiguard.policy([path]) -> policy, error-or-nil
 * The effective policy (site file at path, default mpiguard.policy_file, plus the user's file
 * if the site allows it) as a table {source, error, export_mpicc, log, log_socket, warn_fails,
 * user_override, actions={CODE=action}, default_action}. A malformed or unreadable file gives
 * the built-in defaults and the error as second result; it never raises. */
static int l_policy(lua_State *L)
{
    const char *path = luaL_optstring(L, 1, MPIGUARD_POLICY_FILE);
    struct mpg_policy p;
    char err[512] = "";
    int rc = mpg_policy_load_effective(&p, path, NULL, err, sizeof err);
    push_policy(L, &p, rc < 0 ? err : NULL);
    mpg_policy_free(&p);
    if (rc < 0) {
        char *shown = mpg_escape_for_display(err);
        lua_pushstring(L, shown);
        free(shown);
        return 2;
    }
    return 1;
}

/* ---- check ------------------------------------------------------------------------------- */

static void push_mpi(lua_State *L, const struct mpg_mpi *m)
{
    lua_createtable(L, 0, 6);
    set_str(L, "path", m->path);
    set_str(L, "soname", m->soname);
    set_str(L, "abi", mpg_abi_name(m->abi));
    set_str(L, "impl", m->impl);
    set_str(L, "version", m->version);
    set_str(L, "device", m->device);
}

static void push_report(lua_State *L, const struct mpg_report *r)
{
    lua_pushstring(L, mpg_severity_name(r->verdict));
    lua_setfield(L, -2, "verdict");
    set_bool(L, "inspected", r->inspected);

    lua_createtable(L, 0, 6);
    set_str(L, "kind", mpg_env_kind_name(r->env.kind));
    set_str(L, "prefix", r->env.prefix);
    set_str(L, "name", r->env.name);
    set_str(L, "flavor", r->env.flavor);
    set_str(L, "python_version", r->env.python_version);
    set_bool(L, "system_site_packages", r->env.system_site_packages);
    lua_setfield(L, -2, "env");

    const struct mpg_module *m = &r->module;
    lua_createtable(L, 0, 11);
    set_bool(L, "loaded", m->loaded);
    set_str(L, "name", m->name);
    set_str(L, "version", m->version);
    set_str(L, "home", m->home);
    set_str(L, "home_var", m->home_var);
    set_str(L, "found_by", m->found_by);
    set_str(L, "mpicc", m->mpicc);
    set_str(L, "mpicxx", m->mpicxx);
    set_str(L, "mpifort", m->mpifort);
    set_str(L, "mpiexec", m->mpiexec);
    set_str(L, "libdir", m->libdir);
    push_mpi(L, &m->mpi);
    lua_setfield(L, -2, "mpi");
    lua_setfield(L, -2, "module");

    lua_createtable(L, (int)r->n_findings, 0);
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct mpg_finding *f = &r->findings[i];
        lua_createtable(L, 0, 6);
        set_str(L, "code", f->code);
        set_str(L, "severity", mpg_severity_name(f->severity));
        set_str(L, "message", f->message);
        set_str(L, "fix", f->fix);
        set_str(L, "package", f->package);
        set_str(L, "path", f->path);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "findings");

    lua_createtable(L, (int)r->n_problems, 0);
    for (size_t i = 0; i < r->n_problems; i++) {
        lua_pushstring(L, r->problems[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "problems");
}

/* The report as text (no colour, findings only), malloc'd; "" when there is nothing. */
static char *report_text(const struct mpg_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        mpg_report_text(r, f, false, false);
        if (fclose(f) != 0) {
            free(buf);
            buf = NULL;
        }
    }
    return buf ? buf : mpg_strdup("");
}

/* The report as text (no colour, findings only); pushes "" when there is nothing. */
static void push_text(lua_State *L, const struct mpg_report *r)
{
    char *text = report_text(r);
    lua_pushstring(L, text);
    free(text);
}

/* mpiguard.check([opts]) -> result | nil, message
 * opts: env = {NAME="value" | false} changes to the process environment for this check (e.g.
 *       the MPICC the hooks are about to export); env_prefix = inspect this prefix instead of
 *       the active env; mpi_modules = {"pe-mpi", ...} module names the site declared as MPIs;
 *       policy_file = site policy path (default mpiguard.policy_file);
 *       log_module = "mpich/4.0.2": write one syslog line per finding, if the policy logs;
 *       export = {MPICC="mpicc", MPICXX="mpicxx", MPIFC="mpifort", ...}: when the site policy
 *       exports (export_mpicc), the loaded module's wrappers (as mpiguard.wrappers() finds
 *       them, in the same pass over the file system) for these variables, added to env for
 *       the check and returned as result.exports ({} when the policy does not export);
 *       sync = {module, shell, set_by_module} (with export; module defaults to log_module,
 *       escaped): result.sync, what
 *       mpiguard.sync_exports() gives for want = result.exports (export_sync_lua.c);
 *       brief = true: what the hooks need instead of the report: {verdict, exempt, message,
 *       error | warning, logged, exports, sync} (hook_message.c; the module named as log_module
 *       gives it, escaped).
 * result: {verdict, inspected, exempt, env={kind, prefix, name, flavor, python_version,
 *       system_site_packages}, module={loaded, name, version, home, home_var, mpicc, mpicxx,
 *       mpifort, mpiexec, libdir, mpi={path, soname, abi, impl, version, device}},
 *       findings={{code, severity, message, fix, package, path}, ...}, problems={...},
 *       text, policy={...as mpiguard.policy()}, logged, exports={VAR=value} (with export),
 *       sync (with sync)}
 * Findings and verdict are after the site policy (ignored findings are gone; severities may be
 * "block"). An exempt user or env prefix gives exempt=true and no findings. */
static int check(lua_State *L, int opts);

/* Raises the argument errors check() could raise, before the pass over the file system begins
 * (an error raised inside it would leave it open). */
static void check_options(lua_State *L, int opts)
{
    if (!opts) return;
    static const char *const strings[] = {"env_prefix", "policy_file", "log_module"};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        (void)opt_string(L, opts, strings[i]);
    static const char *const tables[] = {"env", "export", "sync"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        lua_getfield(L, opts, tables[i]);
        bool bad = !lua_isnil(L, -1) && !lua_istable(L, -1);
        lua_pop(L, 1);
        if (bad) luaL_error(L, "option %s must be a table", tables[i]);
    }
    free(opt_names(L, opts, "mpi_modules"));
}

/* One pass over the file system (fsmemo.h), one discovery of the module for the check and the
 * wrappers it exports (check{export}: mpg_check_exporting). */
static int l_check(lua_State *L)
{
    int opts = 0;
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        opts = 1;
    }
    check_options(L, opts);
    /* Only running out of memory can raise past this point; a pass such an error left open is
     * closed by the next call (Lua calls the binding from one thread, never re-entered). */
    if (mpg_fsmemo_active()) mpg_fsmemo_end();
    mpg_fsmemo_begin();
    int n = check(L, opts);
    mpg_fsmemo_end();
    return n;
}

/* opts.export = {VAR = "mpicc" | "mpicxx" | "mpifort", ...}: the variables the hooks export
 * when the site policy does (export_mpicc). Reads at most max of them into ex (other values
 * are skipped); returns how many, or -1 without the option. */
static int export_spec(lua_State *L, int opts, struct mpg_export *ex, int max)
{
    lua_getfield(L, opts, "export");
    if (!lua_istable(L, -1)) { /* nil: anything else was refused by check_options() */
        lua_pop(L, 1);
        return -1;
    }
    int spec = lua_gettop(L), n = 0;
    lua_pushnil(L); /* the first key for lua_next(), which pops the last one */
    while (lua_next(L, spec)) {
        const char *which = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
        bool known = strcmp(which, "mpicc") == 0 || strcmp(which, "mpicxx") == 0 || strcmp(which, "mpifort") == 0;
        /* the strings stay alive in the option table, which the caller keeps on the stack */
        if (known && lua_type(L, -2) == LUA_TSTRING && n < max)
            ex[n++] = (struct mpg_export){lua_tostring(L, -2), which};
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return n;
}

static int check(lua_State *L, int opts)
{
    const char *env_prefix = opt_string(L, opts, "env_prefix");
    const char *policy_file = opt_string(L, opts, "policy_file");
    const char *log_module = opt_string(L, opts, "log_module");

    struct envsnap snap;
    if (envsnap_build(L, opts, &snap) < 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "mpiguard: out of memory");
        return 2;
    }
    struct mpg_policy pol;
    char perr[512] = "";
    int prc = mpg_policy_load_effective(&pol, policy_file ? policy_file : MPIGUARD_POLICY_FILE,
                                        snap.vars, perr, sizeof perr);
    const char **sites = opt_names(L, opts, "mpi_modules");
    struct mpg_export ex[16];
    int n_ex = opts ? export_spec(L, opts, ex, (int)(sizeof ex / sizeof *ex)) : -1;
    struct mpg_wrappers w = {0};
    struct user_name user = {0};
    struct mpg_input in = {.environ = snap.vars, .env_prefix = env_prefix, .mpi_modules = sites};
    struct mpg_report *r = n_ex >= 0 && pol.export_mpicc ? mpg_check_exporting(&in, ex, (size_t)n_ex, &w)
                                                         : mpg_check(&in);
    free(sites);
    if (!r) {
        mpg_wrappers_clear(&w);
        mpg_policy_free(&pol);
        envsnap_free(&snap);
        lua_pushnil(L);
        lua_pushliteral(L, "mpiguard: out of memory");
        return 2;
    }
    bool exempt = mpg_policy_exempt(&pol, pol.n_exempt_users ? current_user(&user) : NULL,
                                    r->env.prefix);
    if (exempt) {
        pol.default_action = MPG_ACT_IGNORE;
        for (size_t i = 0; i < pol.n_rules; i++)
            pol.rules[i].action = MPG_ACT_IGNORE;
    }
    mpg_policy_apply(&pol, r);

    bool brief = false;
    if (opts) {
        lua_getfield(L, opts, "brief");
        brief = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    /* the module as the user sees it named (a file name a user may choose: escaped) */
    char *shown = mpg_escape_for_display(log_module ? log_module : "");
    lua_createtable(L, 0, 12);
    set_bool(L, "exempt", exempt);
    if (brief) {
        lua_pushstring(L, mpg_severity_name(r->verdict));
        lua_setfield(L, -2, "verdict");
        char *text = report_text(r), *err = prc < 0 ? mpg_escape_for_display(perr) : NULL;
        mpg_lua_set_hook_message(L, r, text, err, pol.warn_fails, shown);
        free(text), free(err);
    } else {
        push_report(L, r);
        push_text(L, r);
        lua_setfield(L, -2, "text");
        push_policy(L, &pol, prc < 0 ? perr : NULL);
        lua_setfield(L, -2, "policy");
    }
    int logged = 0;
    if (log_module && pol.log && r->n_findings) {
        struct mpg_log_entry who = {.source = "lmod", .user = current_user(&user), .module = log_module};
        logged = mpg_log_report(pol.log_socket, r, &who);
    }
    lua_pushinteger(L, logged);
    lua_setfield(L, -2, "logged");
    /* {VAR = wrapper path}: empty when the policy does not export or the module has no mpicc */
    if (n_ex >= 0) {
        lua_createtable(L, 0, n_ex);
        for (int e = 0; e < n_ex; e++) {
            const char *value = mpg_wrapper_path(&w, ex[e].wrapper);
            if (!value) continue;
            lua_pushstring(L, value);
            lua_setfield(L, -2, ex[e].var);
        }
        lua_setfield(L, -2, "exports");
        lua_getfield(L, opts, "sync");
        if (lua_istable(L, -1)) {
            const char *want[MPG_EXPORT_VARS] = {0};
            for (int i = 0; i < MPG_EXPORT_VARS; i++)
                for (int e = 0; e < n_ex; e++)
                    if (strcmp(ex[e].var, mpg_export_var[i]) == 0) want[i] = mpg_wrapper_path(&w, ex[e].wrapper);
            mpg_lua_push_sync(L, lua_gettop(L), want, shown);
            lua_setfield(L, -3, "sync");
        }
        lua_pop(L, 1);
    }

    free(shown);
    mpg_wrappers_clear(&w);
    mpg_report_free(r);
    mpg_policy_free(&pol);
    envsnap_free(&snap);
    return 1;
}

/* ---- wrappers ---------------------------------------------------------------------------- */

/* mpiguard.wrappers([opts]) -> {bin, mpicc, mpicxx, mpifort, from} | nil, message
 * The loaded MPI's compiler wrappers for MPICC & co. (mpg_find_wrappers_named in the process
 * environment): those of the module the check finds (its prefix variable on every site stack,
 * or its wrappers on PATH; never the active env's own mpicc), spelled as found (Open MPI's
 * wrappers are one binary that looks at argv[0]). `from` names the variable that gave the
 * prefix ("PATH" when the wrappers on PATH did). opts: mpi_modules as for check. */
static int l_wrappers(lua_State *L)
{
    int opts = 0;
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        opts = 1;
    }
    const char **sites = opt_names(L, opts, "mpi_modules");
    struct mpg_wrappers w;
    int found = mpg_find_wrappers_named(NULL, sites, &w);
    free(sites);
    if (found != 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "no mpicc for the loaded MPI module (none loaded, or its prefix has no bin/mpicc)");
        return 2;
    }
    lua_createtable(L, 0, 5);
    set_str(L, "bin", w.bin);
    set_str(L, "from", w.from);
    set_str(L, "mpicc", w.mpicc);
    set_str(L, "mpicxx", w.mpicxx);
    set_str(L, "mpifort", w.mpifort);
    mpg_wrappers_clear(&w);
    return 1;
}

/* ---- values that leave mpiguard (see mpiguard.h) ------------------------------------------ */

static int push_owned(lua_State *L, char *s)
{
    lua_pushstring(L, s);
    free(s);
    return 1;
}

/* mpiguard.escape_for_display(s) -> s with control characters and the like as \xHH */
static int l_escape_for_display(lua_State *L)
{
    return push_owned(L, mpg_escape_for_display(luaL_checkstring(L, 1)));
}

/* mpiguard.quote_for_shell(s) -> s as one shell word a person may paste */
static int l_quote_for_shell(lua_State *L)
{
    return push_owned(L, mpg_quote_for_shell(luaL_checkstring(L, 1)));
}

/* mpiguard.safe_for_shell_eval(s) -> false when s must not go back to the shell (setenv) */
static int l_safe_for_shell_eval(lua_State *L)
{
    lua_pushboolean(L, mpg_safe_for_shell_eval(luaL_checkstring(L, 1)));
    return 1;
}

static const luaL_Reg mpiguard_funcs[] = {
    {"check", l_check},
    {"escape_for_display", l_escape_for_display},
    {"quote_for_shell", l_quote_for_shell},
    {"safe_for_shell_eval", l_safe_for_shell_eval},
    {"sync_exports", mpg_lua_sync_exports},
    {"policy", l_policy},
    {"wrappers", l_wrappers},
    {NULL, NULL},
};

LUA_API_EXPORT int luaopen_mpiguard(lua_State *L)
{
#if LUA_VERSION_NUM >= 502
    luaL_newlib(L, mpiguard_funcs); /* checks the Lua ABI: a mismatch raises here */
#else
    lua_newtable(L);
    luaL_register(L, NULL, mpiguard_funcs);
#endif
    lua_pushliteral(L, PACKAGE_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushliteral(L, MPIGUARD_POLICY_FILE);
    lua_setfield(L, -2, "policy_file");
    lua_pushinteger(L, LUA_VERSION_NUM);
    lua_setfield(L, -2, "lua_version");
    return 1;
}
