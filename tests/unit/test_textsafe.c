/* test_textsafe.c: the three rules for values that leave mpiguard (escaped for display, quoted
 * for a shell, refused by setenv) and the syslog line, on hostile values: newlines, terminal
 * escapes, shell syntax, bidi overrides, invalid UTF-8, and values of 10 kB. The shell quoting
 * is checked against the real bash: what bash reads back is the value, and nothing runs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "mpiguard.h"
#include "util.h"

static const char *const hostile[] = {
    "/tmp/x;touch y;z",
    "$(touch y)",
    "`touch y`",
    "x\ntouch y",
    "a'b\"c\\d",
    "x\n/path/evil.sh",
    "\033]0;owned\007\033[2J",
    "tab\there",
    "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
    "bad \xff\xfe utf8",
    "csi \xc2\x9b" "31m",
    "rtl \xe2\x80\xae" "txt.exe",
    "~root",
    "-rf",
    "",
    "*",
    "!!",
    NULL,
};

static bool has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return true;
    return false;
}

Test(display, escapes_controls_and_keeps_text)
{
    char *s = mpg_escape_for_display("\033]0;title\007x\ny\tz");
    cr_expect_str_eq(s, "\\x1b]0;title\\x07x\\x0ay\\x09z");
    free(s);
    s = mpg_escape_for_display("caf\xc3\xa9 \xe6\x97\xa5 /home/u/env");
    cr_expect_str_eq(s, "caf\xc3\xa9 \xe6\x97\xa5 /home/u/env", "valid UTF-8 is shown as it is");
    free(s);
    s = mpg_escape_for_display("a\xc2\x9b" "b\xe2\x80\xae" "c\xff\xc0\xaf");
    cr_expect_str_eq(s, "a\\xc2\\x9bb\\xe2\\x80\\xaec\\xff\\xc0\\xaf", "C1, bidi override, invalid and overlong");
    free(s);
    s = mpg_escape_for_display("\xe2\x80\xa8line sep \xed\xa0\x80 surrogate \xf4\x90\x80\x80 too big");
    cr_expect_str_eq(s, "\\xe2\\x80\\xa8line sep \\xed\\xa0\\x80 surrogate \\xf4\\x90\\x80\\x80 too big");
    free(s);
    s = mpg_escape_for_display("cut \xe6\x97");
    cr_expect_str_eq(s, "cut \\xe6\\x97", "a sequence cut short");
    free(s);
    cr_expect_null(mpg_escape_for_display(NULL));
    for (const char *const *h = hostile; *h; h++) {
        s = mpg_escape_for_display(*h);
        cr_expect_not(has_control(s), "control left in %s", s);
        free(s);
    }
}

Test(shell, plain_paths_stay_bare)
{
    char *s = mpg_quote_for_shell("/opt/mpich-4.1/bin/mpicc");
    cr_expect_str_eq(s, "/opt/mpich-4.1/bin/mpicc");
    free(s);
    s = mpg_quote_for_shell("/tmp/x;touch /tmp/y;z");
    cr_expect_str_eq(s, "'/tmp/x;touch /tmp/y;z'");
    free(s);
    s = mpg_quote_for_shell("it's");
    cr_expect_str_eq(s, "'it'\\''s'");
    free(s);
    s = mpg_quote_for_shell("x\n/evil");
    cr_expect_str_eq(s, "$'x\\x0a/evil'");
    free(s);
    s = mpg_quote_for_shell("");
    cr_expect_str_eq(s, "''");
    free(s);
}

/* Each quoted value, pasted into a real bash as an argument, gives back exactly the value and
 * runs nothing. */
Test(shell, bash_reads_back_the_value_and_runs_nothing)
{
    char *dir = scratch();
    for (const char *const *h = hostile; *h; h++) {
        char *q = mpg_quote_for_shell(*h);
        cr_expect_not(has_control(q), "control in quoted %s", q);
        char *script = joinp(dir, "t.sh"), *out = joinp(dir, "out");
        FILE *f = fopen(script, "w");
        cr_assert(f);
        fprintf(f, "cd '%s' && printf %%s %s > out\n", dir, q);
        fclose(f);
        char *cmd = fmt("env -i PATH=/usr/bin:/bin bash '%s'", script);
        cr_expect_eq(system(cmd), 0, "bash failed on %s", q);
        size_t len = 0;
        FILE *g = fopen(out, "rb");
        cr_assert(g);
        char buf[256] = "";
        len = fread(buf, 1, sizeof buf - 1, g);
        fclose(g);
        buf[len] = '\0';
        cr_expect_eq(len, strlen(*h), "length for %s", q);
        cr_expect_str_eq(buf, *h, "bash read back something else for %s", q);
        free(q);
        free(cmd);
    }
    struct stat st;
    cr_expect_neq(stat(joinp(dir, "y"), &st), 0, "a quoted value ran a command");
}

Test(shell, eval_safety)
{
    cr_expect(mpg_safe_for_shell_eval("/opt/mpich/bin/mpicc"));
    cr_expect(mpg_safe_for_shell_eval("caf\xc3\xa9 $(x) ;"), "shell syntax is Lmod's to escape");
    cr_expect(mpg_safe_for_shell_eval(NULL));
    cr_expect_not(mpg_safe_for_shell_eval("x\n/path/evil.sh"));
    cr_expect_not(mpg_safe_for_shell_eval("x\r"));
    cr_expect_not(mpg_safe_for_shell_eval("\033[2J"));
    cr_expect_not(mpg_safe_for_shell_eval("del\x7f"));
}

/* ---- the syslog line ---------------------------------------------------------------------- */

/* Decodes one value of a log line at *p (bare or quoted); advances *p past it. */
static char *log_value(const char **p)
{
    char *out = malloc(8192), *o = out;
    const char *s = *p;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1] == 'x') {
                unsigned v;
                sscanf(s + 2, "%2x", &v);
                *o++ = (char)v;
                s += 3;
            } else if (*s == '\\') {
                *o++ = *++s;
            } else {
                *o++ = *s;
            }
        }
        if (*s == '"') s++;
    } else {
        while (*s && *s != ' ') *o++ = *s++;
    }
    *o = '\0';
    *p = s;
    return out;
}

static const char *const log_keys[] = {"code", "action", "source", "user", "module", "env",
                                       "env_name", "prefix", "job", "step", "node", "fix", NULL};

/* Splits a formatted line into its 12 values; fails the test if keys are missing or out of
 * order. */
static void parse_line(const char *line, char **vals)
{
    const char *p = line;
    for (size_t i = 0; log_keys[i]; i++) {
        size_t k = strlen(log_keys[i]);
        cr_assert(strncmp(p, log_keys[i], k) == 0 && p[k] == '=', "field %s missing at: %.60s", log_keys[i], p);
        p += k + 1;
        vals[i] = log_value(&p);
        if (log_keys[i + 1]) {
            cr_assert_eq(*p, ' ', "no blank after %s", log_keys[i]);
            p++;
        }
    }
    cr_expect_eq(*p, '\0', "junk after the fix: %s", p);
}

Test(syslog, fields_in_order_missing_is_dash_values_escaped)
{
    struct mpg_log_entry e = {.code = "ABI_MISMATCH", .action = "warn", .source = "lmod", .user = "alice",
                              .module = "mpich/4.0.2", .env_kind = "venv", .env_name = "sim box",
                              .prefix = "/home/alice/\"sim\"\n\033[2J", .fix = "MPICC=/opt/mpicc python -m pip install mpi4py\nsecond line"};
    char buf[MPG_LOG_MAX];
    mpg_log_format(&e, buf, sizeof buf);
    cr_expect(strncmp(buf, "code=ABI_MISMATCH action=warn source=lmod user=alice module=mpich/4.0.2 env=venv "
                           "env_name=\"sim box\" prefix=\"/home/alice/\\\"sim\\\"\\x0a\\x1b[2J\" job=- step=- node=- ",
                      strlen("code=ABI_MISMATCH action=warn source=lmod user=alice module=mpich/4.0.2 env=venv "
                             "env_name=\"sim box\" prefix=\"/home/alice/\\\"sim\\\"\\x0a\\x1b[2J\" job=- step=- node=- ")) == 0,
              "%s", buf);
    cr_expect(strstr(buf, "fix=\"MPICC=/opt/mpicc python -m pip install mpi4py\"") != NULL, "first line of the fix: %s", buf);
    cr_expect_not(has_control(buf));
    char *v[12];
    parse_line(buf, v);
    cr_expect_str_eq(v[7], e.prefix);
    cr_expect_str_eq(v[8], "-");
    for (int i = 0; i < 12; i++) free(v[i]);
    e.fix = NULL;
    e.user = "";
    mpg_log_format(&e, buf, sizeof buf);
    cr_expect(strstr(buf, " user=- ") && mpg_str_ends(buf, " fix=-"), "%s", buf);
}

/* A 10 kB prefix (and fix): the line stays under 2 kB, code and action come first, every
 * field is there, cut values end in ... inside their quotes, and no escape is split. */
Test(syslog, long_values_are_cut_never_dropped)
{
    char prefix[10001], fix[9001];
    for (size_t i = 0; i < sizeof prefix - 1; i++) prefix[i] = i % 97 == 0 ? '\n' : i % 7 == 0 ? '"' : 'p';
    prefix[sizeof prefix - 1] = '\0';
    memset(fix, 'f', sizeof fix - 1);
    fix[sizeof fix - 1] = '\0';
    struct mpg_log_entry e = {.code = "ENV_BUNDLED_MPI", .action = "block", .source = "slurm", .user = "bob",
                              .module = "openmpi/4.1.4", .env_kind = "conda", .env_name = "x",
                              .prefix = prefix, .job = "123", .step = "0", .node = "n1", .fix = fix};
    char buf[2048 - 42];
    size_t n = mpg_log_format(&e, buf, sizeof buf);
    cr_expect_eq(n, strlen(buf));
    cr_expect_lt(n, sizeof buf);
    cr_expect_gt(n, sizeof buf - 80, "the room is used: %zu", n);
    cr_expect(mpg_str_starts(buf, "code=ENV_BUNDLED_MPI action=block source=slurm "), "%s", buf);
    char *v[12];
    parse_line(buf, v);
    cr_expect(mpg_str_ends(v[7], "..."), "prefix cut: %s", v[7]);
    cr_expect(mpg_str_ends(v[11], "..."), "fix cut");
    cr_expect(strncmp(v[7], prefix, strlen(v[7]) - 3) == 0, "the cut prefix is the prefix's start");
    cr_expect_str_eq(v[8], "123");
    cr_expect_str_eq(v[10], "n1");
    for (int i = 0; i < 12; i++) free(v[i]);
    /* every buffer from 256 bytes up keeps all fields */
    for (size_t len = 256; len < 2100; len += 37) {
        char b[2100];
        mpg_log_format(&e, b, len);
        cr_assert_lt(strlen(b), len);
        parse_line(b, v);
        for (int i = 0; i < 12; i++) free(v[i]);
    }
}

/* The line as sent: under 2 kB as a datagram, with the priority of the action. */
Test(syslog, sends_one_datagram_under_2k)
{
    char *dir = scratch(), *sock = joinp(dir, "log.sock");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); "
             "s.settimeout(10); open(sys.argv[2], \"wb\").write(s.recv(65536))' %s %s/got & "
             "for i in $(seq 100); do [ -S %s ] && exit 0; sleep 0.05; done; exit 1",
             sock, dir, sock);
    cr_assert_eq(system(cmd), 0, "no test socket");
    char prefix[5000];
    memset(prefix, 'q', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    struct mpg_log_entry e = {.code = "ABI_MISMATCH", .action = "block", .prefix = prefix};
    cr_expect_eq(mpg_log_send(sock, &e), 0);
    char *got = joinp(dir, "got");
    for (int i = 0; i < 100 && access(got, F_OK) != 0; i++) usleep(50000);
    usleep(100000);
    FILE *f = fopen(got, "rb");
    cr_assert(f, "nothing received");
    char line[4096];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    cr_expect_lt(n, 2048);
    cr_expect(mpg_str_starts(line, "<11>"), "err for block: %.20s", line);
    cr_expect(strstr(line, "]: code=ABI_MISMATCH action=block source=- ") != NULL, "%.120s", line);
}
