/* fuzz_analyze.c — placeholder harness: analyzer over arbitrary bytes. */
#include "khabar.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kb_analyzer *a;
    if (!a)
        a = kb_analyzer_new(NULL);
    kb_token t;
    kb_analyzer_reset(a, (const char *)data, size);
    while (kb_analyzer_next(a, &t) > 0) {
    }
    return 0;
}
