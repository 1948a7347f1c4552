/*
 * readers_during_writes.c — searches running in a loop while a writer commits batches always see
 * a consistent snapshot.
 *
 * The writer commits BATCHES batches of K articles; each article has the word "common" once,
 * and each batch also replaces R articles of the batch before (same id, new docid). So in every
 * committed state: live documents = K × batches committed, and the live postings of "common"
 * are exactly the live documents. Two reader threads, each with its own read-only handle, check
 * that in every snapshot they take: the document count is a multiple of K, the cursor over
 * "common" yields exactly that many live documents in ascending order, each with lengths and a
 * stored copy that decodes. A torn snapshot (half a commit) breaks one of these.
 */
#include "harness.h"
#include "khabar_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum { BATCHES = 30, K = 40, R = 7, READERS = 2 };

static char dir[128];
/* Set by the writer when it is done; atomic so ThreadSanitizer sees the hand-over (a volatile int
 * is a data race). */
static atomic_int writer_done;
static int writer_rc;

static void *writer(void *arg)
{
    (void)arg;
    kb_index *ix = NULL;
    writer_rc = kb_index_open(dir, NULL, &ix);
    char id[32], body[128];
    kb_block blk;
    kb_article a;
    for (int b = 0; b < BATCHES && !writer_rc; b++) {
        for (int i = 0; i < K + (b ? R : 0) && !writer_rc; i++) {
            /* the first K are new; the next R replace articles of the previous batch */
            int num = i < K ? b * K + i : (b - 1) * K + (i - K) * 3;
            snprintf(id, sizeof id, "r%d", num);
            snprintf(body, sizeof body, "common words of batch%d item %d", b, i);
            memset(&a, 0, sizeof a);
            a.id = (kb_slice){id, strlen(id)};
            a.title = (kb_slice){"title", 5};
            blk.type = KB_BLOCK_PARAGRAPH;
            blk.text = (kb_slice){body, strlen(body)};
            a.blocks = &blk;
            a.n_blocks = 1;
            int r = kb_index_add(ix, &a);
            if (r < 0) writer_rc = r;
        }
        if (!writer_rc) writer_rc = kb_index_commit(ix);
    }
    kb_index_close(ix);
    writer_done = 1;
    return NULL;
}

typedef struct reader_result {
    int snapshots, bad, errors;
    uint32_t max_docs;
    char msg[256];
} reader_result;

static void *reader(void *arg)
{
    reader_result *res = arg;
    kb_index_options ro = {.read_only = 1};
    kb_index *ix = NULL;
    /* The writer creates the index; wait for it to exist. */
    while (kb_index_open(dir, &ro, &ix) != 0 && !writer_done)
        ;
    if (!ix) {
        res->errors++;
        return NULL;
    }
    char norm[64], stem[64];
    kb_analyzer *an = kb__index_analyzer(ix);
    kb_token t;
    kb_analyzer_reset(an, "common", 6);
    kb_analyzer_next(an, &t);
    snprintf(norm, sizeof norm, "%.*s", (int)t.norm_len, t.norm);
    snprintf(stem, sizeof stem, "%.*s", (int)t.stem_len, t.stem);
    kb__postings p;
    kb__postings_init(&p);
    kb__doc d;
    kb__doc_init(&d);
    int last_round = 0;
    while (!last_round) {
        last_round = writer_done; /* one more full check after the writer finished */
        if (kb__index_read_begin(ix) != 0) {
            res->errors++;
            snprintf(res->msg, sizeof res->msg, "read_begin: %s", kb_index_errmsg(ix));
            break;
        }
        kb__collection c;
        kb__index_collection(ix, &c);
        uint32_t live = 0, prev = 0;
        int ordered = 1, rc = kb__postings_open(ix, KB_TERM_FORM, norm, strlen(norm), &p);
        if (rc == 0) {
            int r;
            while ((r = kb__postings_next(&p)) == 1) {
                ordered &= p.doc > prev && kb__index_doc_lens(ix, p.doc) != NULL;
                prev = p.doc;
                live++;
                if (live % 17 == 1)
                    ordered &= kb__index_doc_get(ix, p.doc, &d) == 0 && d.body.n > 0;
            }
            if (r < 0) res->errors++;
        } else if (rc != KB_ENOTFOUND) {
            res->errors++;
        }
        kb__index_read_end(ix);
        res->snapshots++;
        if (c.docs > res->max_docs) res->max_docs = c.docs;
        if (c.docs % K != 0 || live != c.docs || !ordered) {
            res->bad++;
            snprintf(res->msg, sizeof res->msg,
                     "torn snapshot: %u documents, %u live postings of 'common', ordered %d",
                     c.docs, live, ordered);
        }
    }
    kb__postings_free(&p);
    kb__doc_free(&d);
    kb_index_close(ix);
    return NULL;
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/kb_readers_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    pthread_t w, rd[READERS];
    reader_result res[READERS];
    memset(res, 0, sizeof res);
    pthread_create(&w, NULL, writer, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_create(&rd[i], NULL, reader, &res[i]);
    pthread_join(w, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_join(rd[i], NULL);
    CHECK_INT(writer_rc, 0);
    for (int i = 0; i < READERS; i++) {
        printf("reader %d: %d snapshots, max %u documents\n", i, res[i].snapshots, res[i].max_docs);
        CHECK(res[i].snapshots >= 1);
        CHECK_INT(res[i].errors, 0);
        if (!CHECK(res[i].bad == 0)) fprintf(stderr, "  %s\n", res[i].msg);
        /* The last snapshot, taken after the writer finished, sees everything. */
        CHECK_INT(res[i].max_docs, BATCHES * K);
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return kbt_summary();
}
