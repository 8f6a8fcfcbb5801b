/* libFuzzer target: a site folder's *.dist-info / *.egg-info folder names (the first line of
 * the input) and a dist-info INSTALLER file (the rest). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extensions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    const char *installer = nl ? nl + 1 : "";
    if (nl) *nl = '\0';
    size_t name_len;
    char *version = NULL;
    bool egg;
    if (mpg_dist_info_parse(text, &name_len, &version, &egg)) {
        if (name_len >= strlen(text) || strlen(version) >= strlen(text)) abort();
        free(version);
    }
    char *name = mpg_installer_name(installer);
    if (strpbrk(name, "\r\n")) abort();
    free(name);
    free(text);
    return 0;
}
