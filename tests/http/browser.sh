#!/bin/sh
# browser.sh — the web page in headless Chromium (Debian's `chromium`, driven by playwright-core
# from tests/http/package.json): loads the page from a test server on 127.0.0.1, types an Arabic
# query, checks the highlighted results, opens an article, checks phone width, searches a copy of the index with a damaged stored article, and saves
# screenshot.png (results), screenshot-article.png and screenshot-phone.png in its temporary
# directory; KB_UPDATE_SCREENSHOTS=1 saves them over docs/ instead (a run of the tests leaves the
# tree as it was). Skips when chromium or node is missing (scripts/install-deps.sh --browser
# installs chromium).
set -u
. "$(dirname "$0")/serverlib"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null 2>&1; then
    echo "skipped: needs $CHROMIUM and node (sh scripts/install-deps.sh --browser)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
cd "$KB_ROOT/tests/http" || exit 1
if [ ! -d node_modules/playwright-core ]; then
    npm ci --no-audit --no-fund >"$HTTP_TMP/npm.log" 2>&1 || {
        echo "skipped: npm ci failed (playwright-core not available)"; tail -5 "$HTTP_TMP/npm.log"
        echo "0 passed, 0 failed, 1 skipped"; exit 0; }
fi
build_index "$HTTP_TMP/ix" "$KB_ROOT/examples/news.jsonl" || { echo "0 passed, 1 failed"; exit 1; }
start_server b --index "$HTTP_TMP/ix" --threads 2 || { echo "0 passed, 1 failed"; exit 1; }
damaged_copy "$HTTP_TMP/ix" "$HTTP_TMP/dmg" && start_server d --index "$HTTP_TMP/dmg" --threads 1 ||
    { echo "0 passed, 1 failed"; exit 1; }
shots=$HTTP_TMP
[ "${KB_UPDATE_SCREENSHOTS:-0}" = 1 ] && shots=$KB_ROOT/docs
HOME="$HTTP_TMP" CHROMIUM="$CHROMIUM" timeout 120 node browser.mjs "$b_URL" "القاهرة" \
    "$shots/screenshot.png" "$shots/screenshot-article.png" "الإنفلونزا" "$d_URL" "معرض"
rc=$?
stop_server b
stop_server d
exit $rc
