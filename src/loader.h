/* loader.h: where the dynamic loader would find a DT_NEEDED library for a given object, by the
 * rules of glibc's ld.so (FACTS 2; checked against the real loader by tests/loader):
 *  - when the requesting object has no DT_RUNPATH: the DT_RPATH of the requesting object, then
 *    of the object that loaded it, and so on up the chain, then the executable's DT_RPATH
 *    (unless the executable has DT_RUNPATH);
 *  - LD_LIBRARY_PATH (':' or ';' separated; $ORIGIN is the executable's folder);
 *  - the requesting object's DT_RUNPATH;
 *  - /etc/ld.so.cache, then the system folders (neither when the object has DF_1_NODEFLIB).
 * $ORIGIN expands to the folder of the object that carries the path; an empty or relative entry
 * is relative to the current directory. In each folder, a file of another ELF class or machine
 * is skipped, a missing one too; anything else that is not a loadable object (a text file, an
 * empty file, a folder, a device) stops the search with an error, and a FIFO makes the loader
 * block: both are reported, never opened for reading. */
#ifndef MPG_LOADER_H
#define MPG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf_read.h"
#include "ldcache.h"

struct mpg_loader;

/* Fields of a loader filled on its first resolution: reading the interpreter's ELF and
 * ld.so.cache is left until a library has to be found (a check of no env resolves nothing). */
struct mpg_loader_deferred {
    bool done;
    void (*fill)(struct mpg_loader *ld, void *ctx);
    void *ctx;
    struct mpg_loader *ld; /* the loader it fills */
};

struct mpg_loader {
    const char *ld_library_path; /* after the module load; NULL when unset */
    const char *exe_rpath;       /* the python executable's DT_RPATH (NULL: none) */
    const char *exe_runpath;     /* its DT_RUNPATH: searched for what it dlopen()s itself */
    const char *exe_dir;         /* $ORIGIN for exe_rpath and LD_LIBRARY_PATH */
    bool exe_has_runpath;        /* an executable with DT_RUNPATH does not lend its RPATH */
    const struct mpg_ldcache *cache; /* NULL: no cache */
    bool is64;                   /* the interpreter's ELF class and machine */
    uint16_t machine;
    const char *cwd;             /* the directory empty and relative entries mean; NULL: skip them */
    struct mpg_loader_deferred *deferred; /* NULL: every field is set */
};

/* One object of a load chain: the requester first, then the object that loaded it, ... */
struct mpg_loader_obj {
    const struct mpg_elf *elf;
    const char *path; /* as the loader opened it (its folder is $ORIGIN), or NULL */
};

struct mpg_resolved {
    char *path;       /* canonical path of the library found, NULL when not found or on error */
    const char *via;  /* "RPATH", "RPATH of <loader>", "executable RPATH", "LD_LIBRARY_PATH",
                         "RUNPATH", "ld.so.cache", "system directories", "path" */
    char *error;      /* set when the search stops at a file that cannot be loaded (the import
                         fails with this error) or would block: then path is NULL */
};

/* dir of an RPATH/RUNPATH with $ORIGIN and ${ORIGIN} replaced by origin (malloc'd); NULL when
 * it holds $LIB or $PLATFORM, which ld.so expands per machine, or $ORIGIN without an origin.
 * Any other '$' stays a literal character, as in ld.so. */
char *mpg_loader_expand_origin(const char *dir, const char *origin);

/* Resolves needed for the chain (chain[0] requests it). */
struct mpg_resolved mpg_loader_resolve_chain(const struct mpg_loader *ld, const struct mpg_loader_obj *chain,
                                             size_t n_chain, const char *needed);
/* The common case: needed for obj (parsed) at obj_path, loaded by the executable. */
struct mpg_resolved mpg_loader_resolve(const struct mpg_loader *ld, const struct mpg_elf *obj,
                                       const char *obj_path, const char *needed);
/* What dlopen(name) called from the executable would load (mpi4py's search calls it through
 * ctypes, whose own RPATH is not considered): a name with '/' is that file. */
struct mpg_resolved mpg_loader_dlopen(const struct mpg_loader *ld, const char *name);
void mpg_resolved_clear(struct mpg_resolved *r);

#endif
