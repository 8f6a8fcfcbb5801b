/* envsnap.h: read-only view of an environment snapshot ("NAME=value" strings). The core never
 * calls getenv(): the Lua binding passes the environment Lmod is about to produce. */
#ifndef MPG_ENVSNAP_H
#define MPG_ENVSNAP_H

#include <stdbool.h>

struct mpg_envsnap {
    const char *const *vars;
};

/* Value of name, or NULL when unset. Empty values are returned as "". Values longer than
 * MPG_MAX_PATH * 16 are treated as unset (and reported by the caller where it matters). */
const char *mpg_env_get(const struct mpg_envsnap *env, const char *name);
/* Like mpg_env_get, but NULL for empty values too. */
const char *mpg_env_nonempty(const struct mpg_envsnap *env, const char *name);
/* True when name is set to a value too long to be read (mpg_env_get treats it as unset), so the
 * caller can say why it was ignored. */
bool mpg_env_oversized(const struct mpg_envsnap *env, const char *name);

#endif
