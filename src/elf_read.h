/* elf_read.h: a bounds-checked reader for the dynamic section and dynamic symbols of an ELF
 * shared object, without loading it. Handles ELF32/ELF64, either byte order. Any malformed or
 * truncated file yields an error message, never a crash. */
#ifndef MPG_ELF_READ_H
#define MPG_ELF_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mpg_elf {
    const unsigned char *data; /* the whole file (mmap'd or caller-owned) */
    size_t size;
    bool mapped;
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
