/* log_report.c: `mpiguard report`: options, reading the logs, progress. See log_report.h.
 *
 * Inputs are read in 1 MiB blocks and split into lines here, so memory stays the same for a
 * 1 GB log as for a small one (a line longer than MPG_LOGLINE_MAX is skipped to its end).
 * --journal runs `journalctl -o json` itself, without a shell. */
#include "cli/log_report.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "jansson_lazy.h"

extern char **environ;

enum { REPORT_OK = 0, REPORT_USAGE = 3 };
#define BLOCK (1 << 20)
#define SHOW_BAD_LINES 5 /* the first bad lines are named on stderr, the rest only counted */

static void usage(FILE *out)
{
    fputs("usage: mpiguard report [FILE...|-] [--journal] [--since WHEN] [--until WHEN]\n"
          "                       [--json|--csv] [--period day|week] [--top N] [--envs]\n"
          "                       [--year YYYY] [--no-progress]\n"
          "\n"
          "What mpiguard found across your users, from its syslog lines: counts per code and action,\n"
          "module, user, env kind (distinct envs), source, day or week, and the top fixes shown.\n"
          "  FILE           a syslog file (/var/log/syslog, a copy, `-` for stdin); lines of other\n"
          "                 programs are ignored, lines that cannot be read are counted and skipped\n"
          "  --journal      read the systemd journal (runs journalctl -o json SYSLOG_IDENTIFIER=mpiguard)\n"
          "  --since WHEN, --until WHEN\n"
          "                 YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]', today, yesterday, 7d, 12h, 2w (ago),\n"
          "                 @EPOCH; a bare --until date includes that whole day\n"
          "  --json, --csv  everything, for dashboards (schema mpiguard.report/1; CSV one row per\n"
          "                 dimension, key and code)\n"
          "  --period day|week  the time table (default: days up to 31 days, else weeks)\n"
          "  --top N        rows per table in the text view (default 10, 0 = all)\n"
          "  --envs         also list each env prefix (the default view counts distinct envs)\n"
          "  --year YYYY    the year of BSD time stamps (default: the latest that is not in the future)\n"
          "exit status: 0, or 3 for a usage or input error\n",
          out);
}

/* --since/--until. *whole_day is set for a bare date. */
static bool parse_when(const char *s, time_t now, time_t *out, bool *whole_day)
{
    *whole_day = false;
    char *end;
    if (*s == '@') {
        long long v = strtoll(s + 1, &end, 10);
        if (end == s + 1 || *end) return false;
        *out = (time_t)v;
        return true;
    }
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
        if (s[0] == 'y') tm.tm_mday--;
        *out = mktime(&tm);
        *whole_day = true;
        return true;
    }
    const char *num = *s == '-' ? s + 1 : s;
    long v = strtol(num, &end, 10);
    if (end != num && v >= 0 && end[0] && !end[1] && strchr("hdw", end[0])) {
        long unit = end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : 7 * 86400;
        *out = now - (time_t)(v * unit);
        return true;
    }
    memset(&tm, 0, sizeof tm);
    tm.tm_isdst = -1;
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3) return false;
    const char *rest = s + n;
    if (!*rest) {
        *whole_day = true;
    } else {
        int m = 0;
        if ((*rest != ' ' && *rest != 'T') ||
            sscanf(rest + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &m) != 2)
            return false;
        rest += 1 + m;
        if (*rest == ':' && sscanf(rest + 1, "%2d%n", &tm.tm_sec, &m) == 1) rest += 1 + m;
        if (*rest) return false;
    }
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = mktime(&tm);
    return *out != (time_t)-1;
}

/* The next local midnight after a bare date's midnight (a day is not always 86400 s). */
static time_t next_midnight(time_t midnight)
{
    struct tm tm;
    localtime_r(&midnight, &tm);
    tm.tm_mday++;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

struct progress {
    bool on, tty, shown;
    struct timespec start;
    double next;
};

static void progress_show(struct progress *pg, const char *name, uint64_t done, uint64_t size,
                          uint64_t lines)
{
    double el = seconds_since(&pg->start);
    if (!pg->on || el < pg->next) return;
    pg->next = el + (pg->tty ? 0.5 : 10.0);
    char of[64] = "";
    if (size) snprintf(of, sizeof of, " of %.1f MB (%.0f%%)", (double)size / 1e6, 100.0 * (double)done / (double)size);
    fprintf(stderr, "%smpiguard report: %s: %.1f MB%s, %llu lines, %.0f MB/s%s", pg->tty ? "\r" : "",
            name, (double)done / 1e6, of, (unsigned long long)lines, (double)done / 1e6 / el,
            pg->tty ? "\033[K" : "\n");
    pg->shown = true;
}

static void take_line(struct mpg_logrun *run, struct mpg_logparser *p, const char *name,
                      uint64_t lineno, const char *line, size_t len, bool too_long)
{
    struct mpg_logline l;
    run->lines++;
    if (len && line[len - 1] == '\r') len--;
    if (len == 0 && !too_long) return;
    enum mpg_logline_status st = too_long ? MPG_LOGLINE_BAD : mpg_logline_parse(p, line, len, &l);
    if (too_long) l.why = "longer than any mpiguard line";
    if (st == MPG_LOGLINE_OTHER) {
        run->other++;
    } else if (st == MPG_LOGLINE_BAD) {
        if (run->bad++ < SHOW_BAD_LINES)
            fprintf(stderr, "mpiguard report: %s:%llu: skipped: %s\n", name, (unsigned long long)lineno, l.why);
    } else if ((run->has_since && l.when < run->since) || (run->has_until && l.when >= run->until)) {
        run->outside++;
    } else {
        run->findings++;
        mpg_tally_add(run->tally, &l);
    }
}

/* Reads one input to its end. Returns 0, or -1 on a read error (reported). */
static int read_input(struct mpg_logrun *run, struct mpg_logparser *p, struct progress *pg,
                      const char *name, int fd, char *buf)
{
    struct stat st;
    uint64_t size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    uint64_t done = 0, lineno = 0;
    size_t have = 0;  /* bytes of an unfinished line at buf[0..have) */
    bool skipping = false; /* inside a line longer than the buffer holds */
    for (;;) {
        ssize_t n = read(fd, buf + have, BLOCK - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            fprintf(stderr, "mpiguard report: cannot read %s: %s\n", name, strerror(errno));
            return -1;
        }
        if (n == 0) break;
        done += (uint64_t)n;
        size_t end = have + (size_t)n, start = 0;
        for (char *nl; (nl = memchr(buf + start, '\n', end - start)); start = (size_t)(nl - buf) + 1) {
            size_t len = (size_t)(nl - buf) - start;
            take_line(run, p, name, ++lineno, buf + start, len, skipping || len > MPG_LOGLINE_MAX);
            skipping = false;
        }
        have = end - start;
        if (have > MPG_LOGLINE_MAX) { /* no newline in sight: drop it and remember to skip */
            skipping = true;
            have = 0;
        } else {
            memmove(buf, buf + start, have);
        }
        progress_show(pg, name, done, size, run->lines);
    }
    if (have || skipping) take_line(run, p, name, ++lineno, buf, have, skipping);
    return 0;
}

/* Runs journalctl with a pipe on its stdout; returns the read end, or -1 (reported). */
static int journal_open(const struct mpg_logrun *run, pid_t *pid)
{
    char since[32], until[32];
    const char *argv[8] = {"journalctl", "-o", "json", "--no-pager", "SYSLOG_IDENTIFIER=mpiguard"};
    int k = 5;
    if (run->has_since) snprintf(since, sizeof since, "--since=@%lld", (long long)run->since), argv[k++] = since;
    if (run->has_until) snprintf(until, sizeof until, "--until=@%lld", (long long)run->until), argv[k++] = until;
    argv[k] = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    int rc = posix_spawnp(pid, "journalctl", &fa, NULL, (char **)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        fprintf(stderr, "mpiguard report: --journal needs journalctl (systemd), which cannot be run here (%s); "
                        "read a syslog file instead, e.g. mpiguard report /var/log/syslog\n", strerror(rc));
        return -1;
    }
    return fds[0];
}

static int journal_close(int fd, pid_t pid)
{
    close(fd);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    fprintf(stderr, "mpiguard report: journalctl failed (%s %d); is the journal readable by you "
                    "(root, or the systemd-journal or adm group)?\n",
            WIFEXITED(status) ? "exit status" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -1;
}

int mpg_cli_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},       {"csv", no_argument, NULL, 'c'},
        {"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
        {"journal", no_argument, NULL, 'J'},    {"top", required_argument, NULL, 't'},
        {"period", required_argument, NULL, 'p'}, {"envs", no_argument, NULL, 'e'},
        {"year", required_argument, NULL, 'y'}, {"no-progress", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    struct mpg_logrun run = {.top = 10};
    bool json = false, csv = false, journal = false, progress = true, whole;
    int year = 0, c;
    time_t now = time(NULL);
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'c': csv = true; break;
        case 'J': journal = true; break;
        case 'e': run.envs = true; break;
        case 'q': progress = false; break;
        case 's':
        case 'u':
            if (!parse_when(optarg, now, c == 's' ? &run.since : &run.until, &whole)) {
                fprintf(stderr, "mpiguard report: --%s %s: not a time (YYYY-MM-DD, 'YYYY-MM-DD HH:MM', "
                                "today, yesterday, 7d, 12h, 2w, @EPOCH)\n", c == 's' ? "since" : "until", optarg);
                return REPORT_USAGE;
            }
            if (c == 's') run.has_since = true;
            else run.has_until = true, run.until = whole ? next_midnight(run.until) : run.until + 1;
            break;
        case 't':
            run.top = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || run.top < 0) {
                fprintf(stderr, "mpiguard report: --top %s: not a number >= 0\n", optarg);
                return REPORT_USAGE;
            }
            break;
        case 'p':
            if (strcmp(optarg, "day") && strcmp(optarg, "week")) {
                fprintf(stderr, "mpiguard report: --period %s: day or week\n", optarg);
                return REPORT_USAGE;
            }
            run.period = optarg;
            break;
        case 'y':
            year = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || year < 1970 || year > 9999) {
                fprintf(stderr, "mpiguard report: --year %s: not a year\n", optarg);
                return REPORT_USAGE;
            }
            break;
        case 'h': usage(stdout); return REPORT_OK;
        default: usage(stderr); return REPORT_USAGE;
        }
    }
    if (json && csv) {
        fputs("mpiguard report: --json or --csv, not both\n", stderr);
        return REPORT_USAGE;
    }
    if (run.has_since && run.has_until && run.until <= run.since) {
        fputs("mpiguard report: --until is not after --since\n", stderr);
        return REPORT_USAGE;
    }
    if ((json || journal) && !mpg_jansson_require(json ? "report --json" : "report --journal")) return REPORT_USAGE;
    const char *stdin_only[] = {"-"}, *journal_only[] = {"journal"};
    run.inputs = (const char **)argv + optind;
    run.n_inputs = (size_t)(argc - optind);
    if (journal && run.n_inputs) {
        fputs("mpiguard report: --journal reads the journal; name no files with it\n", stderr);
        return REPORT_USAGE;
    }
    if (journal) {
        run.inputs = journal_only;
        run.n_inputs = 1;
    } else if (!run.n_inputs) {
        if (isatty(0)) {
            fputs("mpiguard report: which log? Name a file (e.g. /var/log/syslog), `-` for stdin, or --journal\n", stderr);
            return REPORT_USAGE;
        }
        run.inputs = stdin_only;
        run.n_inputs = 1;
    }

    /* Caps: far above a site's users x envs x modules, far below the machine's memory. */
    run.tally = mpg_tally_new(run.envs, 1u << 20, 1u << 24);
    struct mpg_logparser *parser = mpg_xmalloc(sizeof *parser);
    mpg_logparser_init(parser, now, year);
    char *buf = mpg_xmalloc(BLOCK);
    struct progress pg = {.on = progress, .tty = isatty(2), .next = 1.0};
    clock_gettime(CLOCK_MONOTONIC, &pg.start);
    int rc = REPORT_OK;
    for (size_t i = 0; i < run.n_inputs && rc == REPORT_OK; i++) {
        const char *name = run.inputs[i];
        pid_t pid = 0;
        int fd = journal ? journal_open(&run, &pid) : !strcmp(name, "-") ? 0 : open(name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (!journal)
                fprintf(stderr, "mpiguard report: cannot open %s: %s\n", name, strerror(errno));
            rc = REPORT_USAGE;
            break;
        }
        if (read_input(&run, parser, &pg, !strcmp(name, "-") ? "stdin" : name, fd, buf) != 0) rc = REPORT_USAGE;
        if (journal) {
            if (journal_close(fd, pid) != 0) rc = REPORT_USAGE;
        } else if (fd != 0) {
            close(fd);
        }
    }
    if (pg.shown && pg.tty) fputs("\r\033[K", stderr);
    if (run.bad > SHOW_BAD_LINES)
        fprintf(stderr, "mpiguard report: %llu more lines skipped (not mpiguard's format)\n",
                (unsigned long long)(run.bad - SHOW_BAD_LINES));
    if (rc == REPORT_OK) {
        if (json) rc = mpg_logrun_print_json(&run, stdout) == 0 ? REPORT_OK : REPORT_USAGE;
        else if (csv) mpg_logrun_print_csv(&run, stdout);
        else mpg_logrun_print_text(&run, stdout);
    }
    free(buf);
    free(parser);
    mpg_tally_free(run.tally);
    return rc;
}
