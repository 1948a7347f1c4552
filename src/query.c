/*
 * query.c — the query language: from the text a user types to a small tree of terms, phrases
 * and groups that search.c evaluates.
 *
 * Syntax (docs/search.md): words (all must match), "exact phrase" (also «…» and “…”), -word,
 * a OR b, parentheses, title:word, title:"phrase", source:NAME, date:FROM..TO. Words go through
 * the same analyzer as the documents, so a query word and an indexed word meet on the same
 * normalized form and stem.
 *
 * The parser never fails on shape: an unclosed quote or parenthesis is closed, a stray ')' or a
 * dangling OR or '-' is ignored, parentheses nested past KB_QUERY_MAX_DEPTH are ignored, and the
 * notice says what was repaired. It fails only on limits (KB_ETOOBIG) and on a date: it cannot
 * read (KB_EQUERY), each with a message a user can act on.
 */
#include "khabar_int.h"

#include <stdio.h>

/* ---- the lexer ------------------------------------------------------------------------------- */

typedef enum lex_kind {
    LX_END,
    LX_WORD,   /* p[0..n) plain text, may hold several analyzer tokens */
    LX_PHRASE, /* p[0..n) the inside of quotes */
    LX_LPAREN,
    LX_RPAREN,
    LX_OR,
    LX_NOT,  /* a leading '-' or the word NOT */
    LX_FIELD /* p[0..n) the field name ("title", "source", "date"); the value follows */
} lex_kind;

typedef struct lexer {
    const char *s;
    size_t n, i;
} lexer;

typedef struct lexeme {
    lex_kind kind;
    const char *p;
    size_t n;
    int unclosed; /* LX_PHRASE without its closing quote */
} lexeme;

/* Opening quotes and their closing partners: ASCII, guillemets (common in Arabic), curly. */
static size_t quote_open(const char *s, size_t n, const char **close, size_t *close_len)
{
    static const struct {
        const char *open, *close;
    } q[] = {{"\"", "\""},
             {"\xC2\xAB", "\xC2\xBB"},
             {"\xE2\x80\x9C", "\xE2\x80\x9D"},
             {"\xE2\x80\x9D", "\xE2\x80\x9D"}};
    for (size_t k = 0; k < KB_ARRAY_LEN(q); k++) {
        size_t l = strlen(q[k].open);
        if (n >= l && !memcmp(s, q[k].open, l)) {
            *close = q[k].close;
            *close_len = strlen(q[k].close);
            return l;
        }
    }
    return 0;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A byte that ends a word chunk: space, parentheses or the start of a quote. */
static int ends_word(const lexer *L, size_t i)
{
    unsigned char c = (unsigned char)L->s[i];
    const char *cl;
    size_t cll;
    return is_space(c) || c == '(' || c == ')' || quote_open(L->s + i, L->n - i, &cl, &cll);
}

static int field_name(const char *p, size_t n)
{
    return (n == 5 && !memcmp(p, "title", 5)) || (n == 6 && !memcmp(p, "source", 6)) ||
           (n == 4 && !memcmp(p, "date", 4));
}

static lexeme lex_next(lexer *L)
{
    lexeme x = {LX_END, NULL, 0, 0};
    while (L->i < L->n && is_space((unsigned char)L->s[L->i]))
        L->i++;
    if (L->i >= L->n) return x;
    const char *s = L->s + L->i;
    size_t left = L->n - L->i;
    const char *close;
    size_t close_len, ql;
    if (*s == '(' || *s == ')') {
        x.kind = *s == '(' ? LX_LPAREN : LX_RPAREN;
        L->i++;
        return x;
    }
    if ((ql = quote_open(s, left, &close, &close_len))) {
        size_t b = L->i + ql, e = b;
        while (e < L->n && !(L->n - e >= close_len && !memcmp(L->s + e, close, close_len)))
            e++;
        x.kind = LX_PHRASE;
        x.p = L->s + b;
        x.n = e - b;
        x.unclosed = e >= L->n;
        L->i = e >= L->n ? L->n : e + close_len;
        return x;
    }
    if (*s == '-' && left > 1 && !is_space((unsigned char)s[1]) && s[1] != '-' && s[1] != ')') {
        x.kind = LX_NOT;
        L->i++;
        return x;
    }
    size_t e = L->i;
    while (e < L->n && !ends_word(L, e))
        e++;
    /* field:value — the value starts right after the colon (a word or a quote) */
    for (size_t c = L->i; c < e; c++) {
        if (L->s[c] != ':') continue;
        if (field_name(s, c - L->i) && c + 1 < L->n && !is_space((unsigned char)L->s[c + 1])) {
            x.kind = LX_FIELD;
            x.p = s;
            x.n = c - L->i;
            L->i = c + 1;
            return x;
        }
        break;
    }
    x.p = s;
    x.n = e - L->i;
    L->i = e;
    if (x.n == 2 && !memcmp(x.p, "OR", 2))
        x.kind = LX_OR;
    else if (x.n == 1 && *x.p == '|')
        x.kind = LX_OR;
    else if (x.n == 3 && !memcmp(x.p, "NOT", 3))
        x.kind = LX_NOT;
    else if (x.n == 3 && !memcmp(x.p, "AND", 3))
        return lex_next(L); /* AND is what words do anyway */
    else
        x.kind = LX_WORD;
    return x;
}

/* ---- building the tree ----------------------------------------------------------------------- */

typedef struct parser {
    lexer L;
    lexeme la; /* lookahead */
    kb_analyzer *a;
    kb__query *q;
    uint32_t n_terms;
    int depth;
    int rc;
} parser;

static void advance(parser *P)
{
    P->la = lex_next(&P->L);
}

static void note(kb__query *q, const char *msg)
{
    if (q->notice.n) kb__buf_puts(&q->notice, "; ");
    kb__buf_puts(&q->notice, msg);
}

static void repaired(parser *P, const char *msg)
{
    P->q->repaired = 1;
    note(P->q, msg);
}

static uint32_t new_node(parser *P, kb__qtype type)
{
    kb__query *q = P->q;
    if (P->rc) return KB_QN_NONE;
    if (q->n_nodes >= KB_QUERY_MAX_NODES) {
        P->rc = KB_ETOOBIG;
        return KB_QN_NONE;
    }
    if (q->n_nodes == q->cap_nodes) {
        uint32_t cap = q->cap_nodes ? q->cap_nodes * 2 : 16;
        kb__qnode *nn = kb__realloc(q->nodes, cap * sizeof *nn);
        if (!nn) {
            P->rc = KB_ENOMEM;
            return KB_QN_NONE;
        }
        q->nodes = nn;
        q->cap_nodes = cap;
    }
    kb__qnode *nd = &q->nodes[q->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->type = (uint8_t)type;
    nd->child = nd->next = KB_QN_NONE;
    return q->n_nodes++;
}

static uint32_t add_string(parser *P, const char *s, size_t n)
{
    kb_buf *b = &P->q->strings;
    uint32_t off = (uint32_t)b->n;
    kb__buf_append(b, s, n);
    kb__buf_putc(b, 0);
    if (b->rc && !P->rc) P->rc = b->rc;
    return off;
}

/* Appends child c to group g (keeps a tail pointer by walking; groups are short). */
static void add_child(parser *P, uint32_t g, uint32_t c)
{
    if (g == KB_QN_NONE || c == KB_QN_NONE) return;
    kb__qnode *N = P->q->nodes;
    if (N[g].child == KB_QN_NONE) {
        N[g].child = c;
        return;
    }
    uint32_t k = N[g].child;
    while (N[k].next != KB_QN_NONE)
        k = N[k].next;
    N[k].next = c;
}

/* Analyzes text into TERM nodes. One token: that term. Several (a phrase, or a chunk like
 * "covid-19" the analyzer splits): a PHRASE when phrase is set, else an AND of them.
 * Returns KB_QN_NONE when the text holds no word. */
static uint32_t analyze_into(parser *P, const char *p, size_t n, int phrase, int field)
{
    kb_token t;
    uint32_t first = KB_QN_NONE, last = KB_QN_NONE, count = 0;
    kb_analyzer_reset(P->a, p, n);
    int r = 0;
    while (!P->rc && (r = kb_analyzer_next(P->a, &t)) > 0) {
        if (++P->n_terms > KB_QUERY_MAX_TERMS) {
            P->rc = KB_ETOOBIG;
            break;
        }
        uint32_t id = new_node(P, KB_QN_TERM);
        if (id == KB_QN_NONE) break;
        uint32_t no = add_string(P, t.norm, t.norm_len);
        uint32_t so = add_string(P, t.stem, t.stem_len);
        kb__qnode *nd = &P->q->nodes[id];
        nd->norm = no;
        nd->norm_len = (uint32_t)t.norm_len;
        nd->stem = so;
        nd->stem_len = (uint32_t)t.stem_len;
        nd->exact = (uint8_t)phrase;
        nd->stop = (t.flags & KB_TOK_STOP) != 0;
        nd->field = (uint8_t)field;
        if (last != KB_QN_NONE)
            P->q->nodes[last].next = id;
        else
            first = id;
        last = id;
        count++;
    }
    if (r < 0 && !P->rc) P->rc = r;
    if (P->rc || count == 0) return KB_QN_NONE;
    if (count == 1) return first;
    uint32_t g = new_node(P, phrase ? KB_QN_PHRASE : KB_QN_AND);
    if (g == KB_QN_NONE) return KB_QN_NONE;
    P->q->nodes[g].child = first;
    P->q->nodes[g].field = (uint8_t)field;
    return g;
}

/* Reads YYYY-MM-DD (also YYYY-MM or YYYY, completed to the first or last day) into out[11]. */
static int parse_date(const char *p, size_t n, int upper, char out[11])
{
    int y = 0, m = upper ? 12 : 1, d = upper ? 31 : 1;
    size_t i = 0, k;
    for (k = 0; i < n && k < 4 && p[i] >= '0' && p[i] <= '9'; i++, k++)
        y = y * 10 + (p[i] - '0');
    if (k != 4) return KB_EQUERY;
    if (i < n) {
        if (p[i] != '-' && p[i] != '/') return KB_EQUERY;
        i++;
        for (m = 0, k = 0; i < n && k < 2 && p[i] >= '0' && p[i] <= '9'; i++, k++)
            m = m * 10 + (p[i] - '0');
        if (k == 0 || m < 1 || m > 12) return KB_EQUERY;
        if (i < n) {
            if (p[i] != '-' && p[i] != '/') return KB_EQUERY;
            i++;
            for (d = 0, k = 0; i < n && k < 2 && p[i] >= '0' && p[i] <= '9'; i++, k++)
                d = d * 10 + (p[i] - '0');
            if (k == 0 || d < 1 || d > 31) return KB_EQUERY;
        }
    }
    if (i != n) return KB_EQUERY;
    if (upper && d == 31) { /* the last day of the month */
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        d = mdays[m - 1] + (m == 2 && leap);
    }
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(out, tmp, 11);
    return 0;
}

static void date_filter(parser *P, const char *p, size_t n)
{
    kb__query *q = P->q;
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '.' && p[i + 1] == '.') {
            dots = p + i;
            break;
        }
    int rc = 0;
    if (!dots) {
        rc = parse_date(p, n, 0, q->date_from);
        if (!rc) rc = parse_date(p, n, 1, q->date_to);
    } else {
        size_t a = (size_t)(dots - p), b = n - a - 2;
        if (a) rc = parse_date(p, a, 0, q->date_from);
        if (!rc && b) rc = parse_date(dots + 2, b, 1, q->date_to);
    }
    if (rc) {
        q->date_from[0] = q->date_to[0] = 0;
        kb__buf_printf(&q->notice,
                       "%sdate: wants YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, "
                       "FROM.. or ..TO; got \"%.*s\"",
                       q->notice.n ? "; " : "", (int)KB_MIN(n, 64), p);
        P->rc = KB_EQUERY;
    } else if (q->date_from[0] && q->date_to[0] && strcmp(q->date_from, q->date_to) > 0) {
        kb__buf_printf(&q->notice, "%sdate: range ends before it starts (%s..%s)",
                       q->notice.n ? "; " : "", q->date_from, q->date_to);
        P->rc = KB_EQUERY;
    }
}

static uint32_t parse_or(parser *P, int field);

/* primary := '(' and ')' | PHRASE | WORD | FIELD value */
static uint32_t parse_primary(parser *P, int field)
{
    lexeme x = P->la;
    switch (x.kind) {
    case LX_LPAREN: {
        advance(P);
        if (P->depth >= KB_QUERY_MAX_DEPTH) {
            repaired(P, "parentheses nested too deep were ignored");
            return KB_QN_NONE;
        }
        P->depth++;
        uint32_t g = new_node(P, KB_QN_AND);
        while (!P->rc && P->la.kind != LX_END && P->la.kind != LX_RPAREN)
            add_child(P, g, parse_or(P, field));
        P->depth--;
        if (P->la.kind == LX_RPAREN)
            advance(P);
        else
            repaired(P, "closed an unclosed parenthesis");
        return g;
    }
    case LX_PHRASE:
        advance(P);
        if (x.unclosed) repaired(P, "closed an unclosed quote");
        return analyze_into(P, x.p, x.n, 1, field);
    case LX_WORD:
        advance(P);
        return analyze_into(P, x.p, x.n, 0, field);
    case LX_FIELD: {
        advance(P);
        lexeme v = P->la;
        if (x.n == 5) { /* title: applies to the next word, phrase or group */
            return parse_primary(P, KB_QF_TITLE);
        }
        if (v.kind != LX_WORD && v.kind != LX_PHRASE) {
            repaired(P, "ignored a field name without a value");
            return KB_QN_NONE;
        }
        advance(P);
        if (x.n == 6) {
            if (P->q->n_sources >= KB_QUERY_MAX_SOURCES) {
                repaired(P, "too many source: filters; extra ones were ignored");
            } else {
                P->q->sources[P->q->n_sources] = add_string(P, v.p, v.n);
                P->q->source_lens[P->q->n_sources++] = (uint32_t)v.n;
            }
        } else {
            date_filter(P, v.p, v.n);
        }
        return KB_QN_NONE;
    }
    case LX_RPAREN:
        advance(P);
        repaired(P, "ignored an unmatched ')'");
        return KB_QN_NONE;
    case LX_OR:
        advance(P);
        repaired(P, "ignored an OR with nothing before it");
        return KB_QN_NONE;
    default:
        advance(P);
        return KB_QN_NONE;
    }
}

/* unary := ('-' | NOT)* primary */
static uint32_t parse_unary(parser *P, int field)
{
    int neg = 0;
    while (P->la.kind == LX_NOT) {
        neg ^= 1;
        advance(P);
    }
    if (P->la.kind == LX_END || P->la.kind == LX_RPAREN) {
        if (neg) repaired(P, "ignored a '-' with nothing after it");
        return KB_QN_NONE;
    }
    uint32_t c = parse_primary(P, field);
    if (!neg || c == KB_QN_NONE) return c;
    uint32_t n = new_node(P, KB_QN_NOT);
    if (n != KB_QN_NONE) P->q->nodes[n].child = c;
    return n;
}

/* or := unary (OR unary)* */
static uint32_t parse_or(parser *P, int field)
{
    uint32_t left = parse_unary(P, field);
    if (P->la.kind != LX_OR) return left;
    uint32_t g = new_node(P, KB_QN_OR);
    add_child(P, g, left);
    while (!P->rc && P->la.kind == LX_OR) {
        advance(P);
        if (P->la.kind == LX_END || P->la.kind == LX_RPAREN || P->la.kind == LX_OR) {
            repaired(P, "ignored an OR with nothing after it");
            continue;
        }
        add_child(P, g, parse_unary(P, field));
    }
    return g;
}

/* ---- simplification ---------------------------------------------------------------------------
 *
 * Rewrites the tree bottom-up: groups lose children that came to nothing, a group of one child
 * becomes that child, AND inside AND and OR inside OR merge, a NOT outside an AND (a query or
 * OR branch of only exclusions) is dropped with a notice since it cannot rank anything, and
 * stopwords go unless nothing else would be left.
 */

static int count_nonstop(const kb__query *q, uint32_t id, int *has_stop)
{
    if (id == KB_QN_NONE) return 0;
    const kb__qnode *nd = &q->nodes[id];
    if (nd->type == KB_QN_TERM) {
        if (nd->stop) *has_stop = 1;
        return !nd->stop;
    }
    if (nd->type == KB_QN_PHRASE) return 1;
    int c = 0;
    for (uint32_t k = nd->child; k != KB_QN_NONE; k = q->nodes[k].next)
        c += count_nonstop(q, k, has_stop);
    return c;
}

/* A node that can only take documents away: an exclusion, or a group of exclusions alone
 * ("(-a -b)"). Where it is not a part of an AND it has nothing to take away from. */
static int only_exclusions(const kb__query *q, uint32_t id)
{
    const kb__qnode *nd = &q->nodes[id];
    if (nd->type == KB_QN_NOT) return 1;
    if (nd->type != KB_QN_AND) return 0;
    for (uint32_t k = nd->child; k != KB_QN_NONE; k = q->nodes[k].next)
        if (!only_exclusions(q, k)) return 0;
    return 1;
}

static uint32_t simplify(kb__query *q, uint32_t id, int drop_stop, int depth)
{
    if (id == KB_QN_NONE) return id;
    kb__qnode *N = q->nodes;
    uint8_t t = N[id].type;
    if (t == KB_QN_TERM) return drop_stop && N[id].stop ? KB_QN_NONE : id;
    if (t == KB_QN_PHRASE) return id;
    if (t == KB_QN_NOT) {
        N[id].child = simplify(q, N[id].child, 0, depth + 1);
        if (N[id].child != KB_QN_NONE && only_exclusions(q, N[id].child)) {
            note(q, "ignored an exclusion of exclusions");
            q->repaired = 1;
            return KB_QN_NONE;
        }
        return N[id].child == KB_QN_NONE ? KB_QN_NONE : id;
    }
    /* AND / OR: simplify children, splice same-type children in, drop empty ones */
    uint32_t head = KB_QN_NONE, tail = KB_QN_NONE, n = 0;
    uint32_t k = N[id].child;
    while (k != KB_QN_NONE) {
        uint32_t next = N[k].next;
        N[k].next = KB_QN_NONE;
        uint32_t c = simplify(q, k, drop_stop, depth + 1);
        if (c != KB_QN_NONE) {
            uint32_t first = c, last = c;
            if (N[c].type == t) { /* merge (a (b c)) into (a b c) */
                first = N[c].child;
                for (last = first; N[last].next != KB_QN_NONE; last = N[last].next)
                    n++;
            }
            if (tail == KB_QN_NONE)
                head = first;
            else
                N[tail].next = first;
            tail = last;
            n++;
        }
        k = next;
    }
    N[id].child = head;
    if (n == 0) return KB_QN_NONE;
    if (t == KB_QN_OR) {
        /* an OR branch of exclusions alone cannot be ranked: drop it */
        uint32_t prev = KB_QN_NONE, m = 0;
        for (k = N[id].child; k != KB_QN_NONE; k = N[k].next) {
            if (only_exclusions(q, k)) {
                if (prev == KB_QN_NONE)
                    N[id].child = N[k].next;
                else
                    N[prev].next = N[k].next;
                note(q, "ignored an exclusion inside OR");
                q->repaired = 1;
                continue;
            }
            prev = k;
            m++;
        }
        n = m;
        if (n == 0) return KB_QN_NONE;
    }
    if (n == 1) {
        uint32_t only = N[id].child;
        N[only].next = KB_QN_NONE;
        return only;
    }
    return id;
}

void kb__query_simplify(kb__query *q)
{
    int has_stop = 0;
    int nonstop = count_nonstop(q, q->root, &has_stop);
    q->root = simplify(q, q->root, nonstop > 0 && !(q->flags & KB_QP_KEEP_STOP), 0);
    if (q->root == KB_QN_NONE) return;
    if (only_exclusions(q, q->root)) { /* exclusions alone rank nothing */
        note(q, "a query of only excluded words matches nothing to rank");
        q->root = KB_QN_NONE;
    }
}

int kb__query_parse(kb_analyzer *a, const char *text, size_t n, int flags, kb__query *q)
{
    memset(q, 0, sizeof *q);
    q->flags = flags;
    q->root = KB_QN_NONE;
    kb__buf_init(&q->strings, 0);
    kb__buf_init(&q->notice, 4096);
    if (n > KB_QUERY_MAX_BYTES) {
        kb__buf_printf(&q->notice, "the query is %zu bytes long; the limit is %d", n,
                       KB_QUERY_MAX_BYTES);
        return KB_ETOOBIG;
    }
    parser P = {{text, n, 0}, {LX_END, NULL, 0, 0}, a, q, 0, 0, 0};
    advance(&P);
    uint32_t root = new_node(&P, KB_QN_AND);
    while (!P.rc && P.la.kind != LX_END) {
        if (P.la.kind == LX_RPAREN) { /* only the top level sees an unmatched ')' */
            advance(&P);
            repaired(&P, "ignored an unmatched ')'");
            continue;
        }
        add_child(&P, root, parse_or(&P, KB_QF_ANY));
    }
    if (P.rc == KB_ETOOBIG) {
        q->notice.n = 0;
        kb__buf_printf(&q->notice,
                       "the query has more than %d words (or too many groups); "
                       "shorten it",
                       KB_QUERY_MAX_TERMS);
    }
    if (P.rc) return P.rc;
    q->root = root;
    kb__query_simplify(q);
    return q->strings.rc ? q->strings.rc : 0;
}

void kb__query_free(kb__query *q)
{
    if (!q) return;
    kb__free(q->nodes);
    q->nodes = NULL;
    q->n_nodes = q->cap_nodes = 0;
    kb__buf_free(&q->strings);
    kb__buf_free(&q->notice);
}

/* ---- explain --------------------------------------------------------------------------------- */

static void explain_node(const kb__query *q, uint32_t id, kb_buf *out)
{
    const kb__qnode *nd = &q->nodes[id];
    static const char *names[] = {"term", "phrase", "and", "or", "not"};
    if (nd->type == KB_QN_TERM) {
        kb__buf_puts(out, nd->exact ? "(form" : "(stem");
        if (nd->field == KB_QF_TITLE) kb__buf_puts(out, " title:");
        kb__buf_puts(out, " \"");
        kb__buf_puts(out, kb__query_str(q, nd->exact ? nd->norm : nd->stem));
        kb__buf_puts(out, "\")");
        return;
    }
    kb__buf_putc(out, '(');
    kb__buf_puts(out, names[nd->type]);
    if (nd->type == KB_QN_PHRASE && nd->field == KB_QF_TITLE) kb__buf_puts(out, " title:");
    for (uint32_t k = nd->child; k != KB_QN_NONE; k = q->nodes[k].next) {
        kb__buf_putc(out, ' ');
        if (nd->type == KB_QN_PHRASE) {
            kb__buf_putc(out, '"');
            kb__buf_puts(out, kb__query_str(q, q->nodes[k].norm));
            kb__buf_putc(out, '"');
        } else {
            explain_node(q, k, out);
        }
    }
    kb__buf_putc(out, ')');
}

void kb__query_explain(const kb__query *q, kb_buf *out)
{
    if (q->root == KB_QN_NONE)
        kb__buf_puts(out, "()");
    else
        explain_node(q, q->root, out);
    for (uint32_t i = 0; i < q->n_sources; i++) {
        kb__buf_puts(out, " source:");
        kb__buf_puts(out, kb__query_str(q, q->sources[i]));
    }
    if (q->date_from[0] || q->date_to[0])
        kb__buf_printf(out, " date:%s..%s", q->date_from, q->date_to);
}

KB_API int kb_query_explain(const char *text, size_t n, char *out, size_t out_size)
{
    if (!text && n) return KB_EINVAL;
    kb_analyzer *a = kb_analyzer_new(NULL);
    if (!a) return KB_ENOMEM;
    kb__query q;
    int rc = kb__query_parse(a, text ? text : "", n, 0, &q);
    kb_buf b;
    kb__buf_init(&b, 0);
    if (rc == 0) kb__query_explain(&q, &b);
    if (rc == 0 && b.rc) rc = b.rc;
    if (rc == 0) {
        if (out && out_size) {
            size_t k = KB_MIN(b.n, out_size - 1);
            memcpy(out, b.p, k);
            out[k] = 0;
        }
        rc = (int)b.n;
    }
    kb__buf_free(&b);
    kb__query_free(&q);
    kb_analyzer_free(a);
    return rc;
}
