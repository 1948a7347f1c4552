/*
 * fuzz_postings.c — the postings block decoder fed damaged blocks.
 *
 * The first input byte picks a mode (its low two bits):
 *   3:    the rest is a dictionary value (terms.v): parse it; an inline block in it is decoded
 *         like a raw block;
 *   0, 2: the rest is a raw block: decode it (header, docs, tfs, positions) from a zero-padded
 *         copy; anything but success or KB_ECORRUPT, or a crash, is a finding. Mode 2 first
 *         writes the right checksum into the block's first 4 bytes, so the decoder behind the
 *         checksum sees arbitrary bit streams (what a checksum collision would feed it), not
 *         only the encoder's output; mode 0 keeps testing the checksum gate itself;
 *   1:    the rest describes postings (docid gaps, tfs, position gaps as bytes); they are
 *         encoded, the block is damaged at an input-chosen byte with an input-chosen XOR, and
 *         decoded: an undamaged block must round-trip exactly, a damaged one must either fail
 *         with KB_ECORRUPT or (checksum collision, vanishingly rare) decode to valid postings.
 */
#include "khabar_int.h"
#include "index_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <xxhash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t docs[KB_BLOCK_MAX], tfs[KB_N_FIELDS][KB_BLOCK_MAX], pstart[KB_BLOCK_MAX + 1];

static void decode_raw(const uint8_t *p, size_t n, int forge_checksum)
{
    uint8_t *copy = malloc(n + KB_BLOCK_PAD);
    if (!copy)
        return;
    memcpy(copy, p, n);
    memset(copy + n, 0, KB_BLOCK_PAD);
    if (forge_checksum && n >= 4) { /* postings.c: low 32 bits of XXH3-64 after the checksum */
        uint32_t c = (uint32_t)XXH3_64bits(copy + 4, n - 4);
        for (int i = 0; i < 4; i++)
            copy[i] = (uint8_t)(c >> (8 * i));
    }
    kb__block_head h;
    uint32_t *pos = NULL, cap = 0;
    int rc = kb__block_decode(copy, n, &h, docs, tfs, &pos, &cap, pstart);
    if (rc != 0 && rc != KB_ECORRUPT && rc != KB_ENOMEM)
        abort();
    if (rc == 0)
        for (uint32_t i = 1; i < h.n; i++)
            if (docs[i] <= docs[i - 1])
                abort();
    kb__block_read_head(copy, n, &h);
    kb__free(pos);
    free(copy);
}

static void round_trip(const uint8_t *p, size_t n)
{
    if (n < 3)
        return;
    size_t at = 0;
    uint8_t damage_at = p[at++], damage_xor = p[at++];
    int with_pos = p[at++] & 1;
    kb__posting_in in[KB_BLOCK_MAX];
    static uint32_t posbuf[KB_BLOCK_MAX * 64];
    uint32_t n_in = 0, doc = 0, np_total = 0;
    while (at + 2 <= n && n_in < KB_BLOCK_MAX) {
        doc += 1u + p[at++] * 977u;
        uint8_t t = p[at++];
        in[n_in].doc = doc;
        in[n_in].tf[0] = t & 3;
        in[n_in].tf[1] = (t >> 2) & 1;
        in[n_in].tf[2] = (t >> 3) ? (t >> 3) : (in[n_in].tf[0] + in[n_in].tf[1] ? 0 : 1);
        uint32_t np = in[n_in].tf[0] + in[n_in].tf[1] + in[n_in].tf[2], q = 0;
        in[n_in].pos = with_pos ? posbuf + np_total : NULL;
        for (uint32_t j = 0; j < np; j++) {
            q += (at < n ? p[at++] : 1) + (j ? 1u : 0u);
            posbuf[np_total + j] = q;
        }
        np_total += with_pos ? np : 0;
        n_in++;
    }
    if (!n_in)
        return;
    uint32_t min_len[KB_N_FIELDS] = {1, 0, 2};
    kb_buf b;
    kb__buf_init(&b, 0);
    kb__block_encode(&b, in, n_in, with_pos, min_len);
    if (b.rc || kb__buf_reserve(&b, KB_BLOCK_PAD)) {
        kb__buf_free(&b);
        return;
    }
    memset(b.p + b.n, 0, KB_BLOCK_PAD);
    int damaged = damage_xor != 0;
    if (damaged)
        b.p[damage_at % b.n] ^= (char)damage_xor;
    kb__block_head h;
    uint32_t *pos = NULL, cap = 0;
    int rc = kb__block_decode((const unsigned char *)b.p, b.n, &h, docs, tfs,
                              with_pos ? &pos : NULL, &cap, pstart);
    if (!damaged) {
        if (rc != 0 || h.n != n_in)
            abort();
        for (uint32_t i = 0; i < n_in; i++) {
            if (docs[i] != in[i].doc)
                abort();
            for (int f = 0; f < KB_N_FIELDS; f++)
                if (tfs[f][i] != in[i].tf[f])
                    abort();
            if (with_pos)
                for (uint32_t j = pstart[i]; j < pstart[i + 1]; j++)
                    if (pos[j] != in[i].pos[j - pstart[i]])
                        abort();
        }
    } else if (rc != KB_ECORRUPT && rc != 0) {
        abort();
    }
    kb__free(pos);
    kb__buf_free(&b);
}

static void term_value(const uint8_t *p, size_t n)
{
    kb__term_row row;
    if (kb__term_value_parse(p, n, &row) != 0)
        return;
    if (row.df == 0 || (row.inl && row.tid))
        abort();
    if (row.inl)
        decode_raw(row.inl, row.inl_n, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if ((data[0] & 3) == 1)
        round_trip(data + 1, size - 1);
    else if ((data[0] & 3) == 3)
        term_value(data + 1, size - 1);
    else
        decode_raw(data + 1, size - 1, (data[0] & 3) == 2);
    return 0;
}
