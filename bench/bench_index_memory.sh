#!/bin/sh
# bench/bench_index_memory.sh — the peak memory of `khabar index` on long records.
#
# usage: bench/bench_index_memory.sh [N_RECORDS [MB_PER_RECORD]]   (default 150 records of 4 MB)
#   KHABAR=path/to/khabar (default build/khabar); KHABAR_BEFORE=path for a second binary in the
#   same run (e.g. a build of an earlier commit); KB_BENCH_RUNS=N (default 3; medians quoted).
#
# The job ring of `khabar index` holds records read ahead of the writer with their cleaned and
# prepared copies; with long records (HTML pages, transcripts: up to KB_INPUT_MAX_RECORD, 16 MB)
# what it holds is bounded by bytes as well as by slots (cli/cmd_index.c RING_BYTES_MAX). This
# script writes N JSONL records of made-up Arabic sentences (words of our own, no corpus text),
# indexes them from scratch and prints the process's peak RSS and wall time, run by run.
set -eu
cd "$(dirname "$0")/.."
KHABAR=${KHABAR:-build/khabar}
RUNS=${KB_BENCH_RUNS:-3}
N=${1:-150}
MB=${2:-4}
OUT=bench/out/memory
mkdir -p "$OUT"
IN=$OUT/long_records_${N}x${MB}MB.jsonl
if [ ! -f "$IN" ]; then
    /usr/bin/python3 - "$IN" "$N" "$MB" <<'EOF'
import json, random, sys
path, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(1)
words = ("العراق الحكومة وزير الخارجية اجتماع الرئيس مجلس النواب قرار الاقتصاد السوق "
         "النفط الأسعار ارتفاع انخفاض المدينة الشرطة المدارس الطلاب الصحة").split()
with open(path, "w") as f:
    for i in range(n):
        paras, size = [], 0
        while size < mb << 20:
            p = " ".join(random.choice(words) for _ in range(60)) + "."
            paras.append(p)
            size += len(p.encode())
        rec = {"id": "long-%d" % i, "title": "تقرير طويل %d" % i, "body": "\n\n".join(paras)}
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
EOF
fi
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
engines="khabar"
[ -n "${KHABAR_BEFORE:-}" ] && engines="khabar-before khabar"
: >"$OUT/runs.tsv"
run=0
while [ "$run" -lt "$RUNS" ]; do
    run=$((run + 1))
    for e in $engines; do
        bin=$KHABAR
        [ "$e" = khabar-before ] && bin=$KHABAR_BEFORE
        rm -rf "$OUT/index"
        /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$bin" index --index "$OUT/index" \
            --no-progress -q "$IN" 2>/dev/null || { echo "$e: index failed"; exit 1; }
        read -r secs kb <"$OUT/time.txt"
        printf '%s\t%s\t%s\t%s\n' "$e" "$run" "$secs" "$kb" >>"$OUT/runs.tsv"
        awk -v r="$run" -v e="$e" -v s="$secs" -v k="$kb" \
            'BEGIN { printf "  run %d  %-14s %6.2f s  peak %7.1f MB\n", r, e, s, k / 1024 }'
    done
done
echo "index of $N records x $MB MB: medians of $RUNS runs"
for e in $engines; do
    s=$(awk -v e="$e" '$1 == e { print $3 }' "$OUT/runs.tsv" | median)
    m=$(awk -v e="$e" '$1 == e { print $4 / 1024 }' "$OUT/runs.tsv" | median)
    printf '%-14s %6.2f s  peak %7.1f MB\n' "$e" "$s" "$m"
done
rm -rf "$OUT/index"
