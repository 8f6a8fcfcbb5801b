/* log_report.h: `mpiguard report`: what mpiguard found across a site, from its syslog lines.
 * (Not to be confused with src/report.c, the report of one `mpiguard check`.)
 *
 *   mpiguard report [FILE...|-] [--journal] [--since WHEN] [--until WHEN] [--json|--csv]
 *                   [--period day|week] [--top N] [--envs] [--year YYYY] [--no-progress]
 *
 * log_report.c reads the inputs and counts (log_parse.c, log_tally.c); log_report_print.c
 * prints the text, JSON and CSV views. Exit status: 0, or 3 for a usage or input error. */
#ifndef MPG_CLI_LOG_REPORT_H
#define MPG_CLI_LOG_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cli/log_tally.h"

struct mpg_logrun {
    struct mpg_tally *tally;
    const char **inputs; /* as named: a path, "-" (stdin) or "journal" */
    size_t n_inputs;
    time_t since, until;  /* [since, until); 0 and 0: no bound */
    bool has_since, has_until;
    uint64_t lines, findings, other, bad, outside;
    int top;             /* rows per table in the text view; 0: all */
    const char *period;  /* "day", "week", or NULL: day up to 31 days, else week */
    bool envs;           /* list env prefixes too */
};

int mpg_cli_report(int argc, char **argv);

void mpg_logrun_print_text(const struct mpg_logrun *run, FILE *out);
int mpg_logrun_print_json(const struct mpg_logrun *run, FILE *out);
void mpg_logrun_print_csv(const struct mpg_logrun *run, FILE *out);

#endif
