/* binding.h: what the binding's files share (mpiguard_lua.c registers the functions). */
#ifndef MPG_BINDING_H
#define MPG_BINDING_H

#include <lua.h>

#include "export_sync.h"
#include "mpiguard.h"
#include "util.h"

/* Pushes the table of mpiguard.sync_exports() (export_sync_lua.c) for want, with module, shell
 * and set_by_module read from the table at index opts (module: default_module when it has
 * none, may be NULL). */
void mpg_lua_push_sync(lua_State *L, int opts, const char *const want[MPG_EXPORT_VARS],
                       const char *default_module);
/* mpiguard.sync_exports{want, module, shell, set_by_module} */
int mpg_lua_sync_exports(lua_State *L);

/* check{memo = {file, key, files}}: the memo of a check that found nothing (memo_lua.c). */
struct mpg_lua_memo {
    char *file, *key;
    struct mpg_strv asked;   /* B lines: what the exports asked Lmod */
    struct mpg_strv applied; /* S and R lines: what they set here */
    bool refused;            /* something no line can hold */
};
/* From opts.memo (opts: the options' index, 0 for none): starts recording the pass (fsmemo.h).
 * False, m empty, without the option or with opts.env (another environment than this one). */
bool mpg_lua_memo_begin(lua_State *L, int opts, struct mpg_lua_memo *m);
/* Set while mpg_lua_push_sync() runs for a check that keeps a memo (NULL otherwise). */
void mpg_lua_sync_record(struct mpg_lua_memo *m);
void mpg_lua_memo_asked(struct mpg_lua_memo *m, const char *var, const char *cur, bool yes);
void mpg_lua_memo_applied(struct mpg_lua_memo *m, const char *var, const char *value);
/* Writes the memo when the check was clean and its brief result (index res) has nothing for the
 * user; vars: the environment the check began with. Frees m. Call before the pass ends. */
void mpg_lua_memo_finish(lua_State *L, int res, struct mpg_lua_memo *m, const char *const *vars, bool clean);

/* check{brief}: sets message (the lines for the user: the policy's error, what could not be
 * inspected, the findings and their codes for module, as shown) and error or warning (the Lmod
 * error or warning the site policy asks for) in the table on the top of the stack
 * (hook_message.c). */
void mpg_lua_set_hook_message(lua_State *L, const struct mpg_report *r, const char *text,
                              const char *policy_err, bool warn_fails, const char *module);

#endif
