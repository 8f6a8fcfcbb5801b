/* log_tally.h: counts parsed mpiguard log lines for `mpiguard report`.
 *
 * Every finding adds to one row per dimension (its code, module, user, env kind, source, day,
 * week, fix; the env prefix only when asked), both for all codes and for its own code. Each
 * row counts findings per action and the distinct users and envs behind them. Distinct values
 * are remembered as 64-bit hashes, never as strings, and rows and hashes are capped, so memory
 * depends on how many users, envs and modules a site has, never on how long the log is. */
#ifndef MPG_CLI_LOG_TALLY_H
#define MPG_CLI_LOG_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cli/log_parse.h"

enum mpg_dim {
    MPG_DIM_TOTAL, /* one row, key "" */
    MPG_DIM_CODE, MPG_DIM_MODULE, MPG_DIM_USER, MPG_DIM_ENV_KIND, MPG_DIM_SOURCE,
    MPG_DIM_DAY,   /* 2025-11-24, local time */
    MPG_DIM_WEEK,  /* 2025-W48, ISO 8601 week, local time */
    MPG_DIM_FIX,   /* the fix with the env's own prefix replaced by <env> */
    MPG_DIM_ENV,   /* the env prefix (or user:env_name when the line has no prefix) */
    MPG_DIM_COUNT
};

enum mpg_tally_act { MPG_TALLY_NOTE, MPG_TALLY_WARN, MPG_TALLY_BLOCK, MPG_TALLY_ACTIONS };

struct mpg_tally_row {
    enum mpg_dim dim;
    const char *key;   /* "(more)" collects new keys once the row cap is reached */
    const char *code;  /* NULL: all codes */
    uint64_t n[MPG_TALLY_ACTIONS];
    uint64_t total, users, envs;
    bool distinct;     /* users and envs were counted (not for per-code day, week, user, fix, env rows) */
    uint64_t hash;
};

struct mpg_tally;

/* max_rows caps the rows, max_distinct the remembered (row, user or env) pairs. */
struct mpg_tally *mpg_tally_new(bool track_envs, size_t max_rows, size_t max_distinct);
void mpg_tally_free(struct mpg_tally *t);
void mpg_tally_add(struct mpg_tally *t, const struct mpg_logline *l);

/* The rows of one dimension (code == NULL: all codes; code == "*": every per-code row),
 * largest total first (days and weeks: oldest first). Returns a malloc'd array of n rows. */
struct mpg_tally_row **mpg_tally_rows(const struct mpg_tally *t, enum mpg_dim dim, const char *code,
                                      size_t *n);
const struct mpg_tally_row *mpg_tally_total(const struct mpg_tally *t);

time_t mpg_tally_first(const struct mpg_tally *t);
time_t mpg_tally_last(const struct mpg_tally *t);
/* True when a cap was reached: some keys went to "(more)" or distinct counts are lower bounds. */
bool mpg_tally_rows_capped(const struct mpg_tally *t);
bool mpg_tally_distinct_capped(const struct mpg_tally *t);
const char *mpg_dim_name(enum mpg_dim d);

#endif
