/* envsnap.c: lookups in an environment snapshot. */
#include "envsnap.h"

#include <string.h>

#include "util.h"

const char *mpg_env_get(const struct mpg_envsnap *env, const char *name)
{
    size_t n = strlen(name);
    for (const char *const *v = env->vars; v && *v; v++) {
        if (strncmp(*v, name, n) == 0 && (*v)[n] == '=') {
            const char *val = *v + n + 1;
            /* A pathological value (a megabyte of PATH) is not something to search. */
            if (strnlen(val, MPG_MAX_PATH * 16 + 1) > MPG_MAX_PATH * 16) return NULL;
            return val;
        }
    }
    return NULL;
}

const char *mpg_env_nonempty(const struct mpg_envsnap *env, const char *name)
{
    const char *v = mpg_env_get(env, name);
    return v && *v ? v : NULL;
}
