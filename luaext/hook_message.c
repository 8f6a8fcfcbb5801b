/* hook_message.c: what the Lmod hooks show after a check (check{brief = true}): the lines for
 * the user, and the Lmod error or warning the site policy asks for. Composed here rather than
 * in the hooks' Lua, which every MPI load reads. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>

#include "binding.h"
#include "mpiguard.h"
#include "util.h"

/* Sets message, and error or warning, in the table on the top of the stack. */
void mpg_lua_set_hook_message(lua_State *L, const struct mpg_report *r, const char *text,
                              const char *policy_err, bool warn_fails, const char *module)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return;
    if (policy_err)
        fprintf(f, "mpiguard: ignoring the site policy: %s (built-in defaults apply)\n", policy_err);
    /* what could not be inspected, unless the findings' text already says it */
    bool listed = false;
    for (size_t i = 0; i < r->n_problems; i++) {
        if (strstr(text, r->problems[i])) continue;
        fprintf(f, "%s%s", listed ? "; " : "mpiguard: could not inspect everything (results may "
                                           "be incomplete): ", r->problems[i]);
        listed = true;
    }
    if (listed) fputc('\n', f);
    /* the findings go out raw (Lmod would re-wrap them to the terminal width and break the fix
     * commands), then one line with the stable codes and their actions (sites grep them) */
    fputs(text, f);
    if (r->n_findings) {
        if (*text && text[strlen(text) - 1] != '\n') fputc('\n', f);
        fprintf(f, "(mpiguard findings for %s: ", module);
        for (size_t i = 0; i < r->n_findings; i++)
            fprintf(f, "%s%s=%s", i ? ", " : "", r->findings[i].code,
                    mpg_severity_name(r->findings[i].severity));
        fputs("; details: mpiguard check)\n", f);
    }
    if (fclose(f) == 0 && buf) {
        lua_pushlstring(L, buf, len);
        lua_setfield(L, -2, "message");
    }
    free(buf);
    char *frame = NULL;
    if (r->verdict == MPG_SEV_BLOCK)
        frame = mpg_printf("mpiguard: the site policy does not allow loading %s with this "
                           "environment; nothing was changed. Apply the fix above, or deactivate "
                           "the environment, then load it again.", module);
    else if (r->verdict == MPG_SEV_WARN && warn_fails)
        frame = mpg_printf("mpiguard: see the findings above for %s.", module);
    if (frame) {
        lua_pushstring(L, frame);
        lua_setfield(L, -2, r->verdict == MPG_SEV_BLOCK ? "error" : "warning");
    }
    free(frame);
}
