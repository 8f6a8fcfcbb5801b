/* helpers.c: see helpers.h. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fx(void)
{
    const char *d = getenv("MPG_FIXTURES");
    cr_assert(d, "MPG_FIXTURES is not set: fixtures were not built");
    return d;
}

/* Strings the helpers hand out stay reachable from here until the test process exits, so
 * LeakSanitizer reports only what the library under test leaks, not the tests' scaffolding. */
static char **kept;
static size_t n_kept, cap_kept;

static char *keep(char *s)
{
    if (n_kept == cap_kept) {
        cap_kept = cap_kept ? cap_kept * 2 : 64;
        kept = realloc(kept, cap_kept * sizeof *kept);
        cr_assert(kept);
    }
    kept[n_kept++] = s;
    return s;
}

char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    cr_assert(vasprintf(&s, f, ap) >= 0);
    va_end(ap);
    return keep(s);
}

char *joinp(const char *a, const char *b) { return fmt("%s/%s", a, b); }

char *canon_path(const char *p)
{
    char *r = realpath(p, NULL);
    cr_assert(r, "realpath %s: %s", p, strerror(errno));
    return keep(r);
}
char *fxp(const char *name) { return joinp(fx(), name); }

char *scratch(void)
{
    /* Under the fixture folder, so the run's POST_ALL hook removes it. */
    char *tmpl = fmt("%s/scratch-XXXXXX", fx());
    cr_assert(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
    chmod(tmpl, 0755);
    return tmpl;
}

void mkdirs(const char *path)
{
    char *p = strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
    free(p);
}

void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "copy %s -> %s: %s", from, to, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) cr_assert(fwrite(buf, 1, n, out) == n);
    fclose(in);
    fclose(out);
    chmod(to, 0755);
}

void envb_init(struct envb *e)
{
    memset(e, 0, sizeof *e);
    envb_set(e, "PATH", "/usr/bin:/bin");
    char *home = scratch();
    envb_set(e, "HOME", home);
    free(home);
}

void envb_set(struct envb *e, const char *name, const char *value)
{
    size_t n = strlen(name);
    for (int i = 0; i < e->n; i++)
        if (strncmp(e->v[i], name, n) == 0 && e->v[i][n] == '=') {
            free(e->v[i]);
            e->v[i] = fmt("%s=%s", name, value);
            return;
        }
    cr_assert(e->n < 511);
    e->v[e->n++] = fmt("%s=%s", name, value);
    e->v[e->n] = NULL;
}

const char *envb_get(const struct envb *e, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < e->n; i++)
        if (strncmp(e->v[i], name, n) == 0 && e->v[i][n] == '=') return e->v[i] + n + 1;
    return NULL;
}

void envb_prepend_path(struct envb *e, const char *name, const char *dir)
{
    const char *old = envb_get(e, name);
    char *v = old && *old ? fmt("%s:%s", dir, old) : strdup(dir);
    envb_set(e, name, v);
    free(v);
}

void envb_free(struct envb *e)
{
    for (int i = 0; i < e->n; i++) free(e->v[i]);
    e->n = 0;
}

void load_module(struct envb *e, const char *which)
{
    if (strcmp(which, "mpich") == 0) {
        char *home = fxp("mpich-module"), *bin = joinp(home, "bin"), *lib = joinp(home, "lib");
        envb_set(e, "LMOD_FAMILY_MPI", "mpich");
        envb_set(e, "LMOD_FAMILY_MPI_VERSION", "4.0.2");
        envb_set(e, "MPI_HOME", home);
        envb_prepend_path(e, "PATH", bin);
        envb_prepend_path(e, "LD_LIBRARY_PATH", lib);
        free(home), free(bin), free(lib);
    } else if (strcmp(which, "mpich-debian") == 0) {
        char *bin = fxp("mpich-debian/bin");
        envb_set(e, "LMOD_FAMILY_MPI", "mpich");
        envb_set(e, "LMOD_FAMILY_MPI_VERSION", "4.0.2");
        envb_prepend_path(e, "PATH", bin);
        envb_prepend_path(e, "LD_LIBRARY_PATH", "/usr/lib/x86_64-linux-gnu");
        free(bin);
    } else {
        char *home = fxp("openmpi-module"), *bin = joinp(home, "bin");
        envb_set(e, "LMOD_FAMILY_MPI", "openmpi");
        envb_set(e, "LMOD_FAMILY_MPI_VERSION", "4.1.4");
        envb_set(e, "MPI_HOME", home);
        envb_prepend_path(e, "PATH", bin);
        envb_prepend_path(e, "LD_LIBRARY_PATH", "/usr/lib/x86_64-linux-gnu/openmpi/lib");
        free(home), free(bin);
    }
}

char *site_dir(const char *prefix) { return joinp(prefix, "lib/python3.11/site-packages"); }

char *make_conda(const char *root, const char *name)
{
    char *prefix = fmt("%s/envs/%s", root, name);
    char *meta = joinp(prefix, "conda-meta"), *bin = joinp(prefix, "bin"), *site = site_dir(prefix);
    mkdirs(meta), mkdirs(bin), mkdirs(site);
    char *py = joinp(bin, "python3.11"), *src = fxp("python_conda");
    copy_file(src, py);
    char *l1 = joinp(bin, "python3"), *l2 = joinp(bin, "python");
    cr_assert(symlink("python3.11", l1) == 0 && symlink("python3.11", l2) == 0);
    conda_record(prefix, "python", "3.11.9", "hab00c5b_0_cpython", "conda-forge", "[\"bin/python3.11\"]", NULL);
    free(meta), free(bin), free(site), free(py), free(src), free(l1), free(l2);
    return prefix;
}

void conda_record(const char *prefix, const char *name, const char *version, const char *build,
                  const char *channel, const char *files_json, const char *extra_json)
{
    char *path = fmt("%s/conda-meta/%s-%s-%s.json", prefix, name, version, build);
    char *text = fmt("{\"name\": \"%s\", \"version\": \"%s\", \"build\": \"%s\", \"build_number\": 0,"
                     " \"channel\": \"%s\", \"subdir\": \"linux-64\", \"depends\": [], \"files\": %s%s%s}\n",
                     name, version, build, channel, files_json, extra_json ? ", " : "", extra_json ? extra_json : "");
    write_file(path, text);
    free(path), free(text);
}

char *make_venv(const char *root, const char *name, bool system_site)
{
    char *prefix = joinp(root, name);
    char *cmd = fmt("/usr/bin/python3 -m venv --without-pip %s '%s'", system_site ? "--system-site-packages" : "", prefix);
    cr_assert(system(cmd) == 0, "%s failed", cmd);
    free(cmd);
    return prefix;
}

void put_mpi4py(const char *site, const char *ext_fixture, const char *installer, const char *mpicc_cfg)
{
    char *pkg = joinp(site, "mpi4py"), *info = joinp(site, "mpi4py-3.1.6.dist-info");
    mkdirs(pkg), mkdirs(info);
    char *init = joinp(pkg, "__init__.py"), *so = joinp(pkg, "MPI.cpython-311-x86_64-linux-gnu.so");
    char *src = fxp(ext_fixture), *inst = joinp(info, "INSTALLER");
    write_file(init, "");
    copy_file(src, so);
    if (installer) {
        char *t = fmt("%s\n", installer);
        write_file(inst, t);
        free(t);
    }
    if (mpicc_cfg) {
        char *cfg = joinp(pkg, "mpi.cfg"), *t = fmt("[mpi]\nmpicc = %s\n", mpicc_cfg);
        write_file(cfg, t);
        free(cfg), free(t);
    }
    free(pkg), free(info), free(init), free(so), free(src), free(inst);
}

void activate_conda(struct envb *e, const char *prefix, const char *name)
{
    char *bin = joinp(prefix, "bin");
    envb_set(e, "CONDA_PREFIX", prefix);
    envb_set(e, "CONDA_DEFAULT_ENV", name);
    envb_set(e, "CONDA_EXE", "/opt/conda/bin/conda");
    envb_prepend_path(e, "PATH", bin);
    free(bin);
}

void activate_venv(struct envb *e, const char *prefix)
{
    char *bin = joinp(prefix, "bin");
    envb_set(e, "VIRTUAL_ENV", prefix);
    envb_prepend_path(e, "PATH", bin);
    free(bin);
}

struct mpg_report *run_check(struct envb *e, const char *env_prefix)
{
    struct mpg_input in = {.environ = (const char *const *)e->v, .env_prefix = env_prefix};
    struct mpg_report *r = mpg_check(&in);
    cr_assert(r);
    oracle_agrees(e, r);
    return r;
}

const struct mpg_finding *finding(const struct mpg_report *r, const char *code)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].code, code) == 0) return &r->findings[i];
    return NULL;
}

int count_findings(const struct mpg_report *r, const char *code)
{
    int n = 0;
    for (size_t i = 0; i < r->n_findings; i++) n += !code || strcmp(r->findings[i].code, code) == 0;
    return n;
}

char *codes(const struct mpg_report *r)
{
    char *s = strdup("");
    for (size_t i = 0; i < r->n_findings; i++) {
        char *t = fmt("%s%s%s", s, i ? " " : "", r->findings[i].code);
        free(s);
        s = t;
    }
    if (!*s) {
        free(s);
        s = strdup("(none)");
    }
    return s;
}
