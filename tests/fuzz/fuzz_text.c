/* libFuzzer target: the three rules for values that leave mpiguard. Display escaping leaves
 * no control byte and reads back to the input; shell quoting leaves no control byte and, read
 * back as bash reads a single word ('...', $'...' with \xHH, \\, \', or bare), is the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpiguard.h"

static void no_control(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f) abort();
}

/* Undoes \xHH (display) or bash's single-word quoting; returns the decoded length. */
static size_t unhex(const char *s, char *o)
{
    char *start = o;
    while (*s) {
        unsigned v;
        if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1) {
            *o++ = (char)v;
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return (size_t)(o - start);
}

static size_t unquote(const char *s, char *o)
{
    char *start = o;
    if (s[0] == '$' && s[1] == '\'') {
        for (s += 2; *s != '\''; s++) {
            unsigned v;
            if (!*s) abort();
            if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1) {
                *o++ = (char)v;
                s += 3;
            } else if (s[0] == '\\') {
                if (s[1] != '\\' && s[1] != '\'') abort();
                *o++ = *++s;
            } else {
                *o++ = *s;
            }
        }
        if (s[1]) abort();
    } else if (s[0] == '\'') {
        for (s++; *s; s++) {
            if (*s == '\'') {
                if (!s[1]) break;
                if (strncmp(s, "'\\''", 4) != 0) abort();
                *o++ = '\'';
                s += 3;
            } else {
                *o++ = *s;
            }
        }
    } else {
        for (; *s; s++) {
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *s)) abort();
            *o++ = *s;
        }
    }
    *o = '\0';
    return (size_t)(o - start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    memcpy(in, data, size);
    in[size] = '\0';
    char *back = malloc(size * 4 + 8);
    char *d = mpg_escape_for_display(in);
    no_control(d);
    /* read back only when the input has no backslash of its own (the escape is not itself
     * escaped: a display form, not a reversible encoding) */
    if (!strchr(in, '\\') && (unhex(d, back) != strlen(in) || strcmp(back, in) != 0)) abort();
    char *q = mpg_quote_for_shell(in);
    no_control(q);
    if (unquote(q, back) != strlen(in) || strcmp(back, in) != 0) abort();
    if (mpg_safe_for_shell_eval(in) != !strpbrk(in, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"))
        abort();
    free(d);
    free(q);
    free(back);
    free(in);
    return 0;
}
