/* libFuzzer target: $ORIGIN expansion of an RPATH/RUNPATH entry (both come from the user's
 * files): the input is "dir\0origin". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 2);
    memcpy(text, data, size);
    text[size] = text[size + 1] = '\0';
    const char *dir = text, *origin = text + strlen(text) + 1;
    if (origin > text + size) origin = "";
    char *out = mpg_loader_expand_origin(dir, origin);
    if (out && !strstr(dir, "ORIGIN") && strcmp(out, dir) != 0) abort(); /* nothing to expand */
    free(out);
    out = mpg_loader_expand_origin(dir, NULL);
    free(out);
    free(text);
    return 0;
}
