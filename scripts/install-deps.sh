#!/bin/sh
# Installs the Debian packages khabar needs to build, test and benchmark.
# Idempotent: does nothing when every package is already installed.
set -eu

# Build and library dependencies (see README "Dependencies" for why each).
PKGS="meson ninja-build pkg-config gcc clang libclang-rt-14-dev
libutf8proc-dev libsqlite3-dev sqlite3 libzstd-dev zstd libxxhash-dev
libmicrohttpd-dev libjansson-dev libxml2-dev zlib1g-dev libuchardet-dev
libstemmer-dev python3"
# Peers and tools for tests and benchmarks.
PKGS="$PKGS ${KB_EXTRA_PKGS:-}"
# Clean (owner: clean): python3-readability, the readability-lxml article extractor, is the peer
# bench/bench_clean.sh runs side by side with `khabar clean` on HTML; iconv (libc-bin) makes the
# encoding copies in tests/cli/clean.sh.
PKGS="$PKGS python3-readability"
# python3-icu: scripts/gen_umm_alqura.py regenerates the Umm al-Qura table from ICU's data.
PKGS="$PKGS python3-icu"
# Server (owner: server): wrk drives bench/load_serve.sh; curl for the README's quick check.
PKGS="$PKGS wrk curl"
# Search (owner: search): python3-xapian is the Xapian peer (Arabic stemmer, BM25) of
# tests/eval/arcd.sh and bench/bench_search.sh; FTS5 comes with Python's sqlite3 module.
PKGS="$PKGS python3-xapian"
# Robust (owner: robust): valgrind runs the CLI suites under memcheck (tests/robust/valgrind_cli.sh).
PKGS="$PKGS valgrind"
# Browser test (tests/http/browser.sh), optional because chromium is large: `--browser` adds it
# (make test passes it). playwright-core comes from tests/http/package-lock.json via npm.
BROWSER_PKGS="chromium nodejs"
for a in "$@"; do [ "$a" = --browser ] && PKGS="$PKGS $BROWSER_PKGS"; done

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
