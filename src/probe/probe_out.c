/* probe_out.c: see probe_out.h. */
#include "probe_out.h"

#include <stdlib.h>
#include <string.h>

static void probe_out_text(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

void probe_out_header(FILE *f) { fprintf(f, "#%s\n", PROBE_OUT_SCHEMA); }

void probe_out_info(FILE *f, const char *key, const char *v1, const char *v2)
{
    fprintf(f, "info\t%s\t", key);
    probe_out_text(f, v1);
    if (v2) {
        fputc('\t', f);
        probe_out_text(f, v2);
    }
    fputc('\n', f);
}

void probe_out_status(FILE *f, const char *leg, const char *state, const char *reason)
{
    fprintf(f, "status\t%s\t%s\t", leg, state);
    probe_out_text(f, reason);
    fputc('\n', f);
}

void probe_out_bw(FILE *f, const char *leg, size_t size, double mbps, int iters)
{
    fprintf(f, "bw\t%s\t%zu\t%.2f\t%d\n", leg, size, mbps, iters);
}

void probe_out_lat(FILE *f, const char *leg, size_t size, double us)
{
    fprintf(f, "lat\t%s\t%zu\t%.3f\n", leg, size, us);
}

struct probe_leg *probe_results_leg(struct probe_results *r, const char *leg)
{
    if (!strcmp(leg, "verbs"))
        return &r->verbs;
    if (!strcmp(leg, "mpi"))
        return &r->mpi;
    if (!strcmp(leg, "mpi4py"))
        return &r->mpi4py;
    return NULL;
}

double probe_leg_mbps(const struct probe_leg *l, size_t size)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->sizes[i] == size)
            return l->mbps[i];
    return -1;
}

/* Splits line (modified in place) at tabs; returns how many fields. */
static size_t probe_out_fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

static void probe_out_copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static void probe_out_line(char *line, struct probe_results *r)
{
    char *f[6] = {0};
    size_t n = probe_out_fields(line, f, 6);
    if (n < 3)
        return;
    if (!strcmp(f[0], "info")) {
        const char *v2 = n > 3 ? f[3] : "";
        if (!strcmp(f[1], "hosts")) {
            probe_out_copy(r->host0, sizeof r->host0, f[2]);
            probe_out_copy(r->host1, sizeof r->host1, v2);
        } else if (!strcmp(f[1], "libmpi")) {
            probe_out_copy(r->libmpi, sizeof r->libmpi, f[2]);
            probe_out_copy(r->abi, sizeof r->abi, v2);
        } else if (!strcmp(f[1], "mpi_version")) {
            probe_out_copy(r->mpi_version, sizeof r->mpi_version, f[2]);
        } else if (!strcmp(f[1], "verbs_device")) {
            probe_out_copy(r->verbs_device, sizeof r->verbs_device, f[2]);
        } else if (!strcmp(f[1], "mpi4py_library")) {
            probe_out_copy(r->mpi4py_library, sizeof r->mpi4py_library, f[2]);
        }
        return;
    }
    struct probe_leg *l = probe_results_leg(r, f[1]);
    if (!l)
        return;
    if (!strcmp(f[0], "status") && n >= 3) {
        /* A failure or "0 of 1" from any rank outranks an "ok". */
        if (!l->state[0] || !strcmp(l->state, "ok"))
            probe_out_copy(l->state, sizeof l->state, f[2]);
        if (n > 3 && (!l->reason[0] || strcmp(f[2], "ok")))
            probe_out_copy(l->reason, sizeof l->reason, f[3]);
        l->n_status++;
        l->seen = true;
    } else if (!strcmp(f[0], "bw") && n >= 5 && l->n < PROBE_MAX_SIZES) {
        l->sizes[l->n] = strtoull(f[2], NULL, 10);
        l->mbps[l->n] = strtod(f[3], NULL);
        l->iters[l->n] = atoi(f[4]);
        l->n++;
        l->seen = true;
    } else if (!strcmp(f[0], "lat") && n >= 4) {
        l->lat_us = strtod(f[3], NULL);
        l->seen = true;
    }
}

void probe_out_parse(const char *text, struct probe_results *r)
{
    char *copy = strdup(text ? text : "");
    if (!copy)
        return;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        probe_out_line(line, r);
    }
    free(copy);
}
