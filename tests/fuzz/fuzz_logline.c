/* libFuzzer target for `mpiguard report`'s line parser and tally (src/cli/log_parse.c,
 * src/cli/log_tally.c): whatever the bytes, a line is OK with a code and an action, OTHER, or
 * BAD with a reason, and a parsed line can be counted and listed. Each input is split at
 * newlines, as the command splits a log. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/log_parse.h"
#include "cli/log_tally.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mpg_logparser p;
    mpg_logparser_init(&p, 1764000000, 0);
    struct mpg_tally *t = mpg_tally_new(true, 64, 256);
    const char *s = (const char *)data, *end = s + size;
    while (s <= end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = (size_t)((nl ? nl : end) - s);
        struct mpg_logline l;
        enum mpg_logline_status st = mpg_logline_parse(&p, s, len, &l);
        if (st == MPG_LOGLINE_OK) {
            if (!l.field[MPG_LF_CODE] || !l.field[MPG_LF_ACTION]) __builtin_trap();
            mpg_tally_add(t, &l);
        } else if (st == MPG_LOGLINE_BAD && !l.why) {
            __builtin_trap();
        }
        if (!nl) break;
        s = nl + 1;
    }
    for (int d = 0; d < MPG_DIM_COUNT; d++) {
        size_t n;
        free(mpg_tally_rows(t, (enum mpg_dim)d, "*", &n));
        free(mpg_tally_rows(t, (enum mpg_dim)d, NULL, &n));
    }
    mpg_tally_free(t);
    return 0;
}
