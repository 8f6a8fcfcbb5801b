/* ldcache.h: reader for glibc's /etc/ld.so.cache (the "glibc-ld.so.cache1.1" format, alone or
 * after the old "ld.so-1.7.0" table), so lookups match what the loader does without running
 * ldconfig -p. */
#ifndef MPG_LDCACHE_H
#define MPG_LDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mpg_ldcache {
    unsigned char *data; /* the file: an owned copy, or mapped */
    size_t size;
    bool mapped;         /* data is the file mapped (munmap), not a copy (free) */
    size_t entries;      /* offset of the first new-format entry */
    uint32_t nlibs;
    size_t strings_base; /* string offsets are relative to this */
};

/* Loads path: maps it, as ld.so does, when only root may write it (ldconfig renames a new
 * cache into place, so a mapping is never cut short); else reads a copy (a file another user
 * could cut short under the mapping would kill the process with SIGBUS). Returns 0, or -1 with
 * err filled; a missing cache is not an error for callers (the loader carries on without one),
 * they just skip the step. */
int mpg_ldcache_load(const char *path, struct mpg_ldcache *c, char *err, size_t errlen);
/* Parses a buffer the cache takes ownership of (free()d by mpg_ldcache_free). */
int mpg_ldcache_parse(unsigned char *buf, size_t size, struct mpg_ldcache *c, char *err, size_t errlen);
void mpg_ldcache_free(struct mpg_ldcache *c);

/* The path the cache maps soname to for an object of this ELF machine and class (the
 * entry's flags must match, as in ld.so), or NULL. Returned pointer is into the cache. */
const char *mpg_ldcache_lookup(const struct mpg_ldcache *c, const char *soname, uint16_t machine, int is64);

#endif
