/* log_compat.h: the syslog entry of the shared contract (brief: "the syslog line"), declared
 * here only until the core's formatter (mpg_log_format/mpg_log_send in mpiguard.h) is on main;
 * the plugin resolves mpg_log_send at run time and logs nothing without it. */
#ifndef MPG_LOG_COMPAT_H
#define MPG_LOG_COMPAT_H
struct mpg_log_entry {
    const char *code, *action, *source, *user, *module, *env_kind, *env_name, *prefix, *job, *step, *node,
        *fix;
};
#endif
