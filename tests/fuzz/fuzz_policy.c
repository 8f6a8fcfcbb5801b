/* libFuzzer target for the site policy parser:
 *   clang -fsanitize=fuzzer,address,undefined -Isrc src/policy.c tests/fuzz/fuzz_policy.c \
 *         <libmpiguard or a verdict stub> -o fuzz_policy
 * Whatever the bytes, parsing must end in 0 or -1 with a message, and the policy (parsed or
 * defaults) must be usable and freeable. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpg_policy p;
    char err[256];
    err[0] = '\0';
    int rc = mpg_policy_parse(&p, (const char *)data, size, "fuzz.conf", err, sizeof err);
    if (rc != 0 && (rc != -1 || strncmp(err, "fuzz.conf:", 10) != 0))
        __builtin_trap();
    (void)mpg_policy_action(&p, "ABI_MISMATCH");
    (void)mpg_policy_exempt(&p, "alice", "/home/alice/.conda/envs/x");
    mpg_policy_free(&p);
    return 0;
}
