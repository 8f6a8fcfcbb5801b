/* helpers.h: building real env shapes on disk for the unit tests. The fixtures (shared objects
 * compiled against Debian's real MPICH and Open MPI) come from fixtures.sh, run once per test run. */
#ifndef MPG_TEST_HELPERS_H
#define MPG_TEST_HELPERS_H

#include <stdbool.h>

#include "mpiguard.h"

/* Fixture folder built by fixtures.sh. */
const char *fx(void);
/* fx()/name, malloc'd. */
char *fxp(const char *name);
/* A fresh temporary folder for one test. */
char *scratch(void);

void mkdirs(const char *path);
void write_file(const char *path, const char *text);
void copy_file(const char *from, const char *to);
char *joinp(const char *a, const char *b);
char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* realpath(p), kept like fmt()'s strings; the test fails when p does not exist. */
char *canon_path(const char *p);

/* An environment under construction. */
struct envb {
    char *v[512];
    int n;
};
void envb_init(struct envb *e); /* PATH=/usr/bin:/bin, HOME=<scratch>, PYTHONNOUSERSITE unset */
void envb_set(struct envb *e, const char *name, const char *value);
void envb_prepend_path(struct envb *e, const char *name, const char *dir);
const char *envb_get(const struct envb *e, const char *name);
void envb_free(struct envb *e);

/* Loaded module shapes: "mpich" (a site MPICH providing libmpi.so.12), "mpich-debian" (only
 * Debian's libmpich.so.12), "openmpi" (Debian's Open MPI). */
void load_module(struct envb *e, const char *which);

/* Env shapes. */
char *make_conda(const char *root, const char *name); /* python 3.11 with conda's RPATH */
void conda_record(const char *prefix, const char *name, const char *version, const char *build,
                  const char *channel, const char *files_json, const char *extra_json);
char *make_venv(const char *root, const char *name, bool system_site);
char *site_dir(const char *prefix); /* prefix/lib/python3.11/site-packages */
/* Installs mpi4py into site: MPI.cpython-311-x86_64-linux-gnu.so = fixture ext, dist-info with INSTALLER. */
void put_mpi4py(const char *site, const char *ext_fixture, const char *installer, const char *mpicc_cfg);
void activate_conda(struct envb *e, const char *prefix, const char *name);
void activate_venv(struct envb *e, const char *prefix);

/* mpg_check() on e, then the differential check of every package against the real loader
 * (oracle_check.c; MPG_NO_ORACLE=1 turns it off when debugging). */
struct mpg_report *run_check(struct envb *e, const char *env_prefix);
void oracle_agrees(struct envb *e, const struct mpg_report *r);
const struct mpg_finding *finding(const struct mpg_report *r, const char *code);
int count_findings(const struct mpg_report *r, const char *code);
/* All finding codes joined with spaces, for assertion messages. */
char *codes(const struct mpg_report *r);
/* Expects exactly these finding codes ("(none)" for none), in a Criterion test. */
#define EXPECT_CODES(r, want)                                                                     \
    do {                                                                                          \
        char *got_ = codes(r);                                                                    \
        cr_expect_str_eq(got_, want, "findings: got [%s], want [%s]", got_, want);                \
        free(got_);                                                                               \
    } while (0)

#endif
