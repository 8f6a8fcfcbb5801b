/* libFuzzer target: the listing cache file (it lives in the user's home). */
#include <stdint.h>
#include <stdlib.h>

#include "dircache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpg_dircache *c = mpg_dircache_new_at("/nonexistent/mpg-fuzz-cache");
    mpg_dircache_parse(c, (const char *)data, size);
    mpg_dircache_free(c); /* nothing dirty: writes nothing */
    return 0;
}
