/*
 * app.js — the web page of khabar: search, filters, paging, similar stories, article view.
 *
 * The page state lives in the address (#q=…&offset=… or #doc=ID), so the browser's back button,
 * bookmarks and reloads work. Text from the server is only ever put in the page with
 * textContent, never as HTML. Highlights come from the server as byte ranges [start, end) into
 * the UTF-8 snippet (whole words only); they are cut on those bytes, so a mark never splits a
 * word and Arabic letters keep joining.
 */
'use strict';

const PAGE = 10;
const $ = (id) => document.getElementById(id);
const enc = new TextEncoder();
const dec = new TextDecoder();
let lastSearch = '';

const REASONS = {
  masthead: 'ترويسة الموقع',
  duplicate: 'سطر مكرر',
  title: 'تكرار للعنوان',
  share: 'دعوة للمشاركة أو المتابعة',
  copyright: 'حقوق النشر',
  'agency-tag': 'وسم وكالة أنباء',
  empty: 'سطر بلا نص',
  'repeated-in-source': 'سطر يتكرر في المصدر',
  navigation: 'روابط تصفح',
};

const nf = new Intl.NumberFormat('ar-EG');

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

/* Appends text with the byte ranges marked, to node. */
function highlighted(node, text, ranges) {
  const bytes = enc.encode(text || '');
  let at = 0;
  const sorted = (ranges || []).slice().sort((a, b) => a[0] - b[0]);
  for (const [s, e] of sorted) {
    if (s < at || e <= s || e > bytes.length) continue;
    if (s > at) node.append(dec.decode(bytes.subarray(at, s)));
    node.append(el('mark', { text: dec.decode(bytes.subarray(s, e)) }));
    at = e;
  }
  if (at < bytes.length) node.append(dec.decode(bytes.subarray(at)));
  return node;
}

function status(msg) { $('status').textContent = msg; }

/* The direction of a text by its letters, not its first one: "BBC: …" in an Arabic headline is
 * still right-to-left (dir="auto" would make the whole line left-to-right). */
function dirOf(text) {
  let ar = 0, lat = 0;
  for (const ch of text || '') {
    if (/[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/u.test(ch)) ar++;
    else if (/\p{L}/u.test(ch)) lat++;
  }
  return ar === 0 && lat === 0 ? 'auto' : ar >= lat ? 'rtl' : 'ltr';
}

function formatDate(d) {
  if (!d) return null;
  const t = el('time', { datetime: d, dir: 'ltr' });
  t.textContent = d.slice(0, 10);
  return t;
}

function meta(source, date, extra) {
  const p = el('p', { class: 'meta' });
  if (source) p.append(el('bdi', { class: 'source', text: source }));
  const t = formatDate(date);
  if (t) { if (source) p.append(' · '); p.append(t); }
  if (extra) p.append(' · ', extra);
  return p;
}

function params() {
  const h = new URLSearchParams(location.hash.slice(1));
  return h;
}

function go(p) {
  const s = p.toString();
  if (location.hash.slice(1) === s) route(); else location.hash = s;
}

function formParams(offset) {
  const p = new URLSearchParams();
  p.set('q', $('q').value.trim());
  if ($('source').value) p.set('source', $('source').value);
  if ($('from').value) p.set('from', $('from').value);
  if ($('to').value) p.set('to', $('to').value);
  if (!$('collapse').checked) p.set('collapse', '0');
  if (offset) p.set('offset', String(offset));
  return p;
}

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) {
    const m = body && body.error ? body.error.message : 'HTTP ' + r.status;
    throw new Error(m);
  }
  return body;
}

function fillSources(facets, current) {
  const sel = $('source');
  const names = Object.keys((facets && facets.source) || {});
  if (!names.length && sel.options.length > 1) return;
  sel.replaceChildren(el('option', { value: '', text: 'كل المصادر' }));
  if (current && !names.includes(current)) names.push(current);
  for (const n of names.sort()) {
    const o = el('option', { value: n, text: n, dir: 'auto' });
    if (n === current) o.selected = true;
    sel.append(o);
  }
}

async function loadSimilar(hit, box, btn) {
  const open = btn.getAttribute('aria-expanded') === 'true';
  btn.setAttribute('aria-expanded', String(!open));
  box.hidden = open;
  if (open || box.dataset.loaded) return;
  box.dataset.loaded = '1';
  box.replaceChildren(el('li', { text: 'جارٍ التحميل…' }));
  try {
    const d = await getJSON('/api/documents/' + encodeURIComponent(hit.id) + '/similar');
    box.replaceChildren();
    const list = d.similar || [];
    for (const s of list) {
      const a = el('a', { href: '#doc=' + encodeURIComponent(s.id), dir: dirOf(s.title || s.id) });
      a.textContent = s.title || s.id;
      box.append(el('li', null, a, meta(s.source, s.date)));
    }
    if (!list.length && hit.also_sources && hit.also_sources.length) {
      for (const s of hit.also_sources) box.append(el('li', null, el('bdi', { text: s })));
    }
    if (!box.children.length) box.append(el('li', { text: 'لا توجد تفاصيل.' }));
  } catch (e) {
    box.replaceChildren(el('li', { text: 'تعذر التحميل: ' + e.message }));
  }
}

function renderHit(h, i) {
  const li = el('li', { class: 'hit' });
  const art = el('article', { 'aria-labelledby': 'h-' + i });
  // a damaged article has no readable page to open: its id is shown, not linked
  const a = h.damaged
    ? el('span', { id: 'h-' + i, dir: dirOf(h.id) })
    : el('a', { href: '#doc=' + encodeURIComponent(h.id), id: 'h-' + i, dir: dirOf(h.title || h.id) });
  highlighted(a, h.title || h.id, h.title_highlights);
  art.append(el('h3', { class: 'title' }, a));
  art.append(meta(h.source, h.date));
  if (h.snippet && h.snippet.text && !h.snippet.is_title) {
    const p = el('p', { class: 'snippet', dir: dirOf(h.snippet.text) });
    if (h.snippet.start > 0) p.append('… ');
    highlighted(p, h.snippet.text, h.snippet.highlights);
    p.append(' …');
    art.append(p);
  }
  // its stored article could not be read (damaged in the index): listed without its text
  if (h.damaged) art.append(el('p', { class: 'damaged', text: 'تعذّرت قراءة نص هذا الخبر: نسخته المخزّنة في الفهرس تالفة.' }));
  if (h.similar > 0) {
    const box = el('ul', { class: 'similar', id: 'sim-' + i, hidden: '' });
    const btn = el('button', {
      type: 'button', class: 'more', 'aria-expanded': 'false', 'aria-controls': 'sim-' + i,
    });
    btn.textContent = h.similar === 1 ? 'قصة مشابهة واحدة' : nf.format(h.similar) + ' قصص مشابهة';
    btn.addEventListener('click', () => loadSimilar(h, box, btn));
    art.append(btn, box);
  }
  li.append(art);
  return li;
}

async function search(p) {
  $('doc-view').hidden = true;
  $('results-view').hidden = false;
  const q = p.get('q') || '';
  $('q').value = q;
  $('source').value = p.get('source') || '';
  $('from').value = p.get('from') || '';
  $('to').value = p.get('to') || '';
  $('collapse').checked = p.get('collapse') !== '0';
  const offset = parseInt(p.get('offset') || '0', 10) || 0;
  if (!q) { $('results').replaceChildren(); $('pager').hidden = true; status(''); return; }
  const api = new URLSearchParams(p);
  api.set('limit', String(PAGE));
  api.set('exact', '1');
  status('جارٍ البحث…');
  document.body.setAttribute('aria-busy', 'true');
  try {
    const r = await getJSON('/api/search?' + api.toString());
    lastSearch = p.toString();
    fillSources(r.facets, p.get('source') || '');
    const list = $('results');
    list.replaceChildren(...r.hits.map(renderHit));
    list.start = offset + 1;
    const total = r.total;
    let msg;
    if (!r.hits.length) msg = 'لا نتائج لهذا البحث.';
    else msg = 'النتائج ' + nf.format(offset + 1) + '–' + nf.format(offset + r.hits.length) +
      ' من ' + (r.total_exact ? '' : 'حوالي ') + nf.format(total) +
      ' (' + nf.format(Math.max(1, Math.round(r.took_us / 1000))) + ' ملّي ثانية)';
    if (r.fallback_any) msg += ' — لا خبر يحوي كل الكلمات، فهذه أخبار تحوي بعضها.';
    else if (r.notice) msg += ' — ' + r.notice;
    if (r.hits.some((h) => h.damaged)) msg += ' — تعذّرت قراءة بعض الأخبار (فهرس تالف): شغّل khabar check.';
    // the search ran out of its time budget: the best hits found so far
    if (r.timed_out) msg += ' — نتائج جزئية: انتهت مهلة البحث قبل فحص كل الأخبار.';
    status(msg);
    // a short page is the last one (collapsed copies count in total but are not hits)
    const more = r.hits.length === PAGE && offset + PAGE < total;
    $('pager').hidden = !(offset > 0 || more);
    $('prev').disabled = offset <= 0;
    $('next').disabled = !more;
    $('page-info').textContent = 'صفحة ' + nf.format(Math.floor(offset / PAGE) + 1);
  } catch (e) {
    $('results').replaceChildren();
    $('pager').hidden = true;
    status('خطأ: ' + e.message);
  } finally {
    document.body.removeAttribute('aria-busy');
  }
}

async function showDoc(id) {
  $('results-view').hidden = true;
  const v = $('doc-view');
  v.hidden = false;
  $('doc-title').textContent = '';
  $('doc-body').replaceChildren();
  $('doc-captions').replaceChildren();
  status('جارٍ تحميل الخبر…');
  try {
    const d = await getJSON('/api/documents/' + encodeURIComponent(id));
    $('doc-title').textContent = d.title || d.id;
    $('doc-title').dir = dirOf(d.title || d.id);
    const m = meta(d.source, d.date, d.url ? el('a', { href: d.url, rel: 'noopener noreferrer', dir: 'ltr', text: 'المصدر الأصلي' }) : null);
    $('doc-meta').replaceWith(m);
    m.id = 'doc-meta';
    for (const c of d.captions || []) $('doc-captions').append(el('p', { class: 'caption', dir: dirOf(c), text: c }));
    for (const b of d.blocks || []) {
      const tag = b.type === 'heading' ? 'h3' : b.type === 'quote' ? 'blockquote' : 'p';
      $('doc-body').append(el(tag, { dir: dirOf(b.text), text: b.text }));
    }
    const dropped = d.dropped || [];
    const box = $('doc-dropped-box');
    box.hidden = !dropped.length;
    const list = $('doc-dropped');
    list.hidden = true;
    $('toggle-dropped').setAttribute('aria-expanded', 'false');
    $('toggle-dropped').textContent = 'عرض الأسطر المحذوفة (' + nf.format(dropped.length) + ')';
    list.replaceChildren(...dropped.map((x) => el('li', null,
      el('span', { class: 'reason', text: REASONS[x.reason] || x.reason }), ' ',
      el('span', { dir: dirOf(x.text), text: x.text }))));
    status('');
    document.title = (d.title || d.id) + ' — خبر';
    $('doc-title').focus();
  } catch (e) {
    status('خطأ: ' + e.message);
  }
}

function route() {
  const p = params();
  if (p.has('doc')) showDoc(p.get('doc'));
  else { document.title = 'خبر — البحث في الأخبار'; search(p); }
}

document.addEventListener('DOMContentLoaded', () => {
  $('search').addEventListener('submit', (e) => { e.preventDefault(); go(formParams(0)); });
  for (const id of ['source', 'from', 'to', 'collapse']) {
    $(id).addEventListener('change', () => { if ($('q').value.trim()) go(formParams(0)); });
  }
  $('prev').addEventListener('click', () => {
    const p = params(); const o = Math.max(0, (parseInt(p.get('offset') || '0', 10) || 0) - PAGE);
    if (o) p.set('offset', String(o)); else p.delete('offset');
    go(p);
  });
  $('next').addEventListener('click', () => {
    const p = params(); p.set('offset', String((parseInt(p.get('offset') || '0', 10) || 0) + PAGE));
    go(p);
  });
  $('back').addEventListener('click', () => {
    if (history.length > 1 && lastSearch) history.back(); else go(new URLSearchParams(lastSearch));
  });
  $('toggle-dropped').addEventListener('click', () => {
    const b = $('toggle-dropped'); const open = b.getAttribute('aria-expanded') === 'true';
    b.setAttribute('aria-expanded', String(!open));
    $('doc-dropped').hidden = open;
  });
  $('home').addEventListener('click', (e) => { e.preventDefault(); $('q').value = ''; go(new URLSearchParams()); $('q').focus(); });
  window.addEventListener('hashchange', route);
  getJSON('/api/stats').then((s) => {
    $('version').textContent = s.version;
    if (!params().has('q') && !params().has('doc')) status('في الفهرس ' + nf.format(s.docs) + ' خبرًا.');
  }).catch(() => {});
  route();
  if (!params().has('doc')) $('q').focus();
});
