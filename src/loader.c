/* loader.c: emulation of glibc ld.so's search for a DT_NEEDED name. Candidates must be ELF
 * files of the same class and machine as the requesting object; ld.so skips others. */
#include "loader.h"

#include <stdlib.h>
#include <string.h>

#include "fsmemo.h"
#include "util.h"

#if defined(__x86_64__)
#define TRIPLET "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define TRIPLET "aarch64-linux-gnu"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TRIPLET "powerpc64le-linux-gnu"
#elif defined(__riscv) && __riscv_xlen == 64
#define TRIPLET "riscv64-linux-gnu"
#else
#define TRIPLET "unknown-linux-gnu"
#endif

/* Debian's multiarch folders first, then the lib64 folders of other distributions. */
static const char *const system_dirs[] = {
    "/lib/" TRIPLET, "/usr/lib/" TRIPLET, "/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL,
};

/* Length of the $ORIGIN token at p (7 or 9), or 0. */
static size_t origin_token(const char *p)
{
    if (strncmp(p, "$ORIGIN", 7) == 0 && !(p[7] == '_' || (p[7] >= 'A' && p[7] <= 'Z'))) return 7;
    if (strncmp(p, "${ORIGIN}", 9) == 0) return 9;
    return 0;
}

/* Expands $ORIGIN / ${ORIGIN} in dir; NULL for other tokens ($LIB, $PLATFORM), which ld.so
 * expands per machine and which we would rather skip than guess. */
char *mpg_loader_expand_origin(const char *dir, const char *origin)
{
    if (!strchr(dir, '$')) return mpg_strdup(dir);
    /* Sized exactly: an RPATH from the user's file may hold thousands of tokens. */
    size_t tokens = 0, olen = origin ? strlen(origin) : 0;
    for (const char *p = dir; (p = strchr(p, '$'));) {
        size_t skip = origin_token(p);
        if (!skip || !origin) return NULL;
        tokens++;
        p += skip;
    }
    char *out = mpg_xmalloc(strlen(dir) + tokens * olen + 1), *o = out;
    for (const char *p = dir; *p;) {
        size_t skip = *p == '$' ? origin_token(p) : 0;
        if (skip) {
            o = stpcpy(o, origin);
            p += skip;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static char *try_dir(const char *dir, const char *needed, uint16_t machine, bool is64)
{
    if (dir[0] != '/') return NULL; /* relative entries depend on the cwd at run time */
    if (!mpg_fsmemo_may_exist(dir, needed)) return NULL; /* a folder searched again: listed once */
    char *p = mpg_path_join(dir, needed);
    bool c64;
    uint16_t m;
    if (mpg_elf_peek(p, &c64, &m) == 0 && c64 == is64 && m == machine) {
        char *real = mpg_realpath(p);
        free(p);
        return real;
    }
    free(p);
    return NULL;
}

static char *search_list(const char *list, const char *origin, const char *needed, uint16_t machine,
                         bool is64, char sep)
{
    if (!list) return NULL;
    struct mpg_strv dirs = {0};
    mpg_strv_split(&dirs, list, sep);
    char *found = NULL;
    for (size_t i = 0; i < dirs.n && !found; i++) {
        char *d = mpg_loader_expand_origin(dirs.v[i], origin);
        if (d) found = try_dir(d, needed, machine, is64);
        free(d);
    }
    mpg_strv_free(&dirs);
    return found;
}

struct mpg_resolved mpg_loader_resolve(const struct mpg_loader *ld, const struct mpg_elf *obj,
                                       const char *obj_path, const char *needed)
{
    struct mpg_resolved r = {0};
    bool is64 = obj->is64;
    uint16_t machine = obj->machine;
    if (strchr(needed, '/')) {
        r.path = mpg_realpath(needed);
        r.via = "path";
        return r;
    }
    char *origin = obj_path ? mpg_dirname(obj_path) : NULL;
    char *real_origin = origin ? mpg_realpath(origin) : NULL;
    const char *org = real_origin ? real_origin : origin;

    if (!obj->runpath && (r.path = search_list(obj->rpath, org, needed, machine, is64, ':')))
        r.via = "RPATH";
    else if (!obj->runpath && !ld->exe_has_runpath &&
             (r.path = search_list(ld->exe_rpath, ld->exe_dir, needed, machine, is64, ':')))
        r.via = "executable RPATH";
    /* ld.so also splits LD_LIBRARY_PATH on ';'; nobody relies on it, ':' is what modules write. */
    else if ((r.path = search_list(ld->ld_library_path, NULL, needed, machine, is64, ':')))
        r.via = "LD_LIBRARY_PATH";
    else if ((r.path = search_list(obj->runpath, org, needed, machine, is64, ':')))
        r.via = "RUNPATH";
    else {
        const char *c = ld->cache ? mpg_ldcache_lookup(ld->cache, needed, machine, is64) : NULL;
        if (c && (r.path = mpg_realpath(c)))
            r.via = "ld.so.cache";
        else {
            for (const char *const *d = system_dirs; *d && !r.path; d++)
                r.path = try_dir(*d, needed, machine, is64);
            if (r.path) r.via = "system directories";
        }
    }
    free(origin);
    free(real_origin);
    return r;
}
