/* Unit tests for the site policy: parser, loading, user override, exemptions, application. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

static char err[512];

static int parse(struct mpg_policy *p, const char *text)
{
    err[0] = '\0';
    return mpg_policy_parse(p, text, strlen(text), "t.conf", err, sizeof err);
}

Test(policy, defaults)
{
    struct mpg_policy p;
    mpg_policy_defaults(&p);
    cr_expect(p.export_mpicc);
    cr_expect(p.log);
    cr_expect(!p.warn_fails);
    cr_expect(!p.user_override);
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_KEEP);
    cr_expect(!mpg_policy_exempt(&p, "alice", "/home/alice/env"));
    mpg_policy_free(&p);
}

Test(policy, full_file)
{
    struct mpg_policy p;
    const char *text = "# site policy\r\n"
                       "[general]\n"
                       "export_mpicc = no\n"
                       "log = off\n"
                       "log_socket = /run/test.sock\n"
                       "warn_fails = yes\n"
                       "user_override = true\n"
                       "exempt_users = root, svc-build  alice\n"
                       "exempt_prefixes = /opt/envs/, /scratch/shared\n"
                       "\n"
                       "  [ actions ]  \n"
                       "; another comment\n"
                       "default = note\n"
                       "ABI_MISMATCH = block\n"
                       "LAUNCHER_SHADOWED=ignore\n"
                       "FUTURE_CODE_2 = warn\n"
                       "ABI_MISMATCH = warn\n";
    cr_assert_eq(parse(&p, text), 0, "%s", err);
    cr_expect(!p.export_mpicc);
    cr_expect(!p.log);
    cr_expect_str_eq(p.log_socket, "/run/test.sock");
    cr_expect(p.warn_fails);
    cr_expect(p.user_override);
    cr_assert_eq(p.n_exempt_users, 3);
    cr_expect_str_eq(p.exempt_users[1], "svc-build");
    cr_expect(mpg_policy_exempt(&p, "alice", NULL));
    cr_expect(!mpg_policy_exempt(&p, "bob", "/home/bob/env"));
    cr_expect(mpg_policy_exempt(&p, "bob", "/opt/envs"));
    cr_expect(mpg_policy_exempt(&p, "bob", "/opt/envs/x/y"));
    cr_expect(!mpg_policy_exempt(&p, "bob", "/opt/envsX"));
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_WARN, "last one wins");
    cr_expect_eq(mpg_policy_action(&p, "LAUNCHER_SHADOWED"), MPG_ACT_IGNORE);
    cr_expect_eq(mpg_policy_action(&p, "FUTURE_CODE_2"), MPG_ACT_WARN);
    cr_expect_eq(mpg_policy_action(&p, "NO_MPI_MODULE"), MPG_ACT_NOTE, "default");
    cr_expect_str_eq(p.source, "t.conf");
    mpg_policy_free(&p);
}

/* Windows editors start UTF-8 files with a byte order mark; the README says UTF-8. */
Test(policy, utf8_byte_order_mark)
{
    struct mpg_policy p;
    cr_expect_eq(parse(&p, "\xef\xbb\xbf[actions]\nABI_MISMATCH = block\n"), 0);
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_BLOCK);
    mpg_policy_free(&p);
    cr_expect_eq(parse(&p, "[actions]\n\xef\xbb\xbfABI_MISMATCH = block\n"), -1, "only at the start of the file");
    mpg_policy_free(&p);
}

Test(policy, empty_and_comments_only)
{
    struct mpg_policy p;
    cr_expect_eq(parse(&p, ""), 0);
    mpg_policy_free(&p);
    cr_expect_eq(parse(&p, "# nothing\n\n   \n"), 0);
    cr_expect(p.export_mpicc);
    mpg_policy_free(&p);
}

struct bad {
    const char *text;
    const char *msg;
};

Test(policy, malformed_gives_defaults_and_line)
{
    static const struct bad cases[] = {
        {"export_mpicc = no\n", "t.conf:1: \"export_mpicc\" is outside a section"},
        {"[general]\nexport_mpicc = maybe\n", "t.conf:2: export_mpicc: expected yes or no"},
        {"[general]\ncolour = yes\n", "t.conf:2: unknown key \"colour\" in [general]"},
        {"[gen]\n", "t.conf:1: unknown section [gen]"},
        {"[general\n", "t.conf:1: a section header must end with ']'"},
        {"[actions]\nABI_MISMATCH = fatal\n", "t.conf:2: ABI_MISMATCH: expected ignore"},
        {"[actions]\nabi_mismatch = warn\n", "t.conf:2: \"abi_mismatch\" is not a finding code"},
        {"[actions]\n= warn\n", "t.conf:2: missing key"},
        {"[actions]\njust words\n", "t.conf:2: expected \"key = value\""},
        {"[general]\nlog_socket = relative\n", "t.conf:2: log_socket: expected an absolute path"},
        {"[general]\nexempt_prefixes = /ok, rel\n", "t.conf:2: exempt_prefixes: \"rel\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mpg_policy p;
        cr_expect_eq(parse(&p, cases[i].text), -1, "case %zu", i);
        cr_expect(strncmp(err, cases[i].msg, strlen(cases[i].msg)) == 0, "case %zu: got \"%s\"",
                  i, err);
        cr_expect(p.export_mpicc && p.log && p.n_rules == 0 && !p.source,
                  "case %zu: defaults after an error", i);
        mpg_policy_free(&p);
    }
}

Test(policy, nul_and_long_lines)
{
    struct mpg_policy p;
    const char text[] = "[general]\nlog = no\0\n";
    cr_expect_eq(mpg_policy_parse(&p, text, sizeof text - 1, "t.conf", err, sizeof err), -1);
    cr_expect(strstr(err, "NUL byte") != NULL, "%s", err);
    size_t n = 10000;
    char *big = malloc(n + 1);
    memset(big, 'A', n);
    big[n] = '\0';
    cr_expect_eq(parse(&p, big), -1);
    cr_expect(strstr(err, "longer than") != NULL, "%s", err);
    free(big);
    mpg_policy_free(&p);
}

static char tmpdir[] = "/tmp/mpg-policy-XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static void setup_dir(void) { cr_assert(mkdtemp(tmpdir)); }
static void teardown_dir(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

Test(policy, load_missing_is_defaults, .init = setup_dir, .fini = teardown_dir)
{
    struct mpg_policy p;
    char path[300];
    snprintf(path, sizeof path, "%s/none.conf", tmpdir);
    cr_expect_eq(mpg_policy_load(&p, path, err, sizeof err), 0);
    cr_expect_null(p.source);
    mpg_policy_free(&p);
    cr_expect_eq(mpg_policy_load(&p, tmpdir, err, sizeof err), -1, "a folder is not a policy");
    cr_expect(strstr(err, "not a regular file") != NULL, "%s", err);
    mpg_policy_free(&p);
}

Test(policy, user_override, .init = setup_dir, .fini = teardown_dir)
{
    char site[300], user[300], env_var[400];
    snprintf(site, sizeof site, "%s/site.conf", tmpdir);
    snprintf(user, sizeof user, "%s/user.conf", tmpdir);
    snprintf(env_var, sizeof env_var, "MPIGUARD_POLICY=%s", user);
    const char *env[] = {"HOME=/x", env_var, NULL};
    write_file(user, "[general]\nexport_mpicc = no\n[actions]\nABI_MISMATCH = ignore\n");

    struct mpg_policy p;
    write_file(site, "[actions]\nABI_MISMATCH = block\nLAUNCHER_SHADOWED = note\n");
    cr_assert_eq(mpg_policy_load_effective(&p, site, env, err, sizeof err), 0, "%s", err);
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_BLOCK, "no override by default");
    cr_expect(p.export_mpicc);
    mpg_policy_free(&p);

    write_file(site, "[general]\nuser_override = yes\nlog = no\n"
                     "[actions]\nABI_MISMATCH = block\nLAUNCHER_SHADOWED = note\n");
    cr_assert_eq(mpg_policy_load_effective(&p, site, env, err, sizeof err), 0, "%s", err);
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_IGNORE);
    cr_expect_eq(mpg_policy_action(&p, "LAUNCHER_SHADOWED"), MPG_ACT_NOTE, "site rule kept");
    cr_expect(!p.export_mpicc);
    cr_expect(!p.log);
    mpg_policy_free(&p);

    write_file(user, "[general]\nlog = yes\n");
    cr_expect_eq(mpg_policy_load_effective(&p, site, env, err, sizeof err), -1);
    cr_expect(strstr(err, "only the site policy may set this") != NULL, "%s", err);
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_BLOCK, "site policy kept");
    cr_expect(!p.log);
    mpg_policy_free(&p);
}

/* The Slurm plugin's split: the user's file read elsewhere (with the user's rights), merged here. */
Test(policy, merge_user_text)
{
    struct mpg_policy p;
    const char *mine = "[actions]\nABI_MISMATCH = ignore\n";
    cr_assert_eq(parse(&p, "[actions]\nABI_MISMATCH = block\n"), 0, "%s", err);
    cr_expect_eq(mpg_policy_merge_user_text(&p, mine, strlen(mine), "mine.conf", err, sizeof err), 0, "%s", err);
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_BLOCK, "no override without user_override");
    mpg_policy_free(&p);

    cr_assert_eq(parse(&p, "[general]\nuser_override = yes\n[actions]\nABI_MISMATCH = block\n"), 0, "%s", err);
    cr_expect_eq(mpg_policy_merge_user_text(&p, mine, strlen(mine), "mine.conf", err, sizeof err), 0, "%s", err);
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_IGNORE);
    const char *bad = "[general]\nlog = yes\n";
    cr_expect_eq(mpg_policy_merge_user_text(&p, bad, strlen(bad), "mine.conf", err, sizeof err), -1);
    cr_expect(strstr(err, "mine.conf") != NULL, "%s", err);
    cr_expect_eq(mpg_policy_action(&p, "ABI_MISMATCH"), MPG_ACT_IGNORE, "unchanged on error");
    mpg_policy_free(&p);
}

Test(policy, apply)
{
    struct mpg_policy p;
    cr_assert_eq(parse(&p, "[actions]\nABI_MISMATCH = block\nLAUNCHER_SHADOWED = ignore\n"
                           "NO_MPI_MODULE = note\n"),
                 0, "%s", err);
    struct mpg_report r = {0};
    r.n_findings = 4;
    r.findings = calloc(4, sizeof *r.findings);
    const char *codes[] = {"LAUNCHER_SHADOWED", "ABI_MISMATCH", "ENV_BUNDLED_MPI",
                           "NO_MPI_MODULE"};
    for (size_t i = 0; i < 4; i++) {
        r.findings[i].code = codes[i];
        r.findings[i].severity = MPG_SEV_WARN;
        r.findings[i].message = strdup(codes[i]);
        r.findings[i].fix = strdup("fix");
    }
    mpg_policy_apply(&p, &r);
    cr_assert_eq(r.n_findings, 3);
    cr_expect_str_eq(r.findings[0].code, "ABI_MISMATCH");
    cr_expect_eq(r.findings[0].severity, MPG_SEV_BLOCK);
    cr_expect_eq(r.findings[1].severity, MPG_SEV_WARN, "kept");
    cr_expect_eq(r.findings[2].severity, MPG_SEV_NOTE);
    cr_expect_eq(r.verdict, MPG_SEV_BLOCK);
    for (size_t i = 0; i < r.n_findings; i++) {
        free(r.findings[i].message);
        free(r.findings[i].fix);
    }
    free(r.findings);
    mpg_policy_free(&p);
}
