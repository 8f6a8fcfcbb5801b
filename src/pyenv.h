/* pyenv.h: finds the active Python environment (conda/mamba/micromamba, venv/virtualenv/uv, or
 * none) from the environment snapshot and the file system, and the site folders its python
 * would put on sys.path, in order. */
#ifndef MPG_PYENV_H
#define MPG_PYENV_H

#include <stdbool.h>

#include "envsnap.h"
#include "mpiguard.h"
#include "util.h"

/* Fills out. prefix_override: inspect that prefix (--env). problems collects messages for
 * people (a CONDA_PREFIX that does not exist, ...). Returns false when nothing could be
 * inspected (only possible with prefix_override). */
bool mpg_pyenv_discover(const struct mpg_envsnap *env, const char *prefix_override,
                        struct mpg_env *out, struct mpg_strv *problems);

/* The env's python executable (canonical), or NULL. */
char *mpg_pyenv_python(const struct mpg_env *e, const struct mpg_envsnap *env);

/* The user base (PYTHONUSERBASE or ~/.local), or NULL. */
char *mpg_pyenv_user_base(const struct mpg_envsnap *env);

void mpg_env_clear(struct mpg_env *e);

#endif
