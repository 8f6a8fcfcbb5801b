/* pyenv.c: active env discovery and sys.path order (CPython's site.py: PYTHONPATH, then the user
 * site unless disabled, then the prefix's site-packages, then, for a venv that includes system
 * site packages, the base interpreter's). */
#include "pyenv.h"

#include <ctype.h>
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CFG (64 * 1024)

void mpg_env_clear(struct mpg_env *e)
{
    free(e->prefix);
    free(e->name);
    free(e->flavor);
    free(e->python_version);
    free(e->base_prefix);
    for (size_t i = 0; i < e->n_sys_path; i++) free(e->sys_path[i]);
    free(e->sys_path);
    memset(e, 0, sizeof *e);
}

/* Validates a prefix named by a variable; NULL (and a problem) when unusable. */
static char *usable_prefix(const char *var, const char *val, const char *marker, struct mpg_strv *problems)
{
    if (!val || !*val) return NULL;
    if (strlen(val) >= MPG_MAX_PATH) {
        mpg_strv_push(problems, mpg_printf("%s is longer than %d characters; not inspected", var, MPG_MAX_PATH));
        return NULL;
    }
    if (val[0] != '/') {
        mpg_strv_push(problems, mpg_printf("%s=%s is not an absolute path; not inspected", var, val));
        return NULL;
    }
    char *real = mpg_realpath(val);
    if (!real || !mpg_is_dir(real)) {
        mpg_strv_push(problems, mpg_printf("%s=%s does not exist (deleted while active?); "
                                           "run 'deactivate' or 'conda deactivate'", var, val));
        free(real);
        return NULL;
    }
    char *m = mpg_path_join(real, marker);
    bool ok = mpg_path_type(m) != 0; /* the answer is kept: pyvenv.cfg is asked again */
    free(m);
    if (!ok) {
        mpg_strv_push(problems, mpg_printf("%s=%s has no %s; not a %s, not inspected", var, val, marker,
                                           strcmp(marker, "conda-meta") == 0 ? "conda env" : "venv"));
        free(real);
        return NULL;
    }
    return real;
}

/* Position of prefix/bin in PATH (lower runs first); SIZE_MAX when absent. */
static size_t path_rank(const struct mpg_envsnap *env, const char *prefix)
{
    struct mpg_strv dirs = {0};
    mpg_strv_split(&dirs, mpg_env_get(env, "PATH"), ':');
    char *bin = mpg_path_join(prefix, "bin");
    size_t rank = SIZE_MAX;
    for (size_t i = 0; i < dirs.n && rank == SIZE_MAX; i++) {
        char *real = mpg_realpath(dirs.v[i]);
        if (real && strcmp(real, bin) == 0) rank = i;
        free(real);
    }
    free(bin);
    mpg_strv_free(&dirs);
    return rank;
}

/* The env that owns a python in folder dir, as CPython itself decides it (pyvenv.cfg beside the
 * executable or one folder up), or a conda prefix (conda-meta one folder up); NULL when dir is
 * not an env's (/usr/bin, a python module's bin, a pyenv shim). */
static char *env_of_python_dir(const char *dir, enum mpg_env_kind *kind)
{
    char *up = mpg_dirname(dir);
    const char *const places[] = {up, dir};
    char *found = NULL;
    for (size_t i = 0; i < 2 && !found; i++) {
        char *cfg = mpg_path_join(places[i], "pyvenv.cfg");
        if (mpg_is_file(cfg)) {
            found = mpg_realpath(places[i]);
            *kind = MPG_ENV_VENV;
        }
        free(cfg);
    }
    if (!found) {
        char *meta = mpg_path_join(up, "conda-meta");
        if (mpg_is_dir(meta)) {
            found = mpg_realpath(up);
            *kind = MPG_ENV_CONDA;
        }
        free(meta);
    }
    free(up);
    return found;
}

/* The env of the python the user's shell runs: the first `python` on PATH, else the first
 * `python3` when that one is an env's. NULL when neither belongs to an env. */
static char *env_of_path_python(const struct mpg_envsnap *env, enum mpg_env_kind *kind)
{
    static const char *const names[] = {"python", "python3"};
    struct mpg_strv dirs = {0};
    mpg_strv_split(&dirs, mpg_env_get(env, "PATH"), ':');
    char *first[2] = {NULL, NULL};
    for (size_t i = 0; i < dirs.n && !(first[0] && first[1]); i++) {
        if (dirs.v[i][0] != '/') continue; /* as mpg_which: relative entries depend on the cwd */
        for (size_t k = 0; k < 2; k++) {
            if (first[k]) continue;
            char *p = mpg_path_join(dirs.v[i], names[k]);
            if (mpg_is_executable(p)) first[k] = mpg_strdup(dirs.v[i]);
            free(p);
        }
    }
    mpg_strv_free(&dirs);
    char *prefix = NULL;
    for (size_t k = 0; k < 2 && !prefix; k++)
        if (first[k] && (k == 0 || !first[0] || strcmp(first[0], first[1]) != 0))
            prefix = env_of_python_dir(first[k], kind);
    free(first[0]);
    free(first[1]);
    return prefix;
}

/* "python3.11" -> "3.11"; NULL otherwise. */
static char *version_from_name(const char *name)
{
    if (!mpg_str_starts(name, "python")) return NULL;
    const char *v = name + 6;
    if (!isdigit((unsigned char)v[0]) || v[1] != '.' || !isdigit((unsigned char)v[2])) return NULL;
    const char *end = v + 2;
    while (isdigit((unsigned char)*end)) end++;
    if (*end && *end != 't') return NULL; /* python3.13t is the free-threaded 3.13 */
    return mpg_strndup(v, (size_t)(end - v));
}

/* Python version from the interpreter the prefix's bin/python3 links to. */
static char *version_from_bin(const char *prefix)
{
    static const char *const names[] = {"bin/python3", "bin/python", NULL};
    for (const char *const *n = names; *n; n++) {
        char *p = mpg_path_join(prefix, *n);
        char *real = mpg_realpath(p);
        free(p);
        char *v = real ? version_from_name(mpg_basename(real)) : NULL;
        free(real);
        if (v) return v;
    }
    return NULL;
}

/* Last resort: the single lib/python3.X folder of a prefix. */
static char *version_from_lib(const char *prefix)
{
    char *lib = mpg_path_join(prefix, "lib");
    DIR *d = opendir(lib);
    free(lib);
    if (!d) return NULL;
    char *v = NULL;
    struct dirent *de;
    while (!v && (de = readdir(d))) v = version_from_name(de->d_name);
    closedir(d);
    return v;
}

/* One key of pyvenv.cfg ("key = value" lines), trimmed, or NULL. */
static char *cfg_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *p = line;
        while (p < line + len && isspace((unsigned char)*p)) p++;
        if ((size_t)(line + len - p) > klen && strncasecmp(p, key, klen) == 0) {
            const char *q = p + klen;
            while (q < line + len && (*q == ' ' || *q == '\t')) q++;
            if (q < line + len && *q == '=') {
                q++;
                while (q < line + len && isspace((unsigned char)*q)) q++;
                const char *e = line + len;
                while (e > q && isspace((unsigned char)e[-1])) e--;
                return mpg_strndup(q, (size_t)(e - q));
            }
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

static void add_dir(struct mpg_strv *sv, char *path)
{
    char *real = mpg_realpath(path);
    free(path);
    if (real && mpg_is_dir(real) && !mpg_strv_contains(sv, real))
        mpg_strv_push(sv, real);
    else
        free(real);
}

char *mpg_pyenv_user_base(const struct mpg_envsnap *env)
{
    const char *ub = mpg_env_nonempty(env, "PYTHONUSERBASE");
    if (ub) return mpg_strdup(ub);
    const char *home = mpg_env_nonempty(env, "HOME");
    return home ? mpg_path_join(home, ".local") : NULL;
}

static void add_user_site(struct mpg_strv *sv, const struct mpg_envsnap *env, const char *pyver)
{
    if (mpg_env_nonempty(env, "PYTHONNOUSERSITE")) return;
    char *ub = mpg_pyenv_user_base(env);
    if (!ub) return;
    if (pyver) {
        add_dir(sv, mpg_concat(ub, "/lib/python", pyver, "/site-packages", NULL));
    } else {
        /* No interpreter to ask: every user site that exists. */
        char *lib = mpg_path_join(ub, "lib");
        DIR *d = opendir(lib);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            char *v = version_from_name(de->d_name);
            if (v) add_dir(sv, mpg_concat(lib, "/python", v, "/site-packages", NULL));
            free(v);
        }
        if (d) closedir(d);
        free(lib);
    }
    free(ub);
}

/* site-packages of a prefix, including Debian's dist-packages layout for system prefixes. */
static void add_prefix_sites(struct mpg_strv *sv, const char *prefix, const char *pyver, bool system)
{
    if (!pyver) return;
    if (system) {
        add_dir(sv, mpg_concat(prefix, "/local/lib/python", pyver, "/dist-packages", NULL));
        add_dir(sv, mpg_concat(prefix, "/lib/python3/dist-packages", NULL));
        add_dir(sv, mpg_concat(prefix, "/lib/python", pyver, "/dist-packages", NULL));
    }
    add_dir(sv, mpg_concat(prefix, "/lib/python", pyver, "/site-packages", NULL));
}

static void add_pythonpath(struct mpg_strv *sv, const struct mpg_envsnap *env)
{
    struct mpg_strv parts = {0};
    mpg_strv_split(&parts, mpg_env_get(env, "PYTHONPATH"), ':');
    const char *pwd = mpg_env_nonempty(env, "PWD");
    for (size_t i = 0; i < parts.n; i++) {
        if (parts.v[i][0] == '/')
            add_dir(sv, mpg_strdup(parts.v[i]));
        else if (pwd)
            add_dir(sv, mpg_path_join(pwd, parts.v[i]));
    }
    mpg_strv_free(&parts);
}

static void fill_conda(struct mpg_env *e, const struct mpg_envsnap *env, bool from_var)
{
    e->kind = MPG_ENV_CONDA;
    const char *exe = mpg_env_nonempty(env, "MAMBA_EXE");
    if (exe && strstr(mpg_basename(exe), "micromamba"))
        e->flavor = mpg_strdup("micromamba");
    else if (mpg_env_nonempty(env, "CONDA_EXE") && strstr(mpg_basename(mpg_env_get(env, "CONDA_EXE")), "mamba"))
        e->flavor = mpg_strdup("mamba");
    else
        e->flavor = mpg_strdup("conda");
    char *condabin = mpg_path_join(e->prefix, "condabin");
    char *envs = mpg_path_join(e->prefix, "envs");
    bool is_root = mpg_is_dir(condabin) || mpg_is_dir(envs);
    free(condabin);
    free(envs);
    const char *dflt = from_var ? mpg_env_nonempty(env, "CONDA_DEFAULT_ENV") : NULL;
    if (is_root)
        e->name = mpg_strdup("base");
    else if (dflt && !strchr(dflt, '/'))
        e->name = mpg_strdup(dflt);
    else
        e->name = mpg_strdup(mpg_basename(e->prefix));
    e->python_version = version_from_bin(e->prefix);
    if (!e->python_version) e->python_version = version_from_lib(e->prefix);
}

static void fill_venv(struct mpg_env *e, struct mpg_strv *problems)
{
    e->kind = MPG_ENV_VENV;
    e->name = mpg_strdup(mpg_basename(e->prefix));
    char *cfgp = mpg_path_join(e->prefix, "pyvenv.cfg");
    char *cfg = mpg_read_file(cfgp, MAX_CFG, NULL);
    if (!cfg) mpg_strv_push(problems, mpg_printf("cannot read %s; assuming a plain venv", cfgp));
    free(cfgp);
    char *home = cfg ? cfg_value(cfg, "home") : NULL;
    char *inc = cfg ? cfg_value(cfg, "include-system-site-packages") : NULL;
    char *ver = cfg ? cfg_value(cfg, "version_info") : NULL;
    if (!ver && cfg) ver = cfg_value(cfg, "version");
    char *uv = cfg ? cfg_value(cfg, "uv") : NULL;
    char *virtualenv = cfg ? cfg_value(cfg, "virtualenv") : NULL;
    e->flavor = mpg_strdup(uv ? "uv" : virtualenv ? "virtualenv" : "venv");
    e->system_site_packages = inc && strcasecmp(inc, "true") == 0;
    if (home && home[0] == '/') {
        char *real = mpg_realpath(home);
        e->base_prefix = mpg_dirname(real ? real : home);
        free(real);
    }
    if (ver) e->python_version = mpg_version_major_minor(ver);
    if (!e->python_version) e->python_version = version_from_bin(e->prefix);
    if (!e->python_version) e->python_version = version_from_lib(e->prefix);
    free(home);
    free(inc);
    free(ver);
    free(uv);
    free(virtualenv);
    free(cfg);
}

static bool looks_like_system_prefix(const char *prefix)
{
    char *deb = mpg_path_join(prefix, "lib/python3/dist-packages");
    bool yes = mpg_is_dir(deb);
    free(deb);
    return yes;
}

bool mpg_pyenv_discover(const struct mpg_envsnap *env, const char *prefix_override, struct mpg_env *e,
                        struct mpg_strv *problems)
{
    memset(e, 0, sizeof *e);
    bool from_var = false;
    if (prefix_override) {
        char *real = mpg_realpath(prefix_override);
        if (!real || !mpg_is_dir(real)) {
            mpg_strv_push(problems, mpg_printf("%s: no such folder", prefix_override));
            free(real);
            return false;
        }
        char *meta = mpg_path_join(real, "conda-meta"), *cfg = mpg_path_join(real, "pyvenv.cfg");
        bool conda = mpg_is_dir(meta), venv = mpg_path_type(cfg) != 0;
        free(meta);
        free(cfg);
        if (!conda && !venv) {
            mpg_strv_push(problems, mpg_printf("%s is neither a conda env (no conda-meta/) nor a venv "
                                               "(no pyvenv.cfg)", prefix_override));
            free(real);
            return false;
        }
        e->prefix = real;
        e->kind = venv ? MPG_ENV_VENV : MPG_ENV_CONDA;
        e->found_by = "--env";
    } else {
        /* What the user's `python` runs decides; the variables only name the env when no
         * python on PATH belongs to one (a script may call $VIRTUAL_ENV/bin/python). So an env
         * whose variables were unset is still found, and a stale variable is not believed. */
        char *venv = usable_prefix("VIRTUAL_ENV", mpg_env_get(env, "VIRTUAL_ENV"), "pyvenv.cfg", problems);
        char *conda = usable_prefix("CONDA_PREFIX", mpg_env_get(env, "CONDA_PREFIX"), "conda-meta", problems);
        enum mpg_env_kind kind = MPG_ENV_NONE;
        char *on_path = env_of_path_python(env, &kind);
        if (on_path) {
            e->prefix = on_path;
            e->kind = kind;
            from_var = conda && strcmp(conda, on_path) == 0;
            e->found_by = (venv && strcmp(venv, on_path) == 0) ? "VIRTUAL_ENV" : from_var ? "CONDA_PREFIX" : "PATH";
            free(venv);
            free(conda);
        } else {
            /* Both active (a venv made inside a conda env): the one whose bin comes first on
             * PATH is the python the user runs. */
            if (venv && conda && path_rank(env, conda) < path_rank(env, venv)) {
                free(venv);
                venv = NULL;
            }
            if (venv) {
                e->prefix = venv;
                e->kind = MPG_ENV_VENV;
                e->found_by = "VIRTUAL_ENV";
                free(conda);
            } else if (conda) {
                e->prefix = conda;
                e->kind = MPG_ENV_CONDA;
                e->found_by = "CONDA_PREFIX";
                from_var = true;
            }
        }
    }

    struct mpg_strv sp = {0};
    add_pythonpath(&sp, env);
    if (e->kind == MPG_ENV_CONDA) {
        fill_conda(e, env, from_var);
        add_user_site(&sp, env, e->python_version);
        add_prefix_sites(&sp, e->prefix, e->python_version, false);
    } else if (e->kind == MPG_ENV_VENV) {
        fill_venv(e, problems);
        /* site.py turns the user site off in a venv that hides the system site packages. */
        if (e->system_site_packages) add_user_site(&sp, env, e->python_version);
        add_prefix_sites(&sp, e->prefix, e->python_version, false);
        if (e->system_site_packages && e->base_prefix)
            add_prefix_sites(&sp, e->base_prefix, e->python_version, looks_like_system_prefix(e->base_prefix));
    } else {
        /* No env: only what the user installed (PYTHONPATH, pip --user); the system python's own
         * packages are the distribution's business. */
        char *py = mpg_which(mpg_env_get(env, "PATH"), "python3");
        char *real = py ? mpg_realpath(py) : NULL;
        e->python_version = real ? version_from_name(mpg_basename(real)) : NULL;
        free(py);
        free(real);
        add_user_site(&sp, env, e->python_version);
    }
    e->sys_path = sp.v;
    e->n_sys_path = sp.n;
    return true;
}

char *mpg_pyenv_python(const struct mpg_env *e, const struct mpg_envsnap *env)
{
    if (e->kind == MPG_ENV_NONE) {
        char *py = mpg_which(mpg_env_get(env, "PATH"), "python3");
        char *real = py ? mpg_realpath(py) : NULL;
        free(py);
        return real;
    }
    static const char *const names[] = {"bin/python3", "bin/python", NULL};
    for (const char *const *n = names; *n; n++) {
        char *p = mpg_path_join(e->prefix, *n);
        char *real = mpg_realpath(p);
        free(p);
        if (real && mpg_is_executable(real)) return real;
        free(real);
    }
    return NULL;
}
