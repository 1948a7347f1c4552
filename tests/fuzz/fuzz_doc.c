/* fuzz_doc.c — the reader's TREC <DOC> path over arbitrary bytes; see fuzz_reader.h. */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_reader(data, size, KB_FORMAT_DOC, "fuzz.doc", 0);
}
