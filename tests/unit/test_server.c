/*
 * test_server.c — the server's JSON output buffer (server/json.c): UTF-8 validation and JSON
 * string escaping, table-driven; limits of the bounded buffer.
 */
#include "harness.h"
#include "server.h"

#include <stdlib.h>

static void test_utf8_valid(void)
{
    static const struct {
        const char *s;
        int valid;
    } rows[] = {
        {"", 1},
        {"abc", 1},
        {"\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa7\xd9\x82", 1}, /* العراق */
        {"\xe2\x82\xac", 1},                                     /* € */
        {"\xf0\x9f\x93\xb0", 1},                                 /* 📰 */
        {"\xff", 0},
        {"\xd8", 0},             /* cut two-byte sequence */
        {"\xe2\x82", 0},         /* cut three-byte sequence */
        {"\xc0\xaf", 0},         /* overlong '/' */
        {"\xe0\x80\xaf", 0},     /* overlong '/' */
        {"\xed\xa0\x80", 0},     /* a surrogate */
        {"\xf4\x90\x80\x80", 0}, /* past U+10FFFF */
        {"\x80", 0},             /* a lone continuation byte */
        {"a\xd8\xa7z", 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK_INT(srv_utf8_valid(rows[i].s, strlen(rows[i].s)), rows[i].valid);
}

static void test_json_str(void)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"", "\"\""},
        {"abc", "\"abc\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"line\nnext\ttab\r", "\"line\\nnext\\ttab\\r\""},
        {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
        {"</script>", "\"\\u003c/script>\""},
        {"\xd8\xae\xd8\xa8\xd8\xb1", "\"\xd8\xae\xd8\xa8\xd8\xb1\""}, /* خبر kept as is */
        {"a\xffz", "\"a\xef\xbf\xbdz\""},                             /* invalid → U+FFFD */
        {"\xd8", "\"\xef\xbf\xbd\""},                                 /* cut → U+FFFD */
        {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* surrogate bytes */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        srv_buf b;
        srv_buf_init(&b, 1024);
        srv_buf_json_str(&b, rows[i].in, strlen(rows[i].in));
        CHECK(!b.failed);
        CHECK_STR_MSG(b.p, rows[i].out, rows[i].in);
        srv_buf_free(&b);
    }
}

static void test_buf_limits(void)
{
    srv_buf b;
    srv_buf_init(&b, 16);
    srv_buf_puts(&b, "0123456789");
    CHECK(!b.failed);
    CHECK_INT(b.n, 10);
    srv_buf_puts(&b, "0123456789"); /* past the maximum: sticky failure, content kept */
    CHECK(b.failed);
    CHECK_INT(b.n, 10);
    srv_buf_puts(&b, "x");
    CHECK_INT(b.n, 10);
    srv_buf_free(&b);

    srv_buf_init(&b, 1 << 20);
    for (int i = 0; i < 1000; i++)
        srv_buf_printf(&b, "%d,", i);
    CHECK(!b.failed);
    CHECK(b.n > 3000 && b.p[b.n] == 0);
    char big[600];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = 0;
    size_t before = b.n;
    srv_buf_printf(&b, "[%s]", big); /* longer than the printf fast path */
    CHECK_INT(b.n, before + sizeof big + 1);
    srv_buf_free(&b);

    srv_buf err;
    srv_buf_init(&err, 4096);
    CHECK_INT(srv_error_json(&err, 404, "not_found", "no \"such\" id"), 404);
    CHECK_STR(err.p, "{\"error\":{\"code\":\"not_found\",\"message\":\"no \\\"such\\\" id\"}}");
    srv_buf_free(&err);
}

int main(void)
{
    test_utf8_valid();
    test_json_str();
    test_buf_limits();
    return kbt_summary();
}
