/* conda_meta.c: conda-meta PrefixRecord reading with jansson. */
#include "conda_meta.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORD ((size_t)32 << 20)

/* mpich2: Anaconda's MPICH package name until 2016 (anaconda-issues#1310). */
static const char *const mpi_packages[] = {
    "mpich", "mpich2", "openmpi", "impi_rt", "intel-mpi", "mvapich", "mvapich2", "mpi", NULL,
};

int mpg_conda_is_mpi_package(const char *name)
{
    for (const char *const *p = mpi_packages; *p; p++)
        if (strcmp(name, *p) == 0) return 1;
    return 0;
}

/* Length of the package name at the start of a record's file name, or 0 when it is not one. */
static size_t record_name_len(const char *filename)
{
    if (!mpg_str_ends(filename, ".json")) return 0;
    size_t n = strlen(filename) - 5;
    /* Walk back over "-<build>" and "-<version>"; names may contain dashes themselves. */
    int dashes = 0;
    while (n > 0 && dashes < 2)
        if (filename[--n] == '-') dashes++;
    return dashes == 2 ? n : 0;
}

char *mpg_conda_record_name(const char *filename)
{
    size_t n = record_name_len(filename);
    return n ? mpg_strndup(filename, n) : NULL;
}

void mpg_conda_mpi_clear(struct mpg_conda_mpi *m)
{
    free(m->name);
    free(m->version);
    free(m->build);
    free(m->channel);
    free(m->libmpi);
    memset(m, 0, sizeof *m);
}

static const char *str_field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The library a bundled MPI package installed: prefer the bare SONAME file. */
static char *bundled_libmpi(json_t *files)
{
    const char *best = NULL;
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        const char *s = json_string_value(f);
        if (!s || !mpg_str_starts(s, "lib/")) continue;
        const char *b = s + 4;
        if (!(mpg_str_starts(b, "libmpi.so") || mpg_str_starts(b, "libmpich.so") ||
              mpg_str_starts(b, "libmpi_abi.so") || mpg_str_starts(b, "release/libmpi.so")))
            continue;
        if (!best || strlen(s) < strlen(best)) best = s;
    }
    return mpg_strdup(best);
}

static bool has_external_feature(json_t *tf)
{
    /* track_features is a space- or comma-separated string in records, a list in some tools. */
    if (json_is_string(tf)) {
        const char *s = json_string_value(tf);
        for (const char *p = strstr(s, "_external"); p; p = strstr(p + 1, "_external"))
            if (p[9] == '\0' || p[9] == ' ' || p[9] == ',') return true;
        return false;
    }
    size_t i;
    json_t *v;
    json_array_foreach(tf, i, v) if (mpg_str_ends(json_string_value(v), "_external")) return true;
    return false;
}

int mpg_conda_parse_record(const char *json, size_t len, struct mpg_conda_mpi *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        if (jerr.line > 0)
            snprintf(err, errlen, "malformed JSON at line %d: %s", jerr.line, jerr.text);
        else /* not about the text: libjansson could not be loaded (src/jansson_lazy.c) */
            snprintf(err, errlen, "not read: %s", jerr.text);
        return -1;
    }
    if (!json_is_object(root) || !str_field(root, "name")) {
        json_decref(root);
        snprintf(err, errlen, "not a conda package record (no \"name\")");
        return -1;
    }
    out->name = mpg_strdup(str_field(root, "name"));
    out->version = mpg_strdup(str_field(root, "version"));
    out->build = mpg_strdup(str_field(root, "build"));
    const char *channel = str_field(root, "channel");
    const char *url = str_field(root, "url");
    out->channel = mpg_strdup(channel);
    json_t *files = json_object_get(root, "files");
    bool no_files = !json_is_array(files) || json_array_size(files) == 0;
    if (!no_files) out->libmpi = bundled_libmpi(files);
    bool on_external_label = (channel && (mpg_str_ends(channel, "/label/mpi-external") ||
                                          strstr(channel, "/label/mpi-external/"))) ||
                             (url && strstr(url, "/label/mpi-external/"));
    bool metapackage = strcmp(out->name, "mpi") == 0;
    out->external = !metapackage && !out->libmpi &&
                    (no_files || mpg_str_starts(out->build, "external_") || on_external_label ||
                     has_external_feature(json_object_get(root, "track_features")));
    json_decref(root);
    return 0;
}

/* ---- what a record said, remembered in the listing cache -------------------------------------
 * Reading a record loads libjansson (~50 k instructions and a dozen system calls in Lmod) and
 * parses it, on every MPI load in the env; the fields it gave are remembered with the record's
 * device, inode and mtime (dircache.h), as one line: "c1" and the five strings, each "!" (none)
 * or "=" and its bytes with '%', '/', blanks and control bytes as %XX, then "1" or "0" for
 * external. A value that does not decode exactly so is not used: the record is read. */
#define RECORD_MEMO_KIND "conda-record 1"
#define MAX_RECORD_MEMO 4096

char *mpg_conda_record_memo(const struct mpg_conda_mpi *m)
{
    char *f[] = {mpg_dircache_memo_field(m->name), mpg_dircache_memo_field(m->version),
                 mpg_dircache_memo_field(m->build), mpg_dircache_memo_field(m->channel),
                 mpg_dircache_memo_field(m->libmpi)};
    char *line = mpg_concat("c1 ", f[0], " ", f[1], " ", f[2], " ", f[3], " ", f[4], m->external ? " 1" : " 0", NULL);
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) free(f[i]);
    return line;
}

bool mpg_conda_record_from_memo(const char *line, struct mpg_conda_mpi *m)
{
    memset(m, 0, sizeof *m);
    char **fields[] = {&m->name, &m->version, &m->build, &m->channel, &m->libmpi};
    if (strncmp(line, "c1 ", 3) != 0) return false;
    const char *s = line + 3;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const char *e = strchr(s, ' ');
        if (!e || !mpg_dircache_memo_unfield(s, (size_t)(e - s), fields[i])) {
            mpg_conda_mpi_clear(m);
            return false;
        }
        s = e + 1;
    }
    if (!m->name || (strcmp(s, "0") != 0 && strcmp(s, "1") != 0)) {
        mpg_conda_mpi_clear(m);
        return false;
    }
    m->external = s[0] == '1';
    return true;
}

/* The record at path: from the cache while the file is unchanged, else read and parsed (and
 * remembered). Returns 0; -1 with err filled (malformed); -2 with errno (unreadable). */
static int read_record(const char *path, struct mpg_dircache *cache, struct mpg_conda_mpi *rec, char *err,
                       size_t errlen)
{
    char *memo = NULL;
    bool hit = mpg_dircache_memo_get(cache, path, RECORD_MEMO_KIND, &memo) && mpg_conda_record_from_memo(memo, rec);
    free(memo);
    if (hit) return 0;
    size_t len = 0;
    char *text = mpg_read_file(path, MAX_RECORD, &len);
    if (!text) return -2;
    int rc = mpg_conda_parse_record(text, len, rec, err, errlen);
    free(text);
    if (rc != 0) return rc;
    char *line = mpg_conda_record_memo(rec);
    if (strlen(line) <= MAX_RECORD_MEMO) mpg_dircache_memo_put(cache, path, RECORD_MEMO_KIND, line);
    free(line);
    return 0;
}

/* The records worth knowing about: MPI packages, python and mpi4py. An env has thousands of
 * records and a cold listing asks about each: decided on the first letter, then by comparing
 * names in place (no copy); the name's end is looked for only when a wanted name starts it. */
static bool want_record(const char *fname)
{
    char c0 = fname[0];
    if (c0 != 'm' && c0 != 'o' && c0 != 'i' && c0 != 'p') return false;
    static const char *const extra[] = {"python", "mpi4py", NULL};
    for (const char *const *list = mpi_packages; list; list = list == mpi_packages ? extra : NULL)
        for (const char *const *w = list; *w; w++) {
            if ((*w)[0] != c0) continue;
            size_t n = strlen(*w);
            if (strncmp(fname, *w, n) == 0 && fname[n] == '-' && record_name_len(fname) == n) return true;
        }
    return false;
}

void mpg_conda_scan(const char *prefix, struct mpg_dircache *cache, struct mpg_conda_scan *out, struct mpg_strv *problems)
{
    memset(out, 0, sizeof *out);
    char *meta = mpg_path_join(prefix, "conda-meta");
    struct mpg_strv files = {0};
    if (mpg_dircache_list(cache, meta, "conda", want_record, &files) != 0) {
        mpg_strv_push(problems, mpg_printf("cannot list %s: %s", meta, strerror(errno)));
        free(meta);
        return;
    }
    size_t cap = 0;
    for (size_t f = 0; f < files.n; f++) {
        const char *fname = files.v[f];
        char *name = mpg_conda_record_name(fname);
        if (!name) continue;
        bool is_python = strcmp(name, "python") == 0, is_mpi4py = strcmp(name, "mpi4py") == 0;
        if (is_python || is_mpi4py) {
            /* The file name carries the version: no need to open the record. */
            const char *v = fname + strlen(name) + 1;
            const char *dash = strchr(v, '-');
            char *ver = mpg_strndup(v, dash ? (size_t)(dash - v) : strlen(v));
            if (is_python) {
                free(out->python_version);
                out->python_version = mpg_version_major_minor(ver);
                free(ver);
            } else {
                free(out->mpi4py_version);
                out->mpi4py_version = ver;
            }
        }
        if (!mpg_conda_is_mpi_package(name)) {
            free(name);
            continue;
        }
        free(name);
        char *path = mpg_path_join(meta, fname);
        struct mpg_conda_mpi rec;
        char err[256];
        int rc = read_record(path, cache, &rec, err, sizeof err);
        if (rc == -2) {
            mpg_strv_push(problems, mpg_printf("cannot read %s: %s", path, strerror(errno)));
        } else if (rc != 0) {
            mpg_strv_push(problems, mpg_printf("%s: %s; record skipped", path, err));
        } else {
            if (out->n_mpi == cap) {
                cap = cap ? cap * 2 : 4;
                out->mpi = mpg_xrealloc(out->mpi, cap * sizeof *out->mpi);
            }
            out->mpi[out->n_mpi++] = rec;
        }
        free(path);
    }
    mpg_strv_free(&files);
    free(meta);
}

void mpg_conda_scan_free(struct mpg_conda_scan *s)
{
    for (size_t i = 0; i < s->n_mpi; i++) mpg_conda_mpi_clear(&s->mpi[i]);
    free(s->mpi);
    free(s->mpi4py_version);
    free(s->python_version);
    memset(s, 0, sizeof *s);
}
