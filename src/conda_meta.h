/* conda_meta.h: the MPI packages a conda env records in conda-meta/, classified bundled (the
 * package installed its own libmpi) or external (conda-forge's mpi-external builds: no library,
 * the system's MPI is used). Only records whose file name names an MPI package are opened, so an
 * env with thousands of packages costs a directory listing and a handful of small reads. */
#ifndef MPG_CONDA_META_H
#define MPG_CONDA_META_H

#include <stdbool.h>
#include <stddef.h>

#include "dircache.h"
#include "mpiguard.h"
#include "util.h"

struct mpg_conda_scan {
    struct mpg_conda_mpi *mpi;
    size_t n_mpi;
    char *mpi4py_version; /* conda's own mpi4py record, if any */
    char *python_version; /* "3.11" from the python record */
};

/* Scans prefix/conda-meta. Unreadable or malformed records become problems, not failures. */
void mpg_conda_scan(const char *prefix, struct mpg_dircache *cache, struct mpg_conda_scan *out, struct mpg_strv *problems);
void mpg_conda_scan_free(struct mpg_conda_scan *s);

/* Parses one PrefixRecord (JSON text). Returns 0, or -1 with err filled. */
int mpg_conda_parse_record(const char *json, size_t len, struct mpg_conda_mpi *out, char *err, size_t errlen);
void mpg_conda_mpi_clear(struct mpg_conda_mpi *m);

/* A record's fields as one line for the listing cache (malloc'd; no '/', tab or newline), and
 * back: false (m cleared) for any line that is not exactly such a line. */
char *mpg_conda_record_memo(const struct mpg_conda_mpi *m);
bool mpg_conda_record_from_memo(const char *line, struct mpg_conda_mpi *m);

/* Package name of a conda-meta file name "<name>-<version>-<build>.json", malloc'd, or NULL. */
char *mpg_conda_record_name(const char *filename);

/* True for the conda package names that carry an MPI library (or the `mpi` metapackage). */
int mpg_conda_is_mpi_package(const char *name);

#endif
