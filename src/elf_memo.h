/* elf_memo.h: what an ELF object's dynamic section says (class, machine, DT_NEEDED, SONAME,
 * RPATH, RUNPATH, DT_FLAGS_1), remembered in the listing cache while the file keeps its device,
 * inode and mtime, as a library's MPI identity is (mpi_ident.h). Every MPI load in an env reads
 * the same python and the same extension: with this, a stat each instead of opening and reading
 * them. */
#ifndef MPG_ELF_MEMO_H
#define MPG_ELF_MEMO_H

#include "dircache.h"
#include "elf_read.h"

/* As mpg_elf_open(), with the answer remembered in cache (NULL: no cache, the file is opened).
 * From the cache, e holds the dynamic section's facts only: mpg_elf_symbols_readable() is false
 * and a caller that needs symbols opens the file. Close e with mpg_elf_close() either way. */
int mpg_elf_open_cached(const char *path, struct mpg_dircache *cache, struct mpg_elf *e, char *err, size_t errlen);

/* The cache's line for e (malloc'd), and back: false (e cleared) when line does not decode
 * exactly (the fuzz target's entries). */
char *mpg_elf_memo_line(const struct mpg_elf *e);
bool mpg_elf_from_memo_line(const char *line, struct mpg_elf *e);

#endif
