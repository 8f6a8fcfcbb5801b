/* elf_memo.c: an ELF object's dynamic section remembered in the listing cache (elf_memo.h).
 * One line: "e1", a digit (1: ELF64, 2: big-endian), e_type, e_machine and DT_FLAGS_1 in hex,
 * then SONAME, RPATH, RUNPATH and each DT_NEEDED in order, each a memo field. A line that does
 * not decode exactly so is not used: the file is read. Unlike a library's memo (mpi_ident.c)
 * it keeps no first bytes: the python and the extensions are never the loader's candidates,
 * whose headers the loader looks at. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf_memo.h"
#include "fsmemo.h"
#include "util.h"

#define ELF_MEMO_KIND "elf-dynamic 1"
#define MAX_ELF_MEMO 4096

char *mpg_elf_memo_line(const struct mpg_elf *e)
{
    size_t cap = 128, len = 0;
    char *line = mpg_xmalloc(cap);
    len = (size_t)snprintf(line, cap, "e1 %d %x %x %" PRIx64, (e->is64 ? 1 : 0) | (e->big_endian ? 2 : 0),
                           (unsigned)e->type, (unsigned)e->machine, e->flags_1);
    const char *last[] = {e->soname, e->rpath, e->runpath};
    for (size_t i = 0; i < 3 + e->n_needed; i++) {
        char *f = mpg_dircache_memo_field(i < 3 ? last[i] : e->needed[i - 3]);
        size_t n = strlen(f);
        if (len + n + 2 > cap) {
            cap = 2 * (len + n + 2);
            line = mpg_xrealloc(line, cap);
        }
        line[len++] = ' ';
        memcpy(line + len, f, n + 1);
        len += n;
        free(f);
    }
    return line;
}

/* One space-separated field at *s, decoded into *out; *s moves past it and its space. */
static bool next_field(const char **s, char **out)
{
    const char *end = strchr(*s, ' ');
    size_t n = end ? (size_t)(end - *s) : strlen(*s);
    if (!mpg_dircache_memo_unfield(*s, n, out)) return false;
    *s += n + (end ? 1 : 0);
    return true;
}

/* A number of at most max lowercase hex digits at *s, then a space; *s moves past both. */
static bool hex_number(const char **s, int max, uint64_t *v)
{
    const char *p = *s;
    *v = 0;
    for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++) {
        if (p - *s == max) return false;
        *v = *v * 16 + (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
    }
    if (p == *s || *p != ' ') return false;
    *s = p + 1;
    return true;
}

bool mpg_elf_from_memo_line(const char *line, struct mpg_elf *e)
{
    memset(e, 0, sizeof *e);
    uint64_t cls, type, machine, flags_1;
    const char *s = line + 3;
    if (strncmp(line, "e1 ", 3) != 0 || !hex_number(&s, 1, &cls) || cls > 3 || !hex_number(&s, 4, &type) ||
        !hex_number(&s, 4, &machine) || !hex_number(&s, 16, &flags_1))
        return false;
    e->is64 = cls & 1;
    e->big_endian = cls & 2;
    e->type = (uint16_t)type;
    e->machine = (uint16_t)machine;
    e->flags_1 = flags_1;
    bool ok = next_field(&s, &e->soname) && *s && next_field(&s, &e->rpath) && *s && next_field(&s, &e->runpath);
    size_t cap = 0;
    while (ok && *s) {
        char *n = NULL;
        ok = next_field(&s, &n) && n;
        if (!ok) {
            free(n);
            break;
        }
        if (e->n_needed == cap) {
            cap = cap ? 2 * cap : 8;
            e->needed = mpg_xrealloc(e->needed, cap * sizeof *e->needed);
        }
        e->needed[e->n_needed++] = n;
    }
    if (!ok || *s) {
        mpg_elf_close(e);
        return false;
    }
    return true;
}

int mpg_elf_open_cached(const char *path, struct mpg_dircache *cache, struct mpg_elf *e, char *err, size_t errlen)
{
    struct stat st;
    char *memo = NULL;
    if (mpg_dircache_memo_get_stat(cache, path, ELF_MEMO_KIND, &memo, &st) && mpg_elf_from_memo_line(memo, e)) {
        /* known, as if opened: a later stat of it (the symbol verdict's key) asks nothing */
        mpg_fsmemo_note_opened(path, &st, NULL, 0);
        free(memo);
        return 0;
    }
    free(memo);
    if (mpg_elf_open(path, e, err, errlen) != 0) return -1;
    if (cache && !mpg_elf_changed(e)) {
        char *line = mpg_elf_memo_line(e);
        if (strlen(line) <= MAX_ELF_MEMO) mpg_dircache_memo_put(cache, path, ELF_MEMO_KIND, line);
        free(line);
    }
    return 0;
}
