/* policy.h: the site policy, read from one INI-like file (see README.md, "For site admins").
 *
 * The policy says, per finding code, whether a finding is ignored, shown as a note or a
 * warning, or blocks the module load; whether MPICC is exported; who and which envs are
 * exempt; and whether findings are logged to syslog. It is plain data: the CLI and the Lua
 * binding read the same file with the same code and apply it to a report. */
#ifndef MPIGUARD_POLICY_H
#define MPIGUARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "mpiguard.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with -fvisibility=hidden; these are part of its interface. */
#if defined(__GNUC__)
#define MPG_POLICY_API __attribute__((visibility("default")))
#else
#define MPG_POLICY_API
#endif

/* Where the site policy lives; fixed at configure time (--with-policy-file). */
#ifndef MPIGUARD_POLICY_FILE
#define MPIGUARD_POLICY_FILE "/etc/mpiguard/policy.conf"
#endif

/* The environment variable naming a user's own policy file; read only when the site file
 * says "user_override = yes". */
#define MPG_POLICY_USER_VAR "MPIGUARD_POLICY"

enum mpg_action {
    MPG_ACT_KEEP = 0, /* the core's severity (note or warn) */
    MPG_ACT_IGNORE,
    MPG_ACT_NOTE,
    MPG_ACT_WARN,
    MPG_ACT_BLOCK,
};

struct mpg_policy_rule {
    char *code; /* finding code, e.g. "ABI_MISMATCH" */
    enum mpg_action action;
};

struct mpg_policy {
    char *source;                /* file the policy came from; NULL: built-in defaults */
    struct mpg_policy_rule *rules;
    size_t n_rules;
    enum mpg_action default_action; /* codes without a rule */
    bool export_mpicc;           /* export MPICC & co. for the loaded MPI module */
    bool log;                    /* one syslog line per finding */
    char *log_socket;            /* datagram socket to log to; NULL: /dev/log */
    bool warn_fails;             /* warn makes `module load` exit 1 (LmodWarning) */
    bool user_override;          /* MPIGUARD_POLICY may name a user's policy file */
    char **exempt_users;         /* user names never checked */
    size_t n_exempt_users;
    char **exempt_prefixes;      /* env prefixes (and everything below them) never checked */
    size_t n_exempt_prefixes;
};

/* Fills p with the built-in defaults: every code keeps the core's severity, MPICC export on,
 * logging on, warn exits 0, no user override, nobody exempt. */
MPG_POLICY_API void mpg_policy_defaults(struct mpg_policy *p);
MPG_POLICY_API void mpg_policy_free(struct mpg_policy *p);

/* Parses policy text (len bytes, need not be NUL-terminated). name is used in messages.
 * Returns 0, or -1 with err set to "name:line: what is wrong"; on -1, p holds the built-in
 * defaults (a half-applied policy is never used). */
MPG_POLICY_API int mpg_policy_parse(struct mpg_policy *p, const char *text, size_t len, const char *name,
                     char *err, size_t errlen);

/* Reads and parses the file at path. A missing file is not an error: p gets the defaults and
 * 0 is returned with p->source NULL. Unreadable or malformed: -1, err set, defaults. */
MPG_POLICY_API int mpg_policy_load(struct mpg_policy *p, const char *path, char *err, size_t errlen);

/* The site policy at site_path (NULL: MPIGUARD_POLICY_FILE), then, only if it allows that,
 * the user's file named by MPIGUARD_POLICY in environ (NULL: the process's), whose
 * [actions] and export_mpicc override the site's. Returns 0 or -1 with err set; on -1 the
 * policy in p is still usable (defaults, or the site policy if only the user file failed). */
MPG_POLICY_API int mpg_policy_load_effective(struct mpg_policy *p, const char *site_path,
                              const char *const *environ, char *err, size_t errlen);

/* Reads the policy file at path the way mpg_policy_load does (a regular file only, opened
 * without blocking, at most 1 MB), for a caller that hands the text to another process to
 * parse (the Slurm plugin's checker reads a user's file with the user's rights; slurmstepd
 * parses it).
 * Returns 0 with *text (malloc'd, not NUL-terminated) and *len; 1 when the file does not
 * exist; -1 with err set. */
MPG_POLICY_API int mpg_policy_read_file(const char *path, char **text, size_t *len, char *err,
                                        size_t errlen);

/* The second half of mpg_policy_load_effective, for a user's policy text read elsewhere (the
 * Slurm plugin's checker reads it with the user's rights; slurmstepd merges it as root): when
 * p allows it, the text's [actions] and export_mpicc override p's. name is used in messages.
 * Returns 0 (p unchanged when p does not allow it) or -1 with err set (p unchanged). */
MPG_POLICY_API int mpg_policy_merge_user_text(struct mpg_policy *p, const char *text, size_t len,
                                              const char *name, char *err, size_t errlen);

/* The action for a finding code. */
MPG_POLICY_API enum mpg_action mpg_policy_action(const struct mpg_policy *p, const char *code);

/* True when this user or this env prefix is exempt from checks. */
MPG_POLICY_API bool mpg_policy_exempt(const struct mpg_policy *p, const char *user, const char *env_prefix);

/* Applies the policy to a report: ignored findings are removed, the others get the severity
 * of their action, and the verdict is recomputed. */
MPG_POLICY_API void mpg_policy_apply(const struct mpg_policy *p, struct mpg_report *r);

/* "keep", "ignore", "note", "warn", "block". */
MPG_POLICY_API const char *mpg_action_name(enum mpg_action a);

#ifdef __cplusplus
}
#endif
#endif
