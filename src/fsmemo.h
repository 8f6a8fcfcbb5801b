/* fsmemo.h: what one check has learned about the file system, so it asks each question once:
 * the real path of each path resolved (its folders resolved once for all the files in them),
 * and the names in a folder the loader is asked to search again and again (LD_LIBRARY_PATH
 * entries, RPATHs). Active between mpg_fsmemo_begin() and mpg_fsmemo_end(), in this thread
 * only (mpg_check() brackets itself); outside, every question goes to the file system.
 * Within one check the answers are those the file system gave at the first question: the same
 * race a check always had with a folder changed while it runs, never an older answer. */
#ifndef MPG_FSMEMO_H
#define MPG_FSMEMO_H

#include <stdbool.h>

void mpg_fsmemo_begin(void);
void mpg_fsmemo_end(void);
bool mpg_fsmemo_active(void);

/* realpath(path) (malloc'ed; NULL with errno set), each symlink and folder resolved once per
 * check. Call only while active (mpg_realpath() does). */
char *mpg_fsmemo_realpath(const char *path);

/* False only when dir is known not to hold name: dir was listed during this check (the second
 * time it was asked about; folders of more than a few hundred entries never are) and name was
 * not in it, so opening dir/name would fail with ENOENT. True otherwise: open it and see. */
bool mpg_fsmemo_may_exist(const char *dir, const char *name);

#endif
