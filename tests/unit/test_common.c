/*
 * test_common.c — errors, the allocator hook, buffers, UTF-8 decoding.
 */
#include "harness.h"
#include "khabar_int.h"

#include <stdlib.h>

static void test_errors(void)
{
    CHECK_STR(kb_err_name(KB_ECORRUPT), "KB_ECORRUPT");
    CHECK_STR(kb_strerror(KB_ENOMEM), "out of memory");
    CHECK_STR(kb_err_name(12345), "KB_EUNKNOWN");
    CHECK_INT(KB_OK, 0);
    CHECK(KB_EINTERNAL < 0);
}

static int fail_after;
static void *counting_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return fail_after-- > 0 ? malloc(n) : NULL;
}
static void *counting_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return fail_after-- > 0 ? realloc(p, n) : NULL;
}
static void counting_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static void test_allocator_hook(void)
{
    kb_allocator a = {counting_malloc, counting_realloc, counting_free, NULL};
    kb_set_allocator(&a);
    fail_after = 1;
    kb_buf b;
    kb__buf_init(&b, 0);
    kb__buf_puts(&b, "first allocation succeeds");
    CHECK_INT(b.rc, 0);
    for (int i = 0; i < 100; i++)
        kb__buf_puts(&b, "then growth fails ");
    CHECK_INT(b.rc, KB_ENOMEM);
    kb__buf_puts(&b, "sticky");
    CHECK_INT(b.rc, KB_ENOMEM);
    kb__buf_free(&b);
    kb_set_allocator(NULL);
}

static void test_buf(void)
{
    kb_buf b;
    kb__buf_init(&b, 8);
    kb__buf_puts(&b, "1234");
    kb__buf_printf(&b, "%d", 5678);
    CHECK_STR(b.p, "12345678");
    kb__buf_putc(&b, '9');
    CHECK_INT(b.rc, KB_ETOOBIG);
    kb__buf_free(&b);
    kb__buf_init(&b, 0);
    kb__buf_json_str(&b, "a\"\n\x01", 4);
    CHECK_STR(b.p, "a\\\"\\n\\u0001");
    kb__buf_free(&b);
}

static void test_utf8(void)
{
    static const struct {
        const char *in;
        int32_t cp;
        size_t len;
        int invalid;
    } rows[] = {
        {"a", 'a', 1, 0},
        {"\xd8\xb9", 0x0639, 2, 0},         /* ع */
        {"\xef\xbb\xbf", 0xFEFF, 3, 0},     /* BOM */
        {"\xf0\x9f\x98\x80", 0x1F600, 4, 0},
        {"\x80", 0xFFFD, 1, 1},             /* stray continuation */
        {"\xc0\xaf", 0xFFFD, 1, 1},         /* overlong */
        {"\xed\xa0\x80", 0xFFFD, 1, 1},     /* surrogate */
        {"\xd8", 0xFFFD, 1, 1},             /* truncated */
        {"\xf5\x80\x80\x80", 0xFFFD, 1, 1}, /* above U+10FFFF */
    };
    for (size_t i = 0; i < KB_ARRAY_LEN(rows); i++) {
        int32_t cp;
        int bad;
        size_t n = kb__utf8_decode((const unsigned char *)rows[i].in, strlen(rows[i].in), &cp, &bad);
        CHECK_INT(cp, rows[i].cp);
        CHECK_INT(n, rows[i].len);
        CHECK_INT(bad, rows[i].invalid);
    }
    char out[4];
    CHECK_INT(kb__utf8_encode(0x0639, out), 2);
    CHECK(memcmp(out, "\xd8\xb9", 2) == 0);
    CHECK_INT(kb__utf8_encode(0xD800, out), 3); /* surrogates encode as U+FFFD */
}

int main(void)
{
    test_errors();
    test_allocator_hook();
    test_buf();
    test_utf8();
    return kbt_summary();
}
