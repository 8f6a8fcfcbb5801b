/* sitelog.c: see sitelog.h. */
#include "sitelog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOG_USER_FACILITY (1 << 3)

static size_t put_value(char *buf, size_t len, size_t pos, const char *v)
{
    if (!v || !*v)
        v = "-";
    bool quote = false;
    for (const char *c = v; *c; c++)
        if (*c == ' ' || *c == '"' || *c == '\\' || (unsigned char)*c < 0x20 || *c == 0x7f)
            quote = true;
    if (quote && pos + 1 < len)
        buf[pos++] = '"';
    for (const char *c = v; *c && pos + 2 < len; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            continue;
        if (*c == '"' || *c == '\\')
            buf[pos++] = '\\';
        buf[pos++] = *c;
    }
    if (quote && pos + 1 < len)
        buf[pos++] = '"';
    buf[pos] = '\0';
    return pos;
}

size_t sitelog_format(const struct sitelog_entry *e, char *buf, size_t len)
{
    const char *keys[] = {"user", "module", "env", "prefix", "code", "action"};
    const char *vals[] = {e->user, e->module, e->env_kind, e->env_prefix, e->code, e->action};
    size_t pos = 0;
    if (len == 0)
        return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        int n = snprintf(buf + pos, len - pos, "%s%s=", i ? " " : "", keys[i]);
        if (n < 0 || (size_t)n >= len - pos)
            return strlen(buf);
        pos = put_value(buf, len, pos + (size_t)n, vals[i]);
    }
    return pos;
}

static int severity_of(const char *action)
{
    if (action && strcmp(action, "block") == 0)
        return 3; /* err */
    if (action && strcmp(action, "warn") == 0)
        return 4; /* warning */
    return 5;     /* notice */
}

static int send_to(int type, const struct sockaddr_un *sa, const char *line, size_t n)
{
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int rc = -1;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0) {
        /* A stream syslog socket needs a terminator; a datagram is one message. */
        size_t len = type == SOCK_STREAM ? n + 1 : n;
        rc = send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
    } else if (errno == EPROTOTYPE) {
        rc = -2;
    }
    close(fd);
    return rc;
}

int sitelog_send(const char *socket_path, const struct sitelog_entry *e)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *path = socket_path ? socket_path : SITELOG_DEFAULT_SOCKET;
    if (strlen(path) >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);

    char stamp[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
    char msg[2048], line[2200];
    sitelog_format(e, msg, sizeof msg);
    int n = snprintf(line, sizeof line, "<%d>%s mpiguard[%ld]: %s",
                     LOG_USER_FACILITY | severity_of(e->action), stamp, (long)getpid(), msg);
    if (n < 0)
        return -1;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    int rc = send_to(SOCK_DGRAM, &sa, line, len);
    if (rc == -2)
        rc = send_to(SOCK_STREAM, &sa, line, len);
    return rc == 0 ? 0 : -1;
}
