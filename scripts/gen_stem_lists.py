#!/usr/bin/python3
"""gen_stem_lists.py — drafts the light stemmer's protect lists from real news (src/gen/stem_lists.c).

    /usr/bin/python3 scripts/gen_stem_lists.py [SHARED_DIR] > src/gen/stem_lists.c

Reads the two news corpora of ../shared (saudinewsnet, jawharafm: 41,000 articles), normalizes
Arabic words with the letter rules of src/normalize.c, and decides with corpus evidence where the
stemmer's rules would cut into a stem:

  protect (proclitics)  For a word p+X (p one of و ف ب ك ل), the first letter is the stem's own
      when the word is seen with the article in front of the whole of it (الوزير, البطاقة,
      الفيلم) or with a second proclitic (ووزير), more than X is seen on its own (زير, الزير).
      The evidence is summed over every word sharing the core (the word with its endings
      stripped, as stem.c strips them); the core is what stem.c looks up.
  keep (endings)  For a word X+s (s one of ون ين ان هم هن هما نا ا), the ending is the stem's
      own when the words that would share X's paradigm (X, الX, X+ين/ون/ان/ه/ها/ات) are rare
      next to the word itself: لبنان (no لبن+ين), فلسطين, قانون, مليون, كورونا.

Only words seen at least MIN_FREQ times are considered, which bounds the lists. The output is
deterministic (sorted). The hand-written lists in stem.c come first; these add to them.
"""
import collections
import json
import os
import re
import subprocess
import sys

MIN_FREQ = 20  # rarer words do not carry enough evidence either way
RATIO = 1.0  # root evidence must exceed clitic evidence by this factor

HARAKAT = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640\u06d6-\u06ed\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
LETTERS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "ء", "ئ": "ء",
           "ی": "ي", "ک": "ك", "گ": "ك", "پ": "ب", "چ": "ج", "ژ": "ز", "ڤ": "ف", "ڨ": "ق"}
TRANS = str.maketrans(LETTERS)
WORD = re.compile("[\u0621-\u064a]+")


def words_of(text):
    text = HARAKAT.sub("", text).translate(TRANS)
    for w in WORD.findall(text):
        if w.endswith("يء") and len(w) > 2:
            w = w[:-2] + "ء"
        yield w


def read_corpus(shared):
    counts = collections.Counter()
    for name, fields in (("saudinewsnet", ("title", "content")), ("jawharafm", ("title", "text"))):
        path = os.path.join(shared, "corpus", name + ".jsonl.zst")
        p = subprocess.Popen(["zstdcat", path], stdout=subprocess.PIPE)
        for line in p.stdout:
            d = json.loads(line)
            for f in fields:
                counts.update(words_of(d.get(f) or ""))
        p.wait()
    return counts


PRONOUNS = ["هما", "هم", "هن", "ها", "نا", "ه"]


def core(w):
    """stem.c's strip_suffixes without its lists."""
    m, pron = w, False
    for s in PRONOUNS:
        if m.endswith(s) and len(m) - len(s) >= 3:
            m, pron = m[: -len(s)], True
            break
    if not pron:
        if m.endswith("وا") and len(m) >= 5:
            m = m[:-2]
        elif m.endswith("ا") and len(m) >= 4:
            m = m[:-1]
    if m.endswith("ات"):
        if len(m) >= 5:
            m = m[:-2]
        elif pron and len(m) >= 4:
            m = m[:-1]
    elif m[-2:] in ("ون", "ين", "ان") and len(m) >= 5:
        m = m[:-2]
        if m.endswith("ت") and not m.endswith("ات") and len(m) >= 4:
            m = m[:-1]
    elif pron and m.endswith("ت") and len(m) >= 4:
        m = m[:-1]
    if m.endswith("ي") and len(m) >= 4:
        m = m[:-1]
    return m


def protect_list(c):
    root = collections.Counter()
    clitic = collections.Counter()
    seen = collections.Counter()
    for w, f in c.items():
        if f < MIN_FREQ or len(w) < 4 or w[0] not in "وفبكل" or w.startswith("ال"):
            continue
        if w.startswith("لل") or w[1:3] == "ال":
            continue
        x = w[1:]
        k = core(w)
        seen[k] += f
        root[k] += c.get("ال" + w, 0) + c.get("و" + w, 0) + c.get("وال" + w, 0)
        clitic[k] += c.get(x, 0) + c.get("ال" + x, 0)
    out = []
    for k, f in seen.items():
        if root[k] > RATIO * clitic[k] or (clitic[k] * 20 < f):
            out.append(k)
    return sorted(set(out))


PREFIXES = ("", "ال", "و", "وال", "ب", "بال", "ل", "لل", "ف", "فال")
ENDINGS = ("", "ين", "ون", "ان", "ه", "ها", "ات", "هم", "ي", "يه", "يين", "يون", "يات")


def first_ending(w):
    """The ending stem.c would strip first (pronoun, else وا/ا, else plural/dual), or None."""
    for s in PRONOUNS:
        if w.endswith(s) and len(w) - len(s) >= 3:
            return s
    if w.endswith("وا") and len(w) >= 5:
        return "وا"
    if w.endswith("ا") and len(w) >= 4:
        return "ا"
    for s in ("ون", "ين", "ان"):
        if w.endswith(s) and len(w) >= 5:
            return s
    return None


def keep_list(c):
    def fam(x):
        return sum(c.get(p + x, 0) for p in PREFIXES)

    out = []
    for w, f in c.items():
        if f < MIN_FREQ or w.startswith("ال") or w.startswith("لل"):
            continue
        if w[0] in "وفبكلس" and c.get(w[1:], 0) * 20 >= f:
            continue  # a clitic form of a word seen on its own
        s = first_ending(w)
        if s not in ("هما", "هم", "هن", "نا", "ون", "ين", "ان", "ا"):
            continue
        x = w[: -len(s)]
        own = fam(w)
        partners = sum(fam(x + e) for e in ENDINGS) - own
        if partners * 10 < own:
            out.append(w)
    return sorted(set(out))


def c_array(name, items):
    lines = []
    line = "   "
    for it in items:
        s = ' "%s",' % it
        if len(line) + len(s) > 99:
            lines.append(line)
            line = "   "
        line += s
    lines.append(line)
    return "const char *const %s[] = {\n%s\n};\n" % (name, "\n".join(lines))


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared")
    c = read_corpus(shared)
    prot = protect_list(c)
    keep = keep_list(c)
    sys.stdout.write(
        "/*\n * stem_lists.c — GENERATED by scripts/gen_stem_lists.py from the news corpora of\n"
        " * ../shared (saudinewsnet, jawharafm). DO NOT EDIT: regenerate it.\n *\n"
        " * %d protected cores (first letter not a proclitic), %d words whose ending is the stem's.\n"
        " * Word lists only: no text of the corpora is reproduced.\n */\n"
        '#include "stem_lists.h"\n\n' % (len(prot), len(keep)))
    sys.stdout.write(c_array("kb__gen_protect", prot))
    sys.stdout.write("const size_t kb__gen_n_protect = %d;\n\n" % len(prot))
    sys.stdout.write(c_array("kb__gen_keep", keep))
    sys.stdout.write("const size_t kb__gen_n_keep = %d;\n" % len(keep))


if __name__ == "__main__":
    main()
