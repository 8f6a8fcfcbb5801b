/* binding.h: what the binding's files share (mpiguard_lua.c registers the functions). */
#ifndef MPG_BINDING_H
#define MPG_BINDING_H

#include <lua.h>

#include "export_sync.h"

/* Pushes the table of mpiguard.sync_exports() (export_sync_lua.c) for want, with module, shell
 * and set_by_module read from the table at index opts. */
void mpg_lua_push_sync(lua_State *L, int opts, const char *const want[MPG_EXPORT_VARS]);
/* mpiguard.sync_exports{want, module, shell, set_by_module} */
int mpg_lua_sync_exports(lua_State *L);

#endif
