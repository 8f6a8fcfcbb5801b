/* plugin_args.c: see plugin_args.h. */
#include "plugin_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MPIGUARD_POLICY_FILE
#define MPIGUARD_POLICY_FILE "/etc/mpiguard/policy.conf"
#endif
#ifndef MPIGUARD_CORE_LIB
#define MPIGUARD_CORE_LIB "libmpiguard.so.0"
#endif

#define DEFAULT_TIMEOUT_MS 2000
#define MAX_TIMEOUT_MS 60000

/* "2", "0.5", "250ms" -> milliseconds; -1 when not a duration in (0, 60 s]. */
static int parse_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s) return -1;
    if (strcmp(end, "ms") == 0)
        v /= 1000.0;
    else if (*end && strcmp(end, "s") != 0)
        return -1;
    if (!(v > 0) || v * 1000.0 > MAX_TIMEOUT_MS) return -1;
    int ms = (int)(v * 1000.0 + 0.5);
    return ms > 0 ? ms : 1;
}

int mpg_plugin_args_parse(struct mpg_plugin_args *a, int argc, char **argv, char *err, size_t errlen)
{
    *a = (struct mpg_plugin_args){
        .policy = MPIGUARD_POLICY_FILE,
        .lib = MPIGUARD_CORE_LIB,
        .timeout_ms = DEFAULT_TIMEOUT_MS,
    };
    int rc = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        const char *v = eq ? eq + 1 : "";
        size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(arg, k, klen) == 0)
        bool ok = eq != NULL;
        if (!ok) {
        } else if (KEY("policy")) {
            ok = v[0] == '/';
            if (ok) a->policy = v;
        } else if (KEY("lib")) {
            ok = v[0] != '\0';
            if (ok) a->lib = v;
        } else if (KEY("timeout")) {
            int ms = parse_ms(v);
            ok = ms > 0;
            if (ok) a->timeout_ms = ms;
        } else if (KEY("on_error")) {
            ok = strcmp(v, "open") == 0 || strcmp(v, "closed") == 0;
            if (ok) a->fail_closed = strcmp(v, "closed") == 0;
        } else if (KEY("partitions")) {
            a->partitions = v;
        } else if (KEY("skip_partitions")) {
            a->skip_partitions = v;
        } else {
            ok = false;
        }
#undef KEY
        if (!ok && rc == 0) {
            snprintf(err, errlen, "plugstack.conf argument \"%s\" ignored: expected policy=/PATH, lib=PATH, "
                     "timeout=SECONDS (at most 60), on_error=open|closed, partitions=LIST or "
                     "skip_partitions=LIST", arg);
            rc = -1;
        }
    }
    return rc;
}

/* True when name is one of the comma-separated items of list. */
static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return true;
        p += len + (end ? 1 : 0);
    }
    return false;
}

bool mpg_plugin_args_partition_checked(const struct mpg_plugin_args *a, const char *partition)
{
    const char *part = partition ? partition : "";
    if (a->skip_partitions && in_list(a->skip_partitions, part)) return false;
    if (a->partitions && !in_list(a->partitions, part)) return false;
    return true;
}
