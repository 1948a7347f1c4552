#!/bin/sh
# dedup_tables_md5.sh — md5 of each dedup_* table's rows, in key order, of an index.
#
# usage: scripts/dedup_tables_md5.sh INDEX_DIR
#
# For before/after checks of changes to src/dedup_store.c: two indexes built from the same input
# (and the same --batch) must print the same lines. Needs the sqlite3 command line tool.
set -eu
db=$1/khabar.db
[ -f "$db" ] || { echo "no index database at $db" >&2; exit 2; }
for q in "dedup_meta:SELECT * FROM dedup_meta ORDER BY key" \
         "dedup_docs:SELECT docid, rep, n_words, date, hex(sig) FROM dedup_docs ORDER BY docid" \
         "dedup_keys:SELECT * FROM dedup_keys ORDER BY key, docid" \
         "dedup_pairs:SELECT a, b, sim, kind FROM dedup_pairs ORDER BY a, b"; do
    t=${q%%:*}
    printf '%-12s %s\n' "$t" "$(sqlite3 -readonly "$db" "${q#*:}" | md5sum | cut -c1-32)"
done
