// browser.mjs — the web page in headless Chromium (Debian's), driven by playwright-core.
//
// usage: node browser.mjs BASE_URL QUERY SCREENSHOT.png ARTICLE_SCREENSHOT.png [SIMILAR_QUERY
//        [DAMAGED_URL DAMAGED_QUERY]]
//
// Loads the page, types an Arabic query with the keyboard, checks that results come with
// whole-word highlights, filters by source, opens an article by keyboard, checks the article view,
// expands the copies of a story found by SIMILAR_QUERY, checks the page at phone width, saves
// screenshots, searches DAMAGED_QUERY on a server whose index has a damaged stored article
// (its hits are listed, flagged, not linked), and shows an answer marked timed out (the status
// line says the results are partial). Prints "N passed, N failed".
import { chromium } from 'playwright-core';

const [base, query, shot, shotDoc, similarQuery, damagedBase, damagedQuery] = process.argv.slice(2);
let passed = 0, failed = 0;
function check(ok, what, extra) {
  if (ok) passed++;
  else { failed++; console.error('FAIL ' + what + (extra !== undefined ? ': ' + JSON.stringify(extra) : '')); }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'ar' });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(base)) problems.push('external request ' + r.url()); });

  await page.goto(base, { waitUntil: 'networkidle' });
  check(await page.getAttribute('html', 'dir') === 'rtl', 'html dir=rtl');
  check(await page.getAttribute('html', 'lang') === 'ar', 'html lang=ar');
  check(await page.locator('label[for=q]').count() === 1, 'the search box has a label');
  check(await page.locator('[role=search]').count() === 1, 'a search landmark');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  check(focused === 'q', 'the search box has the focus on load', focused);

  // type the query with the keyboard and press Enter
  await page.keyboard.type(query);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.hit', { timeout: 10000 });
  const nHits = await page.locator('.hit').count();
  check(nHits > 0, 'results appear', nHits);
  const marks = await page.locator('.hit mark').count();
  check(marks > 0, 'matched words are highlighted', marks);
  // every mark is a whole word: no letter glued on either side
  const split = await page.evaluate(() => {
    const bad = [];
    for (const m of document.querySelectorAll('.hit mark')) {
      const prev = m.previousSibling, next = m.nextSibling;
      const before = prev && prev.nodeType === 3 ? prev.textContent.slice(-1) : '';
      const after = next && next.nodeType === 3 ? next.textContent.slice(0, 1) : '';
      if (/[\p{L}\p{M}]/u.test(before) || /[\p{L}\p{M}]/u.test(after)) bad.push(before + '[' + m.textContent + ']' + after);
    }
    return bad;
  });
  check(split.length === 0, 'no highlight splits a word', split);
  check(await page.locator('.hit .meta bdi').count() > 0, 'sources are isolated with <bdi>');
  // direction by the letters of the text, so that Latin words and numbers inside Arabic keep
  // their order and an Arabic line that starts with a Latin word stays right-to-left
  const dirs = await page.$$eval('.hit .title a, .hit .snippet', (es) => es.map((e) => e.dir));
  check(dirs.length > 0 && dirs.every((d) => d === 'rtl'), 'Arabic titles and snippets are rtl', dirs);
  const guess = await page.evaluate(() => [dirOf('BBC: العراق يعلن خطة'), dirOf('قال مسؤول إن Siemens ستبني ١٢ محطة'),
    dirOf('Reuters reports a deal'), dirOf('2024')]);
  check(JSON.stringify(guess) === '["rtl","rtl","ltr","auto"]', 'direction by letters, not the first one', guess);
  const status = await page.textContent('#status');
  check(/النتائج/.test(status), 'the status line counts the results', status);
  check(!/نتائج جزئية/.test(status), 'a whole answer is not called partial', status);

  // the source filter: options come from the facets; choosing one narrows the results
  const sources = await page.$$eval('#source option', (os) => os.map((o) => o.value).filter(Boolean));
  check(sources.length > 1, 'the source filter lists the sources', sources);
  if (sources.length > 1) {
    const want = sources[sources.length - 1];
    await page.selectOption('#source', want);
    await page.waitForFunction((w) => {
      const s = [...document.querySelectorAll('.hit .source')].map((e) => e.textContent);
      return s.length > 0 && s.every((x) => x === w);
    }, want, { timeout: 10000 }).then(() => check(true, 'source filter'),
      (e) => check(false, 'source filter', String(e)));
    await page.selectOption('#source', '');
    await page.waitForFunction((n) => document.querySelectorAll('.hit').length === n, nHits, { timeout: 10000 })
      .catch(() => {});
  }
  if (shot) await page.screenshot({ path: shot, fullPage: false });


  // open the first result with the keyboard
  const title = (await page.textContent('.hit .title a')).trim();
  await page.focus('.hit .title a');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#doc-view:not([hidden])', { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector('#doc-title').textContent.length > 0);
  const docTitle = (await page.textContent('#doc-title')).trim();
  check(docTitle === title, 'the article opens with its title', [docTitle, title]);
  check(await page.locator('#doc-body p, #doc-body h3').count() > 0, 'the article has paragraphs');
  const f2 = await page.evaluate(() => document.activeElement && document.activeElement.id);
  check(f2 === 'doc-title', 'focus moves to the article title', f2);
  if (await page.isVisible('#toggle-dropped')) {
    await page.click('#toggle-dropped');
    check(await page.isVisible('#doc-dropped li'), 'dropped lines show on request');
  }
  if (shotDoc) await page.screenshot({ path: shotDoc, fullPage: true });

  // back to the results, with the browser's back button
  await page.goBack();
  await page.waitForSelector('#results-view:not([hidden]) .hit', { timeout: 10000 });
  check(true, 'back returns to the results');

  // "N similar stories": a story carried by several outlets is one hit whose copies expand
  if (similarQuery) {
    await page.fill('#q', similarQuery);
    await page.keyboard.press('Enter');
    await page.waitForFunction((q) => decodeURIComponent(location.hash).includes(q), similarQuery);
    const more = page.locator('.hit button.more').first();
    await more.waitFor({ timeout: 10000 }).catch(() => {});
    check(await more.count() === 1, 'a hit offers its similar stories', similarQuery);
    check(await page.isHidden('#pager'), 'no pager when every hit fits on one page');
    if (await more.count()) {
      await more.focus();
      await page.keyboard.press('Enter');
      check(await more.getAttribute('aria-expanded') === 'true', 'similar stories expand');
      await page.waitForSelector('.similar li a', { timeout: 10000 })
        .then(() => check(true, 'the similar stories are listed with links'),
          (e) => check(false, 'the similar stories are listed with links', String(e)));
    }
  }

  // phone width: nothing wider than the screen
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, 'no horizontal scrolling at phone width', overflow);
  if (shot) await page.screenshot({ path: shot.replace(/\.png$/, '-phone.png') });

  // an index with a damaged stored article: its hit is listed, flagged, its id not a link, and
  // the status line points to khabar check
  if (damagedBase) {
    const dpage = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'ar' });
    dpage.on('pageerror', (e) => problems.push(String(e)));
    await dpage.goto(damagedBase + '#q=' + encodeURIComponent(damagedQuery), { waitUntil: 'networkidle' });
    await dpage.waitForSelector('.hit', { timeout: 10000 }).catch(() => {});
    const flagged = await dpage.locator('.hit .damaged').count();
    check(flagged > 0, 'a hit whose stored article is damaged is listed and flagged', flagged);
    const linked = await dpage.locator('.hit:has(.damaged) .title a').count();
    check(flagged > 0 && linked === 0, 'a damaged hit is not linked to an article view', linked);
    check(await dpage.locator('.hit:not(:has(.damaged)) .title a').count() > 0, 'the other hits keep their links');
    const st = await dpage.textContent('#status');
    check(/khabar check/.test(st), 'the status line points to khabar check', st);
    await dpage.close();
  }

  // an answer out of its time budget (timed_out): the status line says the results are partial
  // and the hits are listed. The server's own answer, only marked timed out on its way to the
  // page, so that the test does not depend on how fast a search runs (tests/unit/test_serve.c
  // checks the server's side: such an answer is not kept in its cache).
  {
    const tpage = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'ar' });
    tpage.on('pageerror', (e) => problems.push(String(e)));
    let marked = 0;
    await tpage.route((u) => u.pathname === '/api/search', async (route) => {
      const resp = await route.fetch();
      const body = await resp.json();
      body.timed_out = true;
      marked++;
      await route.fulfill({ response: resp, json: body });
    });
    await tpage.goto(base + '#q=' + encodeURIComponent(query), { waitUntil: 'networkidle' });
    await tpage.waitForSelector('.hit', { timeout: 10000 }).catch(() => {});
    const st = await tpage.textContent('#status');
    check(marked > 0 && /نتائج جزئية/.test(st), 'a timed-out answer is called partial', [marked, st]);
    check(/النتائج/.test(st) && await tpage.locator('.hit').count() > 0,
      'a timed-out answer still lists its hits', st);
    await tpage.close();
  }

  check(problems.length === 0, 'no console errors, no external requests', problems);
} catch (e) {
  check(false, 'the browser test ran to the end', String(e));
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
