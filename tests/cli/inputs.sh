#!/bin/sh
# tests/cli/inputs.sh — `khabar clean` over every input form the reader accepts, and over damaged
# inputs. Issue 3: copies of one article in UTF-8 (± BOM, CRLF), UTF-16 LE/BE, Windows-1256 and
# ISO-8859-6 — made here with iconv from Arabic text written for this test — and compressed
# with gzip or zstd give identical output; binary files, truncated gzip, invalid UTF-8, a 50 MB
# line, an empty file, malformed JSON lines and <DOC> records each give a message naming the
# file (and line), the run goes on, the summary counts them and the exit status is 1.
set -u
KB_ROOT=${KB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KHABAR=${KHABAR:-$KB_ROOT/build/khabar}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*"; }
# same NAME FILE1 FILE2: the two files are identical
same() { if cmp -s "$2" "$3"; then ok; else no "$1"; diff "$2" "$3" | head -5; fi; }
# has NAME FILE TEXT: FILE contains the fixed string TEXT
has() { if grep -qF -- "$3" "$2"; then ok; else no "$1: no '$3' in:"; head -20 "$2"; fi; }

if [ ! -x "$KHABAR" ] || "$KHABAR" clean --help 2>&1 | grep -q "not implemented"; then
    echo "skipped: khabar clean is not built"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

# ---- one article, many encodings ------------------------------------------------------------
cat >"$T/article.txt" <<'EOF'
وزير الاقتصاد يبحث مع وفد من رجال الأعمال سبل دعم الصادرات
التقى وزير الاقتصاد صباح اليوم وفدا من رجال الأعمال، وبحث معهم سبل دعم الصادرات وتشجيع الاستثمار في المناطق الداخلية.
وقال الوزير إن الحكومة ستعمل على تبسيط الإجراءات الإدارية وتخفيف الأعباء على المؤسسات الصغرى والمتوسطة خلال العام القادم.
وأضاف أن الوزارة تعد برنامجا لمرافقة الشباب الراغبين في بعث مشاريعهم الخاصة.
EOF
mk() { mkdir -p "$T/enc/$1" && cat >"$T/enc/$1/a.txt"; }
crlf() { sed 's/$/\r/' "$T/article.txt"; }
mk utf8 <"$T/article.txt"
{ printf '\357\273\277'; cat "$T/article.txt"; } | mk utf8-bom
{ printf '\357\273\277'; crlf; } | mk utf8-bom-crlf
{ printf '\377\376'; iconv -f UTF-8 -t UTF-16LE "$T/article.txt"; } | mk utf16le
{ printf '\376\377'; crlf | iconv -f UTF-8 -t UTF-16BE; } | mk utf16be-crlf
iconv -f UTF-8 -t WINDOWS-1256 "$T/article.txt" | mk cp1256
crlf | iconv -f UTF-8 -t WINDOWS-1256 | mk cp1256-crlf
iconv -f UTF-8 -t ISO-8859-6 "$T/article.txt" | mk iso8859-6
gzip -c "$T/enc/cp1256/a.txt" | mk cp1256-gz
zstd -q -c "$T/enc/utf16le/a.txt" | mk utf16le-zst

"$KHABAR" clean -q "$T/enc/utf8/a.txt" >"$T/ref.jsonl" 2>"$T/ref.err" || no "utf8 reference run"
has "reference has the title" "$T/ref.jsonl" '"title":"وزير الاقتصاد يبحث'
for d in "$T"/enc/*/; do
    e=$(basename "$d")
    "$KHABAR" clean -q "$d/a.txt" >"$T/out.jsonl" 2>"$T/out.err" || no "$e: exit status"
    same "$e gives the same article as UTF-8" "$T/ref.jsonl" "$T/out.jsonl"
done
"$KHABAR" clean -q --encoding WINDOWS-1256 "$T/enc/cp1256/a.txt" >"$T/out.jsonl" 2>&1
same "--encoding WINDOWS-1256" "$T/ref.jsonl" "$T/out.jsonl"
# stdin (the id differs: compare the text form)
"$KHABAR" clean -q --text "$T/enc/utf8/a.txt" >"$T/ref.txt" 2>&1
"$KHABAR" clean -q --text - <"$T/enc/utf16be-crlf/a.txt" >"$T/out.txt" 2>&1
same "stdin, UTF-16BE with CRLF" "$T/ref.txt" "$T/out.txt"

# the same article as JSON lines, in UTF-16 and compressed
/usr/bin/python3 - "$T/article.txt" >"$T/one.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
print(json.dumps({"id": "a", "title": lines[0], "body": "\n".join(lines[1:])}, ensure_ascii=False))
EOF
"$KHABAR" clean -q "$T/one.jsonl" >"$T/ref-j.jsonl" 2>&1
has "JSONL record read" "$T/ref-j.jsonl" '"id":"a"'
{ printf '\377\376'; iconv -f UTF-8 -t UTF-16LE "$T/one.jsonl"; } | zstd -q -c >"$T/one-u16"
"$KHABAR" clean -q "$T/one-u16" >"$T/out.jsonl" 2>&1
same "JSONL in UTF-16LE, zstd, no extension" "$T/ref-j.jsonl" "$T/out.jsonl"

# ---- damage: each is reported with its file (and line), the rest is read --------------------
D=$T/damage
mkdir -p "$D"
printf '{"id": "g1", "body": "خبر أول"}\n{"id": "g2", "body": "خبر ثان"}\n' >"$D/01-good.jsonl"
printf '{"id": "m1", "body": "سليم"}\n{"id": "m2", "body": \n{"id": "m3", "body": "سليم"}\n' \
    >"$D/02-malformed.jsonl"
: >"$D/03-empty.txt"
printf '\211PNG\r\n\032\n\000\000\000\rIHDR\000\000' >"$D/04-image.txt"
i=0
while [ $i -lt 30000 ]; do
    printf '{"id": "t%d", "body": "خبر رقم %d"}\n' $i $i
    i=$((i + 1))
done | gzip -c | head -c 20000 >"$D/05-truncated.jsonl.gz"
printf '{"id": "u1", "body": "نص عربي سليم مع بايتات \377\376 مكسورة"}\n' >"$D/06-invalid-utf8.jsonl"
{
    printf '{"id": "l1"}\n{"id": "l2", "body": "'
    head -c 52428800 /dev/zero | tr '\000' 'a'
    printf '"}\n{"id": "l3"}\n'
} >"$D/07-long-line.jsonl"
printf '<DOC>\n<DOCNO>d1</DOCNO>\n<TEXT>أ\n<DOC>\n<DOCNO>d2</DOCNO>\n<TEXT>ب</TEXT>\n</DOC>\n' \
    >"$D/08-docs.txt"

"$KHABAR" clean "$D" >"$T/d.out" 2>"$T/d.err"
st=$?
[ $st -eq 1 ] && ok || no "damaged inputs: exit status $st, expected 1"
has "malformed JSON named with its line" "$T/d.err" "02-malformed.jsonl:2: malformed JSON"
has "empty file named" "$T/d.err" "03-empty.txt: empty file"
has "binary file named" "$T/d.err" "04-image.txt: binary data"
has "truncated gzip named" "$T/d.err" "05-truncated.jsonl.gz:"
has "truncated gzip said" "$T/d.err" "truncated gzip data"
has "50 MB line named with its line" "$T/d.err" "07-long-line.jsonl:2: line longer than"
has "unclosed <DOC> named with its line" "$T/d.err" "08-docs.txt:1: <DOC> record not closed"
has "summary counts the errors" "$T/d.err" "6 errors"
for id in g1 g2 m1 m3 t0 u1 l1 l3 d2; do
    has "record $id read despite the damage around it" "$T/d.out" "\"id\":\"$id\""
done
has "invalid UTF-8 repaired" "$T/d.out" '"repaired":2'
# directory order: byte order of the names
ids=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$T/d.out" | tr '\n' ' ')
case "$ids" in
"g1 g2 m1 m3 t0 "*) ok ;;
*) no "records in directory order: $ids" ;;
esac

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
