/* probe_sizes.h: message-size lists shared by mpiguard-probe, mpiguard test-mpi and the
 * mpi4py script (which keeps its own copy of the same defaults: see share/mpiguard). */
#ifndef MPIGUARD_PROBE_SIZES_H
#define MPIGUARD_PROBE_SIZES_H

#include <stddef.h>

#define PROBE_MAX_SIZES 32
#define PROBE_MAX_SIZE ((size_t)1 << 30)
/* Small, medium and the large sizes the verdict compares (>= 64 KiB). */
#define PROBE_SIZES_DEFAULT "8,1K,8K,64K,256K,1M,4M"
#define PROBE_SIZES_QUICK "64K,1M"
#define PROBE_VERDICT_MIN_SIZE 65536

/* Parses "8,1K,64K,4M" (suffixes K and M are powers of 2) into out[], ascending as given.
 * Returns 0, or -1 with err filled (empty, not a number, 0, above 1 GiB, more than max). */
int probe_sizes_parse(const char *s, size_t *out, size_t max, size_t *n, char *err,
                      size_t errlen);

#endif
