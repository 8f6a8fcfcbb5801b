/* loader.c: emulation of glibc ld.so's search for a DT_NEEDED name (see loader.h). Each
 * candidate file is checked as ld.so's open_verify() does, from its ELF header alone. */
#include "loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define LOADER_MAX_CHAIN 8

/* Debian's multiarch folders first, then the lib64 folders of other distributions. */
static const char *const system_dirs[] = {
    "/lib/" TRIPLET, "/usr/lib/" TRIPLET, "/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL,
};

void mpg_resolved_clear(struct mpg_resolved *r)
{
    free(r->path);
    free(r->error);
    memset(r, 0, sizeof *r);
}

/* ---- one candidate file, as open_verify() sees it ----------------------------------------- */

enum verdict {
    V_ABSENT, /* cannot be opened: try the next folder */
    V_OTHER,  /* another ELF class or machine: try the next folder */
    V_OK,
    V_ERROR,  /* the loader stops here with an error */
};

static enum verdict verify(const char *path, bool is64, uint16_t machine, char **error)
{
    struct stat st;
    if (mpg_stat(path, &st) != 0) return V_ABSENT; /* a name a walk found missing is not asked again */
    if (S_ISFIFO(st.st_mode)) {
        *error = mpg_printf("%s is a FIFO: the loader blocks opening it (the import hangs)", path);
        return V_ERROR;
    }
    if (S_ISSOCK(st.st_mode)) return V_ABSENT; /* open() fails (ENXIO) */
    if (S_ISDIR(st.st_mode)) {
        *error = mpg_printf("%s: cannot read file data: Is a directory", path);
        return V_ERROR;
    }
    if (!S_ISREG(st.st_mode)) {
        /* A device: ld.so reads it and fails (/dev/zero: invalid ELF header). We do not read
         * devices: reading some has side effects. */
        *error = mpg_printf("%s is a device, not a library: the loader stops with an error there", path);
        return V_ERROR;
    }
    /* The same file read already in this check (a link to the MPI's libmpi): its header is known. */
    unsigned char h[MPG_FSMEMO_HEAD];
    ssize_t n = (ssize_t)mpg_fsmemo_opened_head(&st, h);
    if (n == 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) return V_ABSENT; /* EACCES: ld.so goes on with the next folder */
        n = pread(fd, h, sizeof h, 0);
        close(fd);
    }
    size_t need = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (n < 0 || (size_t)n < need) {
        *error = mpg_printf("%s: file too short", path);
        return V_ERROR;
    }
    if (memcmp(h, ELFMAG, SELFMAG) != 0) {
        *error = mpg_printf("%s: invalid ELF header", path);
        return V_ERROR;
    }
    if (h[EI_CLASS] != (is64 ? ELFCLASS64 : ELFCLASS32)) return V_OTHER;
    bool big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
    if (h[EI_DATA] != (big ? ELFDATA2MSB : ELFDATA2LSB)) {
        *error = mpg_printf("%s: ELF file data encoding not %s-endian", path, big ? "big" : "little");
        return V_ERROR;
    }
    if (h[EI_VERSION] != EV_CURRENT || (h[EI_OSABI] != ELFOSABI_SYSV && h[EI_OSABI] != ELFOSABI_GNU)) {
        *error = mpg_printf("%s: ELF file version or OS ABI invalid", path);
        return V_ERROR;
    }
    uint16_t type, mach, phentsize;
    uint32_t version;
    memcpy(&type, h + 16, 2);
    memcpy(&mach, h + 18, 2);
    memcpy(&version, h + 20, 4);
    memcpy(&phentsize, h + (is64 ? 54 : 42), 2);
    if (version != EV_CURRENT) {
        *error = mpg_printf("%s: ELF file version does not match current one", path);
        return V_ERROR;
    }
    if (mach != machine) return V_OTHER;
    if (type != ET_DYN && type != ET_EXEC) {
        *error = mpg_printf("%s: only ET_DYN and ET_EXEC can be loaded", path);
        return V_ERROR;
    }
    if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))) {
        *error = mpg_printf("%s: ELF file's phentsize not the expected size", path);
        return V_ERROR;
    }
    return V_OK;
}

/* ---- search paths --------------------------------------------------------------------------- */

/* Length of the $ORIGIN token at p (7 or 9), or 0: "$ORIGINx" with a name character after it is
 * another (unknown) token, as in ld.so. */
static size_t origin_token(const char *p)
{
    if (strncmp(p, "$ORIGIN", 7) == 0 && !(p[7] == '_' || (p[7] >= 'A' && p[7] <= 'Z') ||
                                            (p[7] >= 'a' && p[7] <= 'z') || (p[7] >= '0' && p[7] <= '9')))
        return 7;
    if (strncmp(p, "${ORIGIN}", 9) == 0) return 9;
    return 0;
}

/* $LIB and $PLATFORM, which ld.so expands per machine and which we would rather skip than guess. */
static bool machine_token(const char *p)
{
    return strncmp(p, "$LIB", 4) == 0 || strncmp(p, "${LIB}", 6) == 0 || strncmp(p, "$PLATFORM", 9) == 0 ||
           strncmp(p, "${PLATFORM}", 11) == 0;
}

char *mpg_loader_expand_origin(const char *dir, const char *origin)
{
    /* Sized exactly: an RPATH from the user's file may hold thousands of tokens. */
    size_t tokens = 0, olen = origin ? strlen(origin) : 0;
    for (const char *p = dir; (p = strchr(p, '$'));) {
        size_t skip = origin_token(p);
        if (skip && !origin) return NULL;
        if (!skip && machine_token(p)) return NULL;
        tokens += skip != 0;
        p += skip ? skip : 1; /* any other '$' is a literal character, as in ld.so */
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

/* mpg_loader_expand_origin(), then an empty or relative result is taken relative to cwd (NULL:
 * skipped), as ld.so takes it relative to its working directory. */
static char *expand_dir(const char *dir, const char *origin, const char *cwd)
{
    char *out = mpg_loader_expand_origin(dir, origin);
    if (!out || out[0] == '/') return out;
    if (!cwd) {
        free(out);
        return NULL;
    }
    char *abs = out[0] ? mpg_path_join(cwd, out) : mpg_strdup(cwd);
    free(out);
    return abs;
}

/* Splits a search path on the loader's separators, keeping empty entries (they mean "."); an
 * empty string has no entries at all. */
static void split_keep_empty(struct mpg_strv *sv, const char *list, const char *seps)
{
    if (!*list) return;
    for (const char *p = list;;) {
        size_t n = strcspn(p, seps);
        mpg_strv_push(sv, mpg_strndup(p, n));
        if (!p[n]) break;
        p += n + 1;
    }
}

/* True when the file at p is of the other ELF class (ld.so then says "wrong ELF class" if
 * nothing else is found; a file for another machine is skipped silently). */
static bool other_class_file(const char *p, bool is64)
{
    bool c64;
    uint16_t m;
    return mpg_elf_peek(p, &c64, &m) == 0 && c64 != is64;
}

/* Tries needed in each folder of list. Returns true when the search is over (found, or an
 * error), with r filled. */
static bool search_list(const char *list, const char *seps, const char *origin, const char *cwd,
                        const char *needed, bool is64, uint16_t machine, const char *via, struct mpg_resolved *r,
                        bool *other_class)
{
    if (!list) return false;
    struct mpg_strv dirs = {0};
    split_keep_empty(&dirs, list, seps);
    bool done = false;
    for (size_t i = 0; i < dirs.n && !done; i++) {
        char *d = expand_dir(dirs.v[i], origin, cwd);
        if (!d) continue;
        if (!mpg_fsmemo_may_exist(d, needed)) { /* a folder searched again: listed once */
            free(d);
            continue;
        }
        char *p = mpg_path_join(d, needed);
        char *error = NULL;
        switch (verify(p, is64, machine, &error)) {
        case V_OK:
            r->path = mpg_realpath(p);
            r->via = via;
            done = r->path != NULL;
            break;
        case V_ERROR:
            r->error = error;
            r->via = via;
            done = true;
            break;
        case V_OTHER: *other_class |= other_class_file(p, is64); break;
        default: break;
        }
        free(p);
        free(d);
    }
    mpg_strv_free(&dirs);
    return done;
}

static char *origin_of(const char *obj_path)
{
    if (!obj_path) return NULL;
    char *dir = mpg_dirname(obj_path);
    char *real = mpg_realpath(dir);
    if (real) {
        free(dir);
        return real;
    }
    return dir;
}

static bool nodeflib(const struct mpg_elf *e) { return e && (e->flags_1 & DF_1_NODEFLIB); }

struct mpg_resolved mpg_loader_resolve_chain(const struct mpg_loader *ld, const struct mpg_loader_obj *chain,
                                             size_t n_chain, const char *needed)
{
    struct mpg_resolved r = {0};
    if (ld->deferred && !ld->deferred->done) {
        ld->deferred->done = true;
        ld->deferred->fill(ld->deferred->ld, ld->deferred->ctx);
    }
    const struct mpg_elf *req = n_chain ? chain[0].elf : NULL;
    bool is64 = ld->is64;
    uint16_t machine = ld->machine;
    if (strchr(needed, '/')) {
        char *p = needed[0] == '/' ? mpg_strdup(needed) : ld->cwd ? mpg_path_join(ld->cwd, needed) : NULL;
        r.via = "path";
        if (p && verify(p, is64, machine, &r.error) == V_OK) r.path = mpg_realpath(p);
        free(p);
        return r;
    }
    if (n_chain > LOADER_MAX_CHAIN) n_chain = LOADER_MAX_CHAIN;
    char *origins[LOADER_MAX_CHAIN] = {0};
    for (size_t i = 0; i < n_chain; i++) origins[i] = origin_of(chain[i].path);

    bool done = false, other = false;
    if (!req || !req->runpath) {
        /* The RPATH of the requester, then of each object that loaded it (an object with a
         * RUNPATH has its RPATH ignored), then the executable's. */
        for (size_t i = 0; i < n_chain && !done; i++)
            if (!chain[i].elf->runpath)
                done = search_list(chain[i].elf->rpath, ":", origins[i], ld->cwd, needed, is64, machine,
                                   i == 0 ? "RPATH" : "RPATH of the loading object", &r, &other);
        if (!done && !ld->exe_has_runpath)
            done = search_list(ld->exe_rpath, ":", ld->exe_dir, ld->cwd, needed, is64, machine, "executable RPATH", &r, &other);
    }
    if (!done)
        done = search_list(ld->ld_library_path, ":;", ld->exe_dir, ld->cwd, needed, is64, machine, "LD_LIBRARY_PATH", &r, &other);
    if (!done && req)
        done = search_list(req->runpath, ":", origins[0], ld->cwd, needed, is64, machine, "RUNPATH", &r, &other);
    else if (!done)
        done = search_list(ld->exe_runpath, ":", ld->exe_dir, ld->cwd, needed, is64, machine, "executable RUNPATH", &r, &other);
    if (!done) {
        const char *c = ld->cache ? mpg_ldcache_lookup(ld->cache, needed, machine, is64) : NULL;
        /* DF_1_NODEFLIB: no cache entry from a system folder, and no system folders. */
        for (const char *const *d = system_dirs; c && nodeflib(req) && *d; d++)
            if (mpg_path_under(c, *d)) c = NULL;
        char *error = NULL;
        /* A stale cache entry (the file is gone) falls through to the system folders. */
        enum verdict v = c ? verify(c, is64, machine, &error) : V_ABSENT;
        if (v == V_OK && (r.path = mpg_realpath(c))) {
            r.via = "ld.so.cache";
            done = true;
        } else if (v == V_ERROR) {
            r.error = error;
            r.via = "ld.so.cache";
            done = true;
        }
        for (const char *const *d = system_dirs; *d && !done && !nodeflib(req); d++)
            done = search_list(*d, ":", NULL, NULL, needed, is64, machine, "system directories", &r, &other);
    }
    for (size_t i = 0; i < n_chain; i++) free(origins[i]);
    if (!r.path && !r.error && other) r.error = mpg_printf("%s: wrong ELF class: ELFCLASS%d", needed, is64 ? 32 : 64);
    if (!r.path && !r.error) r.via = NULL;
    return r;
}

struct mpg_resolved mpg_loader_resolve(const struct mpg_loader *ld, const struct mpg_elf *obj,
                                       const char *obj_path, const char *needed)
{
    struct mpg_loader_obj chain[] = {{obj, obj_path}};
    return mpg_loader_resolve_chain(ld, chain, obj ? 1 : 0, needed);
}

struct mpg_resolved mpg_loader_dlopen(const struct mpg_loader *ld, const char *name)
{
    return mpg_loader_resolve_chain(ld, NULL, 0, name);
}
