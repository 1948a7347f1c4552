/*
 * search.c — ranking: from a parsed query (query.c) to the top-k articles, with totals, facets
 * and snippets (snippet.c).
 *
 * Scoring is BM25F (Robertson, Zaragoza, Taylor 2004, "simple BM25 extension to multiple
 * weighted fields"): per term, the field frequencies are length-normalized per field, weighted
 * (title > headings and captions > body) and summed before one saturation k1:
 *
 *     tf~(t,d) = sum_f  w_f * tf_f(t,d) / (1 - b_f + b_f * len_f(d) / avglen_f)
 *     score    = sum_t  idf(t) * tf~ / (k1 + tf~)       idf = ln(1 + (N - df + 0.5) / (df + 0.5))
 *
 * A plain word matches its stem; the written (normalized) form is scored again with weight
 * FORM_BONUS, so والعراق ranks an article that says العراق first when العراق was typed.
 * The any-word ranking (questions) adds two title signals: a word that is in the title counts
 * at most P.title_cap occurrences from each other field (the title already says the article is
 * about it; repeating it in the body is no further evidence), and each content word adds
 * P.title_share * tf_title / len_title, the share of the title it covers (a question naming the
 * article's subject finds it). The parameters were tuned on ARCD (tests/eval/arcd.sh,
 * scripts/tune_arcd.py, docs/search.md).
 *
 * Evaluation is document-at-a-time over postings cursors (the index's internal reader API). Each
 * query node is an evaluator that can advance to the first matching document >= a target, score
 * the current document, and bound its score over the block of documents ahead (the postings
 * blocks carry their maximum tfs and minimum field lengths). The top-k loop skips every block
 * range whose bound cannot beat the k-th best score (block-max pruning), and a root OR of terms
 * runs MaxScore: the terms whose bounds together cannot reach the threshold stop generating
 * candidates and are only probed. So a top-10 query does not score every match; exact_total
 * turns pruning off and counts (and facets) every match.
 *
 * A time budget (timeout_us) bounds a search whatever its query: every loop that can go on
 * without returning a candidate ticks the budget (kb__budget_tick), and once it is spent S->rc
 * becomes KB__ESPENT, on which every loop stops as on an error; no candidate is pushed while
 * S->rc is set, so the top k holds only fully scored documents, and kb_search_run returns them
 * with timed_out set.
 */
#include "khabar_int.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* ---- parameters (tuned on ARCD, see docs/search.md) ---------------------------------------- */

typedef struct rank_params {
    double w[KB_N_FIELDS]; /* field weights: title, headings/captions, body */
    double b[KB_N_FIELDS]; /* length normalization per field */
    double k1;             /* tf saturation */
    double form;           /* weight of the written-form score added to a plain word's stem score */
    double stop;           /* weight of a stopword in an any-word query (they are kept there) */
    double prox;           /* weight of the word-pair phrase bonus in an any-word query */
    double delta;          /* BM25+ lower bound: added (times idf) for every matched word */
    double title_cap;      /* a title word's tf in each other field is capped at this; 0: off */
    double title_share;    /* weight of tf_title / len_title, added to a word's score */
    kb__rerank_weights rerank; /* any-word second stage (rerank.c): root, window, answer, lead */
    double w_title_any, b_title_any; /* the title's weight and length normalization, any-word */
} rank_params;

static const rank_params DEFAULT_PARAMS = {
    {2.5, 1.5, 1.0}, {0.6, 0.6, 0.75}, 1.2, 0.3, 0.2, 0.0, 0.0, 1.0, 2.0, {0.3, 2.0, 1.0, 1.0}, 1.5, 0.3};

/* KHABAR_RANK="w_title w_head w_body b_title b_head b_body k1 form stop prox [delta [title_cap
 * title_share [rr_root rr_window rr_answer [w_title_any b_title_any [rr_lead]]]]]" overrides the defaults
 * (a tuning knob for scripts/eval_arcd.py; not for production use). The b values are kept in
 * [0, B_MAX]: at b = 1 a field of length 0 would divide by zero and break the bounds. */
#define B_MAX 0.99

static double clamp_b(double b)
{
    return b > B_MAX ? B_MAX : b > 0 ? b : 0;
}

static void load_params(rank_params *p)
{
    *p = DEFAULT_PARAMS;
    const char *env = getenv("KHABAR_RANK");
    if (!env) return;
    double v[19] = {0};
    v[11] = DEFAULT_PARAMS.title_cap;
    v[12] = DEFAULT_PARAMS.title_share;
    v[13] = DEFAULT_PARAMS.rerank.root;
    v[14] = DEFAULT_PARAMS.rerank.window;
    v[15] = DEFAULT_PARAMS.rerank.answer;
    v[16] = DEFAULT_PARAMS.w_title_any;
    v[17] = DEFAULT_PARAMS.b_title_any;
    v[18] = DEFAULT_PARAMS.rerank.lead;
    if (sscanf(env, "%lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf",
               &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
               &v[11], &v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18]) < 10)
        return;
    for (int f = 0; f < KB_N_FIELDS; f++) {
        p->w[f] = v[f];
        p->b[f] = clamp_b(v[3 + f]);
    }
    p->k1 = v[6];
    p->form = v[7];
    p->stop = v[8];
    p->prox = v[9];
    p->delta = v[10];
    p->title_cap = v[11];
    p->title_share = v[12];
    p->rerank =
        (kb__rerank_weights){fmax(v[13], 0), fmax(v[14], 0), fmax(v[15], 0), fmax(v[18], 0)};
    p->w_title_any = v[16];
    p->b_title_any = clamp_b(v[17]);
}

/* Word-pair bonus for any-word queries (natural-language questions): each pair of neighbouring
 * non-stop words of the root becomes an optional phrase of their written forms, weighted
 * P.prox, so an article that says "كأس العالم" together ranks above one that has both words
 * apart. Bounded by KB_QUERY_MAX_TERMS pairs. */
static int add_pair_bonus(kb__query *q)
{
    if (q->root == KB_QN_NONE || q->nodes[q->root].type != KB_QN_AND) return 0;
    uint32_t prev = KB_QN_NONE, tail = KB_QN_NONE, added = 0;
    for (uint32_t k = q->nodes[q->root].child; k != KB_QN_NONE; k = q->nodes[k].next)
        tail = k;
    uint32_t end = tail;
    for (uint32_t k = q->nodes[q->root].child; k != KB_QN_NONE && added < KB_QUERY_MAX_TERMS;
         k = q->nodes[k].next) {
        const kb__qnode *nd = &q->nodes[k];
        int ok = nd->type == KB_QN_TERM && !nd->stop && !nd->exact && nd->field == KB_QF_ANY;
        if (ok && prev != KB_QN_NONE) {
            if (q->n_nodes + 3 > q->cap_nodes) {
                uint32_t cap = q->cap_nodes * 2 + 16;
                kb__qnode *nn = kb__realloc(q->nodes, cap * sizeof *nn);
                if (!nn) return KB_ENOMEM;
                q->nodes = nn;
                q->cap_nodes = cap;
                nd = &q->nodes[k];
            }
            uint32_t ph = q->n_nodes++, a = q->n_nodes++, b = q->n_nodes++;
            kb__qnode *N = q->nodes;
            N[a] = N[prev];
            N[b] = N[k];
            N[a].exact = N[b].exact = 1;
            N[a].next = b;
            N[b].next = KB_QN_NONE;
            memset(&N[ph], 0, sizeof N[ph]);
            N[ph].type = KB_QN_PHRASE;
            N[ph].bonus = 1;
            N[ph].child = a;
            N[ph].next = KB_QN_NONE;
            N[tail].next = ph;
            tail = ph;
            added++;
        }
        prev = ok ? k : KB_QN_NONE;
        if (k == end) break;
    }
    return 0;
}

/* Snippet length when the caller does not say: two lines of a result page. */
#define SNIPPET_DEFAULT_BYTES 220
/* A snippet target is clamped to this: past it a "snippet" is the article. */
#define SNIPPET_MAX_BYTES 4096

/* With collapsing on, the top-k keeps this many times more candidates (plus a few) so that
 * folding a story's copies still leaves a full page; news copies come in small clusters. */
#define COLLAPSE_FACTOR 3
#define COLLAPSE_EXTRA 10
/* Cluster members read to list a hit's other sources. */
#define COLLAPSE_MEMBERS_MAX 32

/* ---- evaluators ------------------------------------------------------------------------------ */

typedef enum { EV_TERM, EV_PHRASE, EV_AND, EV_OR } ev_type;

typedef struct ev ev;
struct ev {
    ev_type type;
    uint32_t doc; /* current candidate; 0 before the first advance; KB_DOC_END when done */
    double ub;    /* bound on the score of any document */
    /* EV_TERM */
    kb__postings post; /* stem (or form when exact) */
    kb__postings form; /* bonus: the written form of a plain word */
    int has_form, title_only, absent;
    double idf, idf_form;
    double w;            /* 1, or the stopword weight */
    double share;        /* weight of the title share: P.title_share, 0 for a stopword (it
                          * changes nothing on ARCD and loosens the stopwords' bounds) */
    double form_ub;      /* bound of the written-form score (before the form weight) */
    double stem_ub;      /* bound of the score of a document without the written form */
    int form_driven;     /* candidates come from the written form's postings (see run_generic) */
    int defer;           /* EV_PHRASE: the caller checks the positions (run_generic) */
    int seeded;          /* EV_TERM: its written form leads run_seeded's first phase */
    double tf_cut;       /* EV_TERM of a root that tf_cuts_apply: see set_tf_cuts */
    uint32_t phrase_off; /* EV_TERM inside a phrase: its offset in the phrase */
    /* EV_TERM: the last block bound (ev_block_ub), valid for targets in [ub_from, ub_to]: every
     * such target lies in the same postings block, so the bound is the same number */
    double ub_blk;
    uint32_t ub_from, ub_to;
    int ub_valid;
    /* groups */
    ev **kids;
    uint32_t n_kids;
    ev **nots; /* EV_AND: excluded */
    uint32_t n_nots;
};

typedef struct search {
    kb_index *ix;
    rank_params P;
    double form_ub_total; /* bound of all written-form bonuses together */
    int any_rank;         /* any-word ranking (--any, or the fallback): the title signals apply */
    kb__query q;
    kb__collection coll;
    double norm_k[KB_N_FIELDS]; /* b_f / avglen_f */
    int rc;
    ev *pool;
    uint32_t n_pool, cap_pool;
    ev **ptrs;
    uint32_t n_ptrs, cap_ptrs;
    /* filters */
    uint32_t src_ids[KB_QUERY_MAX_SOURCES + 1];
    uint32_t n_src;
    int src_filter;
    uint32_t date_lo, date_hi;
    ev **global_nots; /* exclusions kept when an AND is relaxed to OR */
    uint32_t n_global_nots;
    /* the written-form gate (choose_gate): candidates must have the written form of one of
     * these words of the root; chosen for the threshold gate_th */
    int cut_ok;    /* collect() cuts by tf~ (tf_cuts_apply) */
    double cut_th; /* the threshold the words' tf_cut are for */
    ev *gate[KB_QUERY_MAX_TERMS];
    uint32_t n_gate;
    double gate_th;
    /* two phases (run_seeded): the root's words with a written form; in the first phase the
     * gate never lets less through than their forms (seed), in the second the documents having
     * one of them are left out (anti) */
    ev *seed[KB_QUERY_MAX_TERMS], *anti[KB_QUERY_MAX_TERMS];
    uint32_t n_seed, n_anti;
    /* rarer word first (run_rare_first): in the first phase MaxScore keeps at least min_ne
     * words non-essential; in the second the documents having skip_word are left out */
    uint32_t min_ne;
    ev *skip_word;
    /* counting */
    uint64_t counted;
    int pruned;
    int exact_total;
    uint64_t *facet;
    uint32_t n_facet;
    kb__budget budget; /* timeout_us; its postings cursors tick it too */
    /* the articles the second stage read (rerank.c), reused for the hits' snippets */
    kb__doc kept[KB__RERANK_K];
    uint32_t n_kept;
} search;

/* Ticks S's budget; once spent, S->rc says so (unless it holds an error already) and the
 * caller stops as it does on an error. */
static inline int tick(search *S)
{
    if (!kb__budget_tick(&S->budget)) return 0;
    if (!S->rc) S->rc = KB__ESPENT;
    return 1;
}

/* Switches S to the any-word ranking (before its terms are opened): the title signals and the
 * second stage apply, and the title gets its any-word weight and length normalization. A
 * question names its subject in few words, which a short title matches whole: b 0.3 lets a
 * long title count nearly as much, and the title share (a share, not a count) rewards the
 * match; the every-word ranking keeps 2.5 / 0.6. */
static void rank_any(search *S)
{
    S->any_rank = 1;
    S->P.w[KB_FIELD_TITLE] = S->P.w_title_any;
    S->P.b[KB_FIELD_TITLE] = S->P.b_title_any;
    double avg = S->coll.avg_len[KB_FIELD_TITLE];
    S->norm_k[KB_FIELD_TITLE] = avg > 0 ? S->P.b[KB_FIELD_TITLE] / avg : 0;
}

static double idf_of(const search *S, uint32_t df)
{
    double N = S->coll.docs ? S->coll.docs : 1;
    if (df > N) df = (uint32_t)N;
    return log(1.0 + (N - df + 0.5) / (df + 0.5));
}

static inline double len_norm(const search *S, int f, uint32_t len)
{
    return 1.0 - S->P.b[f] + S->norm_k[f] * len;
}

/* tf~ of the current posting of p in document doc. A word in the title counts at most
 * P.title_cap occurrences from each other field. */
static double tf_tilde(const search *S, const kb__postings *p, const uint32_t *lens, int title_only)
{
    double t = 0, cap = HUGE_VAL;
    if (S->any_rank && S->P.title_cap > 0 && p->tf[KB_FIELD_TITLE]) cap = S->P.title_cap;
    for (int f = 0; f < KB_N_FIELDS; f++) {
        if (!p->tf[f] || (title_only && f != KB_FIELD_TITLE)) continue;
        double tf = p->tf[f];
        if (f != KB_FIELD_TITLE && cap < tf) tf = cap; /* fmin(tf, cap): neither is a NaN */
        t += S->P.w[f] * tf / len_norm(S, f, lens ? lens[f] : 0);
    }
    return t;
}

/* The share of the title the current posting of p covers, times weight (ev.share). */
static double title_share(double weight, const kb__postings *p, const uint32_t *lens)
{
    uint32_t tf = p->tf[KB_FIELD_TITLE], len = lens ? lens[KB_FIELD_TITLE] : 0;
    return tf && weight > 0 ? weight * fmin(1.0, (double)tf / (len ? len : tf)) : 0;
}

/* Bound of title_share() from a maximum title tf and a minimum title length. */
static double title_share_bound(double weight, uint32_t max_tf, uint32_t min_len)
{
    return max_tf ? weight * fmin(1.0, (double)max_tf / (min_len ? min_len : 1)) : 0;
}

static double sat_k(const search *S, double t)
{
    return t / (S->P.k1 + t) + (t > 0 ? S->P.delta : 0);
}
#define sat(t) sat_k(S, (t))

/* Bound of tf~ from per-field max tfs and min lengths. */
static double tf_tilde_bound(const search *S, const uint32_t *max_tf, const uint32_t *min_len,
                             int title_only)
{
    double t = 0;
    for (int f = 0; f < KB_N_FIELDS; f++) {
        if (title_only && f != KB_FIELD_TITLE) continue;
        t += S->P.w[f] * max_tf[f] / len_norm(S, f, min_len ? min_len[f] : 0);
    }
    return t;
}

/* Bound of a term's score over its whole list. sat() < 1, so idf bounds it whatever the tfs;
 * the list's max tfs make it tighter when the index has them (a list without them reads 0s). */
static double list_bound(const search *S, const kb__postings *p, double idf, int title_only)
{
    uint32_t any = 0;
    for (int f = 0; f < KB_N_FIELDS; f++)
        any |= p->max_tf[f];
    if (!any) return idf;
    return idf * sat(tf_tilde_bound(S, p->max_tf, NULL, title_only));
}

/* Reads the tfs of a cursor's current posting (kb__postings_tfs); a damaged block sets S->rc. */
static int read_tfs(search *S, kb__postings *p)
{
    int rc = kb__postings_tfs(p);
    if (rc) S->rc = rc;
    return rc;
}

static ev *new_ev(search *S, ev_type type)
{
    if (S->rc) return NULL;
    if (S->n_pool == S->cap_pool) {
        S->rc = KB_EINTERNAL; /* the pool is sized from the query up front */
        return NULL;
    }
    ev *e = &S->pool[S->n_pool++];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->w = 1.0;
    kb__postings_init(&e->post);
    kb__postings_init(&e->form);
    return e;
}

static ev **new_ptrs(search *S, uint32_t n)
{
    if (S->rc) return NULL;
    if (S->n_ptrs + n > S->cap_ptrs) {
        S->rc = KB_EINTERNAL;
        return NULL;
    }
    ev **p = &S->ptrs[S->n_ptrs];
    S->n_ptrs += n;
    return p;
}

static void open_term(search *S, ev *e, const kb__qnode *nd, int exact)
{
    kb__query *q = &S->q;
    const char *stem = kb__query_str(q, nd->stem), *norm = kb__query_str(q, nd->norm);
    int rc;
    e->title_only = nd->field == KB_QF_TITLE;
    if (exact)
        rc = kb__postings_open(S->ix, KB_TERM_FORM, norm, nd->norm_len, &e->post);
    else
        rc = kb__postings_open(S->ix, KB_TERM_STEM, stem, nd->stem_len, &e->post);
    if (rc == KB_ENOTFOUND) {
        e->absent = 1;
        rc = 0;
    }
    if (rc) {
        S->rc = rc;
        return;
    }
    e->post.budget = e->form.budget = &S->budget;
    e->idf = idf_of(S, e->post.df);
    e->share = S->any_rank && !(nd->stop && !exact) ? S->P.title_share : 0;
    double ub = 0;
    if (!e->absent) {
        /* a list without max tfs reads 0s: its title share is bounded by the weight alone */
        uint32_t t = e->post.max_tf[KB_FIELD_TITLE];
        int known = t || e->post.max_tf[KB_FIELD_HEAD] || e->post.max_tf[KB_FIELD_BODY];
        ub = list_bound(S, &e->post, e->idf, 0);
        ub += known ? title_share_bound(e->share, t, 0) : e->share;
    }
    e->stem_ub = ub * (nd->stop && !exact ? S->P.stop : 1.0);
    if (!exact && !e->absent) {
        rc = kb__postings_open(S->ix, KB_TERM_FORM, norm, nd->norm_len, &e->form);
        if (rc == 0) {
            e->has_form = 1;
            e->idf_form = idf_of(S, e->form.df);
            e->form_ub = list_bound(S, &e->form, e->idf_form, 0);
            ub += S->P.form * e->form_ub;
            S->form_ub_total += S->P.form * e->form_ub * (nd->stop ? S->P.stop : 1.0);
        } else if (rc != KB_ENOTFOUND) {
            S->rc = rc;
            return;
        }
    }
    e->w = nd->stop && !exact ? S->P.stop : 1.0;
    e->ub = ub * e->w;
    if (e->absent) e->doc = KB_DOC_END;
}

static uint32_t count_nodes(const kb__query *q, uint32_t id)
{
    uint32_t c = 1;
    for (uint32_t k = q->nodes[id].child; k != KB_QN_NONE; k = q->nodes[k].next)
        c += count_nodes(q, k);
    return c;
}

static int cmp_ub_desc(const void *x, const void *y)
{
    const ev *a = *(ev *const *)x, *b = *(ev *const *)y;
    return a->ub > b->ub ? -1 : a->ub < b->ub;
}

/* Builds the evaluator of node id. NOT nodes are handled by their AND parent. */
static ev *build(search *S, uint32_t id)
{
    const kb__qnode *N = S->q.nodes, *nd = &N[id];
    ev *e;
    uint32_t n = 0, nn = 0, k;
    switch (nd->type) {
    case KB_QN_TERM:
        e = new_ev(S, EV_TERM);
        if (e) open_term(S, e, nd, nd->exact);
        return e;
    case KB_QN_PHRASE:
        e = new_ev(S, EV_PHRASE);
        if (!e) return NULL;
        if (nd->bonus) e->w = S->P.prox;
        for (k = nd->child; k != KB_QN_NONE; k = N[k].next)
            n++;
        e->kids = new_ptrs(S, n);
        if (!e->kids) return NULL;
        for (k = nd->child; k != KB_QN_NONE; k = N[k].next) {
            ev *t = new_ev(S, EV_TERM);
            if (!t) return NULL;
            open_term(S, t, &N[k], 1);
            t->title_only = nd->field == KB_QF_TITLE || N[k].field == KB_QF_TITLE;
            t->phrase_off = e->n_kids;
            e->kids[e->n_kids++] = t;
            e->ub += t->ub * e->w;
            if (t->absent) e->doc = KB_DOC_END;
        }
        return e;
    case KB_QN_NOT:
        return build(S, nd->child);
    default:
        e = new_ev(S, nd->type == KB_QN_AND ? EV_AND : EV_OR);
        if (!e) return NULL;
        for (k = nd->child; k != KB_QN_NONE; k = N[k].next) {
            if (N[k].type == KB_QN_NOT && nd->type == KB_QN_AND)
                nn++;
            else
                n++;
        }
        e->kids = new_ptrs(S, n);
        e->nots = new_ptrs(S, nn);
        if (!e->kids || (nn && !e->nots)) return NULL;
        for (k = nd->child; k != KB_QN_NONE && !S->rc; k = N[k].next) {
            ev *c = build(S, k);
            if (!c) return NULL;
            if (N[k].type == KB_QN_NOT && nd->type == KB_QN_AND) {
                e->nots[e->n_nots++] = c;
                continue;
            }
            e->kids[e->n_kids++] = c;
            e->ub += c->ub;
            if (nd->type == KB_QN_AND && c->doc == KB_DOC_END)
                e->doc = KB_DOC_END; /* a required part matches nothing */
        }
        if (nd->type == KB_QN_AND && !e->n_kids)
            e->doc = KB_DOC_END; /* exclusions alone (the parser drops them): nothing */
        if (nd->type == KB_QN_AND && e->n_kids > 1)
            qsort(e->kids, e->n_kids, sizeof *e->kids, cmp_ub_desc);
        if (nd->type == KB_QN_OR) {
            int any = 0;
            for (uint32_t i = 0; i < e->n_kids; i++)
                any |= e->kids[i]->doc != KB_DOC_END;
            if (!any) e->doc = KB_DOC_END;
        }
        return e;
    }
}

/* ---- advancing ------------------------------------------------------------------------------- */

static uint32_t ev_advance(search *S, ev *e, uint32_t target);

static uint32_t term_advance(search *S, ev *e, uint32_t target)
{
    if (e->doc == KB_DOC_END) return KB_DOC_END;
    if (e->doc >= target && e->doc != 0) return e->doc;
    for (;;) {
        if (e->form_driven) { /* the next document that has the written form, and the stem */
            int r = kb__postings_advance(&e->form, target ? target : 1);
            if (r < 0) {
                S->rc = r;
                return e->doc = KB_DOC_END;
            }
            if (r == 0) return e->doc = KB_DOC_END;
            target = e->form.doc;
        }
        int r = kb__postings_advance(&e->post, target ? target : 1);
        if (r < 0) {
            S->rc = r;
            return e->doc = KB_DOC_END;
        }
        if (r == 0) return e->doc = KB_DOC_END;
        if (e->form_driven && e->post.doc != target) {
            if (tick(S)) return e->doc = KB_DOC_END; /* rounds without a match may be many */
            target = e->post.doc; /* the stem skipped past that form: find a form from here */
            continue;
        }
        if (e->title_only && (read_tfs(S, &e->post) || e->post.tf[KB_FIELD_TITLE] == 0)) {
            if (S->rc || tick(S)) return e->doc = KB_DOC_END;
            target = e->post.doc + 1;
            continue;
        }
        return e->doc = e->post.doc;
    }
}

/* Do the phrase's terms (all on doc) occur at consecutive positions? */
static int phrase_match(search *S, ev *e)
{
    const uint32_t *p0, *pk;
    uint32_t n0, nk;
    int title_only = e->kids[0]->title_only;
    uint32_t title_len = 0;
    if (title_only) {
        const uint32_t *lens = kb__index_doc_lens(S->ix, e->doc);
        title_len = lens ? lens[KB_FIELD_TITLE] : 0;
    }
    int r = kb__postings_positions(&e->kids[0]->post, &p0, &n0);
    if (r) {
        S->rc = r;
        return 0;
    }
    /* for each start position of the first term, check the others; positions are sorted so
     * each later term is scanned with its own forward pointer */
    uint32_t idx[KB_QUERY_MAX_TERMS] = {0};
    for (uint32_t i = 0; i < n0; i++) {
        uint32_t start = p0[i];
        if (title_only && start + e->n_kids > title_len) break;
        int ok = 1;
        for (uint32_t k = 1; k < e->n_kids && ok; k++) {
            r = kb__postings_positions(&e->kids[k]->post, &pk, &nk);
            if (r) {
                S->rc = r;
                return 0;
            }
            uint32_t want = start + k;
            while (idx[k] < nk && pk[idx[k]] < want)
                idx[k]++;
            if (idx[k] >= nk) return 0;
            ok = pk[idx[k]] == want;
        }
        if (ok) return 1;
    }
    return 0;
}

/* Leapfrog over kids (all required, rarest first); returns the first doc >= target they all
 * have. */
/* Can merge2() step e's cursor within its decoded block? A plain word (not led by its form, not
 * title-only) standing inside a block of a snapshot without dead documents. */
static int mergeable(const ev *e)
{
    return e->type == EV_TERM && !e->form_driven && !e->title_only && e->doc != KB_DOC_END &&
           e->post.cur_valid && e->post.doc != KB_DOC_END && e->post.all_live;
}

/* Two words' first common document >= *d within their cursors' decoded blocks, found by a
 * branch-free merge of the two docid arrays instead of a leapfrog call per step; 0 when the
 * blocks hold none, *d then raised past what was seen (no common document lies below it). */
static uint32_t merge2(ev *a, ev *b, uint32_t *d)
{
    kb__postings *A = &a->post, *B = &b->post;
    const uint32_t *da = A->docs, *db = B->docs;
    uint32_t na = A->n, nb = B->n, t = *d;
    uint32_t i = kb__postings_scan(da, A->i, na, t), j = kb__postings_scan(db, B->i, nb, t);
    while (i < na && j < nb) {
        uint32_t x = da[i], y = db[j];
        if (x == y) {
            if (x > A->max_docid) break; /* not live: the cursors' own steps deal with it */
            A->i = i;
            B->i = j;
            A->doc = B->doc = a->doc = b->doc = x;
            A->tf_ok = B->tf_ok = 0;
            return x;
        }
        if (x < y) /* on to y, eight docids at a time: one list may be far denser */
            i = kb__postings_scan(da, i + 1, na, y);
        else
            j = kb__postings_scan(db, j + 1, nb, x);
    }
    uint32_t fa = i < na ? da[i] : A->cur_head.last + 1, fb = j < nb ? db[j] : B->cur_head.last + 1;
    *d = KB_MAX(t, KB_MAX(fa, fb));
    return 0;
}

static uint32_t conj_advance(search *S, ev **kids, uint32_t n, uint32_t target)
{
    uint32_t d = target;
    if (n == 2 && mergeable(kids[0]) && mergeable(kids[1])) {
        uint32_t m = merge2(kids[0], kids[1], &d);
        if (m) return m;
    }
    for (;;) {
        uint32_t i;
        for (i = 0; i < n; i++) {
            uint32_t x = ev_advance(S, kids[i], d);
            if (x == KB_DOC_END || S->rc) return KB_DOC_END;
            if (x > d) {
                d = x;
                break;
            }
        }
        if (i == n) return d;
        if (tick(S)) return KB_DOC_END; /* a leapfrog may go long without a common document */
    }
}

static int excluded(search *S, ev **nots, uint32_t n, uint32_t d)
{
    for (uint32_t i = 0; i < n; i++)
        if (ev_advance(S, nots[i], d) == d) return 1;
    return 0;
}

static uint32_t ev_advance(search *S, ev *e, uint32_t target)
{
    if (e->doc == KB_DOC_END || (e->doc >= target && e->doc != 0)) return e->doc;
    if (target == 0) target = 1;
    switch (e->type) {
    case EV_TERM:
        return term_advance(S, e, target);
    case EV_PHRASE:
        for (;;) {
            uint32_t d = conj_advance(S, e->kids, e->n_kids, target);
            e->doc = d;
            if (d == KB_DOC_END || e->defer || phrase_match(S, e) || S->rc || tick(S))
                return S->rc ? (e->doc = KB_DOC_END) : d;
            target = d + 1;
        }
    case EV_AND:
        for (;;) {
            uint32_t d = conj_advance(S, e->kids, e->n_kids, target);
            e->doc = d;
            if (d == KB_DOC_END || !excluded(S, e->nots, e->n_nots, d)) return d;
            if (tick(S)) return e->doc = KB_DOC_END; /* excluded, and again: may be many */
            target = d + 1;
        }
    case EV_OR: {
        uint32_t m = KB_DOC_END;
        for (uint32_t i = 0; i < e->n_kids; i++) {
            uint32_t x = ev_advance(S, e->kids[i], target);
            if (x < m) m = x;
        }
        return e->doc = m;
    }
    }
    return KB_DOC_END;
}

/* ---- scoring and bounds ---------------------------------------------------------------------- */

static double ev_score(search *S, ev *e, const uint32_t *lens)
{
    double s = 0;
    switch (e->type) {
    case EV_TERM:
        if (read_tfs(S, &e->post)) return 0;
        s = e->idf * sat(tf_tilde(S, &e->post, lens, e->title_only)) +
            title_share(e->share, &e->post, lens);
        return s * e->w;
    case EV_PHRASE:
    case EV_AND:
        for (uint32_t i = 0; i < e->n_kids; i++)
            s += ev_score(S, e->kids[i], lens);
        return s * e->w;
    case EV_OR:
        for (uint32_t i = 0; i < e->n_kids; i++)
            if (e->kids[i]->doc == e->doc) s += ev_score(S, e->kids[i], lens);
        return s;
    }
    return 0;
}

/* The written-form bonus of e on its current document (see FORM in rank_params). Kept apart
 * from ev_score() so the top-k loops read the form postings only for a document that could
 * still enter the top k: stem score + the bound of every bonus > threshold. */
static double ev_form(search *S, ev *e, const uint32_t *lens)
{
    double s = 0;
    switch (e->type) {
    case EV_TERM:
        if (e->has_form) {
            int r = kb__postings_advance(&e->form, e->doc);
            if (r < 0)
                S->rc = r;
            else if (r > 0 && e->form.doc == e->doc && !read_tfs(S, &e->form))
                s = S->P.form * e->idf_form * sat(tf_tilde(S, &e->form, lens, e->title_only));
        }
        return s * e->w;
    case EV_PHRASE:
        return 0;
    case EV_AND:
        for (uint32_t i = 0; i < e->n_kids; i++)
            s += ev_form(S, e->kids[i], lens);
        return s * e->w;
    case EV_OR:
        for (uint32_t i = 0; i < e->n_kids; i++)
            if (e->kids[i]->doc == e->doc) s += ev_form(S, e->kids[i], lens);
        return s;
    }
    return 0;
}

/* Bound of ev_form(e) on any document. */
static double ev_form_bound(const search *S, const ev *e)
{
    double s = 0;
    switch (e->type) {
    case EV_TERM:
        return e->has_form ? S->P.form * e->form_ub * e->w : 0;
    case EV_PHRASE:
        return 0;
    case EV_AND:
    case EV_OR:
        for (uint32_t i = 0; i < e->n_kids; i++)
            s += ev_form_bound(S, e->kids[i]);
        return e->type == EV_AND ? s * e->w : s;
    }
    return 0;
}

/* Bound of ev_form(e) on e's current document: a word whose written form's postings do not
 * have it adds no bonus there. A rare form has a high idf, so its list bound is large while
 * most of the word's documents lack it; MaxScore cuts a candidate by this (السعودية OR فرنسي:
 * the bound of فرنسي's form, 118 of its 2,483 documents, kept every candidate uncut). */
static double ev_form_bound_here(search *S, ev *e)
{
    if (e->type != EV_TERM) return ev_form_bound(S, e);
    if (!e->has_form) return 0;
    int r = kb__postings_advance(&e->form, e->doc);
    if (r < 0) {
        S->rc = r;
        return 0;
    }
    return r > 0 && e->form.doc == e->doc ? S->P.form * e->form_ub * e->w : 0;
}

/* Bound of a part's score on document d, as far as its cursor already tells: 0 when it stands
 * past d (d does not have it), its stem bound plus the bonus of the form d has when it stands on
 * d (MaxScore's parts all stand on the candidate when every part is required), else its bound.
 * With the list bound of a non-essential word whose form is rare, no candidate was cut: in
 * لجنة OR برئيس (برئيس's form in 119 of its 13,288 articles, 1.6 of its bound 2.7) 5 of 1,451. */
static double part_bound_at(search *S, ev *e, uint32_t d)
{
    if (e->doc > d) return 0;
    if (e->doc == d && e->type == EV_TERM) return e->stem_ub + ev_form_bound_here(S, e);
    return e->ub;
}

/* Bound of e's score over documents [target, *last]; narrows *last to where the bound holds. */
static double ev_block_ub(search *S, ev *e, uint32_t target, uint32_t *last)
{
    double s = 0;
    switch (e->type) {
    case EV_TERM: {
        if (e->doc == KB_DOC_END) return 0;
        if (e->ub_valid && target >= e->ub_from && target <= e->ub_to) {
            if (e->ub_to < *last) *last = e->ub_to;
            return e->ub_blk;
        }
        int r = kb__postings_shallow(&e->post, target);
        if (r < 0) {
            S->rc = r;
            return 0;
        }
        e->ub_valid = 1;
        e->ub_from = target;
        if (r == 0) { /* nothing ahead: the bound is 0 up to the end */
            e->ub_to = KB_DOC_END;
            return e->ub_blk = 0;
        }
        e->ub_to = e->post.blk_last;
        if (e->post.blk_last < *last) *last = e->post.blk_last;
        s = e->idf * sat(tf_tilde_bound(S, e->post.blk_max_tf, e->post.blk_min_len, e->title_only));
        s += title_share_bound(e->share, e->post.blk_max_tf[KB_FIELD_TITLE],
                               e->post.blk_min_len[KB_FIELD_TITLE]);
        if (e->has_form) s += S->P.form * e->form_ub;
        return e->ub_blk = s * e->w;
    }
    default:
        for (uint32_t i = 0; i < e->n_kids; i++)
            s += ev_block_ub(S, e->kids[i], target, last);
        return s * e->w;
    }
}

/* ---- the top-k heap -------------------------------------------------------------------------- */

typedef struct cand {
    double score;
    uint32_t doc;
} cand;

typedef struct heap {
    cand *a;
    uint32_t n, k;
} heap;

/* worse(x, y): x ranks below y (lower score; equal scores: higher docid below) */
static int worse(const cand *x, const cand *y)
{
    return x->score < y->score || (x->score == y->score && x->doc > y->doc);
}

static void heap_push(heap *h, double score, uint32_t doc)
{
    cand c = {score, doc};
    if (h->k == 0) return;
    if (h->n == h->k) {
        if (!worse(&h->a[0], &c)) return;
        h->a[0] = c; /* replace the worst and sift down */
        uint32_t i = 0;
        for (;;) {
            uint32_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < h->n && worse(&h->a[l], &h->a[m])) m = l;
            if (r < h->n && worse(&h->a[r], &h->a[m])) m = r;
            if (m == i) break;
            cand t = h->a[i];
            h->a[i] = h->a[m];
            h->a[m] = t;
            i = m;
        }
        return;
    }
    uint32_t i = h->n++;
    h->a[i] = c;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!worse(&h->a[i], &h->a[p])) break;
        cand t = h->a[i];
        h->a[i] = h->a[p];
        h->a[p] = t;
        i = p;
    }
}

static double threshold(const heap *h)
{
    return h->n == h->k ? h->a[0].score : -1.0;
}

static int cmp_cand(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

/* ---- the document loop ----------------------------------------------------------------------- */

/* Filters that do not depend on the query words: liveness, source, date, relaxed exclusions. */
/* The any-word second stage (rerank.c) on the first KB__RERANK_K of the sorted candidates: their
 * gains are >= 0, so they stay above the rest, which keep their scores and order. keep: the
 * articles read stay in S->kept for build_hits (an answer with titles or snippets). */
static int rerank(search *S, heap *h, int keep)
{
    uint32_t n = KB_MIN(h->n, KB__RERANK_K), docs[KB__RERANK_K];
    double add[KB__RERANK_K];
    for (uint32_t i = 0; i < n; i++)
        docs[i] = h->a[i].doc;
    if (keep)
        for (; S->n_kept < n; S->n_kept++)
            kb__doc_init(&S->kept[S->n_kept]);
    int rc = kb__rerank(S->ix, &S->q, &S->P.rerank, n, docs, add, &S->budget,
                        keep ? S->kept : NULL);
    for (uint32_t i = 0; i < n && !rc; i++)
        h->a[i].score += add[i];
    if (!rc) qsort(h->a, n, sizeof *h->a, cmp_cand);
    return rc;
}

static int passes_filters(search *S, uint32_t d)
{
    if (S->src_filter) {
        uint32_t s = kb__index_doc_source(S->ix, d);
        int ok = 0;
        for (uint32_t i = 0; i < S->n_src && !ok; i++)
            ok = S->src_ids[i] == s;
        if (!ok) return 0;
    }
    if (S->date_lo || S->date_hi) {
        uint32_t dt = kb__index_doc_date(S->ix, d);
        if (!dt || (S->date_lo && dt < S->date_lo) || (S->date_hi && dt > S->date_hi)) return 0;
    }
    if (S->n_global_nots && excluded(S, S->global_nots, S->n_global_nots, d)) return 0;
    if (S->skip_word && ev_advance(S, S->skip_word, d) == d) return 0;
    return 1;
}

/* Can collect() cut root's documents by their words' tf~ (set_tf_cuts)? A lone word of weight
 * 1, without title share or BM25+ delta. (Also tried for an AND of such words, each cut by the
 * others' stem bounds: no gain, العام الرئيس 3% slower.) */
static int tf_cuts_apply(const search *S, const ev *root)
{
    return S->P.delta == 0 && root->type == EV_TERM && root->w == 1.0 && root->share == 0;
}

/* For the k-th score th, each word's tf~ at or below which a document cannot enter: its stem
 * score idf * t / (k1 + t), plus the other words' stem bounds, plus every written-form bonus
 * (form_ub_total), at most th. Set a hair low, so rounding never passes over a document that
 * could enter. */
static void set_tf_cuts(search *S, ev *root, double th)
{
    ev *one = root, **k = root->type == EV_TERM ? &one : root->kids;
    uint32_t n = root->type == EV_TERM ? 1 : root->n_kids;
    double stems = 0;
    for (uint32_t i = 0; i < n; i++)
        stems += k[i]->stem_ub;
    S->cut_th = th;
    for (uint32_t i = 0; i < n; i++) {
        double c = (th - S->form_ub_total - (stems - k[i]->stem_ub)) / k[i]->idf;
        if (!(c > 0) || !(k[i]->idf > 0))
            k[i]->tf_cut = -1; /* every document is scored */
        else if (c >= 1)
            k[i]->tf_cut = HUGE_VAL; /* a stem score is below idf: none can enter */
        else
            k[i]->tf_cut = c * S->P.k1 / (1 - c) * (1 - 1e-9);
    }
}

static inline __attribute__((always_inline)) void collect(search *S, ev *root, uint32_t d, heap *h)
{
    if (S->rc) return; /* a filter's cursor failed or ran out of time: d may not match */
    const uint32_t *lens = kb__index_doc_lens(S->ix, d);
    S->counted++;
    if (S->facet) {
        uint32_t s = kb__index_doc_source(S->ix, d);
        if (s < S->n_facet) S->facet[s]++;
    }
    double sc, th = threshold(h);
    if (th >= 0 && S->cut_ok) {
        /* each word's tf~ says whether the document can still enter (set_tf_cuts), before the
         * saturations' divisions and the written forms' postings; then ev_score's sum */
        if (th != S->cut_th) set_tf_cuts(S, root, th);
        ev *one = root, **k = root->type == EV_TERM ? &one : root->kids;
        uint32_t n = root->type == EV_TERM ? 1 : root->n_kids;
        double t[KB_QUERY_MAX_TERMS];
        for (uint32_t i = 0; i < n; i++) {
            if (read_tfs(S, &k[i]->post)) return;
            t[i] = tf_tilde(S, &k[i]->post, lens, k[i]->title_only);
            if (t[i] <= k[i]->tf_cut) return;
        }
        sc = 0;
        for (uint32_t i = 0; i < n; i++)
            sc += (k[i]->idf * sat(t[i]) + title_share(k[i]->share, &k[i]->post, lens)) * k[i]->w;
        sc *= root->w;
    } else {
        sc = ev_score(S, root, lens);
    }
    if (th < 0 || sc + S->form_ub_total > th) sc += ev_form(S, root, lens);
    if (S->rc) return;
    heap_push(h, sc, d);
}

static int cmp_ub(const void *x, const void *y)
{
    const ev *a = *(ev *const *)x, *b = *(ev *const *)y;
    return a->ub < b->ub ? -1 : a->ub > b->ub;
}

/* Once the k-th best score th reaches what a document without a word's written form can score
 * at most, only documents with that form can still enter the top k, and the form's postings
 * (fewer than the stem's) can lead that word's cursor (term_advance): for a lone word when its
 * stem alone is bounded by th, for a word of a root AND when its stem bound plus every other
 * part's bound is. A document let through anyway is scored exactly, so switching mid-way is
 * safe. (Not for a root OR: MaxScore scores a word on documents the other words bring, which a
 * form-led cursor may have passed.) */
static void drive_by_forms(search *S, ev *root, double th)
{
    if (root->type == EV_TERM) {
        if (root->has_form && !root->form_driven && root->stem_ub <= th)
            root->form_driven = S->pruned = 1; /* the stem's other documents go uncounted */
        return;
    }
    if (root->type != EV_AND || root->w != 1.0) return;
    for (uint32_t i = 0; i < root->n_kids; i++) {
        ev *k = root->kids[i];
        if (k->type == EV_TERM && k->has_form && !k->form_driven &&
            root->ub - k->ub + k->stem_ub <= th)
            k->form_driven = S->pruned = 1;
    }
}

static int cmp_form_df_desc(const void *x, const void *y)
{
    const ev *a = *(ev *const *)x, *b = *(ev *const *)y;
    return a->form.df > b->form.df ? -1 : a->form.df < b->form.df;
}

/* The written-form gate of a root AND or OR of words. A document that has none of the written
 * forms of a set G of the root's words scores at most
 *
 *     sum over words not in G of their bound  +  sum over words in G of their stem bound
 *
 * (stem_ub: the bound without the form bonus). Once the k-th best score th reaches that, only
 * documents having one of G's written forms can still enter the top k, and the union of those
 * forms' postings (much rarer than the stems' for a word typed with clitics or an uncommon
 * inflection) can generate the candidates, each still checked against the root and scored
 * exactly. G starts as every word with a written form; the words with the most common forms
 * leave it while the sum stays within th. Nothing is chosen when a word of an AND already leads
 * by its form (drive_by_forms): that is the stronger filter. The stem cursors are only ever
 * advanced to the gate's candidates, so unlike drive_by_forms this also serves a root OR. */
#define GATE_MIN_KEPT_OUT (1.0 / 16) /* see choose_gate */
static void choose_gate(search *S, ev *root, double th)
{
    S->n_gate = 0;
    S->gate_th = th;
    if ((root->type != EV_AND && root->type != EV_OR) || root->w != 1.0) return;
    double sum = 0;
    ev *g[KB_QUERY_MAX_TERMS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < root->n_kids; i++) {
        ev *k = root->kids[i];
        if (k->form_driven) return;
        /* in run_seeded's first phase only its words: the gate stays within their forms */
        if (k->type == EV_TERM && k->has_form && n < KB_QUERY_MAX_TERMS &&
            (!S->n_seed || k->seeded)) {
            g[n++] = k;
            sum += k->stem_ub;
        } else {
            sum += k->ub;
        }
    }
    if (n == 0 || th < 0 || sum > th) { /* the first of two phases keeps its words' forms */
        memcpy(S->gate, S->seed, S->n_seed * sizeof *S->gate);
        S->n_gate = S->n_seed;
        return;
    }
    qsort(g, n, sizeof *g, cmp_form_df_desc);
    uint32_t first = 0;
    while (first + 1 < n && sum - g[first]->stem_ub + g[first]->ub <= th) {
        sum += g[first]->ub - g[first]->stem_ub;
        first++;
    }
    /* The share of the candidates the gate keeps out is about the product, over its words, of
     * the share of each word's articles without its form. When the forms are nearly all of
     * their stems' articles (names: سلمان OR محمد, forms in 97% and 96%) the gate keeps out
     * almost nothing and costs a form lookup per candidate: then none (outside run_seeded's
     * first phase, which must stay within its words' forms). */
    double kept_out = 1;
    for (uint32_t i = first; i < n; i++)
        kept_out *= g[i]->post.df ? fmax(0, 1.0 - (double)g[i]->form.df / g[i]->post.df) : 0;
    if (!S->n_seed && kept_out < GATE_MIN_KEPT_OUT) return;
    for (uint32_t i = first; i < n; i++)
        S->gate[S->n_gate++] = g[i];
    S->pruned = 1; /* the documents the gate keeps out go uncounted */
}

/* The first document >= target having one of the gate's written forms, or KB_DOC_END. */
static uint32_t gate_next(search *S, uint32_t target)
{
    uint32_t m = KB_DOC_END;
    for (uint32_t i = 0; i < S->n_gate; i++) {
        kb__postings *f = &S->gate[i]->form;
        int r = kb__postings_advance(f, target);
        if (r < 0) {
            S->rc = r;
            return KB_DOC_END;
        }
        if (r > 0 && f->doc < m) m = f->doc;
    }
    return m;
}

/* Does d have one of the written forms the second phase leaves out? */
static int anti_has(search *S, uint32_t d)
{
    for (uint32_t i = 0; i < S->n_anti; i++) {
        kb__postings *f = &S->anti[i]->form;
        int r = kb__postings_advance(f, d);
        if (r < 0) {
            S->rc = r;
            return 1;
        }
        if (r > 0 && f->doc == d) return 1;
    }
    return 0;
}

/* The first document >= target that the root matches, the gate lets through and the second
 * phase does not leave out. */
static inline __attribute__((always_inline)) uint32_t gated_advance(search *S, ev *root, uint32_t target)
{
    if (!S->n_gate && !S->n_anti) return ev_advance(S, root, target);
    for (;;) {
        uint32_t g = S->n_gate ? gate_next(S, target) : target;
        if (g == KB_DOC_END || S->rc) return KB_DOC_END;
        uint32_t d = ev_advance(S, root, g);
        if (d == KB_DOC_END || S->rc) return KB_DOC_END;
        if (d != g && S->n_gate) {
            if (tick(S)) return KB_DOC_END;
            target = d;
            continue;
        }
        if (S->n_anti && anti_has(S, d)) {
            if (S->rc || d == KB_DOC_END - 1 || tick(S)) return KB_DOC_END;
            target = d + 1;
            continue;
        }
        return d;
    }
}

/* MaxScore for a root OR: kids sorted by bound; the first n_ne (non-essential) together cannot
 * beat the threshold, so only the others generate candidates. */
static void run_or_maxscore(search *S, ev *root, heap *h)
{
    uint32_t n = root->n_kids;
    ev **k = root->kids;
    qsort(k, n, sizeof *k, cmp_ub);
    double prefix[KB_QUERY_MAX_TERMS + 1];
    prefix[0] = 0;
    for (uint32_t i = 0; i < n && i < KB_QUERY_MAX_TERMS; i++)
        prefix[i + 1] = prefix[i] + k[i]->ub;
    uint32_t n_ne = 0, target = 1;
    int all = 0;
    double all_th = -1;
    while (!S->rc && !tick(S)) {
        double th = threshold(h);
        while (n_ne < n && (n_ne < S->min_ne || prefix[n_ne + 1] <= th)) {
            n_ne++;
            S->pruned = 1; /* documents having only non-essential words go uncounted */
        }
        if (n_ne == n) break;
        if (th > S->gate_th) choose_gate(S, root, th);
        /* Every part required: the parts other than the one of least bound (k[0]) together
         * cannot pass th, so no document lacking any part can enter, and the candidates are
         * the parts' intersection (conj_advance) rather than their union. */
        if (th > all_th) {
            all_th = th;
            double rest = 0;
            for (uint32_t i = 1; i < n; i++)
                rest += k[i]->ub;
            all = n > 1 && rest <= th;
        }
        /* candidate: smallest doc among essential kids (that the gate lets through) */
        uint32_t d = KB_DOC_END;
        for (;;) {
            uint32_t g = S->n_gate ? gate_next(S, target) : target;
            d = KB_DOC_END; /* not the last round's candidate, which the gate has not let through */
            if (g == KB_DOC_END) break;
            if (all) {
                d = conj_advance(S, k, n, g);
                S->pruned = 1;
            } else {
                for (uint32_t i = n_ne; i < n; i++) {
                    uint32_t x = ev_advance(S, k[i], g);
                    if (x < d) d = x;
                }
            }
            if (d == KB_DOC_END || S->rc) break;
            if (d != g && S->n_gate) {
                if (tick(S)) break;
                target = d;
                continue;
            }
            if (!S->n_anti || !anti_has(S, d)) break;
            if (S->rc || d == KB_DOC_END - 1 || tick(S)) {
                d = KB_DOC_END;
                break;
            }
            target = d + 1;
        }
        if (d == KB_DOC_END || S->rc) break;
        if (th >= 0) { /* block-max: bound every kid over the blocks holding d */
            uint32_t last = KB_DOC_END;
            double b = 0;
            /* a non-essential kid by its whole bound: its block's header would be fetched
             * for the bound alone, most candidates being cut before it is probed (السعودية
             * OR فرنسي: 55 of 178 fetches) */
            for (uint32_t i = 0; i < n; i++)
                b += i < n_ne ? k[i]->ub : ev_block_ub(S, k[i], d, &last);
            if (last < d) last = d;
            if (b <= th) {
                S->pruned = 1;
                target = last == KB_DOC_END ? KB_DOC_END : last + 1;
                if (target == KB_DOC_END) break;
                continue;
            }
        }
        target = d + 1;
        if (!passes_filters(S, d)) continue;
        /* score: essential kids on d, then the non-essential ones while they can still matter */
        const uint32_t *lens = kb__index_doc_lens(S->ix, d);
        double s = 0, form_ub = 0; /* bound of the form bonus of the kids in s (not in s yet) */
        for (uint32_t i = n_ne; i < n; i++)
            if (k[i]->doc == d) {
                s += ev_score(S, k[i], lens);
                form_ub += ev_form_bound_here(S, k[i]);
            }
        double rest[KB_QUERY_MAX_TERMS + 1]; /* bound of the non-essential kids up to i */
        rest[0] = 0;
        for (uint32_t i = 0; i < n_ne && th >= 0; i++)
            rest[i + 1] = rest[i] + part_bound_at(S, k[i], d);
        int cut = 0;
        for (uint32_t i = n_ne; i-- > 0;) {
            if (th >= 0 && s + form_ub + rest[i + 1] <= th) {
                cut = 1;
                break;
            }
            if (ev_advance(S, k[i], d) == d) {
                s += ev_score(S, k[i], lens);
                form_ub += ev_form_bound_here(S, k[i]);
            }
        }
        if (cut) {
            S->pruned = 1;
            continue;
        }
        if (S->rc) break; /* a part's cursor failed or ran out of time: s is not its score */
        S->counted++;
        root->doc = d; /* ev_form() reads the kids on the root's document */
        /* every kid on d is in s now: form_ub bounds ev_form(root) */
        if (th < 0 || s + form_ub > th) s += ev_form(S, root, lens);
        if (S->rc) break;
        heap_push(h, s, d);
    }
}

/* The general loop: block-max pruning over any root. */
static void run_generic(search *S, ev *root, heap *h, int prune)
{
    S->cut_ok = prune && tf_cuts_apply(S, root);
    S->cut_th = -1;
    /* A root phrase is scored before its positions are read: once the top k is full, most of
     * the documents having every word score below it, and their positions need not be
     * decoded at all. */
    root->defer = prune && root->type == EV_PHRASE;
    uint32_t target = 1;
    /* the bound of the current block range, kept while the candidates stay inside it: bounding
     * again for every posting costs more than the few extra scores it might save */
    uint32_t last = 0;
    double bound = 0, bound_th = -1, drive_th = -1, form_part = ev_form_bound(S, root);
    while (!S->rc && !tick(S)) {
        double th = threshold(h);
        if (prune && th > drive_th) { /* the threshold rose: can a word's form lead now? */
            drive_by_forms(S, root, th);
            drive_th = th;
        }
        if (prune && th >= 0) {
            if (target > last || last == 0 || th > bound_th * 1.05) {
                last = KB_DOC_END;
                /* Every block bound holds the written forms' list bounds: while those alone
                 * pass th, no block can fall under it, and bounding would only fetch block
                 * headers (ليومي عملة: 106 of its 372 fetches, 17% of its instructions) */
                bound = form_part > th ? HUGE_VAL : ev_block_ub(S, root, target, &last);
                if (last < target) last = target;
                bound_th = th;
            }
            if (bound <= th) {
                S->pruned = 1;
                if (last == KB_DOC_END) break;
                target = last + 1;
                continue;
            }
        }
        if (prune && th > S->gate_th) choose_gate(S, root, th);
        uint32_t d = gated_advance(S, root, target);
        if (d == KB_DOC_END || S->rc) break;
        if (prune && th >= 0 && d > last) { /* jumped past the bounded range: bound again */
            target = d;
            continue;
        }
        target = d + 1;
        if (!passes_filters(S, d)) continue;
        if (root->defer) { /* the words are all there; are they in a row? */
            if (th >= 0 && ev_score(S, root, kb__index_doc_lens(S->ix, d)) < th) {
                S->pruned = 1; /* cannot enter whether or not it is a match */
                continue;
            }
            if (!phrase_match(S, root)) continue;
        }
        collect(S, root, d, h);
    }
}

/* Moves e and its parts back before their first document (run_seeded's second phase), as
 * build() left them: a part without postings, an AND with such a part, an OR of only such
 * parts are done from the start. */
static void rewind_ev(ev *e)
{
    e->ub_valid = 0;
    e->form_driven = 0;
    if (e->type == EV_TERM) {
        kb__postings_rewind(&e->post);
        kb__postings_rewind(&e->form);
        e->doc = e->absent ? KB_DOC_END : 0;
        return;
    }
    int any = 0, all = 1;
    for (uint32_t i = 0; i < e->n_kids; i++) {
        rewind_ev(e->kids[i]);
        any |= e->kids[i]->doc != KB_DOC_END;
        all &= e->kids[i]->doc != KB_DOC_END;
    }
    for (uint32_t i = 0; i < e->n_nots; i++)
        rewind_ev(e->nots[i]);
    e->doc = (e->type == EV_OR ? any : all) ? 0 : KB_DOC_END;
}

/* Top-k with pruning: MaxScore for a root OR of up to KB_QUERY_MAX_TERMS parts, the general
 * loop for anything else. */
static void run_pruned(search *S, ev *root, heap *h)
{
    if (root->type == EV_OR && root->n_kids <= KB_QUERY_MAX_TERMS)
        run_or_maxscore(S, root, h);
    else
        run_generic(S, root, h, 1);
}

/* Two words ORed, one much rarer than the other and of higher bound (r, c): MaxScore only
 * leaves c's documents to be probed once the k-th score passes c's bound, and until then
 * scores the union, mostly c's documents, which rarely enter. Two phases instead: first the
 * documents having r (MaxScore with c kept non-essential: probed, and cut once it cannot
 * lift a document into the top k), then, unless the k-th score has passed c's bound, those
 * having c but not r (c alone, r's documents left out, with a lone word's pruning and the
 * k-th score of the first phase). Scores are the same as in one pass: with two words the
 * sums do not depend on the order, and a document of the second phase has no r. */
#define RARE_FIRST_RATIO 4 /* c has at least this many times r's documents */

/* The two words of a two-word OR: the rarer r and the other c. */
static void rare_and_common(ev *root, ev **r, ev **c)
{
    ev *a = root->kids[0], *b = root->kids[1];
    *r = a->post.df <= b->post.df ? a : b;
    *c = *r == a ? b : a;
}

static int rare_first_worth(const search *S, ev *root, const heap *h, int few)
{
    if (S->any_rank || S->n_global_nots || root->type != EV_OR || root->n_kids != 2 ||
        root->w != 1.0)
        return 0;
    ev *r, *c;
    rare_and_common(root, &r, &c);
    if (r->type != EV_TERM || c->type != EV_TERM || r->w != 1.0 || c->w != 1.0) return 0;
    return r->ub > c->ub && (r->post.df < h->k) == few &&
           (uint64_t)r->post.df * RARE_FIRST_RATIO <= c->post.df;
}

static int seed_worth(search *S, ev *root, const heap *h);
static ev *run_seeded(search *S, ev *root, heap *h);

static ev *run_rare_first(search *S, ev *root, heap *h)
{
    ev *r, *c;
    rare_and_common(root, &r, &c);
    S->min_ne = 1; /* c, of the lower bound, sorts first */
    run_or_maxscore(S, root, h);
    S->min_ne = 0;
    S->pruned = 1; /* c's other documents are left to the second phase, or skipped */
    double th = threshold(h);
    if (S->rc || (th >= 0 && c->ub <= th)) return root;
    rewind_ev(root);
    S->n_gate = 0;
    S->gate_th = 0;
    S->skip_word = r;
    /* r's documents are left out, so only c's written form can add a bonus here (the OR has
     * no other word: no exclusion either): with r's bonus in form_ub_total (a rare word's form
     * has a high idf), every document of c passed the tf~ cut and had its form read
     * (السلاطنية OR جديدة: all 3,263 of the form's documents). Set as open_term adds it. */
    double form_ub_total = S->form_ub_total;
    S->form_ub_total = c->has_form ? S->P.form * c->form_ub * c->w : 0;
    if (seed_worth(S, c, h))
        run_seeded(S, c, h);
    else
        run_generic(S, c, h, 1);
    S->form_ub_total = form_ub_total;
    S->skip_word = NULL;
    return root; /* the total's estimate is the OR's */
}

/* The words of the root that have a written form (a lone word, or the words of a root AND or
 * OR of weight 1) into S->seed; returns the bound of a document having none of their forms. */
static void seed_words(search *S, ev *root)
{
    S->n_seed = 0;
    if (root->type == EV_TERM) {
        if (root->has_form) S->seed[S->n_seed++] = root;
        return;
    }
    if ((root->type != EV_AND && root->type != EV_OR) || root->w != 1.0) return;
    for (uint32_t i = 0; i < root->n_kids; i++) {
        ev *k = root->kids[i];
        if (k->type == EV_TERM && k->has_form && S->n_seed < KB_QUERY_MAX_TERMS)
            S->seed[S->n_seed++] = k;
    }
}

/* Bound of a document of root having none of the written forms of the words in S->seed. */
static double seed_bound(const ev *root)
{
    if (root->type == EV_TERM) return root->seeded ? root->stem_ub : root->ub;
    double b = 0;
    for (uint32_t i = 0; i < root->n_kids; i++)
        b += root->kids[i]->seeded ? root->kids[i]->stem_ub : root->kids[i]->ub;
    return b;
}

static int cmp_form_df(const void *x, const void *y)
{
    return -cmp_form_df_desc(x, y);
}

/* Two phases pay when the written forms have much shorter lists than the stems and enough
 * documents to fill the top k: the forms' documents first raise the k-th score, often past
 * what any document without them can score. When it does not, the second phase walks the
 * lists again: for an AND, whose rarest part leads, only worth it when the forms are far
 * rarer than that part (with the OR rule, the AND median went 30 -> 42 us), and there the
 * rarest form alone is tried first (a document without it is often out of reach already,
 * "عملية شخصين": 337 documents instead of 3,802 with both forms). */
#define SEED_ONE_FORM_MIN 4096 /* documents of the rarest stem: below, a failed try costs more */
static int seed_worth(search *S, ev *root, const heap *h)
{
    seed_words(S, root);
    uint64_t stems = 0, forms = 0, least = UINT64_MAX;
    for (uint32_t i = 0; i < S->n_seed; i++) {
        stems += S->seed[i]->post.df;
        forms += S->seed[i]->form.df;
        least = KB_MIN(least, S->seed[i]->post.df);
    }
    int worth = 0;
    if (S->n_seed && root->type == EV_AND) {
        /* an AND walks its rarest part: the forms must be far rarer than that one */
        qsort(S->seed, S->n_seed, sizeof *S->seed, cmp_form_df);
        if (S->seed[0]->form.df >= h->k && S->seed[0]->form.df * 16 <= least &&
            least >= SEED_ONE_FORM_MIN)
            S->n_seed = 1, worth = 1;
        else
            worth = forms >= h->k && forms * 4 <= least;
    } else if (S->n_seed) {
        worth = forms >= h->k && forms * 2 <= stems;
    }
    if (!worth) S->n_seed = 0;
    for (uint32_t i = 0; i < S->n_seed; i++)
        S->seed[i]->seeded = 1;
    return worth;
}

/* Top-k in two phases over the same documents, each document in one of them. First the
 * documents having the written form of one of the root's words (S->seed): the gate never lets
 * less through, and pruning goes on as usual within them. Then, unless the k-th score has
 * passed what a document without any of those forms can score, the others: on a second set of
 * evaluators (fresh cursors) where those words count without their form bonus (has_form off,
 * bound = stem bound), the documents having one of the forms left out (S->anti). Scores are
 * the same as in one pass: a document without a word's form gets no bonus from it either way.
 * Returns the root whose cursors last ran (for the total's estimate). */
static ev *run_seeded(search *S, ev *root, heap *h)
{
    double no_form = seed_bound(root);
    if (root->type == EV_TERM) {
        root->form_driven = 1;
    } else {
        memcpy(S->gate, S->seed, S->n_seed * sizeof *S->gate);
        S->n_gate = S->n_seed;
        S->gate_th = -1;
    }
    run_pruned(S, root, h);
    S->n_gate = S->n_seed = 0;
    S->gate_th = 0;
    double th = threshold(h);
    if (S->rc) return root;
    S->pruned = 1; /* documents were left to the second phase, or skipped altogether */
    if (th >= 0 && no_form <= th) return root;
    ev *r2 = root;
    rewind_ev(r2);
    for (uint32_t i = 0; i < S->n_global_nots; i++)
        rewind_ev(S->global_nots[i]);
    if (S->skip_word) rewind_ev(S->skip_word); /* run_rare_first's second phase */
    S->n_seed = 0;
    for (uint32_t i = 0; i < (r2->type == EV_TERM ? 1 : r2->n_kids); i++) {
        ev *k = r2->type == EV_TERM ? r2 : r2->kids[i];
        if (!k->seeded) continue;
        S->anti[S->n_seed++] = k;
        S->form_ub_total -= S->P.form * k->form_ub * k->w;
        k->has_form = 0;
        k->ub = k->stem_ub;
    }
    S->n_anti = S->n_seed;
    S->n_seed = 0;
    if (r2->type == EV_AND || r2->type == EV_OR) {
        r2->ub = 0;
        for (uint32_t i = 0; i < r2->n_kids; i++)
            r2->ub += r2->kids[i]->ub;
    }
    run_pruned(S, r2, h);
    S->n_anti = 0;
    return r2;
}

/* ---- results --------------------------------------------------------------------------------- */

typedef struct results_impl {
    kb_results pub;
    kb_hit *hits;
    kb_highlight *hl;
    size_t n_hl, cap_hl;
    kb_facet *facets;
    kb_slice *also;
    size_t n_also, cap_also;
    kb_buf arena;
    char *notice;
} results_impl;

KB_API void kb_results_free(kb_results *r)
{
    if (!r) return;
    results_impl *R = (results_impl *)r;
    kb__free(R->hits);
    kb__free(R->hl);
    kb__free(R->facets);
    kb__free(R->also);
    kb__buf_free(&R->arena);
    kb__free(R->notice);
    kb__free(R);
}

/* Slices are built as offsets into the arena (which moves while it grows) and fixed at the end. */
static kb_slice put(kb_buf *b, kb_slice s)
{
    kb_slice o = {(const char *)(uintptr_t)b->n, s.n};
    kb__buf_append(b, s.p, s.n);
    kb__buf_putc(b, 0);
    return o;
}

static void fix(const kb_buf *b, kb_slice *s)
{
    s->p = b->p + (uintptr_t)s->p;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the time budget (khabar_int.h) ---------------------------------------------------------- */

uint64_t (*kb__budget_clock)(void) = now_us;
uint32_t kb__budget_every = KB__BUDGET_EVERY;

void kb__budget_start(kb__budget *b, uint64_t timeout_us)
{
    memset(b, 0, sizeof *b);
    b->every = kb__budget_every ? kb__budget_every : 1;
    if (timeout_us) {
        uint64_t t = kb__budget_clock();
        b->deadline = t + timeout_us >= t ? t + timeout_us : UINT64_MAX;
    }
    b->left = b->deadline ? b->every : UINT32_MAX; /* no budget: a check per 4 G rounds */
}

int kb__budget_check(kb__budget *b)
{
    b->left = b->deadline ? b->every : UINT32_MAX; /* without a deadline the clock is not read */
    if (!b->spent && b->deadline && kb__budget_clock() >= b->deadline) b->spent = 1;
    if (b->spent) b->left = 1; /* every later tick says so at once */
    return b->spent;
}

int kb__budget_over(kb__budget *b)
{
    if (!b || !b->deadline) return 0;
    return b->spent || (b->spent = kb__budget_clock() >= b->deadline);
}

/* Query terms to mark in snippets: every positive word (stem and form; form only when exact). */
static size_t snip_terms(const kb__query *q, uint32_t id, int neg, kb__snip_term *out, size_t n)
{
    if (id == KB_QN_NONE || n >= KB_QUERY_MAX_TERMS) return n;
    const kb__qnode *nd = &q->nodes[id];
    if (nd->bonus) return n;
    if (nd->type == KB_QN_TERM) {
        if (!neg) {
            out[n].norm = kb__query_str(q, nd->norm);
            out[n].norm_len = nd->norm_len;
            out[n].stem = nd->exact ? NULL : kb__query_str(q, nd->stem);
            out[n].stem_len = nd->exact ? 0 : nd->stem_len;
            n++;
        }
        return n;
    }
    for (uint32_t k = nd->child; k != KB_QN_NONE; k = q->nodes[k].next)
        n = snip_terms(q, k, neg || nd->type == KB_QN_NOT, out, n);
    return n;
}

static int set_notice(results_impl *R, const char *msg, size_t n)
{
    kb__free(R->notice);
    R->notice = kb__strndup(msg, n);
    R->pub.notice = R->notice;
    return R->notice ? 0 : KB_ENOMEM;
}

static int parse_ymd(kb_slice s, uint32_t *out, int upper)
{
    char tmp[11];
    if (!s.n) {
        *out = 0;
        return 0;
    }
    if (s.n < 4 || s.n > 10) return KB_EQUERY;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = 0;
    int y = 0, m = upper ? 12 : 1, d = upper ? 31 : 1;
    int got = sscanf(tmp, "%4d-%2d-%2d", &y, &m, &d);
    if (got < 1 || m < 1 || m > 12 || d < 1 || d > 31) return KB_EQUERY;
    *out = (uint32_t)(y * 10000 + m * 100 + d);
    return 0;
}

static uint32_t ymd_of(const char *s)
{
    if (!s[0]) return 0;
    return (uint32_t)(atoi(s) * 10000 + atoi(s + 5) * 100 + atoi(s + 8));
}

/* Turns the root AND into an OR of its positive parts; its exclusions become global filters. */
/* A cheap estimate of a node's matches when pruning skipped the counting: a word's document
 * frequency, the rarest part of an AND, the sum of an OR's parts (phrases and exclusions are
 * not estimated: what was seen stands). */
static uint64_t estimate(const ev *e)
{
    uint64_t m = 0;
    switch (e->type) {
    case EV_TERM:
        return e->absent ? 0 : e->post.df;
    case EV_PHRASE:
        return 0;
    case EV_AND:
        if (e->n_nots) return 0;
        m = UINT64_MAX;
        for (uint32_t i = 0; i < e->n_kids; i++)
            m = KB_MIN(m, estimate(e->kids[i]));
        return e->n_kids ? m : 0;
    case EV_OR:
        for (uint32_t i = 0; i < e->n_kids; i++)
            m += estimate(e->kids[i]);
        return m;
    }
    return 0;
}

static ev *relax(search *S, ev *root)
{
    if (root->type != EV_AND) return root;
    S->global_nots = root->nots;
    S->n_global_nots = root->n_nots;
    root->type = EV_OR;
    root->nots = NULL;
    root->n_nots = 0;
    /* build() ended the AND when a word was absent; the OR goes on while any word has postings */
    root->doc = KB_DOC_END;
    for (uint32_t i = 0; i < root->n_kids; i++)
        if (root->kids[i]->doc != KB_DOC_END) root->doc = 0;
    return root;
}

static void free_evs(search *S)
{
    for (uint32_t i = 0; i < S->n_pool; i++) {
        kb__postings_free(&S->pool[i].post);
        kb__postings_free(&S->pool[i].form);
    }
    kb__free(S->pool);
    kb__free(S->ptrs);
    S->pool = NULL;
    S->ptrs = NULL;
    S->n_pool = S->cap_pool = S->n_ptrs = S->cap_ptrs = 0;
}

/* Appends highlights to the results' shared array. */
static int add_hls(results_impl *R, const kb_highlight *h, size_t n)
{
    if (n == 0) return 0;
    if (R->n_hl + n > R->cap_hl) {
        size_t nc = (R->cap_hl + n) * 2 + 32;
        kb_highlight *p = kb__realloc(R->hl, nc * sizeof *p);
        if (!p) return KB_ENOMEM;
        R->hl = p;
        R->cap_hl = nc;
    }
    memcpy(R->hl + R->n_hl, h, n * sizeof *h);
    R->n_hl += n;
    return 0;
}

/* A chosen hit before its slices are fixed: where its highlights start in R->hl and its also
 * sources in R->also. */
typedef struct hit_plan {
    cand c;
    uint32_t similar;
    int64_t rep;
    size_t hl_first, thl_first, also_first;
} hit_plan;

/* A failed duplicate-cluster lookup, with the handle's message (the damaged page, when a page
 * failed its checksum). */
static int cluster_fail(kb_index *ix, int rc)
{
    struct sqlite3 *db = kb__index_db(ix);
    char page[200];
    if (rc == KB_ECORRUPT && sqlite3_extended_errcode(db) == SQLITE_IOERR_DATA &&
        kb__checksum_vfs_fault(db, kb__checksum_vfs_faults(db) - 1, page, sizeof page))
        return kb__index_fail(ix, rc, "duplicate clusters: %s", page);
    return kb__index_fail(ix, rc, "duplicate clusters: %s", kb_strerror(rc));
}

/* A hit from its docs row alone (an ids-only answer, or a damaged stored article): id, source,
 * date and url; no title, snippet, highlights nor other sources. */
static void row_hit(results_impl *R, hit_plan *p, kb_hit *hit, const kb__doc *doc)
{
    kb_buf *A = &R->arena;
    hit->id = put(A, doc->id);
    hit->source = put(A, doc->source);
    hit->date = put(A, doc->date);
    hit->url = put(A, doc->url);
    hit->title = put(A, (kb_slice){"", 0});
    hit->snippet = hit->title;
    p->also_first = R->n_also;
    p->hl_first = p->thl_first = R->n_hl;
}

/* Picks the hits from the sorted candidates (folding duplicate clusters unless asked not to),
 * fetches each article, cuts its snippet, and fills R. Once the budget is spent, hits past the
 * first KB_SEARCH_BUDGET_MIN_HITS asked for are no longer picked nor built. */
static int build_hits(search *S, results_impl *R, const kb_search_options *o, cand *sorted,
                      uint32_t n_sorted)
{
    kb_index *ix = S->ix;
    uint32_t want = o->offset + o->limit, n_plan = 0;
    hit_plan *plan = kb__calloc(want + 1, sizeof *plan);
    if (!plan) return KB_ENOMEM;
    int rc = 0;
    kb__dedup_store *db = o->no_collapse ? NULL : kb__index_dedup_reader(ix);
    if (!o->no_collapse && !db) rc = KB_ENOMEM; /* its statements' store could not be made */
    uint32_t min_plan = o->offset + KB_MIN(o->limit, KB_SEARCH_BUDGET_MIN_HITS);
    for (uint32_t i = 0; i < n_sorted && n_plan < want && !rc; i++) {
        if (n_plan >= min_plan && kb__budget_over(&S->budget)) break;
        int64_t rep = sorted[i].doc;
        uint32_t size = 1;
        /* An index without cluster tables answers "alone"; an error (a damaged page: KB_ECORRUPT)
         * fails the search rather than quietly unfolding the cluster. */
        if (db) rc = kb__dedup_cluster_of(db, sorted[i].doc, &rep, &size);
        if (rc) {
            rc = cluster_fail(ix, rc);
            break;
        }
        int seen = 0;
        for (uint32_t k = 0; k < n_plan && !seen && size > 1; k++)
            seen = plan[k].rep == rep;
        if (seen) continue;
        plan[n_plan].c = sorted[i];
        plan[n_plan].rep = rep;
        plan[n_plan++].similar = size - 1;
    }
    uint32_t n_hits = n_plan > o->offset ? n_plan - o->offset : 0;
    R->hits = kb__calloc(n_hits ? n_hits : 1, sizeof *R->hits);
    if (!R->hits) {
        kb__free(plan);
        return KB_ENOMEM;
    }
    kb__snip_term terms[KB_QUERY_MAX_TERMS];
    size_t n_terms = snip_terms(&S->q, S->q.root, 0, terms, 0);
    size_t target =
        o->snippet_bytes ? KB_MIN(o->snippet_bytes, SNIPPET_MAX_BYTES) : SNIPPET_DEFAULT_BYTES;
    kb__snipper *sn = NULL;
    if (!rc && !o->ids_only && !o->no_snippets)
        rc = kb__snipper_new(kb__index_analyzer(ix), terms, n_terms, &sn);
    kb__doc doc;
    kb__doc_init(&doc);
    kb_buf *A = &R->arena;
    uint32_t n_damaged = 0;
    kb_highlight *tmp = NULL;
    size_t cap = 0;
    for (uint32_t i = 0; i < n_hits && !rc; i++) {
        if (i >= KB_SEARCH_BUDGET_MIN_HITS && kb__budget_over(&S->budget)) {
            n_hits = i; /* out of time: the hits built so far */
            break;
        }
        hit_plan *p = &plan[o->offset + i];
        kb_hit *hit = &R->hits[i];
        hit->score = p->c.score;
        hit->similar = p->similar;
        if (o->ids_only) {
            rc = kb__index_doc_meta(ix, p->c.doc, &doc);
            if (rc) break;
            row_hit(R, p, hit, &doc);
            continue;
        }
        kb__doc *d = &doc; /* the second stage's copy when it read this one */
        for (uint32_t k = 0; k < S->n_kept && d == &doc; k++)
            if (S->kept[k].docid == p->c.doc) d = &S->kept[k];
        if (d == &doc) rc = kb__index_doc_get(ix, p->c.doc, &doc);
        if (rc == KB_ECORRUPT) {
            /* Its stored copy is damaged (or the page holding it): the postings that found it
             * are sound, so the hit stays, from its docs row, flagged, without title and
             * snippet; the notice says so. When the docs row cannot be read either, the search
             * fails as before. */
            rc = kb__index_doc_row(ix, p->c.doc, &doc);
            if (rc) break;
            row_hit(R, p, hit, &doc);
            hit->damaged = 1;
            n_damaged++;
            continue;
        }
        if (rc) break;
        hit->id = put(A, d->id);
        hit->title = put(A, d->title);
        hit->source = put(A, d->source);
        hit->date = put(A, d->date);
        hit->url = put(A, d->url);
        p->hl_first = p->thl_first = R->n_hl;
        if (!o->no_snippets) {
            size_t s = 0, e = 0, nh = 0;
            rc = kb__snipper_best_doc(sn, ix, d, target, &s, &e, &tmp, &nh, &cap);
            if (!rc && d->body.n == 0) {
                hit->snippet_is_title = 1;
                hit->snippet = hit->title;
            } else if (!rc) {
                hit->snippet = put(A, (kb_slice){d->body.p + s, e - s});
                hit->snippet_start = s;
                hit->n_highlights = nh;
                rc = add_hls(R, tmp, nh);
            }
            p->thl_first = R->n_hl;
            nh = 0;
            if (!rc)
                rc = kb__snipper_mark_all(sn, d->title.p, d->title.n, &tmp, &nh, &cap);
            if (!rc) rc = add_hls(R, tmp, nh);
            hit->n_title_highlights = nh;
        }
        /* the other sources of the cluster, distinct and not the hit's own */
        p->also_first = R->n_also;
        if (p->similar && db && !rc) {
            int64_t mem[COLLAPSE_MEMBERS_MAX];
            uint32_t n_mem = 0;
            rc = kb__dedup_cluster_members(db, p->rep, mem, COLLAPSE_MEMBERS_MAX, &n_mem);
            if (rc) rc = cluster_fail(ix, rc);
            if (rc == 0) {
                uint32_t own = kb__index_doc_source(ix, p->c.doc);
                uint32_t ids[COLLAPSE_MEMBERS_MAX], n_ids = 0;
                for (uint32_t k = 0; k < KB_MIN(n_mem, COLLAPSE_MEMBERS_MAX); k++) {
                    uint32_t sid = kb__index_doc_source(ix, (uint32_t)mem[k]);
                    int dup = !sid || sid == own;
                    for (uint32_t j = 0; j < n_ids && !dup; j++)
                        dup = ids[j] == sid;
                    if (dup) continue;
                    ids[n_ids++] = sid;
                    if (R->n_also == R->cap_also) {
                        size_t nc = R->cap_also * 2 + 16;
                        kb_slice *na = kb__realloc(R->also, nc * sizeof *na);
                        if (!na) {
                            rc = KB_ENOMEM;
                            break;
                        }
                        R->also = na;
                        R->cap_also = nc;
                    }
                    R->also[R->n_also++] = put(A, kb__index_source_name(ix, sid));
                }
            }
        }
        hit->n_also_sources = R->n_also - p->also_first;
    }
    kb__free(tmp);
    kb__snipper_free(sn);
    kb__doc_free(&doc);
    if (n_damaged) {
        kb_buf *nb = &S->q.notice;
        char msg[160];
        snprintf(msg, sizeof msg,
                 "%u of these articles could not be read (damaged stored copy): run khabar check",
                 n_damaged);
        if (nb->n) kb__buf_puts(nb, "; ");
        kb__buf_puts(nb, msg);
        if (nb->rc) rc = nb->rc;
    }
    /* facets: source names are copied, they live as long as the results */
    uint32_t nf = 0;
    if (!rc && S->facet) {
        for (uint32_t s = 1; s < S->n_facet; s++)
            nf += S->facet[s] > 0;
        R->facets = kb__calloc(nf ? nf : 1, sizeof *R->facets);
        if (!R->facets) rc = KB_ENOMEM;
        for (uint32_t s = 1, j = 0; s < S->n_facet && !rc; s++) {
            if (!S->facet[s]) continue;
            R->facets[j].value = put(A, kb__index_source_name(ix, s));
            R->facets[j++].count = S->facet[s];
        }
    }
    if (!rc && A->rc) rc = A->rc;
    if (!rc) {
        for (uint32_t i = 0; i < n_hits; i++) {
            kb_hit *hit = &R->hits[i];
            hit_plan *p = &plan[o->offset + i];
            fix(A, &hit->id);
            fix(A, &hit->title);
            fix(A, &hit->source);
            fix(A, &hit->date);
            fix(A, &hit->url);
            if (o->no_snippets || o->ids_only)
                hit->snippet = (kb_slice){"", 0};
            else
                fix(A, &hit->snippet);
            hit->highlights = hit->n_highlights ? R->hl + p->hl_first : NULL;
            hit->title_highlights = hit->n_title_highlights ? R->hl + p->thl_first : NULL;
            hit->also_sources = hit->n_also_sources ? R->also + p->also_first : NULL;
        }
        for (size_t k = 0; k < R->n_also; k++)
            fix(A, &R->also[k]);
        for (uint32_t j = 0; j < nf; j++)
            fix(A, &R->facets[j].value);
        R->pub.hits = R->hits;
        R->pub.n_hits = n_hits;
        R->pub.sources = R->facets;
        R->pub.n_sources = nf;
    }
    kb__free(plan);
    return rc;
}

static int reopen_terms(search *S, uint32_t node_count);
static ev *build_root(search *S);

KB_API int kb_search_run(kb_index *ix, const char *text, size_t n, const kb_search_options *opts,
                         kb_results **out)
{
    if (!out) return KB_EINVAL;
    *out = NULL;
    if (!ix || (!text && n)) return KB_EINVAL;
    uint64_t t0 = now_us();
    kb_search_options o = {0};
    if (opts) o = *opts;
    if (o.limit == 0) o.limit = 10;
    results_impl *R = kb__calloc(1, sizeof *R);
    if (!R) return KB_ENOMEM;
    kb__buf_init(&R->arena, 0);
    if ((uint64_t)o.limit + o.offset > KB_SEARCH_MAX_HITS) {
        char msg[128];
        int k = snprintf(msg, sizeof msg, "limit + offset is past %d hits", KB_SEARCH_MAX_HITS);
        set_notice(R, msg, (size_t)k);
        *out = &R->pub;
        return KB_ETOOBIG;
    }
    search S;
    memset(&S, 0, sizeof S);
    S.ix = ix;
    load_params(&S.P);
    S.exact_total = o.exact_total;
    kb__budget_start(&S.budget, o.timeout_us);
    int rc = kb__query_parse(kb__index_analyzer(ix), text ? text : "", n,
                             o.mode == KB_SEARCH_ANY ? KB_QP_KEEP_STOP : 0, &S.q);
    if (rc == 0 && S.q.root == KB_QN_NONE) {
        rc = KB_EQUERY;
        if (!S.q.notice.n) kb__buf_puts(&S.q.notice, "the query has no word to search for");
    }
    if (rc == KB_EQUERY || rc == KB_ETOOBIG) {
        set_notice(R, S.q.notice.p ? S.q.notice.p : "malformed query", S.q.notice.n);
        kb__query_free(&S.q);
        R->pub.took_us = now_us() - t0;
        *out = &R->pub;
        return rc;
    }
    if (rc) {
        kb__query_free(&S.q);
        kb_results_free(&R->pub);
        return rc;
    }
    rc = kb__index_read_begin(ix);
    if (rc) {
        kb__query_free(&S.q);
        kb_results_free(&R->pub);
        return rc;
    }
    kb__index_collection(ix, &S.coll);
    for (int f = 0; f < KB_N_FIELDS; f++)
        S.norm_k[f] = S.coll.avg_len[f] > 0 ? S.P.b[f] / S.coll.avg_len[f] : 0;

    /* filters: source (query and options), date (query narrows options) */
    for (uint32_t i = 0; i < S.q.n_sources; i++) {
        S.src_filter = 1;
        uint32_t id =
            kb__index_source_id(ix, kb__query_str(&S.q, S.q.sources[i]), S.q.source_lens[i]);
        if (id) S.src_ids[S.n_src++] = id;
    }
    if (o.source.n) {
        S.src_filter = 1;
        uint32_t id = kb__index_source_id(ix, o.source.p, o.source.n);
        if (id) S.src_ids[S.n_src++] = id;
    }
    uint32_t lo = 0, hi = 0;
    if (parse_ymd(o.date_from, &lo, 0) || parse_ymd(o.date_to, &hi, 1)) {
        rc = KB_EQUERY;
        set_notice(R, "dates are YYYY-MM-DD", 20);
    }
    S.date_lo = KB_MAX(lo, ymd_of(S.q.date_from));
    S.date_hi = hi && ymd_of(S.q.date_to) ? KB_MIN(hi, ymd_of(S.q.date_to))
                                          : KB_MAX(hi, ymd_of(S.q.date_to));
    if (o.exact_total && !o.no_facets) {
        S.n_facet = kb__index_n_sources(ix) + 1;
        S.facet = kb__calloc(S.n_facet, sizeof *S.facet);
        if (!S.facet) rc = KB_ENOMEM;
    }

    if (!rc && o.mode == KB_SEARCH_ANY && S.P.prox > 0) rc = add_pair_bonus(&S.q);
    uint32_t node_count = count_nodes(&S.q, S.q.root);
    ev *root = NULL;
    if (o.mode == KB_SEARCH_ANY) rank_any(&S);
    if (!rc) {
        rc = reopen_terms(&S, node_count);
        root = rc ? NULL : build_root(&S);
        if (!rc && S.rc) rc = S.rc;
    }
    heap h = {NULL, 0, o.limit + o.offset};
    if (!o.no_collapse) /* room for the copies that collapsing folds away */
        h.k = KB_MIN(h.k * COLLAPSE_FACTOR + COLLAPSE_EXTRA, KB_SEARCH_MAX_HITS * 2);
    /* the any-word ranking re-reads its top KB__RERANK_K (rerank.c), so it keeps that many */
    uint32_t k_all = KB_MAX(h.k, KB__RERANK_K), k_any = k_all;
    h.a = kb__malloc(k_all * sizeof *h.a);
    if (!h.a && !rc) rc = KB_ENOMEM;
    int any_mode = o.mode == KB_SEARCH_ANY;
    if (any_mode) h.k = k_any;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        if (any_mode) root = relax(&S, root);
        if (o.exact_total)
            run_generic(&S, root, &h, 0);
        else if (rare_first_worth(&S, root, &h, 1))
            root = run_rare_first(&S, root, &h);
        else if (seed_worth(&S, root, &h))
            root = run_seeded(&S, root, &h);
        else if (rare_first_worth(&S, root, &h, 0))
            root = run_rare_first(&S, root, &h);
        else
            run_pruned(&S, root, &h);
        rc = S.rc;
        if (rc == KB__ESPENT) { /* out of time: the top k holds fully scored documents */
            rc = S.rc = 0;
            S.pruned = 1; /* the documents not reached go uncounted */
            break;
        }
        if (rc || h.n > 0 || any_mode || root->type != EV_AND || root->n_kids < 2) break;
        /* nothing had every word: rank the articles that have some of them */
        R->pub.fallback_any = 1;
        any_mode = 1;
        rank_any(&S);
        h.k = k_any;
        free_evs(&S);
        S.counted = 0;
        S.form_ub_total = 0;
        S.pruned = 0;
        S.n_gate = S.n_seed = S.n_anti = 0; /* their words were freed with the evaluators */
        S.gate_th = 0;
        if (S.facet) memset(S.facet, 0, S.n_facet * sizeof *S.facet);
        rc = reopen_terms(&S, node_count);
        root = rc ? NULL : build_root(&S);
        if (!rc && S.rc) rc = S.rc;
        if (!rc) {
            kb_buf *nb = &S.q.notice;
            if (nb->n) kb__buf_puts(nb, "; ");
            kb__buf_puts(nb, "no article has every word; showing articles with some of them");
        }
    }

    /* hits: with collapsing, more candidates than shown, so folded copies leave room */
    if (!rc) {
        qsort(h.a, h.n, sizeof *h.a, cmp_cand);
        if (S.any_rank) rc = rerank(&S, &h, !o.ids_only);
    }
    if (!rc) rc = build_hits(&S, R, &o, h.a, h.n);
    if (!rc) {
        R->pub.timed_out = S.budget.spent;
        R->pub.total = S.counted;
        R->pub.total_exact = !S.pruned;
        if (S.pruned) { /* an estimate: at least what was seen, and at least the top-k */
            R->pub.total = KB_MAX(S.counted, h.n);
            if (!S.src_filter && !S.date_lo && !S.date_hi && !S.n_global_nots && root)
                R->pub.total = KB_MAX(R->pub.total, KB_MIN(estimate(root), S.coll.docs));
        }
        if (S.q.notice.n) rc = set_notice(R, S.q.notice.p, S.q.notice.n);
    }
    kb__free(h.a);
    for (uint32_t k = 0; k < S.n_kept; k++)
        kb__doc_free(&S.kept[k]);
    kb__free(S.facet);
    free_evs(&S);
    kb__index_read_end(ix);
    kb__query_free(&S.q);
    if (rc) {
        kb_results_free(&R->pub);
        return rc;
    }
    R->pub.took_us = now_us() - t0;
    *out = &R->pub;
    return 0;
}

/* Sizes the evaluator pool for node_count query nodes (a phrase adds one per word, already
 * counted as its children). */
static int reopen_terms(search *S, uint32_t node_count)
{
    S->cap_pool = node_count + 1;
    S->cap_ptrs = node_count + 1;
    S->pool = kb__calloc(S->cap_pool, sizeof *S->pool);
    S->ptrs = kb__calloc(S->cap_ptrs, sizeof *S->ptrs);
    S->n_pool = S->n_ptrs = 0;
    S->global_nots = NULL;
    S->n_global_nots = 0;
    if (!S->pool || !S->ptrs) return KB_ENOMEM;
    return 0;
}

static ev *build_root(search *S)
{
    return build(S, S->q.root);
}
