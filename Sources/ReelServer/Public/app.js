// Reel web client: one ES module, no build step. Sections: storage + API, small DOM helpers, the slide
// deck (feed and single-video player), then one block per page, then the hash router.

// ---------- Storage and API ----------

/** What survives a reload: the user's token and id, and the audit page's admin token and last user. */
const store = {
  get token() { return localStorage.getItem('reel.token'); },
  get userId() { return Number(localStorage.getItem('reel.userId')) || null; },
  get adminToken() { return localStorage.getItem('reel.adminToken') || ''; },
  signIn(token, userId) {
    localStorage.setItem('reel.token', token);
    localStorage.setItem('reel.userId', String(userId));
  },
  signOut() {
    localStorage.removeItem('reel.token');
    localStorage.removeItem('reel.userId');
  },
};

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

/** The reasons a report may give (the server's list), with what the viewer reads. */
const REPORT_REASONS = [
  ['spam', 'Spam or scam'], ['harassment', 'Harassment or bullying'], ['hate', 'Hate speech'], ['violence', 'Violence'],
  ['nudity', 'Nudity or sexual content'], ['self_harm', 'Self-harm'], ['minor_safety', 'Minor safety'],
  ['misinformation', 'Misinformation'], ['copyright', 'Copyright'], ['other', 'Something else'],
];

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context; loopback http is one, but not every host). */
function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One JSON call. `admin` sends the audit token instead of the user's; 204 gives null. Every write carries an
 * Idempotency-Key, and one that got no answer (the network failed, the server restarted) is retried once with
 * the same key: the server carries it out at most once.
 */
async function api(method, path, body, { admin = false, keepalive = false } = {}) {
  const token = admin ? store.adminToken : store.token;
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const write = method !== 'GET' && method !== 'HEAD';
  if (write) headers['Idempotency-Key'] = newIdempotencyKey();
  const send = () => fetch(path, { method, headers, keepalive, body: body === undefined ? undefined : JSON.stringify(body) });
  let res;
  try {
    res = await send();
  } catch (e) {
    if (!write) throw e;
    await new Promise((r) => setTimeout(r, 1000));
    res = await send();
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* a proxy's HTML error page: keep the status */ }
  if (!res.ok) {
    const err = new ApiError(res.status, data?.error?.code ?? 'http', data?.error?.message ?? `${res.status} ${res.statusText}`);
    // An expired or revoked user token: nothing else will work, so go and log in again.
    if (res.status === 401 && !admin && token) { endLogin(); go('#/login'); }
    throw err;
  }
  return data;
}

const qs = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '')).toString();

// ---------- DOM helpers ----------

const $ = (sel, root = document) => root.querySelector(sel);

/** Builds an element; text goes in as text nodes, so user content can never inject markup. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Short-lived message at the bottom of the screen (errors and confirmations). */
function toast(message) {
  const t = $('#toast');
  t.textContent = message;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 3000);
}

/** Exact below 10 000 (so a like visibly adds one), compact above. */
const fmtCount = (n) => (n < 10000 ? String(n) : new Intl.NumberFormat('en', { notation: 'compact' }).format(n));

const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const go = (hash) => { if (location.hash !== hash) location.hash = hash; else route(); };

// ---------- Viewing session ----------

let sessionId = null;
let sessionPromise = null;

/** One viewing session per page load (and per login); concurrent callers share the same request. */
function ensureSession() {
  if (sessionId) return Promise.resolve(sessionId);
  sessionPromise ??= (async () => {
    const profile = await api('GET', `/api/v1/users/${store.userId}`).catch(() => null);
    const out = await api('POST', '/api/v1/feed/sessions', {
      region: profile?.region || 'US',
      language: (navigator.language || 'en').slice(0, 2).toLowerCase(),
      device: 'web',
      network: navigator.connection?.effectiveType || 'wifi',
    });
    sessionId = out.session_id;
    return sessionId;
  })().finally(() => { sessionPromise = null; });
  return sessionPromise;
}

// ---------- Watching: what each view of a video reports ----------

/** Measures one view of a video, from becoming the active slide until swiped away. Media time (not wall
 *  time) is counted, so buffering stalls and paused tabs do not inflate watch time. */
class Watch {
  constructor(video, item) {
    this.video = video; this.item = item;
    this.shownAt = performance.now();
    this.playedMs = 0; this.loops = 0; this.completed = false; this.last = video.currentTime;
    this.onTime = () => this.sample();
    this.onPlaying = () => { this.loops ||= 1; };
    video.addEventListener('timeupdate', this.onTime);
    video.addEventListener('playing', this.onPlaying);
  }

  duration() {
    return Number.isFinite(this.video.duration) && this.video.duration > 0 ? this.video.duration : this.item.duration_ms / 1000;
  }

  /** With `loop` there is no `ended` event: a jump backwards in currentTime is a loop. */
  sample() {
    const t = this.video.currentTime, dur = this.duration();
    if (t + 0.3 < this.last) {
      this.playedMs += (Math.max(0, dur - this.last) + t) * 1000;
      this.loops = Math.max(this.loops, 1) + 1;
      this.completed = true;
    } else if (t > this.last) {
      this.playedMs += (t - this.last) * 1000;
      if (dur && t >= dur - 0.25) this.completed = true;
    }
    if (t > 0) this.loops ||= 1;
    this.last = t;
  }

  /** Stops measuring and returns the engage body (without the session). */
  finish() {
    this.sample();
    this.video.removeEventListener('timeupdate', this.onTime);
    this.video.removeEventListener('playing', this.onPlaying);
    const cap = (this.item.duration_ms || Infinity) * Math.max(1, this.loops);
    return {
      watch_time_ms: Math.round(Math.min(this.playedMs, cap)),
      completed: this.completed,
      loops: this.loops,
      skipped: !this.completed && performance.now() - this.shownAt < 2000,
    };
  }
}

/** keepalive so the report still goes out when the tab closes mid-video. */
function reportWatch(videoId, watch) {
  if (!sessionId) return;
  api('POST', `/api/v1/video/${videoId}/engage`, { session_id: sessionId, ...watch.finish() }, { keepalive: true })
    .catch((e) => console.warn('engage failed', e));
}

// ---------- Slides ----------

let soundOn = false;                 // muted autoplay is what browsers allow; a tap turns sound on for all
const followed = new Set();          // creators followed: from feed items' creator_followed, then this page's clicks
const prefetched = new Set();

/** HLS where the browser plays it natively (Safari, newer Chrome), the MP4 everywhere else. Native HLS is
 *  young in some browsers, so a playlist that fails to play falls back to the MP4 once. */
function setSource(video, item) {
  const hls = item.hls_url && video.canPlayType('application/vnd.apple.mpegurl') !== '';
  video.src = hls ? item.hls_url : item.mp4_url;
  if (!hls || !item.mp4_url) return;
  video.addEventListener('error', () => {
    if (video.getAttribute('src') !== item.hls_url) return;
    const wanted = video.closest('.slide.active') || video.controls;
    video.src = item.mp4_url;
    if (wanted) video.play().catch(() => {});
  }, { once: true });
}

/** The first segment of the lowest rung, fetched now so the first frames of the next swipes are cached. */
function prefetch(item) {
  if (!item.prefetch || !item.prefetch_url || prefetched.has(item.prefetch_url)) return;
  prefetched.add(item.prefetch_url);
  fetch(item.prefetch_url, { priority: 'low' }).then((r) => r.arrayBuffer()).catch(() => {});
}

function makeSlide(item) {
  const id = item.video_id ?? item.id;
  const c = item.counters ?? {};
  const video = h('video', {
    class: 'player', playsinline: true, muted: true, loop: true, preload: 'metadata',
    poster: item.thumbnail_url, 'aria-label': `Video by @${item.creator_handle}. Tap to toggle sound.`,
  });
  video.muted = true; // the attribute alone does not set the property in every browser
  video.addEventListener('click', () => toggleSound(video));
  const tags = (item.hashtags ?? []).map((t) => h('a', { href: `#/search?${qs({ q: t, type: 'video' })}` }, `#${t}`));
  const own = item.creator_id === store.userId;
  const slide = h('article', { class: 'slide', 'data-video-id': id, 'data-creator-id': item.creator_id },
    video,
    h('div', { class: 'sound-hint', 'aria-hidden': 'true' }),
    h('div', { class: 'meta' },
      h('div', { class: 'creator' },
        h('span', { class: 'handle' }, `@${item.creator_handle || item.creator_id}`),
        own ? null : h('button', { class: 'follow', type: 'button', 'aria-pressed': 'false', 'aria-label': `Follow @${item.creator_handle}` }, 'Follow')),
      h('p', { class: 'caption' }, item.caption ?? ''),
      h('p', { class: 'tags' }, tags)),
    h('div', { class: 'actions' },
      countButton('like', '♥', 'Like', c.likes),
      countButton('comment', '✎', 'Comment', c.comments),
      countButton('share', '↗', 'Share', c.shares),
      h('button', { class: 'not-interested', type: 'button', 'aria-label': 'Not interested' }, h('span', { class: 'icon' }, '⊘')),
      own ? null : h('button', { class: 'report', type: 'button', 'aria-label': 'Report' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '⚑'))),
    own ? null : h('form', { class: 'report-form', hidden: true },
      h('select', { name: 'reason', 'aria-label': 'Why report this video' },
        REPORT_REASONS.map(([value, label]) => h('option', { value }, label))),
      h('button', { type: 'submit' }, 'Report')),
    h('form', { class: 'comment-form', hidden: true },
      h('input', { name: 'text', required: true, maxlength: '500', placeholder: 'Add a comment', 'aria-label': 'Comment text' }),
      h('button', { type: 'submit' }, 'Post')));
  slide.item = item;
  wireSlide(slide, id, item);
  if (item.creator_followed) followed.add(item.creator_id);
  if (followed.has(item.creator_id)) setFollowing(slide, true);
  return slide;
}

function countButton(cls, icon, label, count = 0) {
  return h('button', { class: cls, type: 'button', 'aria-label': label, 'aria-pressed': cls === 'like' ? 'false' : null },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, icon),
    h('span', { class: 'count', 'data-count': count }, fmtCount(count)));
}

function bump(button, delta) {
  const el = $('.count', button);
  const n = Math.max(0, Number(el.dataset.count) + delta);
  el.dataset.count = n;
  el.textContent = fmtCount(n);
}

function setFollowing(slide, on) {
  const b = $('.follow', slide);
  if (!b) return;
  b.classList.toggle('following', on);
  b.setAttribute('aria-pressed', String(on));
  b.textContent = on ? 'Following' : 'Follow';
}

/** The overlay's buttons. Each updates the screen first and undoes it if the server refuses. */
function wireSlide(slide, id, item) {
  const like = $('.like', slide), form = $('.comment-form', slide);
  like.addEventListener('click', async () => {
    const on = !like.classList.contains('liked');
    like.classList.toggle('liked', on); like.setAttribute('aria-pressed', String(on)); bump(like, on ? 1 : -1);
    try {
      const s = await ensureSession();
      if (on) await api('POST', `/api/v1/video/${id}/like`, { session_id: s });
      else await api('DELETE', `/api/v1/video/${id}/like?${qs({ session_id: s })}`);
    } catch (e) {
      like.classList.toggle('liked', !on); like.setAttribute('aria-pressed', String(!on)); bump(like, on ? -1 : 1);
      toast(e.message);
    }
  });
  $('.follow', slide)?.addEventListener('click', async () => {
    const on = !followed.has(item.creator_id);
    const sameCreator = document.querySelectorAll(`.slide[data-creator-id="${item.creator_id}"]`);
    const apply = (v) => { v ? followed.add(item.creator_id) : followed.delete(item.creator_id); sameCreator.forEach((s) => setFollowing(s, v)); };
    apply(on);
    try { await api(on ? 'POST' : 'DELETE', `/api/v1/users/${item.creator_id}/follow`); } catch (e) { apply(!on); toast(e.message); }
  });
  $('.comment', slide).addEventListener('click', () => {
    form.hidden = !form.hidden;
    if (!form.hidden) form.elements.text.focus();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', `/api/v1/video/${id}/comments`, { session_id: await ensureSession(), text: form.elements.text.value });
      bump($('.comment', slide), 1); form.reset(); form.hidden = true; toast('Comment posted');
    } catch (e) { toast(e.message); }
  });
  const report = $('.report-form', slide);
  $('.report', slide)?.addEventListener('click', () => { report.hidden = !report.hidden; if (!report.hidden) report.elements.reason.focus(); });
  report?.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/v1/reports', { target: 'video', id, reason: report.elements.reason.value });
      report.hidden = true; toast('Reported. Thank you: a moderator will look at it');
    } catch (e) { toast(e.message); }
  });
  $('.share', slide).addEventListener('click', () => share(slide, id, item));
  $('.not-interested', slide).addEventListener('click', async () => {
    try {
      await api('POST', `/api/v1/video/${id}/not-interested`, { session_id: await ensureSession() });
      slide.classList.add('dismissed');
      toast('Got it: fewer videos like this');
      activeDeck()?.go(1);
    } catch (e) { toast(e.message); }
  });
}

/** The system share sheet where there is one, else the clipboard; recorded unless the viewer cancelled. */
async function share(slide, id, item) {
  const url = `${location.origin}/#/video/${id}`;
  try {
    if (navigator.share) await navigator.share({ title: item.caption || 'Reel', url });
    else { await navigator.clipboard?.writeText(url).catch(() => {}); toast('Link copied'); }
  } catch (e) {
    if (e.name === 'AbortError') return;
  }
  try {
    await api('POST', `/api/v1/video/${id}/share`, { session_id: await ensureSession(), channel: 'link' });
    bump($('.share', slide), 1);
  } catch (e) { toast(e.message); }
}

function toggleSound(video) {
  soundOn = video.muted; // it was muted, so the tap turns sound on
  video.muted = !soundOn;
  const hint = $('.sound-hint', video.parentElement);
  hint.textContent = soundOn ? 'Sound on' : 'Muted';
  hint.classList.remove('flash'); void hint.offsetWidth; hint.classList.add('flash');
  if (video.paused) video.play().catch(() => {});
}

// ---------- Deck: a vertical, snap-scrolling list of slides (the feed, or one video) ----------

class Deck {
  /** `more` fetches further items, or is null for a fixed list. */
  constructor(el, more = null) {
    this.el = el; this.more = more;
    this.slides = []; this.active = -1; this.watch = null; this.loading = null; this.exhaustedUntil = 0;
    this.target = null; // index a key press scrolls to; slides passed on the way are not "viewed"
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), { root: el, threshold: 0.6 });
  }

  get currentVideoId() { return this.active >= 0 ? Number(this.slides[this.active].dataset.videoId) : null; }

  append(items) {
    const have = new Set(this.slides.map((s) => s.dataset.videoId));
    for (const item of items) {
      if (have.has(String(item.video_id ?? item.id))) continue; // a repeat would make two slides with one id
      const slide = makeSlide(item);
      this.slides.push(slide);
      this.el.append(slide);
      this.observer.observe(slide);
      prefetch(item);
    }
    if (this.active < 0 && this.slides.length) this.setActive(0);
  }

  /** Loads the next page when the viewer is 3 from the end; one request at a time. */
  async loadMore() {
    if (!this.more || this.loading || Date.now() < this.exhaustedUntil) return this.loading;
    this.loading = (async () => {
      try {
        const items = await this.more();
        const before = this.slides.length;
        this.append(items);
        if (this.slides.length === before) this.exhaustedUntil = Date.now() + 10000; // nothing new: back off
      } catch (e) { toast(e.message); this.exhaustedUntil = Date.now() + 3000; }
      finally { this.loading = null; }
    })();
    return this.loading;
  }

  onIntersect(entries) {
    for (const e of entries) {
      if (!e.isIntersecting || e.intersectionRatio < 0.6) continue;
      const i = this.slides.indexOf(e.target);
      if (this.target !== null && i !== this.target) continue;
      if (i === this.target) this.target = null;
      this.setActive(i);
    }
  }

  /** The slide in view plays; the one left behind pauses and reports its watch. */
  setActive(i) {
    if (i === this.active || i < 0 || i >= this.slides.length) return;
    this.leave();
    this.slides[this.active]?.classList.remove('active');
    this.active = i;
    this.slides[i].classList.add('active');
    this.attachNear(i);
    this.play();
    if (i >= this.slides.length - 3) this.loadMore();
  }

  /** Only slides near the current one hold a src: phones cap how many media players a page may have. */
  attachNear(i) {
    this.slides.forEach((slide, j) => {
      const v = $('video.player', slide);
      if (j >= i - 1 && j <= i + 2) {
        if (!v.getAttribute('src')) { setSource(v, slide.item); if (j === i + 1) v.preload = 'auto'; }
      } else if (Math.abs(j - i) > 3 && v.getAttribute('src')) {
        v.removeAttribute('src'); v.load();
      }
    });
  }

  play() {
    const slide = this.slides[this.active];
    if (!slide || document.hidden) return;
    const v = $('video.player', slide);
    v.muted = !soundOn;
    if (v.readyState >= 1) v.currentTime = 0; // each view starts from the top so loops are counted cleanly
    this.watch = new Watch(v, slide.item);
    v.play().catch(() => {
      // Unmuted autoplay can be refused (no gesture yet): fall back to muted rather than a frozen frame.
      if (!v.muted) { v.muted = true; soundOn = false; v.play().catch(() => {}); }
    });
  }

  /** Pauses the current slide and sends its engage report. */
  leave() {
    const slide = this.slides[this.active];
    if (!slide) return;
    $('video.player', slide).pause();
    if (this.watch) reportWatch(slide.dataset.videoId, this.watch);
    this.watch = null;
  }

  /** Keyboard "swipe": the active slide changes now, the scroll catches up. */
  go(delta) {
    const i = Math.max(0, Math.min(this.slides.length - 1, this.active + delta));
    if (i === this.active) { if (delta > 0) this.loadMore(); return; }
    this.target = i;
    clearTimeout(this.targetTimer);
    this.targetTimer = setTimeout(() => { this.target = null; }, 1000);
    this.setActive(i);
    this.el.scrollTo({ top: this.slides[i].offsetTop, behavior: 'smooth' });
  }

  /** Leaving the page (or hiding the tab) ends the current view; coming back starts a new one. */
  suspend() { this.leave(); }
  resume() {
    const slide = this.slides[this.active];
    if (!slide || this.watch) return;
    this.el.scrollTop = slide.offsetTop; // a display:none container may have lost its scroll offset
    this.play();
  }

  destroy() {
    this.leave();
    this.observer.disconnect();
    this.slides.forEach((s) => { const v = $('video.player', s); v.removeAttribute('src'); v.load(); });
    this.el.replaceChildren();
    this.slides = []; this.active = -1;
  }
}

let feedDeck = null, singleDeck = null;
const activeDeck = () => (currentRoute === 'feed' ? feedDeck : currentRoute === 'video' ? singleDeck : null);

window.reel = {
  currentVideoId: () => activeDeck()?.currentVideoId ?? null,
  get sessionId() { return sessionId; },
};

// ---------- Pages ----------

async function showFeed() {
  if (!feedDeck) {
    feedDeck = new Deck($('#feed'), async () => {
      const s = await ensureSession();
      const out = await api('GET', `/api/v1/feed/foryou?${qs({ session_id: s, count: 10 })}`);
      return out.items ?? [];
    });
    await feedDeck.loadMore();
    $('#feed-empty').hidden = feedDeck.slides.length > 0;
  } else feedDeck.resume();
  $('#feed').focus({ preventScroll: true });
}

async function showVideo(id) {
  singleDeck?.destroy();
  singleDeck = new Deck($('#single-player'));
  try {
    await ensureSession();
    singleDeck.append([await api('GET', `/api/v1/video/${encodeURIComponent(id)}`)]);
  } catch (e) { toast(e.message); }
}

function wireLogin() {
  const submit = (form, errorEl, action) => form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errorEl.textContent = '';
    const data = Object.fromEntries(new FormData(form));
    try { await action(data); form.reset(); go('#/feed'); } catch (e) { errorEl.textContent = e.message; }
  });
  const logIn = async ({ handle, password }) => {
    const out = await api('POST', '/api/v1/sessions', { handle, password });
    endLogin();
    store.signIn(out.token, out.user_id);
  };
  submit($('#login-form'), $('#login-error'), logIn);
  // A new account is logged straight in with the same handle and password.
  submit($('#register-form'), $('#register-error'), async (d) => {
    await api('POST', '/api/v1/users', { ...d, region: d.region || 'US' });
    await logIn(d);
  });
}

/** Forgets everything tied to the signed-in user: token, viewing session and the feed built for them. */
function endLogin() {
  store.signOut();
  sessionId = null;
  feedDeck?.destroy(); feedDeck = null;
  singleDeck?.destroy(); singleDeck = null;
  followed.clear();
}

async function logOut() {
  if (store.token) await api('DELETE', '/api/v1/sessions').catch(() => {});
  endLogin();
  go('#/login');
}

// ---------- Upload ----------

const CHUNK_RETRIES = 3;

function wireUpload() {
  $('#upload-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = $('#upload-file').files[0];
    if (!file) return;
    const button = $('#upload-start');
    button.disabled = true;
    $('#upload-result').replaceChildren();
    try { await upload(file); } catch (e) { setUploadStatus(`failed: ${e.message}`); } finally { button.disabled = false; }
  });
}

function setUploadStatus(text, fraction) {
  $('#upload-status').textContent = text;
  if (fraction !== undefined) $('#upload-progress').value = fraction;
}

/** Begin (or resume a stored upload of the same file), send missing chunks, complete, then poll. */
async function upload(file) {
  const key = `reel.upload:${store.userId}:${file.name}:${file.size}:${file.lastModified}`;
  let up = JSON.parse(localStorage.getItem(key) || 'null');
  let missing = null;
  if (up && Date.parse(up.expires_at) > Date.now() + 60000) {
    missing = await api('GET', `/api/v1/video/upload/${up.upload_id}`).then((s) => s.missing).catch(() => null);
  }
  if (!missing) {
    up = await api('POST', '/api/v1/video/upload', { byte_size: file.size });
    localStorage.setItem(key, JSON.stringify(up));
    missing = up.chunks.map((c) => c.index);
  }
  const sizeOf = (i) => Math.min(up.chunk_size, file.size - i * up.chunk_size);
  let sent = file.size - missing.reduce((sum, i) => sum + sizeOf(i), 0);
  const show = (extra = 0) => {
    const f = file.size ? (sent + extra) / file.size : 1;
    setUploadStatus(`uploading ${Math.floor(f * 100)}%`, f);
  };
  // Two passes: the second re-sends whatever the server still reports missing.
  for (let pass = 0; pass < 2 && missing.length; pass++) {
    for (const index of missing) {
      const chunk = up.chunks.find((c) => c.index === index);
      const blob = file.slice(index * up.chunk_size, index * up.chunk_size + sizeOf(index));
      await putChunkWithRetry(chunk.url, blob, (n) => show(n));
      sent += blob.size;
      show();
    }
    missing = (await api('GET', `/api/v1/video/upload/${up.upload_id}`)).missing;
  }
  if (missing.length) throw new Error(`chunks ${missing.join(', ')} did not arrive`);
  const words = $('#upload-hashtags').value.split(/[\s,]+/).map((t) => t.replace(/^#+/, '')).filter(Boolean);
  const done = await api('POST', `/api/v1/video/upload/${up.upload_id}/complete`, {
    caption: $('#upload-caption').value, hashtags: words, sound: 0, duet_of: 0, stitch_of: 0,
  });
  localStorage.removeItem(key);
  await pollVideo(done.video_id ?? up.video_id);
}

async function putChunkWithRetry(url, blob, onProgress) {
  const sha = await sha256Hex(await blob.arrayBuffer());
  for (let attempt = 0; ; attempt++) {
    try { return await putChunk(url, blob, sha, onProgress); } catch (e) {
      if (attempt >= CHUNK_RETRIES) throw e;
      onProgress(0);
      await sleep(500 * 2 ** attempt);
    }
  }
}

/** XHR rather than fetch: only XHR reports upload progress, which a big single chunk needs for the bar. */
function putChunk(url, blob, sha, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', url);
    x.setRequestHeader('Authorization', `Bearer ${store.token}`);
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.setRequestHeader('X-Content-SHA256', sha);
    x.upload.onprogress = (e) => onProgress(e.loaded);
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) return resolve();
      let msg = `${x.status}`;
      try { msg = JSON.parse(x.responseText).error.message; } catch { /* keep the status */ }
      reject(new ApiError(x.status, 'chunk', msg));
    };
    x.onerror = () => reject(new Error('network error'));
    x.send(blob);
  });
}

/** Polls every second until the video is published (play it) or rejected/failed (say why). */
async function pollVideo(id) {
  setUploadStatus('processing', 1);
  for (let tries = 0; tries < 1800; tries++) { // half an hour, then give up rather than poll forever
    await sleep(1000);
    let v;
    try { v = await api('GET', `/api/v1/video/${id}`); } catch (e) { if (e.status === 404) continue; throw e; }
    if (v.status === 'published') {
      setUploadStatus('published');
      const player = h('video', { class: 'player', controls: true, playsinline: true, muted: true, loop: true, poster: v.thumbnail_url });
      setSource(player, v);
      $('#upload-result').replaceChildren(player, h('p', {}, h('a', { href: `#/video/${id}` }, 'Open in player')));
      return;
    }
    if (['rejected', 'failed', 'removed'].includes(v.status)) return setUploadStatus(`${v.status}: ${v.reason || 'no reason given'}`);
    setUploadStatus(v.status === 'ready' ? 'processing (ready, publishing)' : 'processing');
  }
  setUploadStatus('processing is taking too long; check back later');
}

/** SubtleCrypto exists only in secure contexts (https, localhost); plain http on a LAN host gets the JS one. */
async function sha256Hex(buffer) {
  const bytes = crypto.subtle ? new Uint8Array(await crypto.subtle.digest('SHA-256', buffer)) : sha256(new Uint8Array(buffer));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** FIPS 180-4 SHA-256; constants derived from prime roots as the standard defines them. */
function sha256(data) {
  const primes = [];
  for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p)) primes.push(n);
  const frac = (x) => ((x - Math.floor(x)) * 2 ** 32) >>> 0;
  const K = primes.map((p) => frac(Math.cbrt(p)));
  const H = primes.slice(0, 8).map((p) => frac(Math.sqrt(p)));
  const len = data.length, total = Math.ceil((len + 9) / 64) * 64;
  const m = new Uint8Array(total);
  m.set(data); m[len] = 0x80;
  const view = new DataView(m.buffer);
  view.setUint32(total - 8, Math.floor(len / 2 ** 29)); view.setUint32(total - 4, (len << 3) >>> 0);
  const w = new Uint32Array(64), rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [hh, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    [a, b, c, d, e, f, g, hh].forEach((x, i) => { H[i] = (H[i] + x) >>> 0; });
  }
  const out = new Uint8Array(32);
  H.forEach((x, i) => new DataView(out.buffer).setUint32(i * 4, x));
  return out;
}

// ---------- Search ----------

let searchCursor = null;

function wireSearch() {
  $('#search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    // Through the hash, so a search is a link (hashtags in captions point here) and Back works.
    go(`#/search?${qs({ q: $('#search-q').value.trim(), type: $('#search-type').value })}`);
  });
  $('#search-more').addEventListener('click', () => runSearch(true));
}

async function showSearch(params) {
  $('#search-q').value = params.get('q') ?? '';
  $('#search-type').value = params.get('type') ?? '';
  $('#search-profile').replaceChildren();
  $('#search-results').replaceChildren();
  $('#search-more').hidden = true;
  if ($('#search-q').value) runSearch(false);
  showTrending();
}

async function runSearch(append) {
  const q = $('#search-q').value.trim(), type = $('#search-type').value;
  if (!q) return;
  try {
    const out = await api('GET', `/api/v1/search?${qs({ q, type, cursor: append ? searchCursor : undefined })}`);
    searchCursor = out.next_cursor;
    const rows = out.results.map(resultRow);
    if (append) $('#search-results').append(...rows); else $('#search-results').replaceChildren(...rows);
    if (!append && !rows.length) $('#search-results').append(h('li', { class: 'muted' }, 'No results'));
    $('#search-more').hidden = !searchCursor;
  } catch (e) { toast(e.message); }
}

/** Videos open the player; people show their profile; sounds and hashtags search for videos. */
function resultRow(r) {
  const label = h('span', { class: 'kind' }, r.kind);
  if (r.kind === 'video') return h('li', {}, label, h('a', { href: `#/video/${r.id}` }, r.title || `Video ${r.id}`));
  if (r.kind === 'user' || r.kind === 'creator') {
    return h('li', {}, label, h('a', { href: '#', onclick: (e) => { e.preventDefault(); showProfile(r.id); } }, `@${r.title}`));
  }
  const q = r.title.replace(/^#/, ''); // the full-text index matches words, not the '#'
  return h('li', {}, label, h('a', { href: `#/search?${qs({ q, type: 'video' })}` }, r.title));
}

async function showProfile(id) {
  try {
    const u = await api('GET', `/api/v1/users/${id}`);
    const stat = (n, label) => h('div', { class: 'stat' }, h('strong', {}, fmtCount(n)), h('span', {}, label));
    $('#search-profile').replaceChildren(h('div', { class: 'card profile', 'data-user-id': u.id },
      h('h2', {}, `@${u.handle}`), h('p', { class: 'muted' }, `Region ${u.region}`),
      h('div', { class: 'stats' }, stat(u.followers, 'followers'), stat(u.following, 'following'), stat(u.total_likes, 'likes'))));
  } catch (e) { toast(e.message); }
}

async function showTrending() {
  try {
    const profile = await api('GET', `/api/v1/users/${store.userId}`).catch(() => null);
    const out = await api('GET', `/api/v1/trending?${qs({ region: profile?.region || 'US' })}`);
    $('#trending').replaceChildren(...out.items.map((v) => h('li', {},
      h('a', { href: `#/video/${v.video_id}` }, v.caption || `Video ${v.video_id}`),
      h('span', { class: 'muted' }, ` @${v.creator_handle} · ♥ ${fmtCount(v.counters?.likes ?? 0)}`))));
  } catch { $('#trending').replaceChildren(); }
}

// ---------- Audit ----------

let auditSeq = 0; // responses to an older slider position are dropped when they arrive late

function wireAudit() {
  $('#audit-token').value = store.adminToken;
  $('#audit-user').value = localStorage.getItem('reel.auditUser') || '';
  $('#audit-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadTimeline(); });
  const slider = $('#audit-time');
  const load = debounce(() => loadMoment(new Date(Number(slider.value)).toISOString()), 200);
  slider.addEventListener('input', () => { $('#audit-at').textContent = new Date(Number(slider.value)).toISOString(); load(); });
}

async function loadTimeline() {
  localStorage.setItem('reel.adminToken', $('#audit-token').value.trim());
  localStorage.setItem('reel.auditUser', $('#audit-user').value.trim());
  $('#audit-error').textContent = '';
  try {
    const t = await api('GET', `/api/v1/audit/users/${auditUser()}/timeline`, undefined, { admin: true });
    const last = Date.parse(t.last) || Date.now();
    const first = Date.parse(t.first) || last - 3600_000; // a user with no events yet: show the last hour
    const slider = $('#audit-time');
    Object.assign(slider, { min: first, max: last, disabled: false });
    slider.value = last;
    $('#audit-at').textContent = new Date(last).toISOString();
    await loadMoment(new Date(last).toISOString());
  } catch (e) { $('#audit-error').textContent = e.message; }
}

const auditUser = () => encodeURIComponent($('#audit-user').value.trim());

async function loadMoment(at) {
  const seq = ++auditSeq, opt = { admin: true }, u = auditUser();
  try {
    const [interest, feeds] = await Promise.all([
      api('GET', `/api/v1/audit/users/${u}/interest?${qs({ at })}`, undefined, opt),
      api('GET', `/api/v1/audit/users/${u}/feeds?${qs({ at, limit: 20 })}`, undefined, opt),
    ]);
    if (seq !== auditSeq) return;
    $('#audit-error').textContent = '';
    $('#audit-interest').replaceChildren(interestBars('Long term', interest.long_term), interestBars('This session', interest.session));
    $('#audit-feeds').replaceChildren(...(feeds.feeds.length ? feeds.feeds.map((f) => feedCard(f, at)) : [h('p', { class: 'muted' }, 'No feeds served by then.')]));
  } catch (e) { if (seq === auditSeq) $('#audit-error').textContent = e.message; }
}

/** Bars scaled to the largest |weight| of the group; negative weights (dislikes) get their own colour. */
function interestBars(title, weights = []) {
  const max = Math.max(1e-9, ...weights.map((w) => Math.abs(w.weight)));
  return h('div', { class: 'interest' }, h('h3', {}, title),
    weights.length ? weights.map((w) => h('div', { class: 'bar-row' },
      h('span', { class: 'bar-label' }, `${w.kind}: ${w.key}`),
      h('span', { class: `bar${w.weight < 0 ? ' negative' : ''}`, style: `--w:${(Math.abs(w.weight) / max) * 100}%` }),
      h('span', { class: 'bar-value' }, w.weight.toFixed(3)))) : h('p', { class: 'muted' }, 'empty'));
}

function feedCard(f, at) {
  const feats = (o = {}) => Object.entries(o).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .map(([k, v]) => h('span', { class: 'feature' }, `${k}=${Number(v).toFixed(3)}`));
  return h('details', { class: 'feed-card', open: true },
    h('summary', {}, `${f.served_at} · session ${f.session_id} · model v${f.model_version} · seed ${f.seed} · views@${f.views_position}`),
    h('table', {},
      h('thead', {}, h('tr', {}, ['#', 'video', 'source', 'score', 'features (reasons)'].map((c) => h('th', {}, c)))),
      h('tbody', {}, f.items.map((it) => h('tr', {},
        h('td', {}, String(it.position)),
        h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': `Why was video ${it.video_id} shown`, onclick: () => loadWhy(it.video_id, at) }, String(it.video_id))),
        h('td', {}, it.source),
        h('td', {}, Number(it.score).toFixed(4)),
        h('td', {}, h('div', { class: 'features' }, feats(it.features))))))));
}

/** Every time this video was served to the user up to `at`. Accepts {shown:[…]} or {feeds:[{items:[…]}]}. */
async function loadWhy(video, at) {
  const box = $('#audit-why');
  box.hidden = false;
  try {
    const out = await api('GET', `/api/v1/audit/why?${qs({ user: $('#audit-user').value.trim(), video, at })}`, undefined, { admin: true });
    const shown = out.shown ?? (out.feeds ?? []).flatMap((f) => f.items.map((it) => ({ ...it, served_at: f.served_at, session_id: f.session_id })));
    box.replaceChildren(h('h2', {}, `Why video ${video}`),
      shown.length ? h('ul', { class: 'list' }, shown.map((s) => h('li', {},
        `${s.served_at} · session ${s.session_id} · position ${s.position} · ${s.source} · score ${Number(s.score).toFixed(4)} · `,
        Object.entries(s.features ?? {}).map(([k, v]) => h('span', { class: 'feature' }, `${k}=${Number(v).toFixed(3)}`))))) : h('p', { class: 'muted' }, 'Not shown by then.'));
  } catch (e) { box.replaceChildren(h('p', { class: 'error' }, e.message)); }
}

// ---------- Moderation (admin token) ----------

/** What a moderator may do to a case in each status (a comment's removal is final). */
const caseActions = (c) => ({
  open: ['takedown', 'dismiss'], held: ['approve', 'takedown'], actioned: c.target === 'comment' ? [] : ['restore'],
})[c.status] ?? ['takedown'];

function wireModeration() {
  $('#moderation-token').value = store.adminToken;
  $('#moderation-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    localStorage.setItem('reel.adminToken', $('#moderation-token').value.trim());
    loadModeration();
  });
}

async function loadModeration() {
  $('#moderation-error').textContent = '';
  try {
    const [queue, log] = await Promise.all([
      api('GET', '/api/v1/admin/moderation/queue?limit=100', undefined, { admin: true }),
      api('GET', '/api/v1/admin/moderation/decisions?limit=50', undefined, { admin: true }),
    ]);
    $('#moderation-count').textContent = `${queue.open} open`;
    $('#moderation-queue').replaceChildren(...(queue.cases.length ? queue.cases.map(caseCard) : [h('p', { class: 'muted' }, 'Nothing waits for review.')]));
    $('#moderation-decisions').replaceChildren(...log.decisions.map((d) => h('li', {},
      `${d.at} · ${d.action} ${d.target} ${d.id} · by ${d.moderator} · ${d.reason}`)));
  } catch (e) { $('#moderation-error').textContent = e.message; }
}

function caseCard(c) {
  const reason = h('input', { name: 'reason', required: true, maxlength: '500', placeholder: 'Reason (recorded, shown to the subject)', 'aria-label': `Reason for case ${c.id}` });
  const reasons = Object.entries(c.reasons ?? {}).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r}×${n}`).join(' ');
  const what = c.target === 'video' ? h('a', { href: `#/video/${c.id}` }, `video ${c.id}`) : `${c.target} ${c.id}`;
  return h('form', { class: 'card case', 'data-case-id': c.id, onsubmit: (ev) => ev.preventDefault() },
    h('p', {}, what, ` · ${c.status} · ${c.open_reports} report(s) ${reasons} · of user ${c.subject}`),
    reason,
    h('div', { class: 'row' }, caseActions(c).map((action) => h('button', {
      type: 'button', class: `decide ${action}`, 'data-action': action,
      onclick: async () => {
        if (!reason.value.trim()) { reason.focus(); return toast('Write a reason first'); }
        try {
          await api('POST', `/api/v1/admin/moderation/cases/${c.id}/decision`, { action, reason: reason.value.trim(), target: c.target }, { admin: true });
          toast(`${action}: case ${c.id}`);
          await loadModeration();
        } catch (e) { toast(e.message); }
      },
    }, action))));
}

// ---------- Router ----------

let currentRoute = null;
const needsLogin = new Set(['feed', 'video', 'upload', 'search']);

/** `#/name/arg?query` → the page's section shown, its loader run. Leaving a player ends its current view. */
function route() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name = 'feed', arg] = path.split('/');
  const page = document.getElementById(`view-${name}`) ? name : 'feed';
  if (needsLogin.has(page) && !store.token) return go('#/login');
  if (page !== currentRoute) {
    if (currentRoute === 'feed') feedDeck?.suspend();
    if (currentRoute === 'video') { singleDeck?.destroy(); singleDeck = null; }
  }
  currentRoute = page;
  document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== `view-${page}`; });
  document.querySelectorAll('#nav a').forEach((a) => a.toggleAttribute('aria-current', a.dataset.route === page));
  document.body.dataset.route = page;
  $('#logout').hidden = !store.token;
  const params = new URLSearchParams(query);
  const loaders = { feed: showFeed, video: () => showVideo(arg), search: () => showSearch(params), moderation: () => (store.adminToken ? loadModeration() : null) };
  loaders[page]?.()?.catch?.((e) => toast(e.message));
}

/** j/k and the arrow keys swipe whichever player is showing, unless the viewer is typing. */
function onKey(ev) {
  const deck = activeDeck();
  if (!deck || ev.target.closest?.('input, textarea, select, [contenteditable]') || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const delta = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1 }[ev.key];
  if (!delta) return;
  ev.preventDefault();
  deck.go(delta);
}

wireLogin();
wireUpload();
wireSearch();
wireAudit();
wireModeration();
$('#logout').addEventListener('click', logOut);
document.addEventListener('keydown', onKey);
// A hidden tab stops watching; the view resumes (as a new watch) when it is visible again.
document.addEventListener('visibilitychange', () => (document.hidden ? activeDeck()?.suspend() : activeDeck()?.resume()));
window.addEventListener('pagehide', () => activeDeck()?.suspend());
window.addEventListener('hashchange', route);
if (!location.hash || location.hash === '#' || location.hash === '#/') history.replaceState(null, '', '#/feed');
route();
