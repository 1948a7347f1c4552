/*
 * html.c — the article inside a web page, chosen by content scoring.
 *
 * The page is parsed with libxml2's HTML parser (it recovers from any tag soup and never reads
 * the network). Then, in the spirit of the readability family of extractors:
 *
 *   1. measure: every element gets its text length, the part of it inside links, its Arabic
 *      letters, and its commas (Latin and Arabic), bottom-up;
 *   2. score: each paragraph-like element (p, pre, td, a div or section holding text itself)
 *      scores 1 + commas + one point per 100 characters (at most 3), weighted by its
 *      Arabic-letter share; the score goes to its parent, half to the grandparent, a third to
 *      the great-grandparent; containers start from a bonus for their tag and their class/id
 *      (article, content, post, text … up; comment, share, related, sidebar, menu … down);
 *   3. choose: the container with the best score × (1 − link density); its siblings join
 *      when they score well or are link-poor prose;
 *   4. lines: the chosen subtree is written out as lines, one per block element or <br>,
 *      with hints (h2–h6 headings, blockquote quotes, figcaption captions); link lists and
 *      share bars inside it become "navigation" lines, which the cleaner reports as dropped.
 *
 * Metadata comes from <head>: og:title (else <h1>, else <title> minus the site-name part),
 * og:url or the canonical link, article:published_time and friends for the date.
 */
#include "khabar_int.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <strings.h>

/* Elements deeper than this are ignored: libxml2 caps nesting too, and recursion stays small. */
#define HTML_MAX_DEPTH 256
/* A paragraph shorter than this (characters) is a label or a button, not prose. */
#define PARA_MIN_CHARS 25
/* Sibling prose joins the article when it is at least this long and this link-poor. */
#define SIBLING_PROSE_CHARS 80
#define SIBLING_MAX_LINK_DENSITY 0.25
/* Inside the article, a subtree whose text is mostly links and short is a link list. */
#define NAV_LINK_DENSITY 0.5
#define NAV_MAX_CHARS 300
/* An <article> holding the chosen container is looked for this many levels up. */
#define CAPTION_ARTICLE_UP 4
/* A title or date attribute longer than this is not one. */
#define META_MAX 2000

typedef struct nstat {
    uint32_t text;   /* characters of text (no spaces) in the subtree */
    uint32_t link;   /* of which inside <a> */
    uint32_t arabic; /* Arabic letters */
    uint32_t own;    /* characters in the element's own text nodes */
    uint32_t commas;
    double score;
    int scored;
    int written; /* already written out as part of the article */
} nstat;

typedef struct hctx {
    kb__html_doc *d;
    nstat *st;
    size_t n_st, cap_st;
    int rc;
    kb_buf line; /* the line being built */
    int line_hint;
} hctx;

static const char *name_of(const xmlNode *n)
{
    return n->name ? (const char *)n->name : "";
}

static int tag_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(name, list[i])) return 1;
    return 0;
}

static int skip_tag(const char *name)
{
    static const char *const t[] = {"script", "style",    "noscript", "iframe",   "form",
                                    "button", "select",   "input",    "textarea", "svg",
                                    "canvas", "template", "object",   "embed",    "head",
                                    "title",  "meta",     "link",     "option"};
    return tag_in(name, t, KB_ARRAY_LEN(t));
}

static int block_tag(const char *name)
{
    static const char *const t[] = {
        "p",      "div",    "br",         "h1",      "h2",      "h3",      "h4",
        "h5",     "h6",     "li",         "ul",      "ol",      "tr",      "td",
        "th",     "table",  "blockquote", "section", "article", "figure",  "figcaption",
        "header", "footer", "aside",      "nav",     "pre",     "address", "dd",
        "dt",     "dl",     "main",       "hr",      "center",  "tbody",   "thead"};
    return tag_in(name, t, KB_ARRAY_LEN(t));
}

static nstat *stat_of(hctx *h, const xmlNode *n)
{
    uintptr_t i = (uintptr_t)n->_private;
    return i ? &h->st[i - 1] : NULL;
}

static nstat *new_stat(hctx *h, xmlNode *n)
{
    if (h->n_st == h->cap_st) {
        size_t cap = h->cap_st ? h->cap_st * 2 : 256;
        nstat *p = kb__realloc(h->st, cap * sizeof *p);
        if (!p) {
            h->rc = KB_ENOMEM;
            return NULL;
        }
        h->st = p;
        h->cap_st = cap;
    }
    nstat *s = &h->st[h->n_st++];
    memset(s, 0, sizeof *s);
    n->_private = (void *)(uintptr_t)h->n_st;
    return s;
}

static void count_text(const unsigned char *t, nstat *s)
{
    size_t n = strlen((const char *)t);
    for (size_t i = 0; i < n;) {
        int32_t cp;
        int bad;
        size_t k = kb__utf8_decode(t + i, n - i, &cp, &bad);
        i += k;
        if (cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r' || cp == 0xA0) continue;
        s->text++;
        s->own++;
        if (cp == ',' || cp == 0x060C) s->commas++;
        if ((cp >= 0x0621 && cp <= 0x064A) || (cp >= 0x066E && cp <= 0x06D3)) s->arabic++;
    }
}

/* Pass 1: text, link text, Arabic letters and commas per element, bottom-up. */
static void measure(hctx *h, xmlNode *n, nstat *s, int depth)
{
    for (xmlNode *c = n->children; c && !h->rc; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content) count_text(c->content, s);
        } else if (c->type == XML_ELEMENT_NODE && !skip_tag(name_of(c)) && depth < HTML_MAX_DEPTH) {
            size_t si = (size_t)(s - h->st);
            nstat *cs = new_stat(h, c);
            if (!cs) return;
            measure(h, c, cs, depth + 1);
            /* new_stat() may have moved the array: both pointers are taken again */
            cs = stat_of(h, c);
            s = &h->st[si];
            s->text += cs->text;
            s->arabic += cs->arabic;
            s->commas += cs->commas;
            s->link += !strcasecmp(name_of(c), "a") ? cs->text : cs->link;
        }
    }
}

static int has_word(const char *attr, const char *const *words, size_t n)
{
    if (!attr) return 0;
    for (size_t i = 0; i < n; i++)
        if (strcasestr(attr, words[i])) return 1;
    return 0;
}

/* Class and id tell what a container is for. */
static double class_weight(const xmlNode *n)
{
    static const char *const pos[] = {"article", "body", "content", "entry",  "main",
                                      "post",    "text", "story",   "detail", "news"};
    static const char *const neg[] = {
        "comment",  "footer", "sidebar", "share",   "social", "related",    "menu",
        "nav",      "widget", "banner",  "sponsor", "popup",  "breadcrumb", "tags",
        "masthead", "foot",   "advert",  "promo",   "login",  "newsletter", "most"};
    double w = 0;
    for (int k = 0; k < 2; k++) {
        xmlChar *v = xmlGetProp((xmlNode *)n, (const xmlChar *)(k ? "id" : "class"));
        if (!v) continue;
        if (has_word((const char *)v, neg, KB_ARRAY_LEN(neg))) w -= 25;
        if (has_word((const char *)v, pos, KB_ARRAY_LEN(pos))) w += 25;
        xmlFree(v);
    }
    return w;
}

static double tag_bonus(const char *name)
{
    if (!strcasecmp(name, "article")) return 10;
    if (!strcasecmp(name, "div") || !strcasecmp(name, "section") || !strcasecmp(name, "main"))
        return 5;
    if (!strcasecmp(name, "pre") || !strcasecmp(name, "td") || !strcasecmp(name, "blockquote"))
        return 3;
    if (!strcasecmp(name, "form") || !strcasecmp(name, "ol") || !strcasecmp(name, "ul") ||
        !strcasecmp(name, "li") || !strcasecmp(name, "dl") || !strcasecmp(name, "address") ||
        !strcasecmp(name, "aside") || !strcasecmp(name, "nav") || !strcasecmp(name, "footer"))
        return -3;
    if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6') return -5;
    return 0;
}

static void init_candidate(hctx *h, xmlNode *n)
{
    nstat *s = stat_of(h, n);
    if (!s || s->scored) return;
    s->scored = 1;
    s->score = tag_bonus(name_of(n)) + class_weight(n);
}

static double link_density(const nstat *s)
{
    return s->text ? (double)s->link / s->text : 0.0;
}

/* Pass 2: paragraphs give their score to their ancestors. */
static void score(hctx *h, xmlNode *n, int depth)
{
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !c->_private || depth >= HTML_MAX_DEPTH) continue;
        const char *name = name_of(c);
        nstat *s = stat_of(h, c);
        int para = !strcasecmp(name, "p") || !strcasecmp(name, "pre") || !strcasecmp(name, "td") ||
                   ((!strcasecmp(name, "div") || !strcasecmp(name, "section") ||
                     !strcasecmp(name, "article")) &&
                    s->own >= PARA_MIN_CHARS);
        if (para && s->text >= PARA_MIN_CHARS) {
            double share = s->text ? (double)s->arabic / s->text : 0;
            double v = 1 + s->commas + KB_MIN(s->text / 100, 3u);
            v *= 0.5 + share;
            xmlNode *a = c->parent;
            for (int k = 1; a && a->type == XML_ELEMENT_NODE && k <= 3; k++, a = a->parent) {
                init_candidate(h, a);
                nstat *as = stat_of(h, a);
                if (as) as->score += v / (k == 1 ? 1 : k == 2 ? 2 : 3);
            }
        }
        score(h, c, depth + 1);
    }
}

static void best_of(hctx *h, xmlNode *n, xmlNode **best, double *best_score, int depth)
{
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !c->_private || depth >= HTML_MAX_DEPTH) continue;
        nstat *s = stat_of(h, c);
        if (s->scored) {
            double v = s->score * (1 - link_density(s));
            if (v > *best_score) {
                *best_score = v;
                *best = c;
            }
        }
        best_of(h, c, best, best_score, depth + 1);
    }
}

/* ---- writing lines ----------------------------------------------------------------------------
 */

static void flush(hctx *h)
{
    kb__html_doc *d = h->d;
    if (h->line.rc) {
        h->rc = h->line.rc;
        return;
    }
    /* trim; the cleaner tidies the inside */
    size_t a = 0, b = h->line.n;
    while (a < b && (h->line.p[a] == ' ' || h->line.p[a] == '\n'))
        a++;
    while (b > a && (h->line.p[b - 1] == ' ' || h->line.p[b - 1] == '\n'))
        b--;
    if (b > a) {
        if (d->n_lines == d->cap_lines) {
            size_t cap = d->cap_lines ? d->cap_lines * 2 : 64;
            kb__hline *p = kb__realloc(d->lines, cap * sizeof *p);
            if (!p) {
                h->rc = KB_ENOMEM;
                return;
            }
            d->lines = p;
            d->cap_lines = cap;
        }
        kb__hline *l = &d->lines[d->n_lines++];
        l->off = d->text.n;
        l->len = b - a;
        l->hint = h->line_hint;
        kb__buf_append(&d->text, h->line.p + a, b - a);
        kb__buf_putc(&d->text, '\n');
        if (d->text.rc) h->rc = d->text.rc;
    }
    kb__buf_reset(&h->line);
    h->line_hint = KB__HINT_NONE;
}

static void put_text(hctx *h, const xmlChar *t)
{
    /* newlines inside a text node are layout, not line breaks */
    for (const char *p = (const char *)t; *p; p++)
        kb__buf_putc(&h->line, *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p);
}

static int hint_of(const char *name)
{
    if ((name[0] == 'h' || name[0] == 'H') && name[1] >= '1' && name[1] <= '6' && !name[2])
        return KB__HINT_HEADING;
    if (!strcasecmp(name, "blockquote")) return KB__HINT_QUOTE;
    if (!strcasecmp(name, "figcaption")) return KB__HINT_CAPTION;
    return KB__HINT_NONE;
}

static int is_nav(hctx *h, const xmlNode *n)
{
    const char *name = name_of(n);
    nstat *s = stat_of(h, n);
    if (!s) return 1;
    if (!strcasecmp(name, "nav") || !strcasecmp(name, "aside") || !strcasecmp(name, "footer"))
        return 1;
    if (s->text && link_density(s) > NAV_LINK_DENSITY && s->text < NAV_MAX_CHARS) return 1;
    return class_weight(n) < 0 && s->text < NAV_MAX_CHARS;
}

static void write_lines(hctx *h, xmlNode *n, int hint, int depth)
{
    for (xmlNode *c = n->children; c && !h->rc; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content) {
                if (hint != KB__HINT_NONE) h->line_hint = hint;
                put_text(h, c->content);
            }
            continue;
        }
        if (c->type != XML_ELEMENT_NODE || !c->_private || depth >= HTML_MAX_DEPTH) continue;
        const char *name = name_of(c);
        if (!strcasecmp(name, "br")) {
            flush(h);
            continue;
        }
        int block = block_tag(name);
        if (block) flush(h);
        if (is_nav(h, c)) {
            if (!block) flush(h);
            write_lines(h, c, KB__HINT_NAV, depth + 1);
            flush(h);
            continue;
        }
        int ch = hint_of(name);
        write_lines(h, c, hint == KB__HINT_NAV || ch == KB__HINT_NONE ? hint : ch, depth + 1);
        if (block)
            flush(h);
        else
            kb__buf_putc(&h->line, ' ');
    }
}

/* Writes the <figcaption>s under n, skipping the subtrees already written. */
static void outside_captions(hctx *h, xmlNode *n, int depth)
{
    for (xmlNode *c = n->children; c && !h->rc; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !c->_private || depth >= HTML_MAX_DEPTH ||
            stat_of(h, c)->written)
            continue;
        if (!strcasecmp(name_of(c), "figcaption")) {
            flush(h);
            write_lines(h, c, KB__HINT_CAPTION, depth + 1);
            flush(h);
        } else {
            outside_captions(h, c, depth + 1);
        }
    }
}

/* ---- metadata ---------------------------------------------------------------------------------
 */

static void set_meta(kb_buf *b, const xmlChar *v)
{
    if (!v || b->n) return;
    size_t n = strlen((const char *)v);
    if (n && n < META_MAX) kb__buf_append(b, v, n);
}

static void text_of(xmlNode *n, kb_buf *b, int depth)
{
    for (xmlNode *c = n->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            kb__buf_append(b, c->content, strlen((const char *)c->content));
        else if (c->type == XML_ELEMENT_NODE && depth < 8 && b->n < META_MAX)
            text_of(c, b, depth + 1);
    }
}

static int has_date_class(const xmlNode *n)
{
    static const char *const words[] = {"date", "dat_", "time", "publish"};
    xmlChar *v = xmlGetProp((xmlNode *)n, (const xmlChar *)"class");
    int r = has_word((const char *)v, words, KB_ARRAY_LEN(words));
    xmlFree(v);
    return r;
}

typedef struct meta {
    kb_buf og_title, h1, title, site;
} meta;

static void scan_meta(hctx *h, xmlNode *n, meta *m, int depth)
{
    kb__html_doc *d = h->d;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || depth >= HTML_MAX_DEPTH) continue;
        const char *name = name_of(c);
        if (!strcasecmp(name, "meta")) {
            xmlChar *prop = xmlGetProp(c, (const xmlChar *)"property");
            if (!prop) prop = xmlGetProp(c, (const xmlChar *)"name");
            if (!prop) prop = xmlGetProp(c, (const xmlChar *)"itemprop");
            xmlChar *content = xmlGetProp(c, (const xmlChar *)"content");
            if (prop && content) {
                const char *p = (const char *)prop;
                if (!strcasecmp(p, "og:title") || !strcasecmp(p, "twitter:title"))
                    set_meta(&m->og_title, content);
                else if (!strcasecmp(p, "og:url"))
                    set_meta(&d->url, content);
                else if (!strcasecmp(p, "og:site_name"))
                    set_meta(&m->site, content);
                else if (!strcasecmp(p, "article:published_time") ||
                         !strcasecmp(p, "datePublished") || !strcasecmp(p, "pubdate") ||
                         !strcasecmp(p, "date") || !strcasecmp(p, "dc.date") ||
                         !strcasecmp(p, "og:published_time"))
                    set_meta(&d->date, content);
            }
            xmlFree(prop);
            xmlFree(content);
        } else if (!strcasecmp(name, "link")) {
            xmlChar *rel = xmlGetProp(c, (const xmlChar *)"rel");
            if (rel && !strcasecmp((const char *)rel, "canonical")) {
                xmlChar *href = xmlGetProp(c, (const xmlChar *)"href");
                set_meta(&d->url, href);
                xmlFree(href);
            }
            xmlFree(rel);
        } else if (!strcasecmp(name, "title") && !m->title.n) {
            text_of(c, &m->title, 0);
        } else if (!strcasecmp(name, "h1") && !m->h1.n) {
            text_of(c, &m->h1, 0);
        } else if (!d->date.n && has_date_class(c)) {
            /* a visible date (<span class="date">2017/03/02 08:05</span>) */
            kb_buf t;
            kb__buf_init(&t, META_MAX);
            text_of(c, &t, 0);
            char iso[64];
            if (!t.rc && t.n && kb_date_parse(t.p, t.n, iso, sizeof iso) > 0)
                kb__buf_append(&d->date, t.p, t.n);
            kb__buf_free(&t);
        } else if (!strcasecmp(name, "time") && !d->date.n) {
            xmlChar *dt = xmlGetProp(c, (const xmlChar *)"datetime");
            set_meta(&d->date, dt);
            xmlFree(dt);
        }
        if (!skip_tag(name) || !strcasecmp(name, "head")) scan_meta(h, c, m, depth + 1);
    }
}

/* "Headline | Site" or "Site - Headline": keep the longest part when the title has separators. */
static void strip_site_name(kb_buf *t, const kb_buf *site)
{
    static const char *const seps[] = {" | ", " - ", " – ", " — ", " :: ", " » ", " « "};
    for (size_t k = 0; k < KB_ARRAY_LEN(seps); k++) {
        size_t sl = strlen(seps[k]);
        const char *p = t->p, *end = t->p + t->n;
        const char *best = NULL;
        size_t best_n = 0;
        int parts = 0;
        while (p <= end) {
            const char *q = p;
            while (q + sl <= end && memcmp(q, seps[k], sl))
                q++;
            if (q + sl > end) q = end;
            parts++;
            if ((size_t)(q - p) > best_n) {
                best = p;
                best_n = (size_t)(q - p);
            }
            p = q + sl;
        }
        if (parts < 2 || !best) continue;
        /* only when a part looks like the site name: short, or equal to og:site_name */
        int site_like = 0;
        if (site->n)
            site_like = strstr(t->p, site->p) != NULL;
        else
            site_like = best_n * 2 >= t->n;
        if (!site_like) continue;
        memmove(t->p, best, best_n);
        t->n = best_n;
        t->p[t->n] = 0;
        return;
    }
}

/* ---- entry points -----------------------------------------------------------------------------
 */

void kb__html_doc_init(kb__html_doc *d)
{
    memset(d, 0, sizeof *d);
    kb__buf_init(&d->text, 0);
    kb__buf_init(&d->title, 0);
    kb__buf_init(&d->date, 0);
    kb__buf_init(&d->url, 0);
    kb__buf_init(&d->site, 0);
}

void kb__html_doc_free(kb__html_doc *d)
{
    kb__buf_free(&d->text);
    kb__buf_free(&d->title);
    kb__buf_free(&d->date);
    kb__buf_free(&d->url);
    kb__buf_free(&d->site);
    kb__free(d->lines);
    d->lines = NULL;
    d->n_lines = d->cap_lines = 0;
}

int kb__html_extract(kb__html_doc *d, const char *html, size_t n)
{
    kb__buf_reset(&d->text);
    kb__buf_reset(&d->title);
    kb__buf_reset(&d->date);
    kb__buf_reset(&d->url);
    kb__buf_reset(&d->site);
    d->n_lines = 0;
    if (n > INT32_MAX) return KB_ETOOBIG;
    htmlDocPtr doc = htmlReadMemory(html, (int)n, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET);
    if (!doc) return KB_EPARSE;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root) {
        xmlFreeDoc(doc);
        return KB_EPARSE;
    }
    hctx h = {.d = d};
    kb__buf_init(&h.line, 0);
    meta m;
    kb__buf_init(&m.og_title, META_MAX);
    kb__buf_init(&m.h1, META_MAX);
    kb__buf_init(&m.title, META_MAX);
    kb__buf_init(&m.site, META_MAX);
    scan_meta(&h, (xmlNode *)doc, &m, 0);
    kb_buf *t = m.og_title.n ? &m.og_title : m.h1.n ? &m.h1 : &m.title;
    if (t->n && !t->rc) {
        if (t == &m.title || t == &m.og_title) strip_site_name(t, &m.site);
        kb__buf_append(&d->title, t->p, t->n);
    }
    set_meta(&d->site, (const xmlChar *)(m.site.p ? m.site.p : ""));
    /* the body (or the whole document when there is none) */
    xmlNode *body = root;
    for (xmlNode *c = root->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcasecmp(name_of(c), "body")) body = c;
    nstat *bs = new_stat(&h, body);
    if (bs) measure(&h, body, bs, 0);
    xmlNode *best = NULL;
    if (!h.rc) {
        score(&h, body, 0);
        double best_score = 0;
        best_of(&h, body, &best, &best_score, 0);
    }
    if (!h.rc && best && best->parent && best->parent->type == XML_ELEMENT_NODE) {
        /* the best container and the siblings that belong with it */
        nstat *b = stat_of(&h, best);
        double threshold = KB_MAX(10.0, b->score * 0.2);
        for (xmlNode *c = best->parent->children; c && !h.rc; c = c->next) {
            if (c->type != XML_ELEMENT_NODE || !c->_private) continue;
            nstat *s = stat_of(&h, c);
            int join = c == best || (s->scored && s->score * (1 - link_density(s)) >= threshold);
            if (!join && !strcasecmp(name_of(c), "p") && s->text >= SIBLING_PROSE_CHARS &&
                link_density(s) < SIBLING_MAX_LINK_DENSITY)
                join = 1;
            if (!join) continue;
            flush(&h);
            write_lines(&h, c, hint_of(name_of(c)), 0);
            flush(&h);
            stat_of(&h, c)->written = 1;
        }
        /* image captions of the same <article> outside the chosen container (the lead photo) */
        xmlNode *art = best->parent;
        for (int k = 0; art && art->type == XML_ELEMENT_NODE && k < CAPTION_ARTICLE_UP;
             art = art->parent, k++)
            if (!strcasecmp(name_of(art), "article")) break;
        if (art && art->type == XML_ELEMENT_NODE && !strcasecmp(name_of(art), "article"))
            outside_captions(&h, art, 0);
    } else if (!h.rc) {
        write_lines(&h, body, KB__HINT_NONE, 0); /* no prose found: everything, as lines */
        flush(&h);
    }
    int rc = h.rc;
    kb__buf_free(&h.line);
    kb__buf_free(&m.og_title);
    kb__buf_free(&m.h1);
    kb__buf_free(&m.title);
    kb__buf_free(&m.site);
    kb__free(h.st);
    xmlFreeDoc(doc);
    return rc;
}
