/* step_protocol.h: what the plugin (step_check.c, in slurmstepd) and its checker program
 * (mpiguard-step-check, step_checker.c) say to each other, over one AF_UNIX socket pair that
 * is the checker's stdin, stdout and stderr. A socket rather than a pipe: slurmstepd sends
 * with MSG_NOSIGNAL, so a checker that dies early can never raise SIGPIPE in slurmstepd.
 *
 * Plugin to checker, then the plugin shuts its sending side down (the checker reads to EOF):
 *   mpiguard-step-check 1\n
 *   <key> <value>\n ...              lib, job, step, node, user, first (0|1), verbose (0|1)
 *   policy <bytes> <name>\n<bytes>   the site policy's text, read by slurmstepd as root
 *                                    (absent: the built-in defaults apply)
 *   env\n                            then the step's environment, "NAME=value\0" each, to EOF
 * The environment is streamed, not passed to execve: 100,000 variables or a 1 MB PATH exceed
 * what execve takes (MAX_ARG_STRLEN is 128 kB a string).
 *
 * Checker to plugin:
 *   result <verdict 0-3> <codes or -> <text bytes>\n<text>   the check ran; text for the user
 *   error <message>\n                                         the check could not be done
 *   setup <step> <errno>\n      from the forked child before exec (it cannot format errors)
 * then EOF and exit status 0 (a result counts only then). Any other line (the loader's, or a
 * sanitizer's report on stderr) is kept for the message that says why the check failed. */
#ifndef MPG_STEP_PROTOCOL_H
#define MPG_STEP_PROTOCOL_H

#define MPG_STEP_MAGIC "mpiguard-step-check 1\n"

/* Largest settings stream the checker accepts (environment and policy included). */
#define MPG_STEP_MAX_SETTINGS (64u * 1024 * 1024)
/* What the user sees is a few lines: the checker cuts its text here. */
#define MPG_STEP_MAX_TEXT (64 * 1024)
/* The plugin keeps at most this much of a reply. */
#define MPG_STEP_MAX_REPLY (MPG_STEP_MAX_TEXT + 4096)

#endif
