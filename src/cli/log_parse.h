/* log_parse.h: reads one mpiguard syslog line back into its fields (for `mpiguard report`).
 *
 * Accepted, one line each:
 *   - as the syslog socket receives it:   <12>Nov 24 03:10:01 mpiguard[4242]: code=... action=...
 *   - as rsyslog writes it (BSD time, or Debian 12's RFC 3339 time), with a host name:
 *         2025-11-24T03:10:01.123456+01:00 n1 mpiguard[4242]: code=...
 *   - RFC 5424:                            <12>1 2025-11-24T03:10:01Z n1 mpiguard 4242 - - code=...
 *   - one object of `journalctl -o json` (MESSAGE, __REALTIME_TIMESTAMP, SYSLOG_IDENTIFIER).
 * The message is key=value pairs in any order: the shared contract puts code and action first,
 * mpiguard 0.1 put them last. Values are bare or double-quoted with \" \\ and \xHH escapes; a
 * value "-" means missing. Unknown keys are skipped (newer writers may add some). */
#ifndef MPG_CLI_LOG_PARSE_H
#define MPG_CLI_LOG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Lines longer than this are not mpiguard's (its lines stay under 2 kB): they are skipped. */
#define MPG_LOGLINE_MAX 65536

enum mpg_logline_status {
    MPG_LOGLINE_OK,
    MPG_LOGLINE_OTHER, /* a well-formed line of another program (a whole /var/log/syslog) */
    MPG_LOGLINE_BAD,   /* mpiguard's, or unrecognisable: counted and skipped */
};

enum mpg_logfield {
    MPG_LF_CODE, MPG_LF_ACTION, MPG_LF_SOURCE, MPG_LF_USER, MPG_LF_MODULE, MPG_LF_ENV,
    MPG_LF_ENV_NAME, MPG_LF_PREFIX, MPG_LF_JOB, MPG_LF_STEP, MPG_LF_NODE, MPG_LF_FIX,
    MPG_LF_COUNT
};

struct mpg_logline {
    time_t when;                      /* seconds since the epoch */
    const char *field[MPG_LF_COUNT];  /* unquoted, NUL-terminated; NULL when absent or "-" */
    const char *why;                  /* MPG_LOGLINE_BAD: what was wrong (static text) */
};

/* Parsing state: a scratch buffer for unquoted values, and the clock that gives BSD time
 * stamps (which have no year) theirs: the latest year that does not put the line more than a
 * day after `now`, or `year` when that is set. */
struct mpg_logparser {
    time_t now;
    int year;                          /* 0: infer */
    char scratch[MPG_LOGLINE_MAX + 1];
    int cached_year, cached_mon, cached_mday; /* BSD date -> local midnight, last one asked */
    time_t cached_midnight;
};

void mpg_logparser_init(struct mpg_logparser *p, time_t now, int year);

/* Parses line[0..len) (no newline). Field pointers point into p->scratch and stay valid until
 * the next call. */
enum mpg_logline_status mpg_logline_parse(struct mpg_logparser *p, const char *line, size_t len,
                                          struct mpg_logline *out);

/* The key of a field as written in the line ("code", "env_name", ...). */
const char *mpg_logfield_name(enum mpg_logfield f);

#endif
