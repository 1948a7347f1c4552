/*
 * test_serve.c — the server's answer cache (server/server.c, answer()) on the search fixture,
 * driven without a connection: a repeated question is answered from the cache, and a search that
 * ran out of its time budget is never kept there (another try may have more time, and a kept
 * partial answer would be served until the next commit).
 *
 * No timing: the time budget reads the test clock of test_budget.c (kb__budget_clock moves 1 ms
 * on every read, read on every round: kb__budget_every = 1), so timeout=1 runs out at the
 * search's first check, on every run, and timeout=5000 never does on ten articles. server.c's
 * request handling is static, so this file includes server.c (like tests/fuzz/fuzz_http.c).
 */
#include "../../server/server.c"

#include "harness.h"
#include "khabar_int.h"
#include "search_fixture.h"

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
    return fake_now += 1000;
}

/* GET target through parse_uri and answer(); the answer in b (freed by the caller), the
 * request's cache state (1: from the cache, 2: computed) in *cache_state. */
static int get(server *s, const char *target, srv_buf *b, int *cache_state)
{
    req rq;
    memset(&rq, 0, sizeof rq);
    rq.uri = strdup(target);
    const char *why = NULL;
    int status = rq.uri ? parse_uri(&rq, &why) : 500;
    CHECK_INT(status, 0);
    srv_buf_init(b, SRV_MAX_ANSWER_BYTES);
    if (!status) status = answer(s, &rq, "GET", b);
    *cache_state = rq.cache_state;
    free(rq.arena);
    free(rq.uri);
    return status;
}

/* Asks target twice; checks the status, whether the answer says it timed out, and where the
 * second answer came from (1: the cache, 2: computed again). */
static void ask_twice(server *s, const char *target, int timed_out, int second_state)
{
    const char *mark = timed_out ? "\"timed_out\":true" : "\"timed_out\":false";
    for (int i = 0; i < 2; i++) {
        srv_buf b;
        int state = 0;
        CHECK_INT(get(s, target, &b, &state), 200);
        CHECK(!b.failed && b.p && strstr(b.p, mark));
        if (!timed_out) CHECK(b.p && strstr(b.p, "\"id\":\"d01\""));
        CHECK_INT(state, i ? second_state : 2);
        srv_buf_free(&b);
    }
}

#define Q_IRAQ "/api/search?q=%D8%A7%D9%84%D8%B9%D8%B1%D8%A7%D9%82" /* العراق */

int main(void)
{
    char dir[64];
    kb_index *ix = fixture_index(dir);
    CHECK(ix != NULL);
    if (!ix) return kbt_summary();
    kb_index_close(ix);
    server s;
    memset(&s, 0, sizeof s);
    char err[256];
    CHECK_INT(srv_api_open(dir, 1, 0, 0, &s.api, err, sizeof err), 0);
    s.cache = kb_cache_new((size_t)1 << 20);
    CHECK(s.cache != NULL);
    srv_api_set_cache(s.api, s.cache);

    uint64_t (*real_clock)(void) = kb__budget_clock;
    uint32_t real_every = kb__budget_every;
    kb__budget_clock = fake_clock;
    kb__budget_every = 1;
    /* Out of time at the first check: a partial answer, computed again when asked again. */
    ask_twice(&s, Q_IRAQ "&timeout=1", 1, 2);
    /* The same question with time enough: kept, the second answer from the cache. */
    ask_twice(&s, Q_IRAQ "&timeout=5000", 0, 1);
    /* And the server's default budget (no timeout parameter). */
    ask_twice(&s, Q_IRAQ, 0, 1);
    kb__budget_clock = real_clock;
    kb__budget_every = real_every;

    srv_api_close(s.api);
    kb_cache_free(s.cache);
    fixture_remove(dir);
    return kbt_summary();
}
