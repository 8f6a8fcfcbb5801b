/* sitelog.h: one syslog line per finding, for site statistics.
 *
 * Lines go straight to a local syslog socket (default /dev/log) in the classic BSD format,
 * without openlog(): the process is Lmod, and its global syslog state is not ours to change.
 * Sending never blocks and never fails loudly: logging must not slow or break `module`. */
#ifndef MPIGUARD_SITELOG_H
#define MPIGUARD_SITELOG_H

#include <stddef.h>

#define SITELOG_DEFAULT_SOCKET "/dev/log"

struct sitelog_entry {
    const char *user;
    const char *module;     /* "mpich/4.0.2" */
    const char *env_kind;   /* "conda", "venv", "none" */
    const char *env_prefix;
    const char *code;
    const char *action;     /* "note", "warn", "block" */
};

/* Formats the message part: key=value pairs; values with blanks, quotes or control bytes are
 * quoted, control bytes dropped. Returns the length written (truncated to len-1). */
size_t sitelog_format(const struct sitelog_entry *e, char *buf, size_t len);

/* Sends one line for e to socket (NULL: /dev/log). Returns 0, or -1 if it could not be sent. */
int sitelog_send(const char *socket_path, const struct sitelog_entry *e);

#endif
