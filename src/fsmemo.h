/* fsmemo.h: what one check has learned about the file system, so it asks each question once:
 * the real path of each path resolved (each component of a folder looked at once, whatever path
 * led there: /usr, /usr/lib, ... are not read again for every file below them; a path asked
 * again, or another path in the same folder, costs a lookup), and the names in a folder the
 * loader is asked to search again and again (LD_LIBRARY_PATH entries, RPATHs). What it keeps
 * lives in one arena, freed at the end of the check. Active between mpg_fsmemo_begin() and mpg_fsmemo_end(), in this thread
 * only (mpg_check() brackets itself); outside, every question goes to the file system.
 * Within one check the answers are those the file system gave at the first question: the same
 * race a check always had with a folder changed while it runs, never an older answer. */
#ifndef MPG_FSMEMO_H
#define MPG_FSMEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* begin: false when a pass is open already (it goes on; only its opener ends it). */
bool mpg_fsmemo_begin(void);
void mpg_fsmemo_end(void);
bool mpg_fsmemo_active(void);

/* realpath(path) (malloc'ed; NULL with errno set, as glibc's), each component and symlink
 * resolved once per check. Call only while active (mpg_realpath() does). */
char *mpg_fsmemo_realpath(const char *path);

/* One buffer kept for reuse until the end of the check (the ELF reader's 32 KiB, reused by every
 * file it opens: allocated and freed per file, it made the heap grow and shrink, with a brk()
 * and fresh pages each time). take: the kept buffer if it has this size, else NULL. keep: false
 * when not active or one is kept already (then free it). */
void *mpg_fsmemo_take_buffer(size_t size);
bool mpg_fsmemo_keep_buffer(void *buf, size_t size);

/* What an absolute path resolves to (S_IFDIR, S_IFREG, ...: stat()'s S_IFMT), or 0 with errno;
 * and whether it is a regular file this process may execute (access(X_OK), asked once). Call
 * only while active (mpg_is_dir(), mpg_is_file() and mpg_is_executable() do). */
unsigned mpg_fsmemo_type(const char *path);
bool mpg_fsmemo_executable(const char *path);

/* Files the ELF reader opened in this check: what fstat() said then, and their first bytes, so
 * a second look at one asks the file system nothing (the loader checking a link to the MPI's
 * libmpi, read already to identify it: open, pread, close; the listing cache's key for a library
 * or an extension: a stat). note: ignored when not active, or for a file noted already. */
#define MPG_FSMEMO_HEAD 64
void mpg_fsmemo_note_opened(const char *path, const struct stat *st, const unsigned char *head, size_t n);
/* stat(path) as it was when path, by that name, was opened in this check; false when it was not. */
bool mpg_fsmemo_opened_stat(const char *path, struct stat *st);
/* The first bytes (at most MPG_FSMEMO_HEAD) of the file st describes, when a file of the same
 * device, inode, size and modification time was opened in this check: how many, else 0. */
size_t mpg_fsmemo_opened_head(const struct stat *st, unsigned char *head);

/* stat(path) answered from this check's walks, without asking the file system: true when a walk
 * looked at path by that exact name (a name in a real folder, "/usr/lib/libmpi.so.40", not
 * "/lib/..." through a symlink): *err is lstat()'s error there (ENOENT: stat() fails the same
 * way), else 0 and st holds its mode, device, inode, size and modification time (the other
 * fields 0). False when no walk looked at it, or it is a symlink: ask stat(). */
bool mpg_fsmemo_known_stat(const char *path, struct stat *st, int *err);

/* False only when dir is known not to hold name: dir was listed during this check (the second
 * time it was asked about; folders of more than a few hundred entries never are) and name was
 * not in it, so opening dir/name would fail with ENOENT. True otherwise: open it and see. */
bool mpg_fsmemo_may_exist(const char *dir, const char *name);

#endif
