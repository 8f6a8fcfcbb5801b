/* check.c: mpg_check(), the whole pass: env, module, conda records, extensions, loader, findings.
 * Nothing is executed and no library is loaded; each file is opened at most once. */
#include <stdlib.h>
#include <string.h>

#include "conda_meta.h"
#include "elf_memo.h"
#include "elf_read.h"
#include "envsnap.h"
#include "extensions.h"
#include "findings.h"
#include "fsmemo.h"
#include "ldcache.h"
#include "loader.h"
#include "mpi_ident.h"
#include "mpi_module.h"
#include "mpiguard.h"
#include "pyenv.h"
#include "util.h"

extern char **environ;

#define DEFAULT_LD_CACHE "/etc/ld.so.cache"

/* The interpreter's RPATH/RUNPATH and class: conda's python carries DT_RPATH $ORIGIN/../lib,
 * which puts the env's own lib folder ahead of LD_LIBRARY_PATH for every extension. */
static void python_facts(const char *python, struct mpg_dircache *dc, struct mpg_loader *ld, char **rpath,
                         char **runpath, char **dir)
{
    struct mpg_elf e;
    *rpath = *runpath = NULL;
    *dir = NULL;
    ld->is64 = sizeof(void *) == 8;
#if defined(__x86_64__)
    ld->machine = 62; /* EM_X86_64 */
#elif defined(__aarch64__)
    ld->machine = 183; /* EM_AARCH64 */
#elif defined(__powerpc64__)
    ld->machine = 21; /* EM_PPC64 */
#endif
    if (!python || mpg_elf_open_cached(python, dc, &e, NULL, 0) != 0) return;
    ld->is64 = e.is64;
    ld->machine = e.machine;
    *rpath = mpg_strdup(e.rpath);
    *runpath = mpg_strdup(e.runpath);
    ld->exe_has_runpath = e.runpath != NULL;
    *dir = mpg_dirname(python);
    mpg_elf_close(&e);
}

static bool prefix_has_libmpi(const char *prefix)
{
    char *lib = mpg_path_join(prefix, "lib");
    char *found = mpg_find_libmpi_in(lib);
    bool yes = found != NULL;
    free(found);
    free(lib);
    return yes;
}

/* Problems name the user's paths and quote their files: they reach people, so escaped. */
static void set_problems(struct mpg_report *r, struct mpg_strv *problems)
{
    for (size_t i = 0; i < problems->n; i++) {
        char *shown = mpg_escape_for_display(problems->v[i]);
        free(problems->v[i]);
        problems->v[i] = shown;
    }
    r->problems = problems->v;
    r->n_problems = problems->n;
}

/* Variables the check reads that are too long to be used are ignored: each gets a line, so
 * a 120 kB CONDA_PREFIX is not silently an env that was not checked. */
static void note_ignored_variables(const struct mpg_envsnap *env, struct mpg_strv *problems)
{
    static const char *const vars[] = {"VIRTUAL_ENV", "CONDA_PREFIX", "PATH", "LD_LIBRARY_PATH", "PYTHONPATH",
                                       "PYTHONUSERBASE", "HOME", "MPICC", "MPI_HOME", "LMOD_FAMILY_MPI",
                                       "LOADEDMODULES", "MPI4PY_LIBMPI", "MPI4PY_MPIABI", "LD_PRELOAD", NULL};
    if (!mpg_env_any_too_long(env)) return;
    for (const char *const *v = vars; *v; v++) {
        size_t n = mpg_env_too_long(env, *v);
        if (n)
            mpg_strv_push(problems, mpg_printf("%s is %zu characters long (at most %d are read): ignored, so what it "
                                               "names was not inspected", *v, n, MPG_MAX_PATH * 16));
    }
}

/* What mpg_check_exporting() adds to a check: the exports, and where their wrappers go. */
struct exporting {
    const struct mpg_export *ex;
    size_t n_ex;
    struct mpg_wrappers *w;
};

static struct mpg_report *check(const struct mpg_input *in, const struct exporting *x);

/* One pass; what it learns about the file system is remembered for the pass only. */
struct mpg_report *mpg_check(const struct mpg_input *in)
{
    bool began = mpg_fsmemo_begin();
    struct mpg_report *r = check(in, NULL);
    if (began) mpg_fsmemo_end();
    return r;
}

struct mpg_report *mpg_check_exporting(const struct mpg_input *in, const struct mpg_export *ex, size_t n_ex,
                                       struct mpg_wrappers *w)
{
    bool began = mpg_fsmemo_begin();
    struct exporting x = {ex, n_ex, w};
    struct mpg_report *r = check(in, &x);
    if (began) mpg_fsmemo_end();
    return r;
}

/* The module's wrappers into x->w, and env's variables with the exports set to them in *vars
 * (NULL-terminated; its strings from index `from` on are malloc'd), which env then reads. */
static void take_exports(const struct mpg_module *m, const struct exporting *x, struct mpg_envsnap *env,
                         const char ***vars, size_t *from)
{
    if (mpg_wrappers_of_module(m, x->w) < 0) return;
    /* each export's value, NULL when it is not exported (no such wrapper, or unsafe for the shell) */
    const char **value = mpg_xcalloc(x->n_ex + 1, sizeof *value);
    for (size_t e = 0; e < x->n_ex; e++) {
        const char *p = mpg_wrapper_path(x->w, x->ex[e].wrapper);
        value[e] = mpg_safe_for_shell_eval(p) ? p : NULL;
    }
    size_t n = 0;
    while (env->vars[n]) n++;
    const char **v = mpg_xcalloc(n + x->n_ex + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t e = 0; e < x->n_ex && !replaced; e++) {
            size_t len = strlen(x->ex[e].var);
            replaced = value[e] && strncmp(env->vars[i], x->ex[e].var, len) == 0 && env->vars[i][len] == '=';
        }
        if (!replaced) v[k++] = env->vars[i];
    }
    *from = k;
    for (size_t e = 0; e < x->n_ex; e++)
        if (value[e]) v[k++] = mpg_concat(x->ex[e].var, "=", value[e], NULL);
    free(value);
    *vars = v;
    env->vars = v;
}

static void free_exports(const char **vars, size_t from)
{
    for (size_t i = from; vars && vars[i]; i++) free((char *)vars[i]);
    free(vars);
}

static struct mpg_report *check_env(const struct mpg_input *in, struct mpg_report *r, struct mpg_envsnap env,
                                    struct mpg_dircache *dc, struct mpg_strv problems);

static struct mpg_report *check(const struct mpg_input *in, const struct exporting *x)
{
    struct mpg_report *r = mpg_xcalloc(1, sizeof *r);
    struct mpg_envsnap env = {.vars = in && in->environ ? in->environ : (const char *const *)environ};
    struct mpg_strv problems = {0};
    note_ignored_variables(&env, &problems);

    r->inspected = mpg_pyenv_discover(&env, in ? in->env_prefix : NULL, &r->env, &problems);
    /* The listing cache (read on first use) also remembers what the module's libmpi is, when
     * there is an env, whose folders the check reads it for anyway; with none, reading it for
     * that alone would cost about what it saves. */
    bool any_env = r->env.kind != MPG_ENV_NONE;
    struct mpg_dircache *dc = r->inspected ? mpg_dircache_new(&env) : NULL;
    mpg_module_discover(&env, any_env ? r->env.prefix : NULL, in ? in->mpi_modules : NULL, any_env ? dc : NULL,
                        &r->module, &problems);
    const char **vars = NULL;
    size_t from = 0;
    if (x) take_exports(&r->module, x, &env, &vars, &from);
    if (!r->inspected) {
        set_problems(r, &problems);
    } else {
        r = check_env(in, r, env, dc, problems);
    }
    mpg_dircache_free(dc);
    free_exports(vars, from);
    return r;
}

/* What the loader needs only to find a library: the python's RPATH/RUNPATH, class and machine,
 * and ld.so.cache (mpg_loader_deferred: read on the first resolution). */
struct loader_files {
    const char *python, *cache_path;
    bool cache_named; /* the caller named the cache: a failure to read it is a problem line */
    struct mpg_strv *problems;
    struct mpg_dircache *dc;
    struct mpg_ldcache cache;
    bool have_cache;
    char *rpath, *runpath, *dir;
};

static void read_loader_files(struct mpg_loader *ld, void *ctx)
{
    struct loader_files *f = ctx;
    char err[512];
    f->have_cache = mpg_ldcache_load(f->cache_path, &f->cache, err, sizeof err) == 0;
    if (!f->have_cache && f->cache_named) mpg_strv_push(f->problems, mpg_strdup(err));
    ld->cache = f->have_cache ? &f->cache : NULL;
    python_facts(f->python, f->dc, ld, &f->rpath, &f->runpath, &f->dir);
    ld->exe_rpath = f->rpath;
    ld->exe_runpath = f->runpath;
    ld->exe_dir = f->dir;
}

/* The rest of the pass, once the env and the module are known: extensions, loader, conda
 * records, findings. problems (the lines so far) become r's. */
static struct mpg_report *check_env(const struct mpg_input *in, struct mpg_report *r, struct mpg_envsnap env,
                                    struct mpg_dircache *dc, struct mpg_strv problems)
{
    char err[512];
    char *python = mpg_pyenv_python(&r->env, &env);
    struct loader_files files = {
        .python = python,
        .cache_path = in && in->ld_cache ? in->ld_cache : DEFAULT_LD_CACHE,
        .cache_named = in && in->ld_cache,
        .problems = &problems,
        .dc = dc,
    };
    struct mpg_loader ld = {
        .ld_library_path = mpg_env_get(&env, "LD_LIBRARY_PATH"),
        .cwd = mpg_env_nonempty(&env, "PWD"),
    };
    struct mpg_loader_deferred deferred = {false, read_loader_files, &files, &ld};
    ld.deferred = &deferred;

    struct mpg_ext_scan ext;
    mpg_find_extensions(&r->env, &env, &ld, python, dc, &r->module.mpi, &ext, &problems);
    r->packages = ext.pkgs;
    r->n_packages = ext.n_pkgs;
    ext.pkgs = NULL;
    ext.n_pkgs = 0;

    /* conda-meta is listed only when there is MPI to explain: an MPI-linked package, or a libmpi
     * in the env's lib. A big env without MPI costs a few stats. */
    struct mpg_conda_scan conda = {0};
    if (r->env.kind == MPG_ENV_CONDA && (r->n_packages || prefix_has_libmpi(r->env.prefix))) {
        mpg_conda_scan(r->env.prefix, dc, &conda, &problems);
        r->conda_mpi = conda.mpi;
        r->n_conda_mpi = conda.n_mpi;
        conda.mpi = NULL;
        conda.n_mpi = 0;
    }
    for (size_t i = 0; i < r->n_packages; i++) {
        struct mpg_package *p = &r->packages[i];
        if (p->resolved && !p->mpi.path &&
            mpg_identify_mpi_cached(p->resolved, dc, &p->mpi, err, sizeof err) != 0)
            mpg_strv_push(&problems, mpg_printf("%s's MPI library: %s", p->name, err));
        if (!p->version && conda.mpi4py_version && strcmp(p->name, "mpi4py") == 0)
            p->version = mpg_strdup(conda.mpi4py_version);
    }
    mpg_compute_findings(r, &env, &ext);

    mpg_ext_scan_free(&ext);
    free(python);
    free(files.rpath);
    free(files.runpath);
    free(files.dir);
    if (files.have_cache) mpg_ldcache_free(&files.cache);
    mpg_conda_scan_free(&conda);
    set_problems(r, &problems);
    return r;
}
