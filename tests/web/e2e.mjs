// Browser test of the polyvox web app: Playwright (playwright-core) driving Debian's chromium
// against a live polyvox server.
//
//   node tests/web/e2e.mjs BASE_URL ADMIN_KEY [ARTIFACT_DIR]
//
// Checks: a bad key shows an error; sign in; generate speech (streaming) and verify that the
// <audio> element plays non-silent audio; change and save a voice setting; download the file;
// open history and delete the item; upload a file to the voice isolator and get a result (or,
// while the server has no isolator route, that the page says so); no request leaves the server;
// every button has an accessible name; screenshots of every page at 1280x800 and 390x844.
// Prints one JSON object on the last line of stdout; exits 1 when a check failed.

import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [baseArg, keyArg, outArg] = process.argv.slice(2);
const BASE = (baseArg || process.env.POLYVOX_BASE_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const KEY = keyArg || process.env.POLYVOX_ADMIN_KEY || '';
const OUT = resolve(outArg || 'artifacts');
const SHOTS = join(OUT, 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(SHOTS, { recursive: true });

const started = Date.now();
const report = { ok: true, checks: [], screenshots: [], external_requests: [], page_errors: [], unnamed_controls: [], seconds: 0 };

function check(name, ok, detail = '') {
  report.checks.push({ name, ok: !!ok, detail: String(detail) });
  if (!ok) report.ok = false;
  console.error(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}

async function api(path, opts = {}) {
  const res = await fetch(BASE + path, { ...opts, headers: { 'xi-api-key': KEY, ...(opts.headers || {}) } });
  return res;
}

const PAGES = [
  ['speech', '/speech', 'Text to speech'],
  ['voices', '/voices', 'Voices'],
  ['voice-changer', '/voice-changer', 'Voice changer'],
  ['sound-effects', '/sound-effects', 'Sound effects'],
  ['voice-isolator', '/voice-isolator', 'Voice isolator'],
  ['speech-to-text', '/speech-to-text', 'Speech to text'],
  ['history', '/history', 'History'],
  ['pronunciation', '/pronunciation', 'Pronunciation dictionaries'],
  ['settings', '/settings', 'Settings'],
];

function watch(page, label) {
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(BASE) && !u.startsWith('blob:') && !u.startsWith('data:')) report.external_requests.push(u);
  });
  page.on('pageerror', (err) => report.page_errors.push(`${label}: ${err.message}`));
}

async function shot(page, name, fullPage = true) {
  const file = join(SHOTS, `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150); // let transitions settle
  // at most three screens tall: enough to judge a page, small enough to look at
  const vp = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const clip = fullPage ? { x: 0, y: 0, width: vp.width, height: Math.min(height, vp.height * 3) } : undefined;
  await page.screenshot({ path: file, fullPage, clip });
  report.screenshots.push(file);
}

async function unnamedControls(page, where) {
  const bad = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [role=slider]')) {
      if (el.closest('[hidden]') || el.getClientRects().length === 0 && el.type !== 'file') continue;
      const name =
        el.getAttribute('aria-label') ||
        (el.getAttribute('aria-labelledby') && document.getElementById(el.getAttribute('aria-labelledby'))?.textContent) ||
        (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent) ||
        el.closest('label')?.textContent ||
        (el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent : '') ||
        el.getAttribute('title') ||
        el.getAttribute('placeholder');
      if (!name || !name.trim()) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
  for (const b of bad) report.unnamed_controls.push(`${where}: ${b}`);
}

/** RMS of the audio an <audio> element has as its source (decoded in the page). */
async function elementRms(page, selector) {
  return page.evaluate(async (sel) => {
    const a = document.querySelector(sel);
    if (!a || !a.src) return { error: 'no audio element with a source' };
    const data = await (await fetch(a.src)).arrayBuffer();
    const ctx = new OfflineAudioContext(1, 1, 44100);
    const buf = await ctx.decodeAudioData(data);
    const ch = buf.getChannelData(0);
    let s = 0;
    for (let i = 0; i < ch.length; i++) s += ch[i] * ch[i];
    return { rms: Math.sqrt(s / Math.max(1, ch.length)), seconds: buf.duration };
  }, selector);
}

async function signIn(page, key) {
  await page.getByLabel('API key', { exact: true }).fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function gotoPage(page, path, heading) {
  await page.goto(BASE + path);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: 15000 });
  // gated pages: wait until the capability check is done
  await page.getByText('Checking what this server can do').waitFor({ state: 'detached', timeout: 10000 }).catch(() => {});
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

let exitCode = 0;
let restoreSettings = null;
try {
  const openapi = await (await fetch(BASE + '/openapi.json')).json();
  const hasIsolator = !!openapi.paths?.['/v1/audio-isolation']?.post;

  // ------------------------------------------------------------------ desktop
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await desktop.newPage();
  watch(page, 'desktop');
  page.setDefaultTimeout(20000);

  await page.goto(BASE + '/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await shot(page, 'desktop-signin');

  // a bad key shows an error in words
  await signIn(page, 'sk_this_key_is_wrong_000');
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 10000 }).catch(() => {});
  const alertText = (await alert.textContent().catch(() => '')) || '';
  check('bad key shows an error', /did not accept this API key/i.test(alertText), alertText.trim());
  await shot(page, 'desktop-signin-error');

  // sign in
  await signIn(page, KEY);
  await page.getByRole('heading', { level: 1, name: 'Text to speech' }).waitFor();
  check('sign in with the admin key', true);
  check('key kept in sessionStorage', (await page.evaluate(() => sessionStorage.getItem('polyvox.apiKey'))) === KEY);

  // change a voice setting and save it as the voice's default
  await page.waitForSelector('aside[data-settings-for]:not([data-settings-for=""])');
  const voiceId = await page.locator('aside[data-settings-for]').getAttribute('data-settings-for');
  const before = await (await api(`/v1/voices/${voiceId}/settings`)).json();
  restoreSettings = () => api(`/v1/voices/${voiceId}/settings/edit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(before) });
  const stability = page.getByLabel('Stability', { exact: true });
  await stability.focus();
  const target = before.stability >= 0.5 ? 0.3 : 0.7; // with the keyboard: Home/End, then arrows
  await page.keyboard.press(target < 0.5 ? 'Home' : 'End');
  for (let i = 0; i < 30; i++) await page.keyboard.press(target < 0.5 ? 'ArrowRight' : 'ArrowLeft');
  await page.getByRole('button', { name: /^Save as default for / }).click();
  await page.getByText(/Saved as the default settings of/).waitFor();
  const after = await (await api(`/v1/voices/${voiceId}/settings`)).json();
  check('voice setting changed and saved', Math.abs(after.stability - target) < 0.011, `stability ${before.stability} -> ${after.stability} (${voiceId})`);

  // generate speech: streaming playback, then the audio element plays non-silent audio
  const text = 'Polyvox speaks from your own machine. You hear this sentence while the next one is still being made.';
  const box = page.getByLabel('Text to turn into speech');
  await box.fill(text);
  const count = await page.locator('#char-count').textContent();
  check('character count and limit shown', count.includes(`${text.length} /`), count.trim());
  await box.focus();
  await page.keyboard.press('Control+Enter'); // the keyboard shortcut
  const result = page.locator('[data-testid=tts-result]');
  await result.waitFor();
  await page.waitForSelector('[data-testid=tts-result][data-state=done]', { timeout: 90000 });
  const firstMs = Number(await result.getAttribute('data-first-audio-ms'));
  const doneMs = Number(await result.getAttribute('data-complete-ms'));
  check('playback started before synthesis ended', firstMs > 0 && firstMs < doneMs, `first audio ${firstMs} ms, complete ${doneMs} ms`);
  const highlighted = await page.locator('.words .w').count();
  check('words from the alignment shown for highlighting', highlighted >= 15, `${highlighted} words`);
  await page.waitForSelector('[data-testid=tts-player][data-ready=true]', { timeout: 15000 });
  const level = await elementRms(page, '[data-testid=tts-player-audio]');
  check('generated audio is not silent', level.rms > 0.01 && level.seconds > 2, JSON.stringify(level));
  await page.getByRole('button', { name: 'Play generated speech' }).click();
  await page.waitForTimeout(900);
  const playState = await page.evaluate(() => {
    const a = document.querySelector('[data-testid=tts-player-audio]');
    return { paused: a.paused, t: a.currentTime, duration: a.duration };
  });
  check('audio element plays', !playState.paused && playState.t > 0.2, JSON.stringify(playState));
  const now = await page.locator('.words .w.now').count();
  check('a word is highlighted during playback', now === 1, `${now} highlighted`);
  await shot(page, 'desktop-speech-result');
  await page.getByRole('button', { name: 'Pause generated speech' }).click();

  // download
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download generated speech' }).click()]);
  const dlPath = join(OUT, 'download-' + download.suggestedFilename());
  await download.saveAs(dlPath);
  const head = readFileSync(dlPath).subarray(0, 3);
  const isMp3 = head.toString('latin1') === 'ID3' || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0);
  check('download an mp3 file', statSync(dlPath).size > 2000 && isMp3 && download.suggestedFilename().endsWith('.mp3'), `${download.suggestedFilename()} ${statSync(dlPath).size} bytes`);
  const historyId = await result.getAttribute('data-history-item-id');

  // history: the item is listed; delete it
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
  const row = page.locator(`[data-history-item-id="${historyId}"]`);
  await row.waitFor();
  check('history lists the new item', (await row.textContent()).includes('Polyvox speaks'));
  await shot(page, 'desktop-history-item');
  await row.getByRole('button', { name: /^Play / }).click();
  await page.waitForSelector('[data-testid=history-player][data-ready=true]');
  const hLevel = await elementRms(page, '[data-testid=history-player-audio]');
  check('history item plays', hLevel.rms > 0.01, JSON.stringify(hLevel));
  await row.getByRole('button', { name: /^Delete / }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await row.waitFor({ state: 'detached' });
  const gone = await api(`/v1/history/${historyId}`);
  check('history item deleted', gone.status === 404, `GET after delete: ${gone.status}`);

  // one more item, made through the API meanwhile, so that History is not empty in the screenshots
  const extra = api(`/v1/text-to-speech/${voiceId}?output_format=mp3_22050_32`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'A second item, for the screenshots.' }),
  }).then((r) => r.headers.get('history-item-id'));

  // voice isolator: real upload when the route exists, else the page says it is not available
  await gotoPage(page, '/voice-isolator', 'Voice isolator');
  if (hasIsolator) {
    await page.locator('[data-testid=isolator-file] input[type=file]').setInputFiles(dlPath);
    await page.getByRole('button', { name: 'Isolate voice' }).click();
    await page.waitForSelector('[data-testid=isolator-result], main [role=alert]', { timeout: 90000 });
    const isoError = await page.locator('main [role=alert]').textContent().catch(() => null);
    if (isoError) {
      await shot(page, 'desktop-voice-isolator-error');
      check('isolator returns audio', false, `the page shows: ${isoError.trim()}`);
    } else {
      await page.waitForSelector('[data-testid=isolator-player][data-ready=true]', { timeout: 15000 });
      const iso = await elementRms(page, '[data-testid=isolator-player-audio]');
      check('isolator returns audio', iso.rms > 0.001 && iso.seconds > 1, JSON.stringify(iso));
      await shot(page, 'desktop-voice-isolator-result');
    }
  } else {
    const msg = page.getByText('Voice isolator is not available on this server yet.');
    check('isolator page says it is not available', await msg.isVisible());
  }

  // speech to text, when the server has it: transcribe the downloaded speech
  if (openapi.paths?.['/v1/speech-to-text']?.post) {
    await gotoPage(page, '/speech-to-text', 'Speech to text');
    await page.locator('[data-testid=stt-file] input[type=file]').setInputFiles(dlPath);
    await page.getByRole('button', { name: 'Transcribe' }).click();
    await page.waitForSelector('[data-testid=stt-result], main [role=alert]', { timeout: 90000 });
    const transcript = (await page.locator('[data-testid=stt-result] .transcript').textContent()) || '';
    check('speech to text transcribes the speech', /machine/i.test(transcript), transcript.trim().slice(0, 120));
    await shot(page, 'desktop-speech-to-text-result');
  }

  const extraId = await extra;

  // every page at 1280x800
  for (const [name, path, heading] of PAGES) {
    await gotoPage(page, path, heading);
    if (name === 'speech') await page.getByLabel('Text to turn into speech').fill(text);
    await unnamedControls(page, `desktop ${name}`);
    await shot(page, `desktop-${name}`);
  }
  // the dark theme (follows the system setting)
  await page.emulateMedia({ colorScheme: 'dark' });
  await gotoPage(page, '/speech', 'Text to speech');
  await shot(page, 'desktop-dark-speech');
  await gotoPage(page, '/history', 'History');
  await shot(page, 'desktop-dark-history');
  await page.emulateMedia({ colorScheme: 'light' });

  await gotoPage(page, '/voices', 'Voices');
  await page.getByRole('button', { name: /^Settings of / }).first().click();
  await page.getByRole('dialog').waitFor();
  await shot(page, 'desktop-voices-settings-dialog', false);
  await page.keyboard.press('Escape');
  await desktop.close();

  // ------------------------------------------------------------------ phone
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const ppage = await phone.newPage();
  watch(ppage, 'phone');
  ppage.setDefaultTimeout(20000);
  await ppage.goto(BASE + '/');
  await ppage.getByRole('heading', { name: 'Sign in' }).waitFor();
  await shot(ppage, 'phone-signin');
  await signIn(ppage, KEY);
  await ppage.getByRole('heading', { level: 1, name: 'Text to speech' }).waitFor();
  for (const [name, path, heading] of PAGES) {
    await gotoPage(ppage, path, heading);
    if (name === 'speech') await ppage.getByLabel('Text to turn into speech').fill(text);
    const overflow = await ppage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(`phone ${name}: no sideways scrolling`, overflow <= 1, `overflow ${overflow}px`);
    await unnamedControls(ppage, `phone ${name}`);
    await shot(ppage, `phone-${name}`);
  }
  await ppage.getByRole('button', { name: 'Open menu' }).click();
  await ppage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Voices' }).waitFor({ state: 'visible' });
  await shot(ppage, 'phone-menu', false);
  await ppage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Voices' }).click();
  await ppage.getByRole('heading', { level: 1, name: 'Voices' }).waitFor();
  check('phone menu navigates', true);
  await phone.close();

  if (extraId) await api(`/v1/history/${extraId}`, { method: 'DELETE' });
  check('no request left the server', report.external_requests.length === 0, report.external_requests.slice(0, 5).join(' '));
  check('no uncaught errors in the page', report.page_errors.length === 0, report.page_errors.slice(0, 5).join(' | '));
  check('every control has an accessible name', report.unnamed_controls.length === 0, report.unnamed_controls.slice(0, 5).join(' | '));
} catch (e) {
  check('browser test ran to the end', false, e && e.stack ? e.stack.split('\n').slice(0, 4).join(' ') : String(e));
} finally {
  // leave the voice's settings as they were, for whoever uses this server next
  if (restoreSettings) await restoreSettings().catch(() => {});
  await browser.close();
  report.seconds = Math.round((Date.now() - started) / 100) / 10;
  if (!report.ok) exitCode = 1;
  console.log(JSON.stringify(report));
  process.exit(exitCode);
}
