/* envsnap.c: lookups in an environment snapshot. */
#include "envsnap.h"

#include <stdbool.h>
#include <string.h>

#include "util.h"

#define MAX_VALUE (MPG_MAX_PATH * 16)

static const char *raw_get(const struct mpg_envsnap *env, const char *name)
{
    size_t n = strlen(name);
    /* the first letter told apart inline: a check makes ~40 lookups in a hundred variables */
    for (const char *const *v = env->vars; v && *v; v++)
        if ((*v)[0] == name[0] && strncmp(*v, name, n) == 0 && (*v)[n] == '=') return *v + n + 1;
    return NULL;
}

size_t mpg_env_too_long(const struct mpg_envsnap *env, const char *name)
{
    const char *val = raw_get(env, name);
    size_t n = val ? strnlen(val, MAX_VALUE + 1) : 0;
    return n > MAX_VALUE ? strlen(val) : 0;
}

bool mpg_env_any_too_long(const struct mpg_envsnap *env)
{
    for (const char *const *v = env->vars; v && *v; v++)
        if (strnlen(*v, MAX_VALUE + 1) > MAX_VALUE) return true;
    return false;
}

const char *mpg_env_get(const struct mpg_envsnap *env, const char *name)
{
    const char *val = raw_get(env, name);
    /* A pathological value (a megabyte of PATH) is not something to search. */
    return val && strnlen(val, MAX_VALUE + 1) <= MAX_VALUE ? val : NULL;
}

const char *mpg_env_nonempty(const struct mpg_envsnap *env, const char *name)
{
    const char *v = mpg_env_get(env, name);
    return v && *v ? v : NULL;
}
