/* plugin_args.h: the arguments a site gives the SPANK plugin on its plugstack.conf line, e.g.
 *
 *   required /usr/local/lib/mpiguard/spank_mpiguard.so timeout=2 on_error=open
 *
 * They are root's configuration: users cannot change them (unlike srun options or the job's
 * environment), so everything that decides enforcement comes from here or the site policy. */
#ifndef MPG_PLUGIN_ARGS_H
#define MPG_PLUGIN_ARGS_H

#include <stdbool.h>
#include <stddef.h>

struct mpg_plugin_args {
    const char *policy;      /* site policy file (default: the configured one) */
    const char *lib;         /* libmpiguard to load (default: the installed one) */
    int timeout_ms;          /* budget for the whole check of one step on one node */
    bool fail_closed;        /* on_error=closed: refuse the step when the check cannot decide */
    const char *partitions;  /* comma list: check only steps of these partitions (NULL: all) */
    const char *skip_partitions; /* comma list: never check steps of these partitions */
};

/* Fills a with the defaults, then applies each "key=value" of argv. Returns 0, or -1 with err
 * naming the bad argument (a is then still usable: the bad argument is ignored). */
int mpg_plugin_args_parse(struct mpg_plugin_args *a, int argc, char **argv, char *err, size_t errlen);

/* True when partition (from the job, may be NULL) is to be checked under a. */
bool mpg_plugin_args_partition_checked(const struct mpg_plugin_args *a, const char *partition);

#endif
