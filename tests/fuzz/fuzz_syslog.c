/* libFuzzer target: the syslog line from twelve arbitrary values (NUL-separated in the input).
 * Checks the contract: under the size asked for, no control byte, every key once and in
 * order, code and action first, and each value reads back (\xHH, \", \\) as the original, or
 * as its start followed by "..." when cut. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpiguard.h"

static const char *const keys[12] = {"code", "action", "source", "user", "module", "env",
                                     "env_name", "prefix", "job", "step", "node", "fix"};

/* Decodes the value at *p into out; returns whether it was cut. */
static int value(const char **p, char *out, int *quoted)
{
    const char *s = *p;
    char *o = out;
    *quoted = *s == '"';
    if (*quoted) {
        for (s++; *s != '"'; s++) {
            if (!*s) abort();
            if (*s == '\\' && s[1] == 'x') {
                unsigned v;
                if (sscanf(s + 2, "%2x", &v) != 1) abort();
                *o++ = (char)v;
                s += 3;
            } else if (*s == '\\') {
                if (s[1] != '"' && s[1] != '\\') abort();
                *o++ = *++s;
            } else {
                *o++ = *s;
            }
        }
        s++;
    } else {
        while (*s && *s != ' ') *o++ = *s++;
    }
    *o = '\0';
    *p = s;
    size_t n = strlen(out);
    return *quoted && n >= 3 && strcmp(out + n - 3, "...") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t len = 256 + data[0] * 8; /* 256 .. 2296 */
    char *text = malloc(size + 12);
    memcpy(text, data + 1, size - 1);
    memset(text + size - 1, 0, 13);
    const char *v[12];
    const char *p = text;
    for (int i = 0; i < 12; i++) {
        v[i] = p < text + size - 1 ? p : NULL;
        if (v[i]) p += strlen(p) + 1;
    }
    struct mpg_log_entry e = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
    char *buf = malloc(len);
    size_t n = mpg_log_format(&e, buf, len);
    if (n != strlen(buf) || n >= len) abort();
    for (const unsigned char *c = (const unsigned char *)buf; *c; c++)
        if (*c < 0x20 || *c >= 0x7f) abort();
    char *got = malloc(len + 1);
    const char *q = buf;
    for (int i = 0; i < 12; i++) {
        size_t k = strlen(keys[i]);
        if (strncmp(q, keys[i], k) != 0 || q[k] != '=') abort();
        q += k + 1;
        int quoted;
        int cut = value(&q, got, &quoted);
        const char *want = v[i] && *v[i] ? v[i] : "-";
        size_t wl = i == 11 ? strcspn(want, "\n") : strlen(want);
        if (!wl) want = "-", wl = 1;
        if (cut ? strncmp(got, want, strlen(got) - 3) != 0 || strlen(got) - 3 > wl
                : strlen(got) != wl || memcmp(got, want, wl) != 0)
            abort();
        if (i < 11 && *q++ != ' ') abort();
    }
    if (*q) abort();
    free(got);
    free(buf);
    free(text);
    return 0;
}
