/* loader.h: where the dynamic loader would find a DT_NEEDED library for a given object, by the
 * rules of glibc's ld.so (see FACTS 2): the object's DT_RPATH (only when it has no DT_RUNPATH),
 * the executable's DT_RPATH, LD_LIBRARY_PATH, the object's DT_RUNPATH, /etc/ld.so.cache, then the
 * system directories. $ORIGIN expands to the folder of the object that carries the path. */
#ifndef MPG_LOADER_H
#define MPG_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "elf_read.h"
#include "ldcache.h"

struct mpg_loader {
    const char *ld_library_path; /* after the module load; NULL when unset */
    const char *exe_rpath;       /* the python executable's DT_RPATH (NULL: none) */
    const char *exe_dir;         /* $ORIGIN for exe_rpath */
    bool exe_has_runpath;        /* an executable with DT_RUNPATH does not lend its RPATH */
    const struct mpg_ldcache *cache; /* NULL: no cache */
    bool is64;                   /* the interpreter's ELF class and machine */
    uint16_t machine;
};

struct mpg_resolved {
    char *path;      /* canonical path of the library found, NULL when not found */
    const char *via; /* "RPATH", "executable RPATH", "LD_LIBRARY_PATH", "RUNPATH",
                        "ld.so.cache", "system directories", "path" */
};

/* dir of an RPATH/RUNPATH with $ORIGIN and ${ORIGIN} replaced by origin (malloc'd); NULL when
 * it holds another $ token ($LIB, $PLATFORM), which ld.so expands per machine. */
char *mpg_loader_expand_origin(const char *dir, const char *origin);

/* Resolves needed for the object obj (parsed) that lives at obj_path. */
struct mpg_resolved mpg_loader_resolve(const struct mpg_loader *ld, const struct mpg_elf *obj,
                                       const char *obj_path, const char *needed);

#endif
