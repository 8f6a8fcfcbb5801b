/* mpi_module.c: loaded MPI module discovery (see mpi_module.h for the signals, FACTS 7 for
 * how each stack presents its module). */
#include "mpi_module.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "mpi_ident.h"

/* Known MPI module names, lower case. A part of a module's name matches when it is one of
 * these, or starts with one followed by '-', '_', '.' or a digit ("openmpi-x86_64", "mvapich2",
 * "cray-mpich-abi", "hpcx-ompi"). */
static const char *const known_names[] = {
    "openmpi", "ompi", "hpcx", "nvhpc-hpcx", "mpich", "cray-mpich", "impi", "intel-mpi", "intelmpi",
    "intel-oneapi-mpi", "mvapich", "psmpi", "spectrum-mpi", NULL,
};

const char *const *mpg_known_mpi_module_names(void) { return known_names; }

/* Variables that hold an MPI installation prefix, most specific first, with the module name a
 * stack-specific variable implies and the variable holding its version. */
struct home_var {
    const char *var, *name, *version_var;
};
static const struct home_var home_vars[] = {
    {"MPI_HOME", NULL, NULL},
    {"MPI_ROOT", NULL, NULL},
    {"I_MPI_ROOT", "intel-mpi", NULL},                 /* Intel MPI (also set by EasyBuild's impi) */
    {"CRAY_MPICH_DIR", "cray-mpich", "CRAY_MPICH_VERSION"}, /* HPE Cray PE */
    {"MPICH_DIR", NULL, NULL},
    {"HPCX_MPI_DIR", "hpcx", NULL},                    /* NVIDIA HPC-X (Open MPI) */
    {"OMPI_HOME", NULL, NULL},
    {"OPENMPI_HOME", NULL, NULL},
    {"MPICH_HOME", NULL, NULL},
    /* EasyBuild: EBROOT<NAME> and EBVERSION<NAME>, the name upper-cased */
    {"EBROOTOPENMPI", "OpenMPI", "EBVERSIONOPENMPI"},
    {"EBROOTIMPI", "impi", "EBVERSIONIMPI"},
    {"EBROOTMPICH", "MPICH", "EBVERSIONMPICH"},
    {"EBROOTMVAPICH2", "MVAPICH2", "EBVERSIONMVAPICH2"},
    {"EBROOTMVAPICH", "MVAPICH", "EBVERSIONMVAPICH"},
    {"EBROOTPSMPI", "psmpi", "EBVERSIONPSMPI"},
    /* Spack modules configured to set {name}_ROOT */
    {"OPENMPI_ROOT", "openmpi", NULL},
    {"MPICH_ROOT", "mpich", NULL},
    {"MVAPICH2_ROOT", "mvapich2", NULL},
    {"INTEL_ONEAPI_MPI_ROOT", "intel-oneapi-mpi", NULL},
    {NULL, NULL, NULL},
};

/* Where a prefix keeps its libmpi: Intel MPI 2019-2021.10 in lib/release, Cray's
 * cray-mpich-abi in lib-abi-mpich. */
static const char *const lib_subdirs[] = {"lib/release", "lib", "lib64", NULL};

/* libmpi names, C library only, in the order a folder is searched. */
static const char *const libmpi_names[] = {"libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi_abi.so.1",
                                           "libmpi.so.20", "libmpi.so", "libmpich.so", NULL};
static const char *const mpich_first[] = {"libmpi.so.12", "libmpich.so.12", "libmpi_abi.so.1", "libmpi.so",
                                          "libmpich.so", NULL};
static const char *const ompi_first[] = {"libmpi.so.40", "libmpi.so.20", "libmpi.so", NULL};

/* Folders holding every MPI of the system: never a module's own prefix. */
static const char *const system_bins[] = {"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin",
                                          "/usr/local/sbin", NULL};

#define MAX_LIB_LISTING 4096

void mpg_module_clear(struct mpg_module *m)
{
    free(m->name);
    free(m->version);
    free(m->home);
    free(m->home_var);
    free(m->found_by);
    free(m->mpicc);
    free(m->mpicxx);
    free(m->mpifort);
    free(m->mpiexec);
    free(m->libdir);
    mpg_mpi_clear(&m->mpi);
    memset(m, 0, sizeof *m);
}

/* ---- names --------------------------------------------------------------------------------- */

static bool part_is(const char *part, size_t len, const char *known)
{
    size_t k = strlen(known);
    if (len < k || strncasecmp(part, known, k) != 0) return false;
    if (len == k) return true;
    char next = part[k];
    return next == '-' || next == '_' || next == '.' || isdigit((unsigned char)next);
}

static bool is_site_name(const char *full, size_t len, const char *const *site_names)
{
    for (const char *const *s = site_names; s && *s; s++) {
        size_t n = strlen(*s);
        if (n && len >= n && strncmp(full, *s, n) == 0 && (len == n || full[n] == '/')) return true;
    }
    return false;
}

static bool names_mpi(const char *full, size_t len, const char *const *site_names)
{
    if (is_site_name(full, len, site_names)) return true;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && full[j] != '/') j++;
        for (const char *const *k = known_names; *k; k++)
            if (part_is(full + i, j - i, *k)) return true;
        i = j + 1;
    }
    return false;
}

bool mpg_is_mpi_module_name(const char *full_name, const char *const *site_names)
{
    return full_name && names_mpi(full_name, strlen(full_name), site_names);
}

/* "OpenMPI/4.1.5-GCC-12.3.0" -> name "OpenMPI", version "4.1.5-GCC-12.3.0"; a last part that
 * does not look like a version ("mpi/openmpi-x86_64") belongs to the name. */
static void split_full_name(const char *full, size_t len, char **name, char **version)
{
    const char *slash = NULL;
    for (size_t i = 0; i < len; i++)
        if (full[i] == '/') slash = full + i;
    const char *v = slash ? slash + 1 : NULL;
    size_t vlen = v ? (size_t)(full + len - v) : 0;
    bool versionish = vlen && (isdigit((unsigned char)v[0]) || ((v[0] == 'v' || v[0] == 'V') && vlen > 1 &&
                                                                 isdigit((unsigned char)v[1])));
    if (versionish) {
        *name = mpg_strndup(full, (size_t)(slash - full));
        *version = mpg_strndup(v, vlen);
    } else {
        *name = mpg_strndup(full, len);
        *version = NULL;
    }
}

bool mpg_loaded_mpi_module(const char *loaded, const char *family, const char *const *site_names, char **name,
                           char **version)
{
    *name = *version = NULL;
    if (!loaded) return false;
    const char *best = NULL;
    size_t best_len = 0, flen = family ? strlen(family) : 0;
    bool by_family = false;
    for (const char *e = loaded; *e;) {
        const char *colon = strchr(e, ':');
        size_t len = colon ? (size_t)(colon - e) : strlen(e);
        if (len) {
            if (flen && len >= flen && strncmp(e, family, flen) == 0 && (len == flen || e[flen] == '/')) {
                best = e, best_len = len, by_family = true;
            } else if (!by_family && names_mpi(e, len, site_names)) {
                best = e, best_len = len; /* the last one loaded wins */
            }
        }
        if (!colon) break;
        e = colon + 1;
    }
    if (!best) return false;
    if (by_family && best_len > flen) {
        *name = mpg_strndup(best, flen);
        *version = mpg_strndup(best + flen + 1, best_len - flen - 1);
        if (!**version) {
            free(*version);
            *version = NULL;
        }
    } else {
        split_full_name(best, best_len, name, version);
    }
    return true;
}

/* "openmpi-4.1.6-abcdefg1234" (a Spack prefix) -> name "openmpi", version "4.1.6". */
static void name_from_prefix(const char *prefix, char **name, char **version)
{
    const char *b = mpg_basename(prefix);
    const char *dash = b;
    while ((dash = strchr(dash, '-')) && !isdigit((unsigned char)dash[1])) dash++;
    if (!dash || dash == b) {
        *name = mpg_strdup(b);
        *version = NULL;
        return;
    }
    *name = mpg_strndup(b, (size_t)(dash - b));
    const char *v = dash + 1;
    size_t n = strspn(v, "0123456789.");
    while (n && v[n - 1] == '.') n--;
    *version = n ? mpg_strndup(v, n) : NULL;
}

/* The family variable of the MPI: LMOD_FAMILY_MPI, then MODULES_FAMILY_MPI, then any
 * <SITE>_FAMILY_MPI (Lmod's SiteName hook); family names are upper-cased by Lmod, not by every
 * modulefile author, so the comparison ignores case. Returns the variable's name (static or in
 * env) and its length through name_len. */
static const char *family_var(const struct mpg_envsnap *env, size_t *name_len)
{
    static const char *const preferred[] = {"LMOD_FAMILY_MPI", "MODULES_FAMILY_MPI", NULL};
    for (const char *const *p = preferred; *p; p++)
        if (mpg_env_nonempty(env, *p)) {
            *name_len = strlen(*p);
            return *p;
        }
    for (const char *const *v = env->vars; v && *v; v++) {
        const char *eq = strchr(*v, '=');
        if (!eq || eq[1] == '\0') continue;
        size_t n = (size_t)(eq - *v);
        if (n > 12 && strncasecmp(eq - 11, "_FAMILY_MPI", 11) == 0) {
            *name_len = n;
            return *v;
        }
    }
    return NULL;
}

/* ---- files --------------------------------------------------------------------------------- */

static const char *const *names_for(enum mpg_abi hint)
{
    return hint == MPG_ABI_MPICH ? mpich_first : hint == MPG_ABI_OPENMPI ? ompi_first : libmpi_names;
}

/* A vendor-named libmpi in dir (Cray's libmpi_gnu_123.so.12): the folder is listed only when no
 * standard name is there. */
static char *find_vendor_libmpi(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char *found = NULL;
    struct dirent *de;
    for (int n = 0; !found && n < MAX_LIB_LISTING && (de = readdir(d)); n++) {
        if (!mpg_is_vendor_libmpi_name(de->d_name) || !strstr(de->d_name, ".so.")) continue;
        char *p = mpg_path_join(dir, de->d_name);
        if (mpg_is_file(p)) found = mpg_realpath(p);
        free(p);
    }
    closedir(d);
    return found;
}

/* The libmpi in dir, for a module of ABI hint. A name that exists but is not a regular file (a
 * FIFO, a device) is reported and skipped: opening it could block. */
static char *find_libmpi(const char *dir, enum mpg_abi hint, struct mpg_strv *problems)
{
    if (!mpg_is_dir(dir)) return NULL; /* lib/release, lib64: most prefixes have one of them */
    for (const char *const *n = names_for(hint); *n; n++) {
        char *p = mpg_path_join(dir, *n);
        unsigned type = mpg_path_type(p); /* during a check, the walk realpath() then reuses */
        char *real = type == S_IFREG ? mpg_realpath(p) : NULL;
        if (type && type != S_IFREG && type != S_IFDIR && problems)
            mpg_strv_push(problems, mpg_printf("%s is not a regular file (a FIFO or a device?); ignored", p));
        free(p);
        if (real) return real;
    }
    return find_vendor_libmpi(dir);
}

char *mpg_find_libmpi_in(const char *dir) { return find_libmpi(dir, MPG_ABI_UNKNOWN, NULL); }

/* What the module's name or its mpicc says it is, before its library is found. */
static enum mpg_abi abi_hint(const char *name, const char *mpicc)
{
    static const char *const ompi[] = {"openmpi", "ompi", "open-mpi", "hpcx", "spectrum", NULL};
    static const char *const mpich[] = {"mpich", "intel", "impi", "mvapich", "cray", "psmpi", NULL};
    if (mpicc) {
        if (mpg_str_ends(mpicc, ".openmpi")) return MPG_ABI_OPENMPI;
        if (mpg_str_ends(mpicc, ".mpich")) return MPG_ABI_MPICH;
    }
    for (size_t i = 0; name && ompi[i]; i++)
        if (strcasestr(name, ompi[i])) return MPG_ABI_OPENMPI;
    for (size_t i = 0; name && mpich[i]; i++)
        if (strcasestr(name, mpich[i])) return MPG_ABI_MPICH;
    return MPG_ABI_UNKNOWN;
}

static bool is_system_bin(const char *dir)
{
    char *real = mpg_realpath(dir);
    bool yes = false;
    for (const char *const *s = system_bins; *s && !yes; s++) yes = strcmp(dir, *s) == 0 || (real && strcmp(real, *s) == 0);
    free(real);
    return yes;
}

static bool under_env(const char *dir, const char *env_prefix)
{
    if (!env_prefix) return false;
    if (mpg_path_under(dir, env_prefix)) return true;
    char *real = mpg_realpath(dir);
    bool yes = real && mpg_path_under(real, env_prefix);
    free(real);
    return yes;
}

/* First executable name on PATH outside the active env (and, with skip_system, outside the
 * system folders). Not canonicalised: Open MPI's wrappers are symlinks to one opal_wrapper that
 * picks the language from the name it was called by. */
static char *which_outside(const struct mpg_envsnap *env, const char *name, const char *env_prefix, bool skip_system)
{
    struct mpg_strv dirs = {0};
    mpg_strv_split(&dirs, mpg_env_get(env, "PATH"), ':');
    char *found = NULL;
    for (size_t i = 0; i < dirs.n && !found; i++) {
        if (dirs.v[i][0] != '/' || under_env(dirs.v[i], env_prefix)) continue;
        char *p = mpg_path_join(dirs.v[i], name);
        if (mpg_is_executable(p) && !(skip_system && is_system_bin(dirs.v[i])))
            found = p;
        else
            free(p);
    }
    mpg_strv_free(&dirs);
    return found;
}

/* The module's wrapper: prefix/bin/name, else the first on PATH outside the env (and, for a
 * module with a prefix of its own, outside the system folders: HPE Cray PE ships no mpicc, and
 * Debian's /usr/bin/mpicc would be another MPI's). */
static char *wrapper(const struct mpg_envsnap *env, const char *prefix, const char *env_prefix, const char *name)
{
    if (prefix) {
        char *cand = mpg_concat(prefix, "/bin/", name, NULL);
        if (mpg_is_executable(cand)) return cand;
        free(cand);
    }
    return which_outside(env, name, env_prefix, prefix != NULL);
}

/* The installation prefix of a wrapper found on PATH (prefix/bin/mpicc), unless it is a system
 * folder shared by every MPI. */
static char *prefix_of_wrapper(const char *wrapper_path)
{
    char *bin = mpg_dirname(wrapper_path);
    char *prefix = mpg_dirname(bin);
    free(bin);
    char *real = mpg_realpath(prefix);
    free(prefix);
    if (real && (strcmp(real, "/") == 0 || strcmp(real, "/usr") == 0 || strcmp(real, "/usr/local") == 0)) {
        free(real);
        return NULL;
    }
    return real;
}

static char *find_libmpi_under(const char *prefix, enum mpg_abi hint, bool cray_abi, struct mpg_strv *problems)
{
    char *lib = NULL;
    if (cray_abi) {
        char *dir = mpg_path_join(prefix, "lib-abi-mpich");
        lib = find_libmpi(dir, MPG_ABI_MPICH, problems);
        free(dir);
    }
    for (const char *const *sd = lib_subdirs; !lib && *sd; sd++) {
        char *dir = mpg_path_join(prefix, *sd);
        lib = find_libmpi(dir, hint, problems);
        free(dir);
    }
    return lib;
}

/* ---- the module ---------------------------------------------------------------------------- */

static void set_once(char **slot, char *value)
{
    if (!*slot && value)
        *slot = value;
    else
        free(value);
}

/* The first usable installation prefix variable; EBROOT* pointing nowhere gets a problem line.
 * m->home is resolved (compared with resolved library paths); *given is the variable's own
 * spelling, for the wrapper paths handed to the user. */
static const struct home_var *find_home(const struct mpg_envsnap *env, struct mpg_module *m, char **given,
                                        struct mpg_strv *problems)
{
    for (const struct home_var *h = home_vars; h->var; h++) {
        const char *val = mpg_env_nonempty(env, h->var);
        if (!val) continue;
        char *real = val[0] == '/' ? mpg_realpath(val) : NULL;
        if (real && mpg_is_dir(real)) {
            m->home = real;
            m->home_var = mpg_strdup(h->var);
            *given = mpg_strdup(val);
            return h;
        }
        mpg_strv_push(problems, mpg_printf("%s=%s is not a folder; ignored", h->var, val));
        free(real);
    }
    return NULL;
}

void mpg_module_discover(const struct mpg_envsnap *env, const char *env_prefix, const char *const *site_names,
                         struct mpg_dircache *cache, struct mpg_module *m, struct mpg_strv *problems)
{
    memset(m, 0, sizeof *m);

    /* 1. A family: the module's short name, and Lmod's *_VERSION. */
    size_t fam_len = 0;
    const char *fam_var = family_var(env, &fam_len);
    char *fam_var_name = fam_var ? mpg_strndup(fam_var, fam_len) : NULL;
    const char *fam = fam_var_name ? mpg_env_nonempty(env, fam_var_name) : NULL;
    if (fam) {
        m->name = mpg_strdup(fam);
        char *vv = mpg_concat(fam_var_name, "_VERSION", NULL);
        m->version = mpg_strdup(mpg_env_nonempty(env, vv));
        free(vv);
        m->found_by = mpg_strdup(fam_var_name);
    }

    /* 2. The loaded modules: the family's entry gives Environment Modules' version; without a
     * family, an entry with a known MPI name is the module. */
    char *lname, *lversion;
    if (mpg_loaded_mpi_module(mpg_env_get(env, "LOADEDMODULES"), fam, site_names, &lname, &lversion)) {
        bool same = !m->name || strcmp(m->name, lname) == 0;
        set_once(&m->found_by, mpg_strdup("LOADEDMODULES"));
        set_once(&m->name, lname);
        if (same) set_once(&m->version, lversion);
        else free(lversion);
    }

    /* 3. An installation prefix. */
    char *home_given = NULL; /* the prefix as the module spelled it (wrapper paths) */
    const struct home_var *h = find_home(env, m, &home_given, problems);
    if (h) {
        set_once(&m->found_by, mpg_strdup(h->var));
        set_once(&m->name, mpg_strdup(h->name));
        if (h->version_var) set_once(&m->version, mpg_strdup(mpg_env_nonempty(env, h->version_var)));
    }

    /* 4. The module's wrappers on PATH, outside the env and the system folders (Spack modules
     * put only <prefix>/bin on PATH). */
    char *path_cc = which_outside(env, "mpicc", env_prefix, true);
    if (!path_cc) path_cc = which_outside(env, "mpiexec", env_prefix, true);
    char *path_prefix = path_cc ? prefix_of_wrapper(path_cc) : NULL;
    if (!m->home && path_prefix) {
        char *bin = mpg_dirname(path_cc);
        home_given = mpg_dirname(bin);
        free(bin);
        m->home = mpg_strdup(path_prefix);
        m->home_var = mpg_strdup("PATH");
        set_once(&m->found_by, mpg_strdup("PATH"));
        char *pname, *pversion;
        name_from_prefix(path_prefix, &pname, &pversion);
        if (!m->name && mpg_is_mpi_module_name(pname, NULL)) {
            m->name = pname;
            set_once(&m->version, pversion);
        } else {
            free(pname);
            free(pversion);
        }
    }

    free(path_cc);
    m->loaded = m->found_by != NULL;
    if (!m->loaded) {
        free(fam_var_name);
        free(path_prefix);
        free(home_given);
        return;
    }

    /* Wrappers keep the module's spelling of its prefix: a site's /opt/apps -> /gpfs/apps link
     * stays in MPICC, as the module wrote it. */
    const char *wprefix = home_given ? home_given : m->home;
    m->mpicc = wrapper(env, wprefix, env_prefix, "mpicc");
    enum mpg_abi hint = abi_hint(m->name, m->mpicc);
    bool cray_abi = m->name && strcasestr(m->name, "cray-mpich-abi");
    char *lib = m->home ? find_libmpi_under(m->home, hint, cray_abi, problems) : NULL;
    if (!lib && path_prefix && (!m->home || strcmp(path_prefix, m->home) != 0))
        lib = find_libmpi_under(path_prefix, hint, false, problems);
    /* No prefix, or one without a lib folder (Debian's MPICH): the module's LD_LIBRARY_PATH. */
    struct mpg_strv dirs = {0};
    mpg_strv_split(&dirs, mpg_env_get(env, "LD_LIBRARY_PATH"), ':');
    for (size_t i = 0; i < dirs.n && !lib; i++)
        if (dirs.v[i][0] == '/' && !under_env(dirs.v[i], env_prefix)) lib = find_libmpi(dirs.v[i], hint, problems);
    mpg_strv_free(&dirs);
    if (lib) {
        char err[512];
        m->libdir = mpg_dirname(lib);
        if (mpg_identify_mpi_cached(lib, cache, &m->mpi, err, sizeof err) != 0)
            mpg_strv_push(problems, mpg_printf("the MPI module's library: %s", err));
        free(lib);
    } else {
        mpg_strv_push(problems, mpg_printf("the MPI module%s%s sets no library folder mpiguard can find "
                                           "(<prefix>/lib*, LD_LIBRARY_PATH)", m->name ? " " : "", m->name ? m->name : ""));
        /* Its name or mpicc still tell the ABI, which is what most findings need. */
        m->mpi.abi = hint;
    }
    m->mpicxx = wrapper(env, wprefix, env_prefix, "mpicxx");
    if (!m->mpicxx) m->mpicxx = wrapper(env, wprefix, env_prefix, "mpic++");
    if (!m->mpicxx) m->mpicxx = wrapper(env, wprefix, env_prefix, "mpiCC");
    m->mpifort = wrapper(env, wprefix, env_prefix, "mpifort");
    if (!m->mpifort) m->mpifort = wrapper(env, wprefix, env_prefix, "mpif90");
    m->mpiexec = wrapper(env, wprefix, env_prefix, "mpiexec");
    if (!m->mpiexec) m->mpiexec = wrapper(env, wprefix, env_prefix, "mpirun");
    if (!m->name && m->mpi.impl) {
        /* A modulefile that said nothing but where it lives: name it after its library. */
        m->name = mpg_strdup(m->mpi.abi == MPG_ABI_OPENMPI ? "openmpi" : "mpich");
        if (!m->version) m->version = mpg_strdup(m->mpi.version);
    }
    free(fam_var_name);
    free(path_prefix);
    free(home_given);
}
