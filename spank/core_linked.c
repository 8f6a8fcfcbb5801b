/* core_linked.c: mpg_core_open() for a checker program linked with the core itself (configure's
 * static checker): the same table as core_dl.c fills, from the functions linked in. The
 * library slurmstepd names is not loaded: this checker carries the core of its own build. */
#include "core_dl.h"

#include <string.h>

int mpg_core_open(struct mpg_core *core, const char *path, char *err, size_t errlen)
{
    (void)path;
    (void)err;
    (void)errlen;
    memset(core, 0, sizeof *core);
    core->check = mpg_check;
    core->report_free = mpg_report_free;
    core->report_text = mpg_report_text;
    core->env_kind_name = mpg_env_kind_name;
    core->policy_defaults = mpg_policy_defaults;
    core->policy_free = mpg_policy_free;
    core->policy_read_file = mpg_policy_read_file;
    core->policy_parse = mpg_policy_parse;
    core->policy_merge_user_text = mpg_policy_merge_user_text;
    core->policy_exempt = mpg_policy_exempt;
    core->policy_apply = mpg_policy_apply;
    core->severity_name = mpg_severity_name;
    core->log_send = mpg_log_send;
    return 0;
}

void mpg_core_close(struct mpg_core *core)
{
    memset(core, 0, sizeof *core);
}
