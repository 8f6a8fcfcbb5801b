/* core_dl.h: libmpiguard, loaded at run time.
 *
 * The plugin links nothing but libc: slurmstepd loads it for every step, and a plugin whose
 * own libraries are missing (libmpiguard removed or moved, libjansson gone after an upgrade)
 * would fail to load, which for a `required` plugin fails every job on the node with Slurm's
 * generic error. Loading the core here instead turns that into one clear line and the
 * site's on_error choice. */
#ifndef MPG_CORE_DL_H
#define MPG_CORE_DL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mpiguard.h"
#include "policy.h"

struct mpg_core {
    void *handle;
    struct mpg_report *(*check)(const struct mpg_input *in);
    void (*report_free)(struct mpg_report *r);
    void (*report_text)(const struct mpg_report *r, FILE *out, bool colour, bool verbose);
    const char *(*env_kind_name)(enum mpg_env_kind k);
    void (*policy_defaults)(struct mpg_policy *p);
    void (*policy_free)(struct mpg_policy *p);
    int (*policy_load)(struct mpg_policy *p, const char *path, char *err, size_t errlen);
    int (*policy_load_effective)(struct mpg_policy *p, const char *site_path,
                                 const char *const *environ, char *err, size_t errlen);
    bool (*policy_exempt)(const struct mpg_policy *p, const char *user, const char *env_prefix);
    void (*policy_apply)(const struct mpg_policy *p, struct mpg_report *r);
    const char *(*severity_name)(enum mpg_severity s);
    /* Optional (NULL with a library older than the syslog formatter): one syslog line. */
    int (*log_send)(const char *socket_path, const struct mpg_log_entry *e);
};

/* Loads the library at path (a file name is looked up the loader's way) and resolves every
 * function. Returns 0, or -1 with err saying what is missing; core is then zeroed. */
int mpg_core_open(struct mpg_core *core, const char *path, char *err, size_t errlen);
void mpg_core_close(struct mpg_core *core);

#endif
