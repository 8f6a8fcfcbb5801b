/* jansson_lazy.h: libjansson loaded on first use (jansson_lazy.c). */
#ifndef MPG_JANSSON_LAZY_H
#define MPG_JANSSON_LAZY_H

#include <stdbool.h>

/* NULL when libjansson is loaded (loading it now), else why it cannot be: "cannot load
 * libjansson.so.4, the jansson library (...)". */
const char *mpg_jansson_unavailable(void);
/* true when libjansson is loaded; else says on stderr that what ("--json") needs it, why it
 * cannot be loaded and how to install it, and returns false. */
bool mpg_jansson_require(const char *what);

#endif
