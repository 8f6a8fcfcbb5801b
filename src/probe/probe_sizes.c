/* probe_sizes.c: see probe_sizes.h. */
#include "probe_sizes.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int probe_sizes_parse(const char *s, size_t *out, size_t max, size_t *n, char *err,
                      size_t errlen)
{
    *n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)*p)) {
            snprintf(err, errlen, "'%s': expected a size at '%s'", s, p);
            return -1;
        }
        unsigned long long v = strtoull(p, &end, 10);
        if (errno) {
            snprintf(err, errlen, "'%s': size out of range", s);
            return -1;
        }
        unsigned shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 : 0;
        if (shift) {
            end++;
            if (v > PROBE_MAX_SIZE >> shift) v = PROBE_MAX_SIZE + 1; /* never wraps to a small size */
            else v <<= shift;
        }
        if (*end != ',' && *end != '\0') {
            snprintf(err, errlen, "'%s': unexpected '%c'", s, *end);
            return -1;
        }
        if (v == 0 || v > PROBE_MAX_SIZE) {
            snprintf(err, errlen, "'%s': sizes go from 1 B to 1 GiB", s);
            return -1;
        }
        if (*n == max) {
            snprintf(err, errlen, "'%s': at most %zu sizes", s, max);
            return -1;
        }
        out[(*n)++] = (size_t)v;
        p = *end ? end + 1 : end;
    }
    if (*n == 0) {
        snprintf(err, errlen, "no sizes given");
        return -1;
    }
    return 0;
}
