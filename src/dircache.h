/* dircache.h: the names of interest in big folders (site-packages, conda-meta), remembered per
 * user and keyed by the folder's device, inode and mtime (nanoseconds). Adding or removing an
 * entry changes the folder's mtime, so a stale listing is never used; a module load after the
 * first costs one stat per folder instead of a listing of thousands of entries.
 * Stored in $XDG_CACHE_HOME/mpiguard (or ~/.cache/mpiguard), like Lmod's own ~/.cache/lmod.
 * Any failure to read or write it only means listing the folder again. */
#ifndef MPG_DIRCACHE_H
#define MPG_DIRCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "envsnap.h"
#include "util.h"

struct mpg_dircache;

/* NULL when caching is off (MPIGUARD_NO_CACHE set, or no HOME); callers pass NULL on. */
struct mpg_dircache *mpg_dircache_new(const struct mpg_envsnap *env);
/* Writes changes back (atomically) and frees. */
void mpg_dircache_free(struct mpg_dircache *c);

/* Names in dir for which want() is true, from the cache when it is fresh. kind separates
 * different filters of the same folder. Returns 0, or -1 when dir cannot be listed (errno). */
int mpg_dircache_list(struct mpg_dircache *c, const char *dir, const char *kind, bool (*want)(const char *name),
                      struct mpg_strv *out);

/* A value computed from a file (a verdict about it), remembered while the file keeps its device,
 * inode and mtime; kind names what it is and what else it depends on. get: true with *value
 * (malloc'd) when remembered and fresh. put: value must hold no '/', tab or newline. */
bool mpg_dircache_memo_get(struct mpg_dircache *c, const char *path, const char *kind, char **value);
void mpg_dircache_memo_put(struct mpg_dircache *c, const char *path, const char *kind, const char *value);
/* get, with what stat() said of path (valid when true). */
struct stat;
bool mpg_dircache_memo_get_stat(struct mpg_dircache *c, const char *path, const char *kind, char **value,
                                struct stat *st);

/* One field of a memo value: "!" for none, else "=" and its bytes with '%', '/', blanks and
 * control bytes as %XX (malloc'd); and back, from n bytes at s, into *out (NULL for "!"):
 * false when malformed (then the file is read instead). */
char *mpg_dircache_memo_field(const char *v);
bool mpg_dircache_memo_unfield(const char *s, size_t n, char **out);
/* n bytes as 2n hex digits (out: 2n + 1 chars), and back from 2n digits at s: false when one
 * is not a digit. */
void mpg_dircache_memo_hex(const unsigned char *b, size_t n, char *out);
bool mpg_dircache_memo_unhex(const char *s, size_t n, unsigned char *out);

/* Parses a cache file's text into c (the fuzz target's entry); malformed lines are dropped. */
void mpg_dircache_parse(struct mpg_dircache *c, const char *text, size_t len);
struct mpg_dircache *mpg_dircache_new_at(const char *file);

#endif
