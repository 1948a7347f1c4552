/*
 * fuzz_decode.c — the decoder (decompression, encoding detection and conversion, UTF-8 repair)
 * over arbitrary bytes. The first byte picks an encoding override (or detection); the rest is
 * the file. Whatever the input, the output must be valid UTF-8 without CR, and the repairs
 * counted per record must never exceed the total.
 */
#include "khabar_int.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const enc[] = {NULL,       "UTF-8",      "WINDOWS-1256",
                                      "UTF-16LE", "ISO-8859-6", "UTF-16"};
    if (size < 1) return 0;
    kb_decoder *d = kb__decoder_new(enc[data[0] % (sizeof enc / sizeof enc[0])]);
    if (!d) return 0;
    kb__decoder_start_mem(d, data + 1, size - 1);
    kb_buf out;
    kb__buf_init(&out, (size_t)64 << 20);
    int rc;
    while ((rc = kb__decoder_read(d, &out)) > 0) {
    }
    /* the oracle: valid UTF-8, no CR */
    for (size_t i = 0; i < out.n;) {
        int32_t cp;
        int bad;
        size_t k = kb__utf8_decode((const unsigned char *)out.p + i, out.n - i, &cp, &bad);
        if (bad || cp == '\r') abort();
        i += k;
    }
    if (kb__decoder_take_repairs(d, UINT64_MAX) > kb__decoder_repaired_total(d)) abort();
    kb__buf_free(&out);
    kb__decoder_free(d);
    return 0;
}
