/* elf_read.c: dynamic section and dynamic symbol reader. Every offset read from the file is
 * checked against its size before use; multi-byte fields are copied out (get()), so unaligned
 * or foreign-endian files are fine. A file is read through a handful of 4 KiB blocks with
 * pread(): the reader touches the same few pages a mapping would (header, dynamic section,
 * a hash chain, a symbol, a string), and a file that shrinks meanwhile gives short reads and
 * an error, where a mapping would give SIGBUS. */
#include "elf_read.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsmemo.h"
#include "util.h"

#define MAX_ELF_SIZE ((size_t)2 << 30)
#define MAX_DYN_ENTRIES 65536
#define MAX_CHAIN 1000000

/* 2 kB, not a page: each block's first read faults in a fresh heap page, and on the first check
 * in a process (what a module load pays) 4 kB blocks cost ~5% more CPU than 2 kB ones for 4
 * fewer pread() calls on the MPI's libmpi (bench/check/cold.sh with BASELINE). */
#define BLOCK 2048
#define N_BLOCKS 8
/* The most mpg_elf_read_symbol_tables reads in one go: libmpi's hash, symbol and string tables
 * are 100-300 KiB; a bigger (or hostile) file keeps to the blocks. */
#define MAX_TABLES (8u << 20)

struct mpg_elf_blocks {
    int fd;
    bool changed; /* a read came back short: the file shrank since it was opened */
    unsigned last; /* the slot read last */
    /* When each slot was last handed out: a miss refills the least recently used one, so the
     * blocks every lookup goes back to (the program headers, the hash table's head) stay, where
     * a round robin read them again once the symbol lookups had cycled through 8 others. */
    uint32_t clock, used[N_BLOCKS];
    uint64_t at[N_BLOCKS]; /* file offset of each slot's block; UINT64_MAX when empty */
    size_t len[N_BLOCKS];
    unsigned char buf[N_BLOCKS][BLOCK];
    /* The dynamic symbol tables read whole (mpg_elf_read_symbol_tables), else NULL. */
    unsigned char *tables;
    uint64_t tables_at;
    size_t tables_len;
    bool tables_tried;
};

static bool in_file(const struct mpg_elf *e, uint64_t off, uint64_t len)
{
    return off <= e->size && len <= e->size - off;
}

/* The block of the file that holds offset off, read if needed; NULL on a short read. */
static const unsigned char *block(struct mpg_elf_blocks *b, uint64_t off, size_t *len)
{
    uint64_t start = off - off % BLOCK;
    for (unsigned i = 0; i < N_BLOCKS; i++)
        if (b->at[i] == start) {
            b->last = i;
            b->used[i] = ++b->clock;
            *len = b->len[i];
            return b->buf[i];
        }
    unsigned i = 0;
    for (unsigned k = 1; k < N_BLOCKS; k++)
        if (b->used[k] < b->used[i]) i = k;
    b->used[i] = ++b->clock;
    ssize_t n;
    do
        n = pread(b->fd, b->buf[i], BLOCK, (off_t)start);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        b->changed = true;
        b->at[i] = UINT64_MAX;
        b->used[i] = 0; /* empty: refilled first */
        return NULL;
    }
    b->at[i] = start;
    b->len[i] = *len = (size_t)n;
    b->last = i;
    return b->buf[i];
}

static bool get_slow(const struct mpg_elf *e, uint64_t off, void *dst, size_t len)
{
    unsigned char *d = dst; /* (the symbol tables read whole were looked at by get()) */
    while (len) {
        size_t have;
        const unsigned char *b = block(e->file, off, &have);
        size_t in = (size_t)(off % BLOCK);
        if (!b || have <= in) {
            if (b) e->file->changed = true;
            memset(d, 0, len);
            return false;
        }
        size_t n = have - in < len ? have - in : len;
        memcpy(d, b + in, n);
        d += n, off += n, len -= n;
    }
    return true;
}

/* Copies len bytes at off into dst; false (dst zeroed) when they are not in the file as
 * opened, or no longer in it. Most reads fall in the block read last. */
static inline bool get(const struct mpg_elf *e, uint64_t off, void *dst, size_t len)
{
    if (!in_file(e, off, len)) {
        memset(dst, 0, len);
        return false;
    }
    if (e->data) {
        memcpy(dst, e->data + off, len);
        return true;
    }
    const struct mpg_elf_blocks *b = e->file;
    if (b->tables && off >= b->tables_at && off - b->tables_at + len <= b->tables_len) {
        memcpy(dst, b->tables + (off - b->tables_at), len);
        return true;
    }
    uint64_t at = b->at[b->last];
    if (off >= at && off - at + len <= b->len[b->last]) {
        memcpy(dst, b->buf[b->last] + (off - at), len);
        return true;
    }
    return get_slow(e, off, dst, len);
}

static uint16_t rd16(const struct mpg_elf *e, uint64_t off)
{
    uint16_t v;
    get(e, off, &v, 2);
    return e->big_endian ? __builtin_bswap16(v) : v;
}

static uint32_t rd32(const struct mpg_elf *e, uint64_t off)
{
    uint32_t v;
    get(e, off, &v, 4);
    return e->big_endian ? __builtin_bswap32(v) : v;
}

static uint64_t rd64(const struct mpg_elf *e, uint64_t off)
{
    uint64_t v;
    get(e, off, &v, 8);
    return e->big_endian ? __builtin_bswap64(v) : v;
}

/* A machine word: 8 bytes in ELF64, 4 in ELF32. */
static uint64_t rdw(const struct mpg_elf *e, uint64_t off)
{
    return e->is64 ? rd64(e, off) : rd32(e, off);
}

/* File offset of virtual address va through the PT_LOAD segments; (size_t)-1 when unmapped. */
static size_t va_to_off(const struct mpg_elf *e, uint64_t va)
{
    uint64_t phoff = rdw(e, e->is64 ? 32 : 28);
    uint16_t phentsize = rd16(e, e->is64 ? 54 : 42), phnum = rd16(e, e->is64 ? 56 : 44);
    for (uint16_t i = 0; i < phnum; i++) {
        uint64_t ph = phoff + (uint64_t)i * phentsize;
        if (!in_file(e, ph, phentsize)) break;
        if (rd32(e, ph) != PT_LOAD) continue;
        uint64_t off = e->is64 ? rd64(e, ph + 8) : rd32(e, ph + 4);
        uint64_t vaddr = e->is64 ? rd64(e, ph + 16) : rd32(e, ph + 8);
        uint64_t filesz = e->is64 ? rd64(e, ph + 32) : rd32(e, ph + 16);
        if (va >= vaddr && va - vaddr < filesz && in_file(e, off + (va - vaddr), 1))
            return (size_t)(off + (va - vaddr));
    }
    return (size_t)-1;
}

/* A copy of the NUL-terminated string at offset off of the dynamic string table, or NULL. */
static char *dynstr(const struct mpg_elf *e, uint64_t off)
{
    if (!e->strtab || off >= e->strsz) return NULL;
    size_t room = e->strsz - (size_t)off, cap = 0, n = 0;
    char *s = NULL;
    for (;;) { /* strings are short: read 256 bytes at a time until the NUL */
        size_t chunk = room - n < 256 ? room - n : 256;
        if (!chunk) break;
        if (n + chunk + 1 > cap) s = mpg_xrealloc(s, cap = n + chunk + 1);
        if (!get(e, e->strtab + off + n, s + n, chunk)) break;
        char *nul = memchr(s + n, '\0', chunk);
        if (nul) return s;
        n += chunk;
    }
    free(s);
    return NULL;
}

/* Whether the string at offset off of the dynamic string table is name. */
static bool dynstr_is(const struct mpg_elf *e, uint64_t off, const char *name)
{
    size_t n = strlen(name) + 1;
    char buf[256];
    if (!e->strtab || off >= e->strsz || n > sizeof buf || n > e->strsz - off) return false;
    return get(e, e->strtab + off, buf, n) && memcmp(buf, name, n) == 0;
}

static int parse_header(struct mpg_elf *e, char *err, size_t errlen)
{
    unsigned char ident[EI_NIDENT];
    if (!get(e, 0, ident, sizeof ident) || memcmp(ident, ELFMAG, SELFMAG) != 0)
        return mpg_set_err(err, errlen, "not an ELF file"), -1;
    unsigned char cls = ident[EI_CLASS], enc = ident[EI_DATA];
    if (cls != ELFCLASS32 && cls != ELFCLASS64) return mpg_set_err(err, errlen, "unknown ELF class"), -1;
    if (enc != ELFDATA2LSB && enc != ELFDATA2MSB)
        return mpg_set_err(err, errlen, "unknown ELF byte order"), -1;
    e->is64 = cls == ELFCLASS64;
    e->big_endian = enc == ELFDATA2MSB;
    if (e->size < (e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
        return mpg_set_err(err, errlen, "truncated ELF header"), -1;
    e->type = rd16(e, 16);
    e->machine = rd16(e, 18);
    return 0;
}

static int parse_dynamic(struct mpg_elf *e, char *err, size_t errlen)
{
    uint64_t phoff = rdw(e, e->is64 ? 32 : 28);
    uint16_t phentsize = rd16(e, e->is64 ? 54 : 42), phnum = rd16(e, e->is64 ? 56 : 44);
    if (phnum && phentsize < (e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
        return mpg_set_err(err, errlen, "bad program header size"), -1;
    uint64_t dyn_off = 0, dyn_size = 0;
    for (uint16_t i = 0; i < phnum; i++) {
        uint64_t ph = phoff + (uint64_t)i * phentsize;
        if (!in_file(e, ph, phentsize)) return mpg_set_err(err, errlen, "truncated program headers"), -1;
        if (rd32(e, ph) == PT_DYNAMIC) {
            dyn_off = e->is64 ? rd64(e, ph + 8) : rd32(e, ph + 4);
            dyn_size = e->is64 ? rd64(e, ph + 32) : rd32(e, ph + 16);
            break;
        }
    }
    if (!dyn_size) return 0; /* static object: no dependencies */
    if (!in_file(e, dyn_off, dyn_size)) return mpg_set_err(err, errlen, "dynamic section outside the file"), -1;

    size_t entsz = e->is64 ? 16 : 8, n = (size_t)(dyn_size / entsz);
    if (n > MAX_DYN_ENTRIES) n = MAX_DYN_ENTRIES;
    uint64_t strtab_va = 0, symtab_va = 0, gnu_va = 0, sysv_va = 0;
    uint64_t soname = UINT64_MAX, rpath = UINT64_MAX, runpath = UINT64_MAX;
    size_t n_needed = 0;
    e->syment = e->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
    for (size_t i = 0; i < n; i++) {
        size_t d = (size_t)dyn_off + i * entsz;
        int64_t tag = (int64_t)rdw(e, d);
        uint64_t val = rdw(e, d + entsz / 2);
        if (tag == DT_NULL) break;
        switch (tag) {
        case DT_NEEDED: n_needed++; break;
        case DT_STRTAB: strtab_va = val; break;
        case DT_STRSZ: e->strsz = (size_t)val; break;
        case DT_SYMTAB: symtab_va = val; break;
        case DT_SYMENT: if (val) e->syment = (size_t)val; break;
        case DT_GNU_HASH: gnu_va = val; break;
        case DT_HASH: sysv_va = val; break;
        case DT_SONAME: soname = val; break;
        case DT_RPATH: rpath = val; break;
        case DT_RUNPATH: runpath = val; break;
        case DT_FLAGS_1: e->flags_1 = val; break;
        }
    }
    if (!strtab_va) return n_needed ? (mpg_set_err(err, errlen, "dynamic section without a string table"), -1) : 0;
    size_t so = va_to_off(e, strtab_va);
    if (so == (size_t)-1 || !in_file(e, so, e->strsz))
        return mpg_set_err(err, errlen, "string table outside the file"), -1;
    e->strtab = so;
    if (symtab_va) {
        size_t o = va_to_off(e, symtab_va);
        e->symtab = o == (size_t)-1 ? 0 : o;
    }
    if (gnu_va) {
        size_t o = va_to_off(e, gnu_va);
        e->gnu_hash = o == (size_t)-1 ? 0 : o;
    }
    if (sysv_va) {
        size_t o = va_to_off(e, sysv_va);
        e->sysv_hash = o == (size_t)-1 ? 0 : o;
    }

    e->needed = mpg_xcalloc(n_needed + 1, sizeof *e->needed);
    for (size_t i = 0; i < n; i++) {
        size_t d = (size_t)dyn_off + i * entsz;
        int64_t tag = (int64_t)rdw(e, d);
        if (tag == DT_NULL) break;
        if (tag != DT_NEEDED) continue;
        char *s = dynstr(e, rdw(e, d + entsz / 2));
        if (s && e->n_needed < n_needed) e->needed[e->n_needed++] = s;
        else free(s);
    }
    if (soname != UINT64_MAX) e->soname = dynstr(e, soname);
    if (rpath != UINT64_MAX) e->rpath = dynstr(e, rpath);
    if (runpath != UINT64_MAX) e->runpath = dynstr(e, runpath);
    return 0;
}

static int parse(struct mpg_elf *e, char *err, size_t errlen)
{
    if (parse_header(e, err, errlen) != 0 || parse_dynamic(e, err, errlen) != 0) return -1;
    if (mpg_elf_changed(e)) return mpg_set_err(err, errlen, "the file changed while it was read"), -1;
    return 0;
}

int mpg_elf_parse(const void *buf, size_t size, struct mpg_elf *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->data = buf;
    e->size = size;
    if (parse(e, err, errlen) != 0) {
        mpg_elf_close(e);
        return -1;
    }
    return 0;
}

int mpg_elf_open(const char *path, struct mpg_elf *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return mpg_set_err(err, errlen, "cannot open: %s", strerror(errno)), -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mpg_set_err(err, errlen, "not a regular file"), -1;
    }
    if ((unsigned long long)st.st_size > MAX_ELF_SIZE || st.st_size < EI_NIDENT) {
        close(fd);
        return mpg_set_err(err, errlen, st.st_size < EI_NIDENT ? "not an ELF file (too short)" : "file too large"), -1;
    }
    e->file = mpg_fsmemo_take_buffer(sizeof *e->file); /* 32 KiB of buffers, filled by reads */
    if (!e->file) e->file = mpg_xmalloc(sizeof *e->file);
    e->file->fd = fd;
    e->file->changed = false;
    e->file->last = e->file->clock = 0;
    e->file->tables = NULL;
    e->file->tables_at = 0;
    e->file->tables_len = 0;
    e->file->tables_tried = false;
    for (unsigned i = 0; i < N_BLOCKS; i++) e->file->at[i] = UINT64_MAX, e->file->len[i] = 0, e->file->used[i] = 0;
    e->size = (size_t)st.st_size;
    if (parse(e, err, errlen) != 0) {
        mpg_elf_close(e);
        return -1;
    }
    for (unsigned i = 0; i < N_BLOCKS; i++) /* the header's block, read by parse() */
        if (e->file->at[i] == 0) mpg_fsmemo_note_opened(path, &st, e->file->buf[i], e->file->len[i]);
    return 0;
}

void mpg_elf_close(struct mpg_elf *e)
{
    for (size_t i = 0; i < e->n_needed; i++) free(e->needed[i]);
    free(e->needed);
    free(e->soname);
    free(e->rpath);
    free(e->runpath);
    if (e->file) {
        close(e->file->fd);
        free(e->file->tables);
        if (!mpg_fsmemo_keep_buffer(e->file, sizeof *e->file)) free(e->file);
    }
    memset(e, 0, sizeof *e);
}

bool mpg_elf_changed(const struct mpg_elf *e) { return e->file && e->file->changed; }

bool mpg_elf_symbols_readable(const struct mpg_elf *e) { return e->file || e->data; }

void mpg_elf_read_symbol_tables(const struct mpg_elf *e)
{
    struct mpg_elf_blocks *b = e->file;
    if (!b || b->tables_tried || !e->symtab || !e->strtab) return;
    b->tables_tried = true;
    /* The linker lays them out together: hash table(s), .dynsym, .dynstr. Whatever lies outside
     * [lo, hi) (an unusual layout) is still read through the blocks. */
    uint64_t lo = e->strtab, hi = (uint64_t)e->strtab + e->strsz;
    size_t starts[] = {e->symtab, e->gnu_hash, e->sysv_hash};
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        if (starts[i] && starts[i] < lo) lo = starts[i];
    if (hi - lo > MAX_TABLES || !in_file(e, lo, hi - lo)) return;
    unsigned char *buf = malloc((size_t)(hi - lo));
    if (!buf) return;
    ssize_t n;
    do
        n = pread(b->fd, buf, (size_t)(hi - lo), (off_t)lo);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)(hi - lo)) {
        if (n >= 0) b->changed = true; /* shorter than at open */
        free(buf);
        return;
    }
    b->tables = buf;
    b->tables_at = lo;
    b->tables_len = (size_t)(hi - lo);
}

/* Symbol entry offset for index i, or (size_t)-1. */
static size_t sym_at(const struct mpg_elf *e, uint64_t i)
{
    if (!e->symtab || e->syment < (e->is64 ? 24u : 16u)) return (size_t)-1;
    if (i > (e->size - e->symtab) / e->syment) return (size_t)-1;
    size_t off = e->symtab + (size_t)i * e->syment;
    return in_file(e, off, e->syment) ? off : (size_t)-1;
}

/* Is the symbol at off a definition called name? Returns its value through va. */
static bool sym_matches(const struct mpg_elf *e, size_t off, const char *name, uint64_t *va)
{
    uint32_t st_name = rd32(e, off);
    uint16_t shndx = e->is64 ? rd16(e, off + 6) : rd16(e, off + 14);
    if (shndx == SHN_UNDEF || !dynstr_is(e, st_name, name)) return false;
    *va = e->is64 ? rd64(e, off + 8) : rd32(e, off + 4);
    return true;
}

static uint32_t gnu_hash_of(const char *s)
{
    uint32_t h = 5381;
    for (; *s; s++) h = h * 33 + (unsigned char)*s;
    return h;
}

static uint32_t sysv_hash_of(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++) {
        h = (h << 4) + (unsigned char)*s;
        uint32_t g = h & 0xf0000000u;
        if (g) h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

static bool lookup_gnu(const struct mpg_elf *e, const char *name, uint64_t *va)
{
    size_t h = e->gnu_hash;
    if (!in_file(e, h, 16)) return false;
    uint32_t nbuckets = rd32(e, h), symoffset = rd32(e, h + 4), bloom_size = rd32(e, h + 8);
    if (!nbuckets) return false;
    size_t wsz = e->is64 ? 8 : 4;
    uint64_t buckets = h + 16 + (uint64_t)bloom_size * wsz;
    uint64_t chains = buckets + (uint64_t)nbuckets * 4;
    if (!in_file(e, buckets, (uint64_t)nbuckets * 4)) return false;
    uint32_t hash = gnu_hash_of(name);
    uint32_t idx = rd32(e, (size_t)buckets + (hash % nbuckets) * 4);
    if (idx < symoffset) return false;
    for (uint32_t steps = 0; steps < MAX_CHAIN; steps++, idx++) {
        uint64_t c = chains + (uint64_t)(idx - symoffset) * 4;
        if (!in_file(e, c, 4)) return false;
        uint32_t chainval = rd32(e, (size_t)c);
        if ((chainval | 1) == (hash | 1)) {
            size_t so = sym_at(e, idx);
            if (so != (size_t)-1 && sym_matches(e, so, name, va)) return true;
        }
        if (chainval & 1) return false;
        if (idx == UINT32_MAX) return false;
    }
    return false;
}

static bool lookup_sysv(const struct mpg_elf *e, const char *name, uint64_t *va)
{
    size_t h = e->sysv_hash;
    if (!in_file(e, h, 8)) return false;
    uint32_t nbucket = rd32(e, h), nchain = rd32(e, h + 4);
    if (!nbucket || !in_file(e, h + 8, ((uint64_t)nbucket + nchain) * 4)) return false;
    uint32_t idx = rd32(e, h + 8 + (sysv_hash_of(name) % nbucket) * 4);
    for (uint32_t steps = 0; idx != 0 && idx < nchain && steps < nchain; steps++) {
        size_t so = sym_at(e, idx);
        if (so == (size_t)-1) return false;
        if (sym_matches(e, so, name, va)) return true;
        idx = rd32(e, h + 8 + ((size_t)nbucket + idx) * 4);
    }
    return false;
}

static bool lookup(const struct mpg_elf *e, const char *name, uint64_t *va)
{
    if (!e->symtab || !e->strtab) return false;
    if (e->gnu_hash) return lookup_gnu(e, name, va);
    if (e->sysv_hash) return lookup_sysv(e, name, va);
    return false;
}

bool mpg_elf_defines(const struct mpg_elf *e, const char *name)
{
    uint64_t va;
    return lookup(e, name, &va);
}

char *mpg_elf_symbol_string(const struct mpg_elf *e, const char *name, size_t max)
{
    uint64_t va;
    if (!lookup(e, name, &va)) return NULL;
    size_t off = va_to_off(e, va);
    if (off == (size_t)-1) return NULL; /* e.g. in .bss: no bytes in the file */
    size_t room = e->size - off < max ? e->size - off : max;
    char buf[512];
    if (room > sizeof buf) room = sizeof buf;
    if (!get(e, off, buf, room)) return NULL;
    const char *nul = memchr(buf, '\0', room);
    if (!nul || nul == buf) return NULL;
    for (const char *p = buf; p < nul; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) return NULL; /* not text */
    return mpg_strndup(buf, (size_t)(nul - buf));
}

/* Number of dynamic symbols: the .dynsym section's size, else DT_HASH's nchain, else the highest
 * index the GNU hash chains reach. 0 when none can be told. */
static size_t dynsym_count(const struct mpg_elf *e)
{
    uint64_t shoff = rdw(e, e->is64 ? 40 : 32);
    uint16_t shentsize = rd16(e, e->is64 ? 58 : 46), shnum = rd16(e, e->is64 ? 60 : 48);
    if (shoff && shentsize >= (e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)))
        for (uint16_t i = 0; i < shnum; i++) {
            uint64_t sh = shoff + (uint64_t)i * shentsize;
            if (!in_file(e, sh, shentsize)) break;
            if (rd32(e, sh + 4) != SHT_DYNSYM) continue;
            uint64_t size = e->is64 ? rd64(e, sh + 32) : rd32(e, sh + 20);
            uint64_t ent = e->is64 ? rd64(e, sh + 56) : rd32(e, sh + 36);
            return ent ? (size_t)(size / ent) : 0;
        }
    if (e->sysv_hash && in_file(e, e->sysv_hash, 8)) return rd32(e, e->sysv_hash + 4);
    size_t h = e->gnu_hash;
    if (!h || !in_file(e, h, 16)) return 0;
    uint32_t nbuckets = rd32(e, h), symoffset = rd32(e, h + 4), bloom_size = rd32(e, h + 8);
    uint64_t buckets = h + 16 + (uint64_t)bloom_size * (e->is64 ? 8 : 4), chains = buckets + (uint64_t)nbuckets * 4;
    if (!in_file(e, buckets, (uint64_t)nbuckets * 4)) return 0;
    uint32_t last = 0;
    for (uint32_t b = 0; b < nbuckets; b++) {
        uint32_t idx = rd32(e, (size_t)(buckets + (uint64_t)b * 4));
        if (idx > last) last = idx;
    }
    if (last < symoffset) return symoffset;
    for (uint32_t steps = 0; steps < MAX_CHAIN; steps++, last++) {
        uint64_t c = chains + (uint64_t)(last - symoffset) * 4;
        if (!in_file(e, c, 4)) return 0;
        if (rd32(e, (size_t)c) & 1) return (size_t)last + 1;
    }
    return 0;
}

void mpg_elf_each_undefined(const struct mpg_elf *e, bool (*fn)(const char *name, void *arg), void *arg)
{
    if (!e->symtab || !e->strtab) return;
    mpg_elf_read_symbol_tables(e);
    size_t n = dynsym_count(e);
    for (size_t i = 1; i < n; i++) {
        size_t off = sym_at(e, i);
        if (off == (size_t)-1) return;
        uint8_t info;
        get(e, off + (e->is64 ? 4 : 12), &info, 1);
        uint16_t shndx = e->is64 ? rd16(e, off + 6) : rd16(e, off + 14);
        if (shndx != SHN_UNDEF || ELF64_ST_BIND(info) == STB_WEAK) continue;
        char *name = dynstr(e, rd32(e, off));
        bool go_on = !name || !*name || fn(name, arg);
        free(name);
        if (!go_on) return;
    }
}

int mpg_elf_peek(const char *path, bool *is64, uint16_t *machine)
{
    unsigned char h[20];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    ssize_t n = pread(fd, h, sizeof h, 0);
    close(fd);
    if (n != (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG) != 0) return -1;
    *is64 = h[EI_CLASS] == ELFCLASS64;
    uint16_t m;
    memcpy(&m, h + 18, 2);
    *machine = h[EI_DATA] == ELFDATA2MSB ? __builtin_bswap16(m) : m;
    return 0;
}
