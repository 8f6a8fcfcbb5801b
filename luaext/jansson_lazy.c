/* jansson_lazy.c: the binding loads libjansson when the core first needs it (a conda env's
 * records, a JSON line to syslog), not with the binding: loading a second library on every MPI
 * `module load` cost ~50 k instructions and its page faults, and most loads read no JSON.
 * These definitions take the place of libjansson's for the core linked into the binding
 * (linked with --as-needed, so the binding does not name libjansson). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

/* libjansson's soname: 4 since jansson 2.0 (2011). */
#define JANSSON_SONAME "libjansson.so.4"

static void *sym(const char *name)
{
    static void *lib;
    static int tried;
    if (!tried) {
        tried = 1;
#ifdef JANSSON_PATH
        /* the one it was built against (configure.ac says why not by name) */
        lib = dlopen(JANSSON_PATH, RTLD_NOW | RTLD_LOCAL);
        if (!lib)
#endif
            lib = dlopen(JANSSON_SONAME, RTLD_NOW | RTLD_LOCAL);
    }
    return lib ? dlsym(lib, name) : NULL;
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
