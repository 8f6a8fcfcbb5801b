/* envsnap.c: lookups in an environment snapshot. */
#include "envsnap.h"

#include <string.h>

#include "util.h"

#define MAX_VALUE (MPG_MAX_PATH * 16)

static const char *lookup(const struct mpg_envsnap *env, const char *name)
{
    size_t n = strlen(name);
    for (const char *const *v = env->vars; v && *v; v++)
        if (strncmp(*v, name, n) == 0 && (*v)[n] == '=') return *v + n + 1;
    return NULL;
}

const char *mpg_env_get(const struct mpg_envsnap *env, const char *name)
{
    const char *val = lookup(env, name);
    /* A pathological value (a megabyte of PATH) is not something to search. */
    if (val && strnlen(val, MAX_VALUE + 1) > MAX_VALUE) return NULL;
    return val;
}

bool mpg_env_oversized(const struct mpg_envsnap *env, const char *name)
{
    const char *val = lookup(env, name);
    return val && strnlen(val, MAX_VALUE + 1) > MAX_VALUE;
}

const char *mpg_env_nonempty(const struct mpg_envsnap *env, const char *name)
{
    const char *v = mpg_env_get(env, name);
    return v && *v ? v : NULL;
}
