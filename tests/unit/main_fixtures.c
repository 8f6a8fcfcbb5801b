/* main_fixtures.c: builds the fixtures once for the whole Criterion run (tests run forked and
 * inherit MPG_FIXTURES) and removes them afterwards. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char fixture_dir[4096];

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    if (getenv("MPG_FIXTURES")) return;
    const char *t = getenv("TMPDIR");
    snprintf(fixture_dir, sizeof fixture_dir, "%s/mpg-fixtures-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(fixture_dir)) abort();
    chmod(fixture_dir, 0755); /* tests that drop privileges still reach their files */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "bash '%s/fixtures.sh' '%s' >&2", SRCDIR, fixture_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fixtures.sh failed: the unit tests need Debian's libmpich-dev and libopenmpi-dev\n");
        abort();
    }
    setenv("MPG_FIXTURES", fixture_dir, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    if (!fixture_dir[0] || getenv("MPG_KEEP_FIXTURES")) return;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixture_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", fixture_dir);
}
