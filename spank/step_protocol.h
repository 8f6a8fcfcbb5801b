/* step_protocol.h: what the plugin (step_check.c, in slurmstepd) and its checker program
 * (mpiguard-step-check, step_checker.c) say to each other, over one AF_UNIX socket pair that
 * is the checker's stdin, stdout and stderr. A socket pair is a pipe both ways; unlike a pipe
 * it lets slurmstepd send with MSG_NOSIGNAL, so a checker that dies early can never raise
 * SIGPIPE in slurmstepd.
 *
 * Plugin to checker, then the plugin shuts its sending side down (the checker reads to EOF):
 *   mpiguard-step-check 2\n
 *   lib <path>\n                     the libmpiguard slurmstepd was told to use
 *   user_policy <0|1>\n              1: the site lets users add their own policy (MPIGUARD_POLICY)
 *   env\n                            then the step's environment, "NAME=value\0" each, to EOF
 * The environment is streamed, not passed to execve: 100,000 variables or a 1 MB PATH exceed
 * what execve takes (MAX_ARG_STRLEN is 128 kB a string), and the checker's own environment
 * stays empty (no LD_PRELOAD or MALLOC_ of the user's reaches it).
 *
 * Checker to plugin: what the check found, before any policy (slurmstepd applies the site
 * policy, as root, to decide), as records "<tag> <length>\n<bytes>\n":
 *   mpiguard-step-report 1\n
 *   env_kind, env_name, prefix, module_name, module_version   once each, when known
 *   finding <code>, then its severity (note|warn|block), message, fix   per finding
 *   problem                           something that could not be inspected
 *   user_policy_name, user_policy     the user's own policy file and its text (user_policy 1)
 *   user_policy_error                 why it could not be read
 *   end 0
 * or "error <message>\n" when the check could not be done, or, from the forked child before
 * exec (it cannot format errors), "setup <step> <errno>\n". A report counts only with its end
 * record, nothing after it, and exit status 0: anything else (the loader's or a sanitizer's
 * lines on stderr) is kept for the message that says why the check failed. */
#ifndef MPG_STEP_PROTOCOL_H
#define MPG_STEP_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mpiguard.h"

#define MPG_STEP_MAGIC "mpiguard-step-check 2\n"
#define MPG_STEP_REPORT_MAGIC "mpiguard-step-report 1\n"

/* Largest settings stream the checker accepts (the environment included). */
#define MPG_STEP_MAX_SETTINGS (64u * 1024 * 1024)
/* Largest report the plugin reads: a few findings, a few paths, a user's policy (1 MB at
 * most, as any policy file). */
#define MPG_STEP_MAX_REPLY (2u * 1024 * 1024)

/* A report as the plugin reads it back: the fields of an mpg_report that the decision, the
 * user's text and the syslog lines need (env kind, name and prefix; module name and version;
 * findings with code, severity, message and fix; problems), and the user's policy. */
struct mpg_step_report {
    struct mpg_report report;
    char **codes; /* what the findings' codes point to (a core report's are static) */
    size_t n_codes;
    char *user_policy, *user_policy_name, *user_policy_error;
    size_t user_policy_len;
};

/* Writes r (and the user's policy text or error, may be NULL) to out in the format above. */
void mpg_step_report_write(FILE *out, const struct mpg_report *r, const char *user_policy, size_t user_policy_len,
                           const char *user_policy_name, const char *user_policy_error);

/* Reads a report from buf; false, with err saying what is wrong, when it is not a complete,
 * well-formed one (out is then empty). */
bool mpg_step_report_parse(const char *buf, size_t len, struct mpg_step_report *out, char *err, size_t errlen);

/* Frees what parse allocated. After mpg_policy_apply the report's first n_findings findings
 * are the ones to free (the policy clears the ones it drops). */
void mpg_step_report_free(struct mpg_step_report *sr);

#endif
