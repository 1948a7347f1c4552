/* test_analyzer.c — placeholder; the analyzer work replaces it. */
#include "harness.h"
#include "khabar.h"

int main(void)
{
    kb_analyzer *a = kb_analyzer_new(NULL);
    CHECK(a != NULL);
    kb_analyzer_free(a);
    return kbt_summary();
}
