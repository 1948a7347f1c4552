/*
 * search_fixture.h — a small news index for the search tests and the query fuzz harness:
 * short Arabic articles written for these tests (no corpus text), with sources and dates.
 */
#ifndef KHABAR_TEST_SEARCH_FIXTURE_H
#define KHABAR_TEST_SEARCH_FIXTURE_H

#include "khabar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture_doc {
    const char *id, *source, *date, *title, *body;
} fixture_doc;

static const fixture_doc fixture_docs[] = {
    {"d01", "sabq", "2015-07-02", "مجلس الأمن يناقش الوضع في العراق",
     "عقد مجلس الأمن الدولي جلسة طارئة لمناقشة الوضع في العراق بعد تصاعد المعارك.\n\n"
     "وقال مندوب العراق إن بلاده تحتاج إلى دعم دولي في مواجهة الإرهاب."},
    {"d02", "okaz", "2015-07-03", "وزير الخارجية يزور بغداد",
     "وصل وزير الخارجية إلى بغداد في زيارة رسمية يلتقي خلالها المسؤولين في العراق.\n\n"
     "وتأتي الزيارة بعد أسابيع من المحادثات حول أمن الحدود."},
    {"d03", "sabq", "2015-07-05", "ارتفاع أسعار النفط في الأسواق العالمية",
     "ارتفعت أسعار النفط اليوم في الأسواق العالمية بعد تراجع المخزونات الأمريكية.\n\n"
     "وقال محللون إن الأسعار قد تواصل الصعود خلال الأسبوع المقبل."},
    {"d04", "alriyadh", "2015-08-01", "الهلال يفوز على النصر في الدوري",
     "فاز فريق الهلال على النصر بهدفين مقابل هدف في مباراة الدوري السعودي.\n\n"
     "وسجل أهداف الهلال لاعبان من خط الوسط في الشوط الثاني."},
    {"d05", "okaz", "2015-08-02", "والعراقيون يحتفلون بالعيد",
     "احتفل العراقيون بالعيد في بغداد والبصرة رغم الظروف الأمنية الصعبة.\n\n"
     "وامتلأت الحدائق بالعائلات والأطفال طوال أيام العيد."},
    {"d06", "sabq", "2015-08-10", "مجلس الوزراء يقر الميزانية",
     "أقر مجلس الوزراء الميزانية العامة للدولة للعام المقبل بعد نقاش طويل.\n\n"
     "وتضمنت الميزانية زيادة في الإنفاق على التعليم والصحة."},
    {"d07", "alriyadh", "2016-01-15", "معرض الكتاب يفتح أبوابه",
     "افتتح معرض الكتاب الدولي أبوابه للزوار بمشاركة مئات دور النشر العربية.\n\n"
     "ويستمر المعرض عشرة أيام تقام خلالها ندوات وأمسيات شعرية."},
    {"d08", "okaz", "2016-02-20", "الأمن يضبط شحنة مخدرات على الحدود",
     "ضبطت قوات الأمن شحنة كبيرة من المخدرات على الحدود الشمالية.\n\n"
     "وأكد المتحدث الأمني أن التحقيقات مستمرة لكشف المتورطين."},
    {"d09", "sabq", "2016-03-01", "بالعراق حوار وطني جديد",
     "بدأ في العراق حوار وطني جديد بين القوى السياسية برعاية أممية.\n\n"
     "ويأمل المشاركون أن يفضي الحوار إلى اتفاق حول قانون الانتخابات."},
    {"d10", "alriyadh", "2016-03-05", "أسعار الذهب تتراجع",
     "تراجعت أسعار الذهب في التعاملات المبكرة مع ارتفاع الدولار.\n\n"
     "ويترقب المستثمرون قرار البنك المركزي بشأن أسعار الفائدة."},
};
#define FIXTURE_N (sizeof fixture_docs / sizeof fixture_docs[0])

static kb_slice fx_slice(const char *s)
{
    return (kb_slice){s, s ? strlen(s) : 0};
}

/* Adds d to ix as a one-paragraph article (not committed). Returns kb_index_add's code. */
static int fx_add(kb_index *ix, const fixture_doc *d)
{
    kb_block b = {KB_BLOCK_PARAGRAPH, fx_slice(d->body)};
    kb_article a;
    memset(&a, 0, sizeof a);
    a.id = fx_slice(d->id);
    a.source = fx_slice(d->source);
    a.date = fx_slice(d->date);
    a.title = fx_slice(d->title);
    a.blocks = &b;
    a.n_blocks = 1;
    a.text = b.text;
    a.arabic_share = 1.0;
    return kb_index_add(ix, &a);
}

/* Creates an index of the fixture articles in a new temporary directory (path into dir, 64
 * bytes). Returns the open read-write handle, or NULL. */
static kb_index *fixture_index(char dir[64])
{
    snprintf(dir, 64, "/tmp/kb-search-fx.XXXXXX");
    if (!mkdtemp(dir)) return NULL;
    kb_index *ix = NULL;
    if (kb_index_open(dir, NULL, &ix) != 0) return NULL;
    for (size_t i = 0; i < FIXTURE_N; i++) {
        if (fx_add(ix, &fixture_docs[i]) != 0) {
            kb_index_close(ix);
            return NULL;
        }
    }
    if (kb_index_commit(ix) != 0) {
        kb_index_close(ix);
        return NULL;
    }
    return ix;
}

/* Removes the fixture directory (its files, then itself). */
static void fixture_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

#endif
