/* envsnap.h: read-only view of an environment snapshot ("NAME=value" strings). The core never
 * calls getenv(): the Lua binding passes the environment Lmod is about to produce. */
#ifndef MPG_ENVSNAP_H
#define MPG_ENVSNAP_H

#include <stdbool.h>
#include <stddef.h>

struct mpg_envsnap {
    const char *const *vars;
};

/* Value of name, or NULL when unset. Empty values are returned as "". Values longer than
 * MPG_MAX_PATH * 16 are treated as unset (and reported by the caller where it matters). */
const char *mpg_env_get(const struct mpg_envsnap *env, const char *name);
/* The length of name's value when it is set but too long to be used (mpg_env_get gives NULL
 * for it), else 0: for the message that says so. */
size_t mpg_env_too_long(const struct mpg_envsnap *env, const char *name);
/* Whether any variable is that long (one pass; most environments have none). */
bool mpg_env_any_too_long(const struct mpg_envsnap *env);
/* Like mpg_env_get, but NULL for empty values too. */
const char *mpg_env_nonempty(const struct mpg_envsnap *env, const char *name);

#endif
