/* core_dl.c: see core_dl.h. */
#include "core_dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define REQUIRED(field, name)                                                             \
    do {                                                                                  \
        *(void **)&core->field = dlsym(core->handle, name);                               \
        if (!core->field) {                                                               \
            snprintf(err, errlen, "%s has no %s (a libmpiguard older than this plugin?)", \
                     path, name);                                                         \
            goto fail;                                                                    \
        }                                                                                 \
    } while (0)

int mpg_core_open(struct mpg_core *core, const char *path, char *err, size_t errlen)
{
    memset(core, 0, sizeof *core);
    /* RTLD_LOCAL: the core's symbols (and jansson's) never interpose on slurmstepd's. */
    core->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!core->handle) {
        const char *why = dlerror();
        snprintf(err, errlen, "cannot load %s: %s", path, why ? why : "unknown error");
        return -1;
    }
    REQUIRED(check, "mpg_check");
    REQUIRED(report_free, "mpg_report_free");
    REQUIRED(report_text, "mpg_report_text");
    REQUIRED(env_kind_name, "mpg_env_kind_name");
    REQUIRED(policy_defaults, "mpg_policy_defaults");
    REQUIRED(policy_free, "mpg_policy_free");
    REQUIRED(policy_load, "mpg_policy_load");
    REQUIRED(policy_load_effective, "mpg_policy_load_effective");
    REQUIRED(policy_exempt, "mpg_policy_exempt");
    REQUIRED(policy_apply, "mpg_policy_apply");
    REQUIRED(severity_name, "mpg_severity_name");
    *(void **)&core->log_send = dlsym(core->handle, "mpg_log_send");
    return 0;
fail:
    dlclose(core->handle);
    memset(core, 0, sizeof *core);
    return -1;
}

void mpg_core_close(struct mpg_core *core)
{
    if (core->handle) dlclose(core->handle);
    memset(core, 0, sizeof *core);
}
