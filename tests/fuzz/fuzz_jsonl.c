/* fuzz_jsonl.c — the reader's JSON path (JSON lines, and JSON arrays when the input starts with
 * '[') over arbitrary bytes; see fuzz_reader.h. */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_reader(data, size, KB_FORMAT_JSONL, "fuzz.jsonl", 1);
}
