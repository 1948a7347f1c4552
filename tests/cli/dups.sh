#!/bin/sh
# tests/cli/dups.sh — `khabar dups`: stream mode over files, and the clusters an index keeps
# across processes (add, restart, delete of the representative, re-add), with exact output.
set -u
KHABAR=${KHABAR:-$(dirname "$0")/../../build/khabar}
T=${TMPDIR:-/tmp}/kb-dups-cli.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT INT TERM
pass=0 fail=0
check() { # description, command...
    d=$1
    shift
    if "$@"; then pass=$((pass + 1)); else
        fail=$((fail + 1))
        echo "FAIL: $d"
    fi
}
same() { # description, expected file, actual file
    if cmp -s "$2" "$3"; then pass=$((pass + 1)); else
        fail=$((fail + 1))
        echo "FAIL: $1"
        diff "$2" "$3" | head -20
    fi
}

# One story (written for this test), a copy with diacritics, tatweel and doubled spaces from
# another outlet, a copy with one sentence cut, and an unrelated story.
S1='افتتح وزير الصحة اليوم مستشفى جديدا في المنطقة الشرقية بسعة مئتي سرير وقال إن المستشفى يخدم أكثر من نصف مليون نسمة في المحافظات المجاورة. وأضاف الوزير أن العمل جار على إنشاء ثلاثة مستشفيات أخرى قبل نهاية العام المقبل في مدن الشمال والجنوب. ويضم المستشفى قسما للطوارئ ووحدة للعناية المركزة ومختبرات حديثة إضافة إلى عيادات خارجية تعمل طوال أيام الأسبوع. وأشار إلى أن الوزارة ستوظف ألف طبيب وممرض خلال الأشهر الستة المقبلة لتشغيل المستشفيات الجديدة.'
S2='افتتحَ وزيرُ الصحـــة اليومَ  مستشفى جديدا في المنطقة الشرقية بسعة مئتي سرير وقال إن المستشفى يخدم أكثر من نصف مليون نسمة في المحافظات المجاورة. وأضاف الوزير أن العمل جار على إنشاء ثلاثة مستشفيات أخرى قبل نهاية العام المقبل في مدن الشمال والجنوب. ويضم المستشفى قسما للطوارئ ووحدة للعناية المركزة ومختبرات حديثة إضافة إلى عيادات خارجية تعمل طوال أيام الأسبوع. وأشار إلى أن الوزارة ستوظف ألف طبيب وممرض خلال الأشهر الستة المقبلة لتشغيل المستشفيات الجديدة.'
S3='افتتح وزير الصحة اليوم مستشفى جديدا في المنطقة الشرقية بسعة مئتي سرير وقال إن المستشفى يخدم أكثر من نصف مليون نسمة في المحافظات المجاورة. وأضاف الوزير أن العمل جار على إنشاء ثلاثة مستشفيات أخرى قبل نهاية العام المقبل في مدن الشمال والجنوب. ويضم المستشفى قسما للطوارئ ووحدة للعناية المركزة ومختبرات حديثة إضافة إلى عيادات خارجية تعمل طوال أيام الأسبوع.'
S4='فاز فريق الهلال على فريق النصر بهدفين مقابل هدف واحد في المباراة التي أقيمت مساء أمس على ملعب الملك فهد الدولي في الرياض وسط حضور جماهيري كبير. وسجل المهاجم الهدف الأول في الدقيقة العشرين قبل أن يعادل الضيوف النتيجة في بداية الشوط الثاني. وجاء هدف الفوز في الدقائق الأخيرة من ركلة جزاء احتسبها الحكم بعد العودة إلى تقنية الفيديو.'
{
    printf '{"id":"a1","source":"alpha","date":"2015-07-21","title":"افتتاح مستشفى جديد","body":"%s"}\n' "$S1"
    printf '{"id":"b1","source":"beta","date":"2015-07-20","title":"افتتاح مستشفى جديد","body":"%s"}\n' "$S2"
    printf '{"id":"c1","source":"gamma","date":"2015-07-22","title":"مستشفى في الشرقية","body":"%s"}\n' "$S3"
    printf '{"id":"d1","source":"alpha","date":"2015-07-21","title":"الهلال يفوز","body":"%s"}\n' "$S4"
} >"$T/news.jsonl"

# Usage.
"$KHABAR" dups >/dev/null 2>&1
check "no input exits 2" [ $? -eq 2 ]
"$KHABAR" dups --threshold 1.5 "$T/news.jsonl" >/dev/null 2>&1
check "bad threshold exits 2" [ $? -eq 2 ]
"$KHABAR" dups --help >"$T/out" 2>&1
check "--help exits 0" [ $? -eq 0 ]

# Stream mode: one cluster of three, the earliest dated (b1) represents.
"$KHABAR" dups --format jsonl "$T/news.jsonl" >"$T/out" 2>"$T/err"
check "stream mode exits 0" [ $? -eq 0 ]
check "stream mode: one cluster" [ "$(wc -l <"$T/out")" -eq 1 ]
check "stream mode: b1 represents" grep -q '"size":3,"representative":"b1"' "$T/out"
check "stream mode: d1 is alone" sh -c "! grep -q '\"d1\"' '$T/out'"
check "stream mode: the debris copy is exact" grep -q '"id":"a1","source":"alpha","date":"2015-07-21","similarity":1.000' "$T/out"
"$KHABAR" dups --format pairs "$T/news.jsonl" | cut -f1,2,4 >"$T/pairs"
printf '0\t1\tjaccard\n0\t2\tjaccard\n1\t2\tjaccard\n' >"$T/pairs.expected"
sort "$T/pairs" -o "$T/pairs"
same "stream mode: pairs" "$T/pairs.expected" "$T/pairs"
"$KHABAR" dups --threshold 0.95 --format jsonl "$T/news.jsonl" >"$T/out"
check "threshold 0.95: only the exact pair" grep -q '"size":2,"representative":"b1"' "$T/out"

# The index keeps the clusters between processes.
"$KHABAR" index --index "$T/ix" "$T/news.jsonl" >/dev/null 2>&1
check "index exits 0" [ $? -eq 0 ]
"$KHABAR" dups --index "$T/ix" >"$T/out" 2>"$T/err"
check "dups --index exits 0" [ $? -eq 0 ]
cat >"$T/expected" <<'TXT'
cluster 1: 3 documents
  * b1  beta  2015-07-20  (representative)
    a1  alpha  2015-07-21  1.00
TXT
head -n 3 "$T/out" >"$T/head"
same "dups --index: representative and the exact copy" "$T/expected" "$T/head"
check "dups --index: c1 in the cluster" grep -q '^    c1  gamma  2015-07-22  ' "$T/out"
check "dups --index: summary" grep -q '^1 clusters, 3 documents$' "$T/out"
"$KHABAR" dups --index "$T/ix" --format jsonl >"$T/out"
check "dups --index --format jsonl" grep -q '"representative":"b1"' "$T/out"
"$KHABAR" dups --index "$T/ix" "$T/news.jsonl" >/dev/null 2>&1
check "--index with files exits 2" [ $? -eq 2 ]

# Deleting the representative hands the cluster on; adding it again brings it back.
"$KHABAR" delete --index "$T/ix" b1 >/dev/null 2>&1
check "delete exits 0" [ $? -eq 0 ]
"$KHABAR" dups --index "$T/ix" >"$T/out"
check "after delete: a1 represents" grep -q '^  \* a1  alpha  2015-07-21  (representative)$' "$T/out"
check "after delete: 2 documents" grep -q '^1 clusters, 2 documents$' "$T/out"
grep '"id":"b1"' "$T/news.jsonl" >"$T/b1.jsonl"
"$KHABAR" index --index "$T/ix" "$T/b1.jsonl" >/dev/null 2>&1
"$KHABAR" dups --index "$T/ix" >"$T/out"
check "re-added: b1 represents again" grep -q '^  \* b1  beta  2015-07-20  (representative)$' "$T/out"
check "re-added: 3 documents" grep -q '^1 clusters, 3 documents$' "$T/out"

# khabar clean --dedup: the first copy stays, later copies are dropped with their reason.
"$KHABAR" clean --dedup "$T/news.jsonl" >"$T/out" 2>"$T/err"
check "clean --dedup exits 0" [ $? -eq 0 ]
check "clean --dedup keeps a1 and d1" [ "$(grep -o '"id":"[a-z0-9]*"' "$T/out" | tr '\n' ' ')" = '"id":"a1" "id":"d1" ' ]
check "clean --dedup reports b1" grep -q 'b1 dropped: duplicate-of:a1 (similarity 1.00)' "$T/err"
check "clean --dedup reports c1" grep -q 'c1 dropped: duplicate-of:a1' "$T/err"
check "clean --dedup counts" grep -q '^khabar clean: 2 duplicates dropped$' "$T/err"
"$KHABAR" clean "$T/news.jsonl" 2>/dev/null | grep -c '"id"' >"$T/n"
check "clean without --dedup keeps all" [ "$(cat "$T/n")" -eq 4 ]

# An index without dups tables yet (no documents) lists nothing.
"$KHABAR" dups --index "$T/nothing" >/dev/null 2>&1
check "missing index exits 1" [ $? -eq 1 ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
