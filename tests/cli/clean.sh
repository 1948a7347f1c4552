#!/bin/sh
# tests/cli/clean.sh — `khabar clean` from the command line: options, stdin, exit statuses, the
# summary, statistics saved and reloaded, JSONL field overrides, and the same article in
# UTF-8, UTF-8 with BOM, UTF-16 LE/BE, Windows-1256 and CRLF giving identical output.
set -u
KHABAR=${KHABAR:-$(dirname "$0")/../../build/khabar}
T=${TMPDIR:-/tmp}/kb-clean-cli.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # description, command...
    d=$1; shift
    if "$@"; then ok; else no "$d"; fi
}

cat >"$T/article.txt" <<'TXT'
جريدة المثال
رئيس التحرير: فلان

وزير الصحة يفتتح مستشفى جديدًا في المنطقة الشرقية

افتتح وزير الصحة اليوم مستشفى جديدًا في المنطقة الشرقية بسعة مئتي سرير، وقال إن المستشفى «يخدم أكثر من نصف مليون نسمة».

وأضاف الوزير أن العمل جارٍ على إنشاء ثلاثة مستشفيات أخرى قبل نهاية العام المقبل.

خدمات جديدة

ويضم المستشفى قسمًا للطوارئ ووحدة للعناية المركزة ومختبرات حديثة، إضافة إلى عيادات خارجية.

// انتهى //
TXT

# --help and usage errors
"$KHABAR" clean --help >"$T/out" 2>&1
check "--help exits 0" [ $? -eq 0 ]
check "--help describes --learn" grep -q -- "--learn FILE" "$T/out"
"$KHABAR" clean --no-such-option "$T/article.txt" >/dev/null 2>"$T/err"
check "unknown option exits 2" [ $? -eq 2 ]
"$KHABAR" clean --stats - <"$T/article.txt" >/dev/null 2>"$T/err"
check "--stats with stdin exits 2" [ $? -eq 2 ]
"$KHABAR" clean --format nope "$T/article.txt" >/dev/null 2>&1
check "bad --format exits 2" [ $? -eq 2 ]

# stdin, --text
"$KHABAR" clean -q --text - <"$T/article.txt" >"$T/text" 2>"$T/err"
check "stdin --text exits 0" [ $? -eq 0 ]
cat >"$T/text.expected" <<'TXT'
وزير الصحة يفتتح مستشفى جديدًا في المنطقة الشرقية

افتتح وزير الصحة اليوم مستشفى جديدًا في المنطقة الشرقية بسعة مئتي سرير، وقال إن المستشفى «يخدم أكثر من نصف مليون نسمة».

وأضاف الوزير أن العمل جارٍ على إنشاء ثلاثة مستشفيات أخرى قبل نهاية العام المقبل.

## خدمات جديدة

ويضم المستشفى قسمًا للطوارئ ووحدة للعناية المركزة ومختبرات حديثة، إضافة إلى عيادات خارجية.
TXT
check "--text output" cmp -s "$T/text" "$T/text.expected"
[ -s "$T/err" ] && no "-q printed to stderr"

# JSON: the drops and their reasons; --keep-boilerplate; the summary line
"$KHABAR" clean "$T/article.txt" >"$T/json" 2>"$T/err"
check "clean exits 0" [ $? -eq 0 ]
check "masthead dropped" grep -q '"text":"جريدة المثال","reason":"masthead"' "$T/json"
check "end marker dropped" grep -q '"text":"// انتهى //","reason":"agency-tag"' "$T/json"
check "summary on stderr" grep -q "1 articles, 4 blocks, 3 lines dropped; 1 files, 0 errors" "$T/err"
"$KHABAR" clean -q --keep-boilerplate "$T/article.txt" >"$T/keep"
check "--keep-boilerplate keeps all" grep -q '"dropped":\[\],' "$T/keep"

# an unreadable input: reported with its name, counted, the rest still cleaned, exit 1
"$KHABAR" clean "$T/missing.txt" "$T/article.txt" >"$T/json2" 2>"$T/err"
check "missing file exits 1" [ $? -eq 1 ]
check "missing file named" grep -q "missing.txt" "$T/err"
check "the rest is cleaned" [ "$(wc -l <"$T/json2")" -eq 1 ]
check "error counted" grep -q "1 errors" "$T/err"

# JSONL with field overrides
printf '%s\n' '{"key": "k1", "headline": "عنوان الخبر الأول هنا", "txt": "نص الخبر الأول، وهو نص قصير كتب لهذا الاختبار فقط.", "site": "مثال"}' >"$T/feed.jsonl"
"$KHABAR" clean -q --id-field key --title-field headline --body-field txt --source-field site \
    "$T/feed.jsonl" >"$T/feed.out"
check "field overrides" grep -q '^{"id":"k1","source":"مثال","url":"","date":"","title":"عنوان الخبر الأول هنا"' "$T/feed.out"

# statistics: --stats, --learn FILE, --model FILE agree
mkdir -p "$T/site"
for i in 1 2 3 4 5 6; do
    printf 'خبر رقم %s من أخبار اليوم\nهذا نص الخبر رقم %s، وفيه تفاصيل تختلف من خبر إلى آخر بحسب موضوعه.\nلمتابعة أخبارنا أرسل كلمة اشتراك إلى الرقم المختصر\n' "$i" "$i" >"$T/site/a$i.txt"
done
"$KHABAR" clean -q --stats "$T/site" >"$T/s1"
"$KHABAR" clean -q --learn "$T/model" "$T/site" >"$T/s2"
"$KHABAR" clean -q --model "$T/model" "$T/site" >"$T/s3"
check "--stats drops the recurring line" [ "$(grep -c '"reason":"repeated-in-source"' "$T/s1")" -eq 6 ]
check "--learn output = --stats output" cmp -s "$T/s1" "$T/s2"
check "--model output = --stats output" cmp -s "$T/s1" "$T/s3"
check "model file header" grep -q '^khabar-linestats 1$' "$T/model"
"$KHABAR" clean -q "$T/site" >"$T/s4"
check "no statistics: nothing repeated-in-source" [ "$(grep -c 'repeated-in-source' "$T/s4")" -eq 0 ]
printf 'garbage\n' >"$T/bad.model"
"$KHABAR" clean -q --model "$T/bad.model" "$T/site" >/dev/null 2>"$T/err"
check "damaged model exits 1" [ $? -eq 1 ]

# encodings: the same article in five encodings gives the same output
if command -v iconv >/dev/null 2>&1; then
    for e in utf8 bom utf16le utf16be cp1256 crlf; do mkdir -p "$T/$e"; done
    cp "$T/article.txt" "$T/utf8/article.txt"
    { printf '\357\273\277'; cat "$T/article.txt"; } >"$T/bom/article.txt"
    { printf '\377\376'; iconv -f UTF-8 -t UTF-16LE "$T/article.txt"; } >"$T/utf16le/article.txt"
    { printf '\376\377'; iconv -f UTF-8 -t UTF-16BE "$T/article.txt"; } >"$T/utf16be/article.txt"
    iconv -f UTF-8 -t WINDOWS-1256 "$T/article.txt" >"$T/cp1256/article.txt"
    sed 's/$/\r/' "$T/article.txt" >"$T/crlf/article.txt"
    "$KHABAR" clean -q "$T/utf8/article.txt" | sed 's/"repaired":[0-9]*//' >"$T/ref"
    for e in bom utf16le utf16be cp1256 crlf; do
        "$KHABAR" clean -q "$T/$e/article.txt" | sed 's/"repaired":[0-9]*//' >"$T/enc.$e"
        check "$e copy gives the same article" cmp -s "$T/ref" "$T/enc.$e"
    done
    "$KHABAR" clean -q --encoding WINDOWS-1256 "$T/cp1256/article.txt" | sed 's/"repaired":[0-9]*//' >"$T/enc.forced"
    check "--encoding WINDOWS-1256" cmp -s "$T/ref" "$T/enc.forced"
else
    echo "skip: iconv not found, encoding copies not tested"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
