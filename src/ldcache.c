/* ldcache.c: /etc/ld.so.cache reader. Layout (glibc's sysdeps/generic/dl-cache.h): a header
 * "glibc-ld.so.cache" "1.1", nlibs, len_strings, flags, extension offset, then nlibs entries of
 * {int32 flags, uint32 key, uint32 value, uint32 osversion, uint64 hwcap}. Strings are offsets
 * from the start of the new-format header. Every offset is checked before use. */
#include "ldcache.h"

#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define NEW_HEADER 48 /* magic 17 + version 3 + nlibs 4 + len_strings 4 + flags 4 + ext 4 + 3*4 */
#define NEW_ENTRY 24
#define OLD_ENTRY 12
#define MAX_CACHE ((size_t)256 << 20)

/* ld.so's entry flag bits (dl-cache.h). */
#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_REQUIRED_MASK 0xff00
#define FLAG_SPARC_LIB64 0x0100
#define FLAG_IA64_LIB64 0x0200
#define FLAG_X8664_LIB64 0x0300
#define FLAG_S390_LIB64 0x0400
#define FLAG_POWERPC_LIB64 0x0500
#define FLAG_MIPS64_LIBN32 0x0600
#define FLAG_MIPS64_LIBN64 0x0700
#define FLAG_X8664_LIBX32 0x0800
#define FLAG_ARM_LIBHF 0x0900
#define FLAG_AARCH64_LIB64 0x0a00
#define FLAG_RISCV_FLOAT_ABI_DOUBLE 0x1000 /* with the soft-float/ double variants */
#define FLAG_LARCH_FLOAT_ABI_DOUBLE 0x1200

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

int mpg_ldcache_parse(unsigned char *buf, size_t size, struct mpg_ldcache *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->data = buf;
    c->size = size;
    size_t hdr = 0;
    if (size >= sizeof OLD_MAGIC - 1 + 5 && memcmp(buf, OLD_MAGIC, sizeof OLD_MAGIC - 1) == 0) {
        /* Old table first: skip it; the new one follows, aligned to 8 bytes. */
        uint32_t nold = rd32(buf + 12);
        uint64_t end = 16 + (uint64_t)nold * OLD_ENTRY;
        hdr = (size_t)((end + 7) & ~(uint64_t)7);
        if (end > size) return mpg_set_err(err, errlen, "truncated old-format table"), -1;
    }
    if (hdr > size || size - hdr < NEW_HEADER || memcmp(buf + hdr, NEW_MAGIC, sizeof NEW_MAGIC - 1) != 0)
        return mpg_set_err(err, errlen, "not a glibc ld.so.cache (format 1.1)"), -1;
    c->nlibs = rd32(buf + hdr + 20);
    c->strings_base = hdr;
    c->entries = hdr + NEW_HEADER;
    if ((uint64_t)c->nlibs * NEW_ENTRY > size - c->entries)
        return mpg_set_err(err, errlen, "truncated: %u entries do not fit", c->nlibs), -1;
    return 0;
}

/* The cache mapped when only root may write it (ldcache.h), else NULL. A copy of the 50-100 kB
 * file touched a fresh heap page for each 4 kB, and each page fault cost more than the lookups
 * (bench/check/cold.sh); a mapping of the page cache is faulted in 64 kB at a time. */
static unsigned char *map_cache(int fd, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
        st.st_size <= 0 || (unsigned long long)st.st_size > MAX_CACHE)
        return NULL;
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return NULL;
    *len = (size_t)st.st_size;
    return p;
}

int mpg_ldcache_load(const char *path, struct mpg_ldcache *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return mpg_set_err(err, errlen, "cannot read %s: %s", path, strerror(errno)), -1;
    size_t len = 0;
    unsigned char *map = map_cache(fd, &len);
    unsigned char *buf = map ? map : (unsigned char *)mpg_read_fd(fd, MAX_CACHE, &len);
    int saved = errno;
    close(fd);
    if (!buf) return mpg_set_err(err, errlen, "cannot read %s: %s", path, strerror(saved)), -1;
    if (mpg_ldcache_parse(buf, len, c, err, errlen) != 0) {
        if (map) munmap(map, len);
        else free(buf);
        memset(c, 0, sizeof *c);
        return -1;
    }
    c->mapped = map != NULL;
    return 0;
}

void mpg_ldcache_free(struct mpg_ldcache *c)
{
    if (c->mapped) munmap(c->data, c->size);
    else free(c->data);
    memset(c, 0, sizeof *c);
}

/* The arch bits ld.so requires for an object of this machine and class. -1: any. */
static int required_flags(uint16_t machine, int is64)
{
    switch (machine) {
    case EM_X86_64: return is64 ? FLAG_X8664_LIB64 : FLAG_X8664_LIBX32;
    case EM_386: return 0;
    case EM_AARCH64: return is64 ? FLAG_AARCH64_LIB64 : -1;
    case EM_PPC64: return FLAG_POWERPC_LIB64;
    case EM_S390: return is64 ? FLAG_S390_LIB64 : 0;
    case EM_SPARCV9: return FLAG_SPARC_LIB64;
    default: return -1;
    }
}

static const char *str_at(const struct mpg_ldcache *c, uint32_t off)
{
    uint64_t o = (uint64_t)c->strings_base + off;
    if (o >= c->size) return NULL;
    const char *s = (const char *)c->data + o;
    return memchr(s, '\0', c->size - (size_t)o) ? s : NULL;
}

/* The order ldconfig sorts the entries in (descending), which ld.so's binary search relies on:
 * runs of digits compare as numbers ("libc.so.10" after "libc.so.9"), other bytes as bytes. */
static int libcmp(const char *a, const char *b)
{
    while (*a) {
        bool da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';
        if (da && db) {
            unsigned long long x = 0, y = 0;
            for (; *a >= '0' && *a <= '9'; a++) x = x * 10 + (unsigned)(*a - '0');
            for (; *b >= '0' && *b <= '9'; b++) y = y * 10 + (unsigned)(*b - '0');
            if (x != y) return x < y ? -1 : 1;
        } else if (da) {
            return 1;
        } else if (db) {
            return -1;
        } else if (*a != *b) {
            return (unsigned char)*a - (unsigned char)*b;
        } else {
            a++, b++;
        }
    }
    return *b ? -1 : 0;
}

/* The matching entry i, if its flags fit: its path, and whether it is the plain (hwcap 0) one. */
static const char *entry_match(const struct mpg_ldcache *c, uint32_t i, int req, bool *plain)
{
    const unsigned char *ent = c->data + c->entries + (size_t)i * NEW_ENTRY;
    int32_t flags = (int32_t)rd32(ent);
    if ((flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6) return NULL;
    if (req >= 0 && (flags & FLAG_REQUIRED_MASK) != req) return NULL;
    *plain = rd64(ent + 16) == 0;
    return str_at(c, rd32(ent + 8));
}

static const char *key_at(const struct mpg_ldcache *c, uint32_t i)
{
    return str_at(c, rd32(c->data + c->entries + (size_t)i * NEW_ENTRY + 4));
}

/* Binary search as ld.so does it (entries are sorted by libcmp, descending), then the run of
 * entries with that name. A cache not sorted that way misleads ld.so the same way. */
const char *mpg_ldcache_lookup(const struct mpg_ldcache *c, const char *soname, uint16_t machine, int is64)
{
    if (!c->data || c->nlibs == 0) return NULL;
    int req = required_flags(machine, is64);
    uint32_t lo = 0, hi = c->nlibs, at = c->nlibs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *key = key_at(c, mid);
        int cmp = key ? libcmp(soname, key) : 1;
        if (cmp == 0) {
            at = mid;
            break;
        }
        if (cmp < 0) lo = mid + 1; else hi = mid;
    }
    if (at == c->nlibs) return NULL;
    while (at > 0 && key_at(c, at - 1) && strcmp(key_at(c, at - 1), soname) == 0) at--;
    const char *best = NULL;
    for (uint32_t i = at; i < c->nlibs; i++) {
        const char *key = key_at(c, i);
        if (!key || strcmp(key, soname) != 0) break;
        bool plain;
        const char *val = entry_match(c, i, req, &plain);
        if (!val) continue;
        /* Entries tied to a glibc-hwcaps subfolder are extras; the plain entry is what every
         * CPU gets, so prefer it. */
        if (plain) return val;
        if (!best) best = val;
    }
    return best;
}
