/* html.c — placeholder until the extractor lands: every page falls back to text cleaning. */
#include "khabar_int.h"

void kb__html_doc_init(kb__html_doc *d)
{
    memset(d, 0, sizeof *d);
}

void kb__html_doc_free(kb__html_doc *d)
{
    (void)d;
}

int kb__html_extract(kb__html_doc *d, const char *html, size_t n)
{
    (void)d, (void)html, (void)n;
    return KB_EPARSE;
}
