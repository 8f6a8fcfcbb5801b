/* util.h: small string, path and file helpers shared by the core. All allocation failures
 * abort: the core runs inside a `module` command, and half-built results are worse than none. */
#ifndef MPG_UTIL_H
#define MPG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "mpiguard.h"

/* Longest path or variable value the core takes from the user; longer ones are rejected with a
 * message rather than truncated (a truncated path names a different file). */
#define MPG_MAX_PATH 4096

void *mpg_xmalloc(size_t n);
void *mpg_xcalloc(size_t n, size_t size);
void *mpg_xrealloc(void *p, size_t n);
char *mpg_strdup(const char *s); /* NULL-safe */
char *mpg_strndup(const char *s, size_t n);
char *mpg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *mpg_vprintf(const char *fmt, va_list ap);

/* snprintf into an error buffer that may be NULL or empty (callers that do not want the text). */
void mpg_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

bool mpg_str_starts(const char *s, const char *prefix);
bool mpg_str_ends(const char *s, const char *suffix);

/* A growable list of owned strings. */
struct mpg_strv {
    char **v;
    size_t n, cap;
};
void mpg_strv_push(struct mpg_strv *sv, char *owned);
void mpg_strv_add(struct mpg_strv *sv, const char *s); /* copies */
bool mpg_strv_contains(const struct mpg_strv *sv, const char *s);
void mpg_strv_free(struct mpg_strv *sv);
/* Splits s on sep, skipping empty fields. */
void mpg_strv_split(struct mpg_strv *sv, const char *s, char sep);

char *mpg_path_join(const char *dir, const char *name);
/* The strings up to the first NULL, end to end (malloc'd): for the paths a check builds, where
 * mpg_printf()'s formatting costs ten times as much. */
char *mpg_concat(const char *first, ...) __attribute__((sentinel));
char *mpg_dirname(const char *path);
const char *mpg_basename(const char *path);
/* Canonical path, or NULL (missing, loop, too long). */
char *mpg_realpath(const char *path);
/* True when path equals dir or lies below it (both canonical). */
bool mpg_path_under(const char *path, const char *dir);

/* What path resolves to (stat()'s S_IFMT: S_IFREG, S_IFDIR, ...), or 0 when it does not
 * resolve; during a check, from fsmemo, so a path asked again costs no system call. */
unsigned mpg_path_type(const char *path);
bool mpg_is_dir(const char *path);
bool mpg_is_file(const char *path);
bool mpg_is_executable(const char *path);
struct stat;
/* stat(path); during a check, what fstat() said when the ELF reader opened path by that name, or
 * what lstat() said when a walk looked at it (mpg_fsmemo_known_stat: mode, device, inode, size
 * and modification time only; its ENOENT). */
int mpg_stat(const char *path, struct stat *st);

/* Reads at most max bytes of a regular file into a NUL-terminated buffer. NULL on error or
 * when the file is larger than max (errno set: EFBIG). Never blocks: a FIFO or a device is
 * refused (EINVAL). */
char *mpg_read_file(const char *path, size_t max, size_t *len);
/* The same for a file already open (not closed here). */
char *mpg_read_fd(int fd, size_t max, size_t *len);
/* mpg_read_fd() of a descriptor the caller has just fstat()ed into st (one system call fewer). */
char *mpg_read_fd_st(int fd, const struct stat *st, size_t max, size_t *len);

/* First executable `name` in the colon-separated dirs of path_var, or NULL. */
char *mpg_which(const char *path_var, const char *name);

/* ---- values that leave the core --------------------------------------------------------
 * Three rules, one function each (public: declared in mpiguard.h for the CLI, the Lua and Tcl
 * layers and the Slurm plugin):
 *   mpg_escape_for_display(s)   text from a user's file, name or variable shown to a person
 *   mpg_quote_for_shell(s)      a value a person may paste into a shell (fix commands)
 *   mpg_safe_for_shell_eval(s)  a value handed back to the shell through Lmod (refuse if false)
 * Their contracts are in mpiguard.h. */

/* "4.1.2" vs "4.1": compares numeric components (missing ones count as equal); <0, 0, >0. */
int mpg_version_cmp(const char *a, const char *b, int components);
/* "4.1.2" -> "4.1" (malloc'd). */
char *mpg_version_major_minor(const char *v);

#endif
