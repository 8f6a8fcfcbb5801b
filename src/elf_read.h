/* elf_read.h: a bounds-checked reader for the dynamic section and dynamic symbols of an ELF
 * shared object, without loading it. Handles ELF32/ELF64, either byte order. Any malformed or
 * truncated file yields an error message, never a crash. Files are read with pread() into a
 * few small buffers, never memory-mapped: a mapped file that shrinks while it is read (pip or
 * conda reinstalling, an NFS server's copy changing) kills the reader with SIGBUS, and the
 * reader runs inside the user's `module` command. */
#ifndef MPG_ELF_READ_H
#define MPG_ELF_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mpg_elf_blocks;

struct mpg_elf {
    const unsigned char *data; /* an in-memory image (mpg_elf_parse), else NULL */
    struct mpg_elf_blocks *file; /* the open file and its read buffers (mpg_elf_open) */
    size_t size;               /* at open; a file found shorter later counts as changed */
    bool is64, big_endian;
    uint16_t type, machine;
    char **needed; /* DT_NEEDED, in order */
    size_t n_needed;
    char *soname, *rpath, *runpath; /* NULL when absent */
    uint64_t flags_1;               /* DT_FLAGS_1 (DF_1_NODEFLIB, ...) */
    /* dynamic symbol lookup; offsets are file offsets, 0 when absent */
    size_t symtab, strtab, strsz, syment;
    size_t gnu_hash, sysv_hash;
};

/* Opens and parses path. Returns 0, or -1 with err filled ("not an ELF file", ...). Files
 * larger than 2 GiB are refused. */
int mpg_elf_open(const char *path, struct mpg_elf *e, char *err, size_t errlen);
/* Parses an in-memory image (the fuzz target's entry); buf must outlive e. */
int mpg_elf_parse(const void *buf, size_t size, struct mpg_elf *e, char *err, size_t errlen);
void mpg_elf_close(struct mpg_elf *e);

/* False for an object known from its dynamic section alone (elf_memo.h): no symbol can be looked
 * up in it (each lookup finds nothing) until the file is opened. */
bool mpg_elf_symbols_readable(const struct mpg_elf *e);

/* True when the file came back shorter than at open while it was being read (it is being
 * replaced): what was read from it since may be incomplete. */
bool mpg_elf_changed(const struct mpg_elf *e);

/* Reads the hash, symbol and string tables in one go (when they lie together and are not
 * huge), for a caller about to look up many symbols: each lookup then reads no more from the
 * file. Without it a lookup reads the few 4 KiB blocks it touches. */
void mpg_elf_read_symbol_tables(const struct mpg_elf *e);
/* True when the object defines (not merely references) the dynamic symbol name. */
bool mpg_elf_defines(const struct mpg_elf *e, const char *name);
/* The NUL-terminated string stored at the defined data symbol name (e.g. a `const char[]`
 * version string), copied, at most max bytes; NULL when absent or not inside the file. */
char *mpg_elf_symbol_string(const struct mpg_elf *e, const char *name, size_t max);

/* Calls fn(name, arg) for each undefined, non-weak dynamic symbol (what the object needs from
 * its libraries: with RTLD_NOW, as Python imports extensions, every one must resolve) until fn
 * returns false. Symbols are counted from the section headers, else from the hash tables. */
void mpg_elf_each_undefined(const struct mpg_elf *e, bool (*fn)(const char *name, void *arg), void *arg);

/* Reads just enough of path to tell its ELF class and machine; 0 on success. */
int mpg_elf_peek(const char *path, bool *is64, uint16_t *machine);

#endif
