/* libFuzzer target: LOADEDMODULES values and module names (mpi_module.c): the first line is
 * the family's module name, the rest the list of loaded modules; also run through the whole
 * module discovery with the value as LOADEDMODULES and as a family variable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    const char *family = nl ? text : NULL;
    const char *loaded = nl ? nl + 1 : text;
    if (nl) *nl = '\0';
    const char *const sites[] = {"pe-mpi", "", NULL};
    char *name, *version;
    if (mpg_loaded_mpi_module(loaded, family, sites, &name, &version)) {
        (void)mpg_is_mpi_module_name(name, sites);
        free(name);
        free(version);
    }
    char *lm = malloc(strlen(loaded) + 16), *fam = malloc(strlen(family ? family : "") + 20);
    if (lm && fam) {
        strcpy(lm, "LOADEDMODULES=");
        strcat(lm, loaded);
        strcpy(fam, "LMOD_FAMILY_MPI=");
        strcat(fam, family ? family : "");
        const char *vars[] = {"PATH=/usr/bin:/bin", lm, fam, "EBROOTOPENMPI=/nonexistent", NULL};
        struct mpg_envsnap env = {.vars = vars};
        struct mpg_strv problems = {0};
        struct mpg_module m;
        mpg_module_discover(&env, NULL, sites, NULL, &m, &problems);
        mpg_module_clear(&m);
        mpg_strv_free(&problems);
    }
    free(lm);
    free(fam);
    free(text);
    return 0;
}
