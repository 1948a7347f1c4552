/*
 * fuzz_decode.c — the decoder (decompression, encoding detection and conversion, UTF-8 repair)
 * over arbitrary bytes. The first byte picks an encoding override (or detection); the rest is
 * the file. Whatever the input, the output must be valid UTF-8 without CR, and the repairs
 * counted per record must never exceed the total. With UTF-8 forced (and uncompressed input
 * read without error), the output must be the input decoded one code point at a time (a leading BOM dropped, CR LF and CR → LF, each invalid
 * byte → U+FFFD): the oracle of validate()'s word-at-a-time fast path.
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
    const unsigned char *in = data + 1;
    size_t n = size - 1;
    int compressed = (n >= 2 && in[0] == 0x1f && in[1] == 0x8b) ||
                     (n >= 4 && !memcmp(in, "\x28\xb5\x2f\xfd", 4));
    if (data[0] % (sizeof enc / sizeof enc[0]) == 1 && rc == 0 && !compressed) {
        size_t i = 0, o = 0;
        if (n >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF) i = 3;
        while (i < n) {
            int32_t cp;
            int bad;
            size_t k = kb__utf8_decode(in + i, n - i, &cp, &bad);
            const char *want = (const char *)in + i;
            size_t want_n = k;
            if (bad) {
                want = "\xEF\xBF\xBD";
                want_n = 3;
            } else if (cp == '\r') {
                want = "\n";
                if (i + 1 < n && in[i + 1] == '\n') k = 2;
            }
            if (o + want_n > out.n || memcmp(out.p + o, want, want_n)) abort();
            o += want_n;
            i += k;
        }
        if (o != out.n) abort();
    }
    if (kb__decoder_take_repairs(d, UINT64_MAX) > kb__decoder_repaired_total(d)) abort();
    kb__buf_free(&out);
    kb__decoder_free(d);
    return 0;
}
