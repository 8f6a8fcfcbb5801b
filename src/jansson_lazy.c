/* jansson_lazy.c: libjansson loaded when it is first needed (a conda env's records, a JSON
 * line to syslog, --json), not with the program or library that uses it. Linked into the Lua
 * binding, the Tcl extension and the mpiguard command, in place of libjansson's own functions
 * (linked with --as-needed, so none of them names libjansson):
 *  - loading a second library on every MPI `module load` cost ~50 k instructions and its page
 *    faults, and most loads read no JSON;
 *  - a library named in the program is looked for in every LD_LIBRARY_PATH folder first (a
 *    user's own libjansson.so.4 there would be loaded, or stop the command); this one is
 *    loaded by the path it was built against (configure.ac). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "jansson_lazy.h"

/* libjansson's soname: 4 since jansson 2.0 (2011). */
#define JANSSON_SONAME "libjansson.so.4"

static void *s_lib;
static int s_tried;
static char s_why[256];

static void load(void)
{
    if (s_tried) return;
    s_tried = 1;
#ifdef JANSSON_PATH
    /* the one it was built against (configure.ac says why not by name) */
    s_lib = dlopen(JANSSON_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!s_lib)
#endif
        s_lib = dlopen(JANSSON_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!s_lib) {
        const char *e = dlerror();
        snprintf(s_why, sizeof s_why, "cannot load %s, the jansson library (%s)", JANSSON_SONAME,
                 e ? e : "not found");
    }
}

const char *mpg_jansson_unavailable(void)
{
    load();
    return s_lib ? NULL : s_why;
}

bool mpg_jansson_require(const char *what)
{
    const char *why = mpg_jansson_unavailable();
    if (why)
        fprintf(stderr, "mpiguard: %s needs libjansson, and %s. Install it (apt-get install libjansson4, "
                "or dnf install jansson) and run the command again.\n", what, why);
    return !why;
}

static void *sym(const char *name)
{
    load();
    return s_lib ? dlsym(s_lib, name) : NULL;
}

/* The real function, looked up once; NULL when libjansson cannot be loaded (the callers treat
 * a NULL result as a JSON error). */
#define REAL(fn) \
    static __typeof__(fn) *real; \
    if (!real) real = (__typeof__(fn) *)sym(#fn)

json_t *json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error)
{
    REAL(json_loadb);
    if (real) return real(buffer, buflen, flags, error);
    if (error) {
        memset(error, 0, sizeof *error);
        error->line = error->column = error->position = -1; /* not a fault of the text */
        snprintf(error->text, sizeof error->text, "cannot load %s (the jansson library), needed to read JSON",
                 JANSSON_SONAME);
    }
    return NULL;
}

void json_delete(json_t *json)
{
    REAL(json_delete);
    if (real) real(json);
}

json_t *json_object_get(const json_t *object, const char *key)
{
    REAL(json_object_get);
    return real ? real(object, key) : NULL;
}

size_t json_array_size(const json_t *array)
{
    REAL(json_array_size);
    return real ? real(array) : 0;
}

json_t *json_array_get(const json_t *array, size_t index)
{
    REAL(json_array_get);
    return real ? real(array, index) : NULL;
}

const char *json_string_value(const json_t *string)
{
    REAL(json_string_value);
    return real ? real(string) : NULL;
}

json_t *json_array(void)
{
    REAL(json_array);
    return real ? real() : NULL;
}

int json_array_append_new(json_t *array, json_t *value)
{
    REAL(json_array_append_new);
    return real ? real(array, value) : -1;
}

json_t *json_null(void)
{
    REAL(json_null);
    return real ? real() : NULL;
}

json_t *json_string(const char *value)
{
    REAL(json_string);
    return real ? real(value) : NULL;
}

char *json_dumps(const json_t *json, size_t flags)
{
    REAL(json_dumps);
    return real ? real(json, flags) : NULL;
}

json_t *json_pack(const char *fmt, ...)
{
    REAL(json_vpack_ex);
    if (!real) return NULL;
    va_list ap;
    va_start(ap, fmt);
    json_t *j = real(NULL, 0, fmt, ap);
    va_end(ap);
    return j;
}

/* The mpiguard command's own (its --json outputs and `mpiguard report`'s journal lines). */
json_t *json_object(void)
{
    REAL(json_object);
    return real ? real() : NULL;
}

int json_object_set_new(json_t *object, const char *key, json_t *value)
{
    REAL(json_object_set_new);
    return real ? real(object, key, value) : -1;
}

json_t *json_true(void)
{
    REAL(json_true);
    return real ? real() : NULL;
}

json_t *json_false(void)
{
    REAL(json_false);
    return real ? real() : NULL;
}

json_t *json_integer(json_int_t value)
{
    REAL(json_integer);
    return real ? real(value) : NULL;
}

json_int_t json_integer_value(const json_t *integer)
{
    REAL(json_integer_value);
    return real ? real(integer) : 0;
}

json_t *json_real(double value)
{
    REAL(json_real);
    return real ? real(value) : NULL;
}

size_t json_string_length(const json_t *string)
{
    REAL(json_string_length);
    return real ? real(string) : 0;
}

int json_dumpf(const json_t *json, FILE *output, size_t flags)
{
    REAL(json_dumpf);
    return real ? real(json, output, flags) : -1;
}
