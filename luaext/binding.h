/* binding.h: what the binding's files share (mpiguard_lua.c registers the functions). */
#ifndef MPG_BINDING_H
#define MPG_BINDING_H

#include <lua.h>

#include "export_sync.h"
#include "mpiguard.h"

/* Pushes the table of mpiguard.sync_exports() (export_sync_lua.c) for want, with module, shell
 * and set_by_module read from the table at index opts (module: default_module when it has
 * none, may be NULL). */
void mpg_lua_push_sync(lua_State *L, int opts, const char *const want[MPG_EXPORT_VARS],
                       const char *default_module);
/* mpiguard.sync_exports{want, module, shell, set_by_module} */
int mpg_lua_sync_exports(lua_State *L);

/* check{brief}: sets message (the lines for the user: the policy's error, what could not be
 * inspected, the findings and their codes for module, as shown) and error or warning (the Lmod
 * error or warning the site policy asks for) in the table on the top of the stack
 * (hook_message.c). */
void mpg_lua_set_hook_message(lua_State *L, const struct mpg_report *r, const char *text,
                              const char *policy_err, bool warn_fails, const char *module);

#endif
