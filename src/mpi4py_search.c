/* mpi4py_search.c: mpi4py >= 4.1's library search at import, step by step (see the header). */
#include "mpi4py_search.h"

#include <ctype.h>
#include <dirent.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "elf_read.h"
#include "mpi_ident.h"
#include "pyenv.h"

#define MAX_CANDIDATES 256
#define MAX_LISTING 4096

static const char *const names_41[] = {"libmpi.so", "libmpi.so.12", "libmpi.so.40", NULL};
static const char *const names_main[] = {"libmpi.so", "libmpi.so.12", "libmpi.so.40", "libmpi_abi.so.1", NULL};

enum mpg_mpi4py_rules mpg_mpi4py_rules_for(const char *version)
{
    if (!version) return MPG_MPI4PY_41;
    return mpg_version_cmp(version, "4.2", 2) >= 0 ? MPG_MPI4PY_MAIN : MPG_MPI4PY_41;
}

const char *mpg_mpi4py_rules_name(enum mpg_mpi4py_rules r) { return r == MPG_MPI4PY_MAIN ? "4.2" : "4.1"; }

void mpg_mpi4py_result_clear(struct mpg_mpi4py_result *r)
{
    free(r->abi);
    free(r->library);
    free(r->how);
    free(r->variant);
    free(r->error);
    mpg_strv_free(&r->tried);
    for (size_t i = 0; i < r->n_loaded; i++) {
        free(r->loaded[i].path);
        free(r->loaded[i].soname);
    }
    free(r->loaded);
    memset(r, 0, sizeof *r);
}

/* ---- the package folder ------------------------------------------------------------------- */

/* "MPI.mpich.cpython-311-x86_64-linux-gnu.so" -> "mpich" (malloc'd); NULL for other names. A
 * plain extension ("MPI.cpython-311-x86_64-linux-gnu.so", "MPI.abi3.so", "MPI.so") sets *plain. */
static char *variant_of(const char *name, bool *plain)
{
    if (!mpg_str_starts(name, "MPI.") || !mpg_str_ends(name, ".so")) return NULL;
    const char *v = name + 4, *dot = strchr(v, '.');
    if (!dot) { /* "MPI.so" */
        *plain = true;
        return NULL;
    }
    if (mpg_str_starts(v, "cpython-") || mpg_str_starts(v, "abi3.") || mpg_str_starts(v, "pypy")) {
        *plain = true;
        return NULL;
    }
    for (const char *p = v; p < dot; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p)) return NULL;
    return mpg_strndup(v, (size_t)(dot - v));
}

bool mpg_mpi4py_is_multi_abi(const char *pkgdir)
{
    DIR *d = opendir(pkgdir);
    if (!d) return false;
    bool variants = false, plain = false;
    struct dirent *de;
    for (int n = 0; n < MAX_LISTING && (de = readdir(d)); n++) {
        char *v = variant_of(de->d_name, &plain);
        variants |= v != NULL;
        free(v);
    }
    closedir(d);
    return variants && !plain;
}

/* The file Python imports for MPI<infix>: each of EXTENSION_SUFFIXES in order
 * (.cpython-3XY-<triplet>.so, .abi3.so, .so), among names (NULL: pkgdir listed). */
static char *extension_file(const char *pkgdir, const char *prefix, const char *pyver, const struct mpg_strv *names);

char *mpg_mpi4py_plain_extension(const char *pkgdir, const char *pyver, const struct mpg_strv *names)
{
    return extension_file(pkgdir, "MPI.", pyver, names);
}

bool mpg_mpi4py_is_extension_name(const char *name) { return mpg_str_starts(name, "MPI.") && mpg_str_ends(name, ".so"); }

static char *variant_file(const char *pkgdir, const char *abi, const char *pyver)
{
    if (!abi) return NULL;
    char *prefix = mpg_concat("MPI.", abi, ".", NULL);
    char *f = extension_file(pkgdir, prefix, pyver, NULL);
    free(prefix);
    return f;
}

static char *extension_file(const char *pkgdir, const char *prefix, const char *pyver, const struct mpg_strv *names)
{
    char tag[32] = "";
    if (pyver && strlen(pyver) < 8) {
        char digits[16];
        size_t n = 0;
        for (const char *p = pyver; *p && n < sizeof digits - 1; p++)
            if (isdigit((unsigned char)*p)) digits[n++] = *p;
        digits[n] = '\0';
        snprintf(tag, sizeof tag, "cpython-%s-", digits);
    }
    struct mpg_strv listed = {0};
    if (!names) {
        DIR *d = opendir(pkgdir);
        if (!d) return NULL;
        struct dirent *de;
        for (int n = 0; n < MAX_LISTING && (de = readdir(d)); n++)
            if (mpg_mpi4py_is_extension_name(de->d_name)) mpg_strv_add(&listed, de->d_name);
        closedir(d);
        names = &listed;
    }
    char *best = NULL;
    int best_rank = 99;
    for (size_t n = 0; n < names->n; n++) {
        const char *name = names->v[n];
        if (!mpg_str_starts(name, prefix) || !mpg_str_ends(name, ".so")) continue;
        const char *suffix = name + strlen(prefix);
        int rank = tag[0] && mpg_str_starts(suffix, tag) ? 0 : !tag[0] && mpg_str_starts(suffix, "cpython-") ? 0
                 : strcmp(suffix, "abi3.so") == 0 ? 1 : strcmp(suffix, "so") == 0 ? 2 : 99;
        if (rank < best_rank) {
            best_rank = rank;
            free(best);
            best = mpg_path_join(pkgdir, name);
        }
    }
    mpg_strv_free(&listed);
    return best;
}

/* ---- the folder list ------------------------------------------------------------------------ */

char *mpg_mpi4py_expand(const struct mpg_envsnap *env, const char *s)
{
    /* expandvars: $NAME or ${NAME} of a set variable; anything else stays */
    size_t cap = strlen(s) + 1, n = 0;
    char *out = mpg_xmalloc(cap);
    for (const char *p = s; *p;) {
        const char *val = NULL;
        size_t used = 0;
        if (*p == '$') {
            bool brace = p[1] == '{';
            const char *name = p + 1 + brace;
            size_t len = 0;
            while (isalnum((unsigned char)name[len]) || name[len] == '_') len++;
            if (len && (!brace || name[len] == '}')) {
                char *nm = mpg_strndup(name, len);
                val = mpg_env_get(env, nm);
                free(nm);
                used = 1 + brace + len + brace;
            }
        }
        const char *add = val ? val : p;
        size_t alen = val ? strlen(val) : 1;
        if (n + alen + 1 > cap) {
            cap = (n + alen + 1) * 2;
            out = mpg_xrealloc(out, cap);
        }
        memcpy(out + n, add, alen);
        n += alen;
        p += val ? used : 1;
    }
    out[n] = '\0';
    /* expanduser: ~ and ~user at the start */
    if (out[0] != '~') return out;
    size_t ulen = strcspn(out + 1, "/");
    char *home = NULL;
    if (ulen == 0) {
        home = mpg_strdup(mpg_env_nonempty(env, "HOME"));
    } else {
        char *user = mpg_strndup(out + 1, ulen);
        struct passwd *pw = getpwnam(user);
        home = pw ? mpg_strdup(pw->pw_dir) : NULL;
        free(user);
    }
    if (!home) return out;
    char *res = mpg_printf("%s%s", home, out + 1 + ulen);
    free(home);
    free(out);
    return res;
}

/* _site_prefixes(): the venv's prefix (in a venv), the user base (user site enabled), the base
 * prefix when it is in site.PREFIXES; each gives <prefix>/lib unless it is /usr. Then "". */
static void default_folders(const struct mpg_mpi4py_ctx *c, struct mpg_strv *dirs, struct mpg_strv *what)
{
    const struct mpg_env *e = c->env;
    const char *cwd = mpg_env_nonempty(c->snap, "PWD");
    struct mpg_strv prefixes = {0}, kinds = {0};
    if (e->kind == MPG_ENV_VENV) {
        mpg_strv_add(&prefixes, e->prefix);
        mpg_strv_add(&kinds, "the venv's lib");
    }
    /* site.ENABLE_USER_SITE: off with PYTHONNOUSERSITE, and in a venv without system site packages */
    bool user_site = !mpg_env_nonempty(c->snap, "PYTHONNOUSERSITE") && (e->kind != MPG_ENV_VENV || e->system_site_packages);
    char *ub = user_site ? mpg_pyenv_user_base(c->snap) : NULL;
    if (ub && ub[0] != '/' && cwd) { /* os.path.abspath */
        char *abs = mpg_path_join(cwd, ub);
        free(ub);
        ub = abs;
    }
    if (ub) {
        mpg_strv_push(&prefixes, ub);
        mpg_strv_add(&kinds, "the user base's lib");
    }
    char *base = NULL;
    if (e->kind == MPG_ENV_CONDA)
        base = mpg_strdup(e->prefix);
    else if (e->kind == MPG_ENV_VENV && e->system_site_packages)
        base = mpg_strdup(e->base_prefix);
    else if (e->kind == MPG_ENV_NONE && c->python) {
        char *bin = mpg_dirname(c->python);
        base = mpg_dirname(bin);
        free(bin);
    }
    if (base) {
        mpg_strv_push(&prefixes, base);
        mpg_strv_add(&kinds, "the base prefix's lib");
    }
    for (size_t i = 0; i < prefixes.n; i++) {
        if (strcmp(prefixes.v[i], "/usr") == 0) continue;
        char *lib = mpg_path_join(prefixes.v[i], "lib");
        if (!mpg_strv_contains(dirs, lib)) {
            mpg_strv_push(dirs, lib);
            mpg_strv_add(what, kinds.v[i]);
        } else {
            free(lib);
        }
    }
    mpg_strv_add(dirs, "");
    mpg_strv_add(what, "the loader path");
    mpg_strv_free(&prefixes);
    mpg_strv_free(&kinds);
}

/* os.path.join(dir, name): name alone for "", one '/' between. */
static char *pjoin(const char *dir, const char *name)
{
    if (!dir[0]) return mpg_strdup(name);
    if (name[0] == '/') return mpg_strdup(name);
    return mpg_concat(dir, mpg_str_ends(dir, "/") ? "" : "/", name, NULL);
}

static bool is_dir_at(const char *p, const char *cwd)
{
    if (p[0] == '/') return mpg_is_dir(p);
    if (!cwd) return false;
    char *abs = mpg_path_join(cwd, p);
    bool yes = mpg_is_dir(abs);
    free(abs);
    return yes;
}

/* A candidate to dlopen and why it is tried. */
struct cand {
    char *name, *where;
};

static void push_cand(struct cand **v, size_t *n, char *name, const char *where)
{
    if (*n >= MAX_CANDIDATES) {
        free(name);
        return;
    }
    *v = mpg_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = (struct cand){name, mpg_strdup(where)};
}

/* 4.1.x: libmpi_paths(path) over MPI4PY_LIBMPI's entries (or the default folders). */
static void candidates_41(const struct mpg_mpi4py_ctx *c, const char *libmpi, struct cand **v, size_t *n)
{
    const char *cwd = mpg_env_nonempty(c->snap, "PWD");
    struct mpg_strv dirs = {0}, what = {0};
    if (libmpi) {
        for (const char *p = libmpi;;) { /* os.pathsep split keeps empty entries */
            size_t len = strcspn(p, ":");
            mpg_strv_push(&dirs, mpg_strndup(p, len));
            mpg_strv_add(&what, "MPI4PY_LIBMPI");
            if (!p[len]) break;
            p += len + 1;
        }
    } else {
        default_folders(c, &dirs, &what);
    }
    for (size_t i = 0; i < dirs.n; i++) {
        char *entry = mpg_mpi4py_expand(c->snap, dirs.v[i]);
        if (!entry[0] || is_dir_at(entry, cwd)) {
            for (const char *const *nm = names_41; *nm; nm++) push_cand(v, n, pjoin(entry, *nm), what.v[i]);
            free(entry);
        } else {
            push_cand(v, n, entry, what.v[i]);
        }
    }
    mpg_strv_free(&dirs);
    mpg_strv_free(&what);
}

/* 4.2 (main): libmpi_filenames(filename, path): for each folder, each name (a bare name joined
 * to the folder), then expanded. */
static void candidates_main(const struct mpg_mpi4py_ctx *c, const char *libmpi, struct cand **v, size_t *n)
{
    struct mpg_strv dirs = {0}, what = {0}, names = {0};
    default_folders(c, &dirs, &what);
    if (libmpi) {
        for (const char *p = libmpi;;) {
            size_t len = strcspn(p, ":");
            mpg_strv_push(&names, mpg_strndup(p, len));
            if (!p[len]) break;
            p += len + 1;
        }
    } else {
        for (const char *const *nm = names_main; *nm; nm++) mpg_strv_add(&names, *nm);
    }
    for (size_t i = 0; i < dirs.n; i++)
        for (size_t j = 0; j < names.n; j++) {
            const char *loc = names.v[j];
            char *joined = strcmp(mpg_basename(loc), loc) == 0 ? pjoin(dirs.v[i], loc) : mpg_strdup(loc);
            push_cand(v, n, mpg_mpi4py_expand(c->snap, joined), what.v[i]);
            free(joined);
        }
    mpg_strv_free(&dirs);
    mpg_strv_free(&what);
    mpg_strv_free(&names);
}

/* ---- dlopen + MPI_Get_version --------------------------------------------------------------- */

const struct mpg_mpi4py_loaded *mpg_mpi4py_loaded_soname(const struct mpg_mpi4py_result *r, const char *soname)
{
    for (size_t i = 0; i < r->n_loaded; i++)
        if (r->loaded[i].soname && strcmp(r->loaded[i].soname, soname) == 0) return &r->loaded[i];
    return NULL;
}

static void note_loaded(struct mpg_mpi4py_result *r, const char *path, const char *soname)
{
    for (size_t i = 0; i < r->n_loaded; i++)
        if (strcmp(r->loaded[i].path, path) == 0) return;
    r->loaded = mpg_xrealloc(r->loaded, (r->n_loaded + 1) * sizeof *r->loaded);
    r->loaded[r->n_loaded++] = (struct mpg_mpi4py_loaded){mpg_strdup(path), mpg_strdup(soname)};
}

/* ctypes.CDLL(name): the file the loader gives (a library already loaded with that SONAME for a
 * bare name), whose own dependencies must load too. Returns the canonical path, or NULL with
 * why (the OSError's text). */
static char *try_dlopen(const struct mpg_mpi4py_ctx *c, struct mpg_mpi4py_result *r, const char *name, char **why,
                        const char **via)
{
    *via = NULL;
    if (!strchr(name, '/')) {
        const struct mpg_mpi4py_loaded *l = mpg_mpi4py_loaded_soname(r, name);
        if (l) {
            *via = "already loaded";
            return mpg_strdup(l->path);
        }
    }
    struct mpg_resolved res = mpg_loader_dlopen(c->ld, name);
    *via = res.via;
    if (!res.path) {
        *why = res.error ? mpg_strdup(res.error) : mpg_printf("%s: cannot open shared object file", name);
        mpg_resolved_clear(&res);
        return NULL;
    }
    struct mpg_elf e;
    char err[256];
    if (mpg_elf_open(res.path, &e, err, sizeof err) != 0) {
        *why = mpg_printf("%s: %s", res.path, err);
        mpg_resolved_clear(&res);
        return NULL;
    }
    /* its dependencies, as the loader looks for them on its behalf */
    char *path = res.path;
    res.path = NULL;
    mpg_resolved_clear(&res);
    struct mpg_loader_obj chain[] = {{&e, path}};
    for (size_t i = 0; i < e.n_needed && !*why; i++) {
        if (mpg_mpi4py_loaded_soname(r, e.needed[i])) continue;
        struct mpg_resolved d = mpg_loader_resolve_chain(c->ld, chain, 1, e.needed[i]);
        if (!d.path)
            *why = d.error ? mpg_strdup(d.error) : mpg_printf("%s: cannot open shared object file (needed by %s)",
                                                               e.needed[i], path);
        mpg_resolved_clear(&d);
    }
    if (*why) {
        mpg_elf_close(&e);
        free(path);
        return NULL;
    }
    note_loaded(r, path, e.soname);
    mpg_elf_close(&e);
    return path;
}

/* lib.MPI_Get_version: the library defines it (every MPI C library does itself). */
static bool has_symbol(const char *path, const char *sym)
{
    struct mpg_elf e;
    if (mpg_elf_open(path, &e, NULL, 0) != 0) return false;
    bool yes = mpg_elf_defines(&e, sym);
    mpg_elf_close(&e);
    return yes;
}

/* _get_mpiabi_from_libmpi(): the ABI from the library's symbols. */
static char *abi_of_library(const char *path)
{
    struct mpg_elf e;
    if (mpg_elf_open(path, &e, NULL, 0) != 0) return mpg_strdup("mpich");
    const char *abi = e.soname && mpg_str_starts(e.soname, "libmpi_abi.so") && mpg_elf_defines(&e, "MPI_Abi_get_version")
                          ? "mpiabi"
                      : mpg_elf_defines(&e, "ompi_mpi_comm_self") ? "openmpi" : "mpich";
    mpg_elf_close(&e);
    return mpg_strdup(abi);
}

/* _get_mpiabi_from_string(): " -_" removed, lower case; impi is mpich on POSIX. */
static char *normalize_abi(const char *s)
{
    char *out = mpg_xmalloc(strlen(s) + 1), *o = out;
    for (const char *p = s; *p; p++)
        if (*p != ' ' && *p != '-' && *p != '_') *o++ = (char)tolower((unsigned char)*p);
    *o = '\0';
    if (strcmp(out, "impi") == 0) {
        free(out);
        out = mpg_strdup("mpich");
    }
    return out;
}

/* dlopen(NULL): an MPI in the process's global scope: LD_PRELOAD, or a library the python
 * executable links. */
static char *already_loaded(const struct mpg_mpi4py_ctx *c, struct mpg_mpi4py_result *r, char **how)
{
    struct mpg_strv names = {0}, whence = {0};
    const char *pre = mpg_env_nonempty(c->snap, "LD_PRELOAD");
    for (const char *p = pre; p && *p;) {
        size_t len = strcspn(p, " :");
        if (len) {
            mpg_strv_push(&names, mpg_strndup(p, len));
            mpg_strv_add(&whence, "LD_PRELOAD");
        }
        p += len;
        p += strspn(p, " :");
    }
    struct mpg_elf py;
    if (c->python && mpg_elf_open(c->python, &py, NULL, 0) == 0) {
        for (size_t i = 0; i < py.n_needed; i++)
            if (mpg_is_libmpi_name(py.needed[i])) {
                mpg_strv_add(&names, py.needed[i]);
                mpg_strv_add(&whence, "python links it");
            }
        mpg_elf_close(&py);
    }
    char *found = NULL;
    for (size_t i = 0; i < names.n && !found; i++) {
        struct mpg_resolved res = mpg_loader_dlopen(c->ld, names.v[i]);
        if (res.path && has_symbol(res.path, "MPI_Get_version")) {
            struct mpg_elf e;
            if (mpg_elf_open(res.path, &e, NULL, 0) == 0) {
                note_loaded(r, res.path, e.soname);
                mpg_elf_close(&e);
            }
            found = mpg_strdup(res.path);
            *how = mpg_printf("%s, already in the process (%s)", names.v[i], whence.v[i]);
        }
        mpg_resolved_clear(&res);
    }
    mpg_strv_free(&names);
    mpg_strv_free(&whence);
    return found;
}

static const char *abi_library_name(const char *abi)
{
    if (strcmp(abi, "mpich") == 0) return "libmpi.so.12";
    if (strcmp(abi, "openmpi") == 0) return "libmpi.so.40";
    if (strcmp(abi, "mpiabi") == 0) return "libmpi_abi.so.1";
    return NULL;
}

void mpg_mpi4py_search(const struct mpg_mpi4py_ctx *c, const char *pkgdir, const char *version,
                       struct mpg_mpi4py_result *out)
{
    memset(out, 0, sizeof *out);
    out->rules = mpg_mpi4py_rules_for(version);
    const char *abi_env = mpg_env_get(c->snap, "MPI4PY_MPIABI");
    const char *libmpi = mpg_env_get(c->snap, "MPI4PY_LIBMPI");
    char *libmpi_abi = NULL;

    if (abi_env && (out->rules == MPG_MPI4PY_41 || abi_env[0])) {
        char *abi = normalize_abi(abi_env);
        if (out->rules == MPG_MPI4PY_41) {
            /* 4.1.x: the ABI is taken as given; nothing is loaded by the search. */
            out->abi = abi;
            out->how = mpg_printf("MPI4PY_MPIABI=%s (no library search)", abi_env);
        } else {
            const char *lib = abi_library_name(abi);
            if (!lib) {
                out->error = mpg_printf("MPI4PY_MPIABI=%s is not an MPI ABI mpi4py knows (KeyError: '%s')", abi_env, abi);
                free(abi);
                return;
            }
            libmpi_abi = mpg_strdup(lib); /* main: the ABI's library, searched like MPI4PY_LIBMPI */
            free(abi);
        }
    }
    if (!out->abi) {
        char *how = NULL;
        out->library = already_loaded(c, out, &how);
        if (out->library) {
            out->how = how;
        } else {
            struct cand *cands = NULL;
            size_t n = 0;
            const char *names = libmpi_abi ? libmpi_abi : libmpi;
            if (out->rules == MPG_MPI4PY_41)
                candidates_41(c, names, &cands, &n);
            else
                candidates_main(c, names, &cands, &n);
            for (size_t i = 0; i < n; i++) {
                if (out->library) {
                    free(cands[i].name);
                    free(cands[i].where);
                    continue;
                }
                char *why = NULL;
                const char *via = NULL;
                char *path = try_dlopen(c, out, cands[i].name, &why, &via);
                if (path && !has_symbol(path, "MPI_Get_version")) {
                    why = mpg_printf("%s loads but has no MPI_Get_version", path);
                    free(path);
                    path = NULL;
                }
                if (!path && why && strstr(why, "is a FIFO")) {
                    /* ctypes blocks in open(): the import hangs, no later candidate is tried */
                    mpg_strv_push(&out->tried, mpg_printf("%s: %s", cands[i].name, why));
                    out->error = why;
                    why = NULL;
                    for (size_t j = i; j < n; j++) {
                        free(cands[j].name);
                        free(cands[j].where);
                    }
                    free(cands);
                    free(libmpi_abi);
                    return;
                }
                if (path) {
                    out->library = path;
                    bool bare = !strchr(cands[i].name, '/');
                    out->how = bare ? mpg_printf("%s on the loader path (%s)", cands[i].name, via ? via : "found")
                                    : mpg_printf("%s (%s)", cands[i].name, cands[i].where);
                    mpg_strv_push(&out->tried, mpg_printf("%s: loads %s", cands[i].name, path));
                } else {
                    const char *w = why ? why : "not loaded";
                    size_t nl = strlen(cands[i].name);
                    if (strncmp(w, cands[i].name, nl) == 0 && strncmp(w + nl, ": ", 2) == 0) w += nl + 2;
                    mpg_strv_push(&out->tried, mpg_printf("%s: %s", cands[i].name, w));
                }
                free(why);
                free(cands[i].name);
                free(cands[i].where);
            }
            free(cands);
            if (!out->library) {
                out->error = mpg_strdup("RuntimeError: cannot load MPI library");
                free(libmpi_abi);
                return;
            }
        }
        out->abi = abi_of_library(out->library);
        if (libmpi_abi || libmpi) {
            char *h = mpg_printf("%s=%s: %s", libmpi_abi ? "MPI4PY_MPIABI" : "MPI4PY_LIBMPI", libmpi_abi ? abi_env : libmpi,
                                 out->how);
            free(out->how);
            out->how = h;
        }
    }
    free(libmpi_abi);
    out->variant = variant_file(pkgdir, out->abi, c->env->python_version);
    if (!out->variant)
        out->error = mpg_printf("this mpi4py has no extension for the %s ABI (RuntimeWarning: unsupported MPI ABI "
                                "'%s'; ModuleNotFoundError: No module named 'mpi4py.MPI')", out->abi, out->abi);
}
