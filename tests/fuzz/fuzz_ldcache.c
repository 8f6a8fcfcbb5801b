/* libFuzzer target: the ld.so.cache reader and its lookup. */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpg_ldcache c;
    char err[256];
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    if (mpg_ldcache_parse(buf, size, &c, err, sizeof err) != 0) {
        free(buf);
        return 0;
    }
    (void)mpg_ldcache_lookup(&c, "libmpi.so.12", EM_X86_64, 1);
    (void)mpg_ldcache_lookup(&c, "libc.so.6", EM_AARCH64, 1);
    mpg_ldcache_free(&c);
    return 0;
}
