/*
 * fuzz_search.c — a differential harness for search evaluation: the postings cursor across
 * blocks and commits, and the pruned top-k (block-max, MaxScore, written-form gate and leading
 * forms, two phases, deferred phrases, the any-word second stage) against the exhaustive
 * evaluation (exact_total turns pruning off, src/search.c).
 *
 * The input describes (a) a collection: up to MAX_DOCS articles whose title and blocks are words
 * of a fixed vocabulary (stem families with common and rare clitic forms, stopwords, numbers,
 * each word as often as its share says), added,
 * replaced (same id) and deleted over one to three commits, so lists span several blocks (past
 * KB_BLOCK_MAX documents), small ones stay inline, and dead documents are in the postings; and
 * (b) up to 8 queries made of the same words and of OR, parentheses, quotes, -, title:, source:
 * and date:, each with its options (any-word or not, limit, offset, collapsing, snippets). When
 * the input runs out a generator seeded by its first bytes goes on, so a few bytes make a full
 * collection. The index is built in one temporary directory (reused), with the CLI's options
 * (light stemmer) and without duplicate signatures (slow, and collapsing is then a no-op), in
 * /dev/shm when there is one. Header bytes: documents (2), flags (commits, ranking variant,
 * compaction, a read-only handle for the searches kept across the commits, else the writer's
 * own handle reading each commit, the commit's encoder thread), queries.
 *
 * For each query it checks, and aborts when one breaks:
 *   - the pruned answer is the exhaustive ranking from offset on: same ids and scores (within
 *     1e-9 relative, as tests/unit/test_search.c: MaxScore sums in another order), where
 *     documents whose scores differ by less than that may come in either order;
 *   - no document twice, scores non-increasing, every hit live and carrying its current
 *     metadata, totals consistent (exact when not pruned, never below what was shown, never
 *     above the live documents), the every-word fallback taken alike;
 *   - the exhaustive matches are exactly the documents a model evaluation of the parsed query
 *     over the collection finds (terms by stem or written form, title only, phrases at
 *     consecutive positions, exclusions, source and date filters, the any-word relaxation);
 *   - with a time budget that runs out at a round the query chooses (a test clock read every
 *     round, no timing), the answer is the pruned one, or it says timed_out and its hits are
 *     matches with their exhaustive scores (first-stage rankings), in order, each once.
 * The ranking parameters are set through KHABAR_RANK (one of a few variants, the first being
 * the defaults of src/search.c at the time of writing), so the any-word second stage can be
 * turned off to see its first-stage scores: when the pruned and exhaustive answers of a
 * second-stage ranking differ, they may only do so because the first stage tied at the
 * boundary of the candidates it re-reads (KB__RERANK_K).
 * Built as fuzz_search with -Dfuzzing=true, and as replay_search. Every input costs an index
 * build, so keep the corpus edge-minimized (scripts/fuzz.sh merges by counters, ~900 files and
 * 20 s of ASan replay after 20 minutes): fuzz_search -merge=1 -use_counters=0 NEW OLD.
 */
#include "khabar.h"
#include "index_int.h" /* kb__commit_thread_terms */
#include "khabar_int.h"

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DOCS 400     /* documents created (ids); replacements and deletes come on top */
#define MAX_TITLE 6      /* words */
#define MAX_BLOCKS 3
#define MAX_BLOCK_WORDS 24
#define MAX_QUERIES 8
#define MAX_QTOKENS 12
#define TOL 1e-9 /* relative score tolerance, as test_search */

/* The vocabulary, with each word's share of the 256 byte values that pick a document's words:
 * stem families whose usual form is common and whose clitic forms are rare (so a written form
 * can be far rarer than its stem, as in news, which the form gate and the two phases need),
 * stopwords, question words (the second stage's answer signal) and numbers. At most 80 words
 * (the query bytes pick any of them by index). */
static const struct {
    const char *w;
    int share;
} vocab[] = {
    {"في", 15},       {"من", 10},        {"على", 8},       {"إلى", 5},        {"عن", 4},
    {"أن", 4},        {"التي", 3},       {"هذا", 3},       {"ما", 2},         {"متى", 1},
    {"كم", 1},        {"العراق", 16},    {"والعراق", 6},   {"بالعراق", 3},    {"عراقي", 2},
    {"العراقيون", 1}, {"للعراق", 1},     {"العراقية", 1},  {"مجلس", 6},       {"المجلس", 6},
    {"ومجلس", 1},     {"مجالس", 1},      {"الأمن", 11},    {"الامن", 2},      {"أمن", 2},
    {"الأمني", 1},    {"وللأمن", 1},     {"النفط", 8},     {"ونفط", 1},       {"النفطية", 1},
    {"الأسعار", 6},   {"أسعار", 6},      {"بأسعار", 1},    {"سعر", 2},        {"وزير", 4},
    {"الوزير", 4},    {"الوزراء", 3},    {"وزراء", 1},     {"الحدود", 5},     {"حدود", 2},
    {"يحد", 1},       {"يحدها", 1},      {"بغداد", 6},     {"وبغداد", 1},     {"الحرب", 5},
    {"حرب", 2},       {"والحرب", 1},     {"الكتاب", 3},    {"كتاب", 2},       {"بالكتاب", 1},
    {"الكتب", 1},     {"كتب", 1},        {"قال", 8},       {"وقال", 5},       {"يقول", 2},
    {"1990", 1},      {"2015", 2},       {"الذهب", 2},     {"opec", 1},       {"الانتخابات", 2},
    {"البرلمان", 2},  {"والانتخابات", 1}, {"الاقتصاد", 2}, {"اقتصادي", 1},    {"سوريا", 3},
    {"السوري", 1},    {"لبنان", 2},      {"ولبنان", 1},    {"الرئيس", 5},     {"رئيس", 3},
    {"والرئيس", 1},   {"الحكومة", 5},    {"حكومة", 2},     {"للحكومة", 1},    {"اليوم", 6},
    {"الماضي", 3},    {"الأسبوع", 2},    {"المقبل", 2},    {"مليون", 2},      {"دولار", 2},
};
#define V ((int)(sizeof vocab / sizeof vocab[0]))

/* ---- the input: bytes, then a generator ------------------------------------------------------ */

typedef struct src {
    const uint8_t *p;
    size_t n, i;
    uint64_t x;
} src;

static unsigned byte(src *s)
{
    if (s->i < s->n) return s->p[s->i++];
    s->x ^= s->x << 13;
    s->x ^= s->x >> 7;
    s->x ^= s->x << 17;
    return (unsigned)(s->x >> 40) & 0xff;
}

/* Byte value -> word, by the shares above (filled once). */
static uint8_t word_of_byte[256];

static void fill_word_of_byte(void)
{
    int b = 0;
    for (int w = 0; w < V; w++)
        for (int k = 0; k < vocab[w].share; k++)
            word_of_byte[b++] = (uint8_t)w;
    if (b != 256 || V > 80) {
        fprintf(stderr, "fuzz_search.c: the shares add up to %d, not 256\n", b);
        abort();
    }
}

/* ---- the model --------------------------------------------------------------------------- */

typedef struct mdoc {
    int live, created;
    int src;   /* 0: none, else "sN" */
    int day;   /* 0: no date, else 2015-01-DD */
    uint8_t title[MAX_TITLE], n_title;
    uint8_t body[MAX_BLOCKS * MAX_BLOCK_WORDS], n_body; /* blocks' words in reading order */
    uint8_t blen[MAX_BLOCKS], n_blocks, head_mask;      /* words per block; headings */
} mdoc;

static mdoc docs[MAX_DOCS];
static uint32_t n_created;

/* Per vocabulary word: its normalized form and stem, as the index's analyzer gives them. */
static char w_norm[V][64], w_stem[V][64];

static char dir[64]; /* the index's directory, reused */

static void check_at(int ok, int line, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_search.c:%d: %s\n", line, what);
        if (getenv("KB_FUZZ_KEEP")) fprintf(stderr, "index kept in %s\n", dir);
        abort();
    }
}
#define check(ok, what) check_at((ok), __LINE__, (what))

static void learn_vocab(kb_analyzer *an)
{
    for (int w = 0; w < V; w++) {
        kb_token t;
        kb_analyzer_reset(an, vocab[w].w, strlen(vocab[w].w));
        check(kb_analyzer_next(an, &t) == 1 && t.norm_len < 64 && t.stem_len < 64,
              "a vocabulary word is one token");
        memcpy(w_norm[w], t.norm, t.norm_len + 1);
        memcpy(w_stem[w], t.stem, t.stem_len + 1);
        check(kb_analyzer_next(an, &t) == 0, "a vocabulary word is one token");
    }
}

/* ---- the collection ------------------------------------------------------------------------ */

static void remove_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
}

/* KB_FUZZ_KEEP=1 keeps the last index (its directory is printed) to replay a finding by hand;
 * KB_FUZZ_VERBOSE=1 prints each query with its counts. */
static void cleanup(void)
{
    if (getenv("KB_FUZZ_KEEP")) {
        fprintf(stderr, "index kept in %s\n", dir);
        return;
    }
    remove_files();
    rmdir(dir);
}

static size_t put_words(char *out, const uint8_t *w, uint32_t n)
{
    size_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t l = strlen(vocab[w[i]].w);
        if (i) out[o++] = ' ';
        memcpy(out + o, vocab[w[i]].w, l);
        o += l;
    }
    out[o] = 0;
    return o;
}

static int add_doc(kb_index *ix, uint32_t id)
{
    const mdoc *m = &docs[id];
    char ids[16], date[16], source[8], title[MAX_TITLE * 20];
    char text[MAX_BLOCKS][MAX_BLOCK_WORDS * 20];
    kb_block blocks[MAX_BLOCKS];
    snprintf(ids, sizeof ids, "d%u", id);
    snprintf(date, sizeof date, "2015-01-%02d", m->day);
    snprintf(source, sizeof source, "s%d", m->src);
    kb_article a;
    memset(&a, 0, sizeof a);
    a.id = (kb_slice){ids, strlen(ids)};
    a.date = (kb_slice){date, m->day ? strlen(date) : 0};
    a.source = (kb_slice){source, m->src ? strlen(source) : 0};
    a.title = (kb_slice){title, put_words(title, m->title, m->n_title)};
    uint32_t at = 0;
    for (uint32_t b = 0; b < m->n_blocks; b++) {
        blocks[b].type = (m->head_mask >> b) & 1 ? KB_BLOCK_HEADING : KB_BLOCK_PARAGRAPH;
        blocks[b].text = (kb_slice){text[b], put_words(text[b], m->body + at, m->blen[b])};
        at += m->blen[b];
    }
    a.blocks = blocks;
    a.n_blocks = m->n_blocks;
    a.arabic_share = 1.0;
    /* a.text (what the cleaner joins) is not read by the index: the blocks are */
    return kb_index_add(ix, &a);
}

static void gen_doc(src *s, mdoc *m)
{
    m->n_title = (uint8_t)(byte(s) % (MAX_TITLE + 1));
    for (uint32_t i = 0; i < m->n_title; i++)
        m->title[i] = (uint8_t)word_of_byte[byte(s)];
    unsigned b = byte(s);
    m->n_blocks = (uint8_t)(1 + b % MAX_BLOCKS);
    m->head_mask = (uint8_t)(b >> 4);
    m->src = (int)(b >> 2) % 4;
    m->day = (int)byte(s) % 10;
    m->n_body = 0;
    for (uint32_t k = 0; k < m->n_blocks; k++) {
        m->blen[k] = (uint8_t)(byte(s) % (MAX_BLOCK_WORDS + 1));
        for (uint32_t i = 0; i < m->blen[k]; i++)
            m->body[m->n_body++] = (uint8_t)word_of_byte[byte(s)];
    }
}

/* ---- the model evaluation of a parsed query ------------------------------------------------ */

/* The vocabulary words a term matches, per node of the query being evaluated (set by
 * model_eval before the documents are walked). */
static uint8_t node_words[KB_QUERY_MAX_NODES][V];

static void term_words(const kb__query *q, const kb__qnode *nd, uint8_t *out)
{
    const char *t = kb__query_str(q, nd->exact ? nd->norm : nd->stem);
    size_t n = nd->exact ? nd->norm_len : nd->stem_len;
    for (int w = 0; w < V; w++) {
        const char *x = nd->exact ? w_norm[w] : w_stem[w];
        out[w] = n && strlen(x) == n && !memcmp(x, t, n);
    }
}

static int has_word(const uint8_t *w, uint32_t n, const uint8_t *words)
{
    for (uint32_t i = 0; i < n; i++)
        if (words[w[i]]) return 1;
    return 0;
}

static int in_sequence(const uint8_t *w, uint32_t n, const uint8_t *const *words, uint32_t k)
{
    for (uint32_t i = 0; i + k <= n; i++) {
        uint32_t j = 0;
        while (j < k && words[j][w[i + j]])
            j++;
        if (j == k) return 1;
    }
    return 0;
}

/* Does document m match node id? *undefined is set for shapes the model has no meaning for. */
static int model_match(const kb__query *q, uint32_t id, const mdoc *m, int *undefined)
{
    const kb__qnode *nd = &q->nodes[id];
    int title = nd->field == KB_QF_TITLE;
    switch (nd->type) {
    case KB_QN_TERM: {
        return has_word(m->title, m->n_title, node_words[id]) ||
               (!title && has_word(m->body, m->n_body, node_words[id]));
    }
    case KB_QN_PHRASE: {
        const uint8_t *words[KB_QUERY_MAX_TERMS];
        uint32_t k = 0;
        for (uint32_t c = nd->child; c != KB_QN_NONE; c = q->nodes[c].next) {
            if (k == KB_QUERY_MAX_TERMS) {
                *undefined = 1;
                return 0;
            }
            title |= q->nodes[c].field == KB_QF_TITLE;
            words[k++] = node_words[c];
        }
        if (!k) return 0;
        return in_sequence(m->title, m->n_title, words, k) ||
               (!title && in_sequence(m->body, m->n_body, words, k));
    }
    case KB_QN_AND: {
        int any_pos = 0;
        for (uint32_t c = nd->child; c != KB_QN_NONE; c = q->nodes[c].next) {
            const kb__qnode *k = &q->nodes[c];
            if (k->type == KB_QN_NOT) {
                if (model_match(q, k->child, m, undefined)) return 0;
            } else {
                any_pos = 1;
                if (!model_match(q, c, m, undefined)) return 0;
            }
        }
        if (!any_pos) *undefined = 1;
        return any_pos;
    }
    case KB_QN_OR:
        for (uint32_t c = nd->child; c != KB_QN_NONE; c = q->nodes[c].next) {
            if (q->nodes[c].type == KB_QN_NOT) *undefined = 1; /* NOT means something in an AND */
            if (model_match(q, c, m, undefined)) return 1;
        }
        return 0;
    default:
        *undefined = 1;
        return 0;
    }
}

static uint32_t ymd(const char *s)
{
    if (!s[0]) return 0;
    return (uint32_t)(atoi(s) * 10000 + atoi(s + 5) * 100 + atoi(s + 8));
}

static int model_filters(const kb__query *q, const mdoc *m)
{
    if (q->n_sources) {
        int ok = 0;
        char name[8];
        snprintf(name, sizeof name, "s%d", m->src);
        for (uint32_t i = 0; i < q->n_sources && !ok; i++)
            ok = m->src && q->source_lens[i] == strlen(name) &&
                 !memcmp(kb__query_str(q, q->sources[i]), name, strlen(name));
        if (!ok) return 0;
    }
    uint32_t lo = ymd(q->date_from), hi = ymd(q->date_to);
    if (lo || hi) {
        uint32_t d = m->day ? 20150100u + (uint32_t)m->day : 0;
        if (!d || (lo && d < lo) || (hi && d > hi)) return 0;
    }
    return 1;
}

/* The documents the query matches under the model: match[id] = 1. any: the root AND relaxed
 * to the OR of its parts (its exclusions kept). Returns the count, or -1 when undefined. */
static int model_eval(const kb__query *q, int any, uint8_t *match)
{
    int undefined = 0, count = 0;
    const kb__qnode *root = &q->nodes[q->root];
    if (q->n_nodes > KB_QUERY_MAX_NODES) return -1;
    for (uint32_t i = 0; i < q->n_nodes; i++)
        if (q->nodes[i].type == KB_QN_TERM) term_words(q, &q->nodes[i], node_words[i]);
    for (uint32_t id = 0; id < n_created; id++) {
        const mdoc *m = &docs[id];
        match[id] = 0;
        if (!m->live || !model_filters(q, m)) continue;
        int ok;
        if (any && root->type == KB_QN_AND) {
            int pos = 0, neg = 0;
            for (uint32_t c = root->child; c != KB_QN_NONE; c = q->nodes[c].next) {
                if (q->nodes[c].type == KB_QN_NOT)
                    neg |= model_match(q, q->nodes[c].child, m, &undefined);
                else
                    pos |= model_match(q, c, m, &undefined);
            }
            ok = pos && !neg;
        } else {
            ok = model_match(q, q->root, m, &undefined);
        }
        match[id] = (uint8_t)ok;
        count += ok;
    }
    return undefined ? -1 : count;
}

/* Positive parts of a root AND (what decides the every-word fallback). */
static int root_and_parts(const kb__query *q)
{
    const kb__qnode *root = &q->nodes[q->root];
    if (root->type != KB_QN_AND) return 0;
    int n = 0;
    for (uint32_t c = root->child; c != KB_QN_NONE; c = q->nodes[c].next)
        n += q->nodes[c].type != KB_QN_NOT;
    return n;
}

/* ---- ranking parameters (KHABAR_RANK) ---------------------------------------------------- */

/* w_title w_head w_body b_title b_head b_body k1 form stop prox delta title_cap title_share |
 * rerank root window answer | w_title_any b_title_any | rerank lead. Variant 0: the defaults of
 * search.c. */
static const char *const rank_head[] = {
    "2.5 1.5 1 0.6 0.6 0.75 1.2 0.3 0.2 0 0 1 2",
    "2.5 1.5 1 0.6 0.6 0.75 1.2 0.3 0.2 0.5 0.3 1 2", /* word-pair phrases, BM25+ delta */
    "3 2 1 0.9 0.9 0.9 0.9 1 1 0.2 0 0 0", /* strong forms, no title signals, b at its most */
    "2.5 1.5 1 0.6 0.6 0.75 1.2 0.3 0.2 0 0 1 2",
};
static const char *const rank_rr[] = {"0.3 2 1", "0.3 2 1", "1 1 1", "0 0 0"};
static const char *const rank_tail[] = {"1.5 0.3", "1.5 0.3", "2 0.75", "1.5 0.3"};
static const char *const rank_lead[] = {"1", "1", "2", "0"};

static void set_rank(int variant, int second_stage)
{
    char v[160];
    snprintf(v, sizeof v, "%s %s %s %s", rank_head[variant],
             second_stage ? rank_rr[variant] : "0 0 0", rank_tail[variant],
             second_stage ? rank_lead[variant] : "0");
    setenv("KHABAR_RANK", v, 1);
}

/* ---- queries ----------------------------------------------------------------------------- */

static size_t make_query(src *s, char *out, size_t cap)
{
    static const char *const dates[] = {"date:2015-01-03..2015-01-06", "date:2015-01-05",
                                        "date:..2015-01-04", "date:2015-01-07.."};
    unsigned n = 1 + byte(s) % MAX_QTOKENS;
    size_t o = 0;
    out[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned t = byte(s);
        const char *piece;
        const char *sep = " ";
        char tmp[40];
        if (t < 128) { /* as often as in the documents */
            piece = vocab[word_of_byte[t * 2]].w;
        } else if (t < 208) { /* any word */
            piece = vocab[(t - 128) % V].w;
        } else {
            switch (t % 8) {
            case 0: piece = "OR"; break;
            case 1: piece = "("; sep = ""; break;
            case 2: piece = ")"; break;
            case 3: piece = "\""; sep = ""; break;
            case 4: piece = "-"; sep = ""; break;
            case 5: piece = "title:"; sep = ""; break;
            case 6:
                snprintf(tmp, sizeof tmp, "source:s%u", t / 8 % 4);
                piece = tmp;
                break;
            default: piece = dates[t / 8 % 4]; break;
            }
        }
        o += (size_t)snprintf(out + o, cap - o, "%s%s", piece, sep);
    }
    return o;
}

static uint32_t hit_id(const kb_hit *h)
{
    check(h->id.n >= 2 && h->id.n < 8 && h->id.p[0] == 'd', "a hit's id is one of ours");
    uint32_t id = 0;
    for (size_t i = 1; i < h->id.n; i++) {
        check(h->id.p[i] >= '0' && h->id.p[i] <= '9', "a hit's id is one of ours");
        id = id * 10 + (uint32_t)(h->id.p[i] - '0');
    }
    check(id < n_created, "a hit's id is one of ours");
    return id;
}

static int near(double a, double b)
{
    return fabs(a - b) <= TOL * fmax(fabs(a), fabs(b)) + 1e-12;
}

/* Checks what holds for any answer: ids live, distinct, with their current metadata; scores
 * non-increasing; the total within bounds. */
static void check_answer(const kb_results *r, uint32_t offset, uint32_t live)
{
    static uint8_t seen[MAX_DOCS];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < r->n_hits; i++) {
        const kb_hit *h = &r->hits[i];
        uint32_t id = hit_id(h);
        const mdoc *m = &docs[id];
        check(m->live, "a hit is a live document");
        check(!seen[id], "a document comes once");
        seen[id] = 1;
        check(h->source.n == (m->src ? 2u : 0u) && (!m->src || h->source.p[1] == '0' + m->src),
              "a hit carries its document's source");
        check(h->date.n == (m->day ? 10u : 0u), "a hit carries its document's date");
        check(!isnan(h->score) && h->score >= 0, "a score is a number >= 0");
        if (i) check(r->hits[i - 1].score >= h->score, "scores do not increase");
    }
    check(r->n_hits == 0 || r->total >= offset + r->n_hits, "the total counts what was shown");
    check(r->total <= live, "the total is at most the live documents");
}

/* Pruned p (from offset) against exhaustive e (every match). 0 when they agree. */
static int same_ranking(const kb_results *p, const kb_results *e, uint32_t offset,
                        uint32_t limit, const char **why)
{
    size_t want = e->n_hits > offset ? KB_MIN(limit, e->n_hits - offset) : 0;
    if (p->n_hits != want) {
        *why = "hits on the page";
        return 1;
    }
    for (size_t i = 0; i < p->n_hits; i++) {
        const kb_hit *a = &p->hits[i], *b = &e->hits[offset + i];
        if (!near(a->score, b->score)) {
            *why = "score at a rank";
            return 1;
        }
        if (a->id.n == b->id.n && !memcmp(a->id.p, b->id.p, a->id.n)) continue;
        /* another document there: it must score the same (a tie within the tolerance) */
        size_t j = 0;
        while (j < e->n_hits &&
               !(e->hits[j].id.n == a->id.n && !memcmp(e->hits[j].id.p, a->id.p, a->id.n)))
            j++;
        if (j == e->n_hits || !near(e->hits[j].score, a->score)) {
            *why = "document at a rank";
            return 1;
        }
    }
    return 0;
}

static uint64_t fake_now;

/* The budget's clock in the budgeted search: 1 ms further on every read. */
static uint64_t fake_clock(void)
{
    return fake_now += 1000;
}

/* The pruned search again with a budget of 1..256 rounds (from the query and its options):
 * the same answer as p, or one marked timed_out whose hits are among e's matches. */
static void check_budget(kb_index *ix, const char *q, size_t qn, kb_search_options o,
                         const kb_results *p, const kb_results *e, uint32_t live)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < qn; i++)
        h = (h ^ (unsigned char)q[i]) * 0x100000001B3ull;
    o.timeout_us = 1000 * (1 + (h ^ o.limit ^ (uint64_t)o.offset << 8) % 256);
    uint64_t (*real_clock)(void) = kb__budget_clock;
    uint32_t real_every = kb__budget_every;
    kb__budget_clock = fake_clock;
    kb__budget_every = 1;
    kb_results *t = NULL;
    int rc = kb_search_run(ix, q, qn, &o, &t);
    kb__budget_clock = real_clock;
    kb__budget_every = real_every;
    check(rc == 0 && t, "a budget is never an error");
    check_answer(t, o.offset, live);
    if (!t->timed_out) {
        const char *why = NULL;
        check(t->n_hits == p->n_hits && t->total == p->total &&
                  !same_ranking(t, p, 0, o.limit, &why),
              "a budget that does not run out changes nothing");
    } else {
        /* the second stage re-scores the candidates it reached: their scores are its own */
        int rescored = o.mode == KB_SEARCH_ANY || t->fallback_any;
        for (size_t i = 0; i < t->n_hits; i++) {
            size_t j = 0;
            while (j < e->n_hits && !(e->hits[j].id.n == t->hits[i].id.n &&
                                      !memcmp(e->hits[j].id.p, t->hits[i].id.p, e->hits[j].id.n)))
                j++;
            check(j < e->n_hits, "out of time: a hit is a match");
            if (j < e->n_hits && !rescored)
                check(near(e->hits[j].score, t->hits[i].score), "out of time: a hit's full score");
        }
        check(t->n_hits <= o.limit, "out of time: within the limit");
    }
    kb_results_free(t);
}

static void dump(const char *label, const kb_results *r)
{
    fprintf(stderr, "  %s: total %llu%s%s, %zu hits\n", label, (unsigned long long)r->total,
            r->total_exact ? " exact" : "", r->fallback_any ? " fallback" : "", r->n_hits);
    for (size_t i = 0; i < r->n_hits && i < 40; i++)
        fprintf(stderr, "    %.*s %.17g\n", (int)r->hits[i].id.n, r->hits[i].id.p,
                r->hits[i].score);
}

static void run_query(kb_index *ix, kb_analyzer *an, const char *q, size_t qn, unsigned opt,
                      int variant, uint32_t live)
{
    static const uint32_t limits[] = {1, 2, 3, 4, 5, 10, 20, 50};
    static const uint32_t offsets[] = {0, 0, 1, 5};
    kb_search_options po, eo;
    memset(&po, 0, sizeof po);
    po.mode = opt & 1 ? KB_SEARCH_ANY : KB_SEARCH_ALL;
    po.no_collapse = (opt >> 1) & 1;
    po.limit = limits[(opt >> 2) & 7];
    po.offset = offsets[(opt >> 5) & 3];
    po.ids_only = !(opt >> 7);
    po.no_snippets = 0;
    eo = po;
    eo.exact_total = 1;
    eo.offset = 0;
    eo.limit = live + 1;
    eo.ids_only = 1;

    set_rank(variant, 1);
    kb_results *p = NULL, *e = NULL;
    int prc = kb_search_run(ix, q, qn, &po, &p);
    int erc = kb_search_run(ix, q, qn, &eo, &e);
    if (prc != erc)
        fprintf(stderr, "query [%s]: pruned %s, exhaustive %s (%s)\n", q, kb_err_name(prc),
                kb_err_name(erc), kb_index_errmsg(ix));
    check(prc == erc, "pruned and exhaustive fail alike");
    check(prc == 0 || prc == KB_EQUERY || prc == KB_ETOOBIG, "a search fails only on the query");
    if (prc) {
        check(p && e && p->notice && e->notice, "a refused query says why");
        goto out;
    }
    check_answer(p, po.offset, live);
    check_answer(e, 0, live);
    check(e->total_exact && e->total == e->n_hits, "exhaustive: every match, counted");
    check(p->fallback_any == e->fallback_any, "the fallback is taken alike");
    if (p->total_exact && p->total != e->total) {
        fprintf(stderr, "query [%s] mode %s limit %u offset %u collapse %d ranking %d\n", q,
                po.mode ? "any" : "all", po.limit, po.offset, !po.no_collapse, variant);
        dump("pruned", p);
        dump("exhaustive", e);
        check(0, "an exact total is the exhaustive one");
    }

    const char *why = NULL;
    if (same_ranking(p, e, po.offset, po.limit, &why)) {
        /* A second-stage ranking re-reads the first stage's top KB__RERANK_K: where the first
         * stage ties there, either document may be re-read. */
        int tied = 0;
        if (po.mode == KB_SEARCH_ANY || e->fallback_any) {
            set_rank(variant, 0);
            kb_results *f = NULL;
            check(kb_search_run(ix, q, qn, &eo, &f) == 0, "first stage alone");
            tied = f->n_hits > KB__RERANK_K &&
                   near(f->hits[KB__RERANK_K - 1].score, f->hits[KB__RERANK_K].score);
            kb_results_free(f);
        }
        if (!tied) {
            fprintf(stderr, "query [%s] mode %s limit %u offset %u collapse %d ranking %d: %s\n",
                    q, po.mode ? "any" : "all", po.limit, po.offset, !po.no_collapse, variant,
                    why);
            dump("pruned", p);
            dump("exhaustive", e);
            check(0, "pruned and exhaustive evaluation agree");
        }
    }

    check_budget(ix, q, qn, po, p, e, live);

    if (getenv("KB_FUZZ_VERBOSE"))
        fprintf(stderr, "[%s] %s limit %u offset %u: %zu hits, %llu matches%s%s\n", q,
                po.mode ? "any" : "all", po.limit, po.offset, p->n_hits,
                (unsigned long long)e->total, p->total_exact ? "" : ", pruned",
                e->fallback_any ? ", fallback" : "");

    /* the matches against the model */
    kb__query pq;
    static uint8_t match[MAX_DOCS];
    int any = po.mode == KB_SEARCH_ANY;
    int prc2 = kb__query_parse(an, q, qn, any ? KB_QP_KEEP_STOP : 0, &pq);
    check(prc2 == 0 && pq.root != KB_QN_NONE, "the query parses as in the search");
    int want = model_eval(&pq, any, match);
    if (want == 0 && !any && root_and_parts(&pq) >= 2) { /* the every-word fallback */
        check(e->fallback_any, "the fallback when nothing has every word");
        want = model_eval(&pq, 1, match);
    } else if (want >= 0) {
        check(!e->fallback_any, "no fallback when something has every word");
    }
    if (want >= 0) {
        if ((uint64_t)want != e->total) {
            fprintf(stderr, "query [%s] mode %s: model %d matches\n", q, any ? "any" : "all",
                    want);
            dump("exhaustive", e);
            for (uint32_t id = 0; id < n_created; id++)
                if (match[id]) fprintf(stderr, "    model d%u\n", id);
        }
        check((uint64_t)want == e->total, "the matches are the model's");
        for (size_t i = 0; i < e->n_hits; i++)
            check(match[hit_id(&e->hits[i])], "every match is one of the model's");
    }
    kb__query_free(&pq);
out:
    kb_results_free(p);
    kb_results_free(e);
}

/* The read-only handle the searches use (flag "reader"): opened after the first commit and kept
 * across the later ones, each of which it reads at once, as a server's handle does: its arrays
 * then come from the deaths log (src/index.c, update_docs), counted in *updates. */
static void follow(kb_index **rd, int reader, uint32_t *updates)
{
    if (!reader) return;
    if (!*rd) {
        kb_index_options ro = {0};
        ro.read_only = 1;
        check(kb_index_open(dir, &ro, rd) == 0, "a reader");
    } else if (updates) {
        (*updates)++;
    }
    check(kb__index_read_begin(*rd) == 0, "a reader's snapshot");
    kb__index_read_end(*rd);
}

/* Without the reader, the writer's own handle reads each commit at once instead: after its
 * first read, its arrays too come from the deaths log (src/index.c, update_docs), counted in
 * *updates, and the searches then run on those arrays. */
static void follow_writer(kb_index *ix, int reader, int *read, uint32_t *updates)
{
    if (reader) return;
    *updates += *read;
    *read = 1;
    check(kb__index_read_begin(ix) == 0, "the writer's snapshot");
    kb__index_read_end(ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kb_analyzer *an;
    static uint32_t thread_terms;
    if (!an) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/kb-fuzz-search.XXXXXX", base);
        check(mkdtemp(dir) != NULL, "a temporary directory");
        atexit(cleanup);
        an = kb_analyzer_new(NULL); /* light: the CLI's (and the index's) stemmer */
        check(an != NULL, "an analyzer");
        learn_vocab(an);
        fill_word_of_byte();
        thread_terms = kb__commit_thread_terms;
    }
    src s = {data, size, 0, 0x9E3779B97F4A7C15ull};
    for (size_t i = 0; i < 4 && i < size; i++)
        s.x = (s.x ^ data[i]) * 0x100000001B3ull;
    if (!s.x) s.x = 1;

    /* header */
    unsigned b0 = byte(&s), b1 = byte(&s), flags = byte(&s);
    uint32_t n_ops = 1 + (b0 | (b1 << 8)) % MAX_DOCS;
    int commits = 1 + (int)(flags % 3);
    int variant = (int)(flags >> 2) % 4;
    int compact = (flags >> 4) & 1, reader = (flags >> 5) & 1;
    /* the commit's encoder thread on small commits too (write.c) */
    kb__commit_thread_terms = (flags >> 6) & 1 ? 0 : thread_terms;
    unsigned n_queries = 1 + byte(&s) % MAX_QUERIES;
    char qtext[MAX_QUERIES][MAX_QTOKENS * 40];
    size_t qlen[MAX_QUERIES];
    unsigned qopt[MAX_QUERIES];
    for (unsigned i = 0; i < n_queries; i++) {
        qopt[i] = byte(&s);
        qlen[i] = make_query(&s, qtext[i], sizeof qtext[i]);
    }

    /* the collection */
    remove_files();
    kb_index_options io = {0};
    io.no_dedup = 1;
    kb_index *ix = NULL;
    check(kb_index_open(dir, &io, &ix) == 0, "a new index");
    memset(docs, 0, sizeof docs);
    n_created = 0;
    uint32_t live = 0, updates = 0, w_updates = 0;
    int w_read = 0;
    kb_index *rd = NULL;
    for (uint32_t i = 0; i < n_ops; i++) {
        unsigned op = byte(&s) % 16;
        if (op < 12 || n_created == 0) { /* a new article */
            uint32_t id = n_created++;
            gen_doc(&s, &docs[id]);
            check(add_doc(ix, id) == 0, "an article is added");
            docs[id].live = 1;
            live++;
        } else {
            uint32_t id = (byte(&s) | byte(&s) << 8) % n_created;
            if (op < 14) { /* replaced (or added again after a delete) */
                gen_doc(&s, &docs[id]);
                check(add_doc(ix, id) == docs[id].live, "an article is replaced");
                live += !docs[id].live;
                docs[id].live = 1;
            } else {
                char ids[16];
                snprintf(ids, sizeof ids, "d%u", id);
                int rc = kb_index_delete(ix, ids, strlen(ids));
                check(rc == (docs[id].live ? 0 : KB_ENOTFOUND), "an article is deleted");
                live -= docs[id].live;
                docs[id].live = 0;
            }
        }
        if ((i + 1) * (uint32_t)commits / n_ops != i * (uint32_t)commits / n_ops) {
            check(kb_index_commit(ix) == 0, "a commit");
            follow(&rd, reader, &updates);
            follow_writer(ix, reader, &w_read, &w_updates);
        }
    }
    /* every commit after the writer's first read came to it from the deaths log, not a reload */
    check(reader || ix->n_updates == w_updates, "the writer updated from the deaths log");
    if (compact) check(kb_index_compact(ix) == 0, "compaction");
    follow(&rd, reader, NULL);
    /* every commit after the reader's first came to it from the deaths log, not a reload */
    check(!rd || rd->n_updates == updates, "the reader updated from the deaths log");
    kb_index_stats st;
    check(kb_index_stats_get(rd ? rd : ix, &st) == 0 && st.docs == live, "live documents");

    for (unsigned i = 0; i < n_queries; i++)
        run_query(rd ? rd : ix, an, qtext[i], qlen[i], qopt[i], variant, live);

    kb_index_close(rd);
    kb_index_close(ix);
    unsetenv("KHABAR_RANK");
    return 0;
}
