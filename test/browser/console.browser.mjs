#!/usr/bin/env node
// `npm run test:browser`: the web console in real Chromium (Debian's `chromium`, driven by
// playwright-core) against the real Worker (`wrangler dev`, fresh local state) and the dev origin
// (tone engine). Users are made the way the README says (`scripts/user.mjs add … --persist-to`, into the D1 of this run's own state).
// `--screenshots` also writes docs/console/<page>-{desktop,390}.png.
// Ends with `browser tests: N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { startOrigin } from '../../dev/origin.mjs'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SCREENSHOTS = process.argv.includes('--screenshots')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7)
const PASSWORDS = { alice: 'alice-password-1', bob: 'bob-password-22', root: 'root-password-333', carol: 'carol-password-4444' }

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  console.log('browser tests: 0 passed, 1 failed')
  process.exit(1)
}

const dir = mkdtempSync(join(tmpdir(), 'console-browser-'))
const envFile = join(dir, 'test.env')
const secret = (n) => `browser-${n}-${Math.random().toString(36).slice(2)}${'x'.repeat(32)}`
const originSecret = secret('origin')
// The preset speakers the console offers for `sft`, declared for the origin as an operator would; the
// dev origin's [[dev:…]] directives (gaps, delays) make streaming and queueing observable.
const SPEAKERS = ['中文女', '中文男', '英文女', '英文男']
const origin = await startOrigin({ port: 0, secret: originSecret, engine: 'tone', speakers: SPEAKERS, directives: true })
writeFileSync(
  envFile,
  [
    `JWT_SECRET=${secret('jwt')}`,
    `ORIGIN_SECRET=${originSecret}`,
    `LINK_SECRET=${secret('link')}`,
    `ORIGINS='${JSON.stringify([{ url: origin.url, concurrency: 2, speakers: SPEAKERS }])}'`,
    '',
  ].join('\n'),
)
for (const [name, role] of [
  ['alice', 'premium'],
  ['bob', 'free'],
  ['root', 'admin'],
  ['carol', 'free'],
]) {
  const r = spawnSync(process.execPath, ['scripts/user.mjs', 'add', name, '--role', role, '--persist-to', join(dir, 'state')], {
    cwd: ROOT,
    input: `${PASSWORDS[name]}\n`,
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`user add ${name}: ${r.stderr}`)
}

const port = await freePort()
const BASE = `http://127.0.0.1:${port}`
const wrangler = spawn(
  'npx',
  [
    'wrangler',
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--env-file',
    envFile,
    '--persist-to',
    join(dir, 'state'),
    '--show-interactive-dev-session=false',
    '--inspector-port',
    String(await freePort()),
  ],
  {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: '1' },
  },
)
let wranglerLog = ''
wrangler.stdout.on('data', (d) => {
  wranglerLog += d
})
wrangler.stderr.on('data', (d) => {
  wranglerLog += d
})

let browser
async function shutdown() {
  await browser?.close().catch(() => {})
  try {
    process.kill(-wrangler.pid, 'SIGTERM')
  } catch {}
  await origin.close().catch(() => {})
  rmSync(dir, { recursive: true, force: true })
}

process.on('uncaughtException', async (error) => {
  console.error(error)
  await shutdown()
  console.log('browser tests: 0 passed, 1 failed')
  process.exit(1)
})

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${BASE}/health`)).ok) break
  } catch {}
  if (i > 240 || wrangler.exitCode !== null) {
    console.error(wranglerLog)
    await shutdown()
    console.log('browser tests: 0 passed, 1 failed (the Worker did not start)')
    process.exit(1)
  }
  await sleep(500)
}

browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
  ],
  // playwright gives every launch a fresh temporary profile (it refuses --user-data-dir here).
})

const results = []
async function test(name, fn) {
  if (only && !name.includes(only)) return
  const started = Date.now()
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  try {
    await fn(context)
    results.push({ name, ok: true })
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`)
  } catch (error) {
    results.push({ name, ok: false })
    console.log(
      `  ✗ ${name}\n${String(error?.stack ?? error)
        .split('\n')
        .map((l) => `      ${l}`)
        .join('\n')}`,
    )
  } finally {
    await context.close()
  }
}

function expect(cond, message) {
  if (!cond) throw new Error(message)
}

async function signIn(context, user, password = PASSWORDS[user]) {
  const page = await context.newPage()
  page.on('dialog', (d) => d.accept())
  // What the sign-in asked and was answered, for the message if it does not get through.
  const authCalls = []
  page.on('requestfinished', async (r) => {
    if (new URL(r.url()).pathname.startsWith('/auth/')) authCalls.push(`${r.method()} ${new URL(r.url()).pathname} → ${(await r.response())?.status()}`)
  })
  page.on('requestfailed', (r) => authCalls.push(`${r.method()} ${new URL(r.url()).pathname} failed: ${r.failure()?.errorText}`))
  await page.goto(`${BASE}/`)
  await page.getByLabel('Username').fill(user)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  try {
    await page.getByRole('heading', { name: 'Synthesize', level: 1 }).waitFor()
  } catch (error) {
    const seen = await page
      .evaluate(
        () =>
          `h1 ${JSON.stringify(document.querySelector('h1')?.textContent)}, error ${JSON.stringify(document.querySelector('#signin-error')?.textContent)}, flash ${JSON.stringify(document.querySelector('#flash')?.textContent)}`,
      )
      .catch(() => '?')
    throw new Error(`signing in as ${user}: ${seen}; calls: ${authCalls.join(', ') || 'none'}`, { cause: error })
  }
  return page
}

/** Synthesizes on the open Synthesize page; returns the stored audio's id. */
async function synthesize(page, { text, mode = 'sft', voice }) {
  await page.getByLabel('Mode').selectOption(mode)
  if (voice) await page.getByLabel('Voice', { exact: true }).selectOption({ label: voice })
  await page.getByLabel('Text').fill(text)
  await page.getByRole('button', { name: 'Synthesize' }).click()
  const status = page.locator('#synth-status')
  await page.waitForFunction(() => ['done', 'failed'].includes(document.querySelector('#synth-status')?.dataset.state), null, { timeout: 60_000 })
  expect((await status.getAttribute('data-state')) === 'done', `synthesis failed: ${await status.textContent()}`)
  const href = await page.getByRole('link', { name: 'Open in library' }).getAttribute('href')
  return { id: /focus=([^&]+)/.exec(href)[1], firstAudio: await status.getAttribute('data-first-audio') }
}

/** A 3 s, 24 kHz mono 16-bit WAV: a tone with a little vibrato (loud enough, not silence). */
function toneWav(seconds = 3, rate = 24000) {
  const n = seconds * rate
  const buf = Buffer.alloc(44 + n * 2)
  buf.write('RIFF', 0)
  buf.writeUInt32LE(36 + n * 2, 4)
  buf.write('WAVE', 8)
  buf.write('fmt ', 12)
  buf.writeUInt32LE(16, 16)
  buf.writeUInt16LE(1, 20)
  buf.writeUInt16LE(1, 22)
  buf.writeUInt32LE(rate, 24)
  buf.writeUInt32LE(rate * 2, 28)
  buf.writeUInt16LE(2, 32)
  buf.writeUInt16LE(16, 34)
  buf.write('data', 36)
  buf.writeUInt32LE(n * 2, 40)
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * (220 + 20 * Math.sin((i / rate) * 5)) * i) / rate) * 12000), 44 + i * 2)
  return buf
}

console.log(`browser tests against ${BASE} (Chromium ${browser.version()})`)

await test('sign in, hear audio as it arrives, find it in the library, share, open, revoke', async (context) => {
  const page = await signIn(context, 'alice')
  // The dev origin sends one chunk per sentence, 1.5 s apart: the first must sound before the end.
  const { id, firstAudio } = await synthesize(page, { text: 'The first sentence. [[dev:gap=1500]] The second sentence. The third one.' })
  expect(firstAudio === 'while-streaming', `first audio played ${firstAudio}, not while the synthesis still ran`)
  await page.getByRole('link', { name: 'Open in library' }).click()
  const item = page.locator(`[data-audio-id="${id}"]`)
  await item.waitFor()
  await item.getByRole('button', { name: 'Signed link' }).click()
  const inline = await item.getByLabel('Play-in-browser link (same expiry)').inputValue()
  const played = await fetch(inline, { headers: { accept: 'text/html' } })
  expect(
    played.status === 200 && /^inline; filename="cosyvoice-/.test(played.headers.get('content-disposition')),
    `inline link: ${played.status} ${played.headers.get('content-disposition')}`,
  )
  await played.arrayBuffer()
  await item.getByRole('button', { name: 'Share…' }).click()
  await item.getByLabel('Note (optional)').fill('for the browser test')
  await item.getByRole('button', { name: 'Create share' }).click()
  const url = await item.getByLabel('Share link').inputValue()
  expect(url.startsWith(`${BASE}/s/`), `share url ${url}`)

  const stranger = await browser.newContext()
  const share = await stranger.newPage()
  await share.goto(url)
  expect((await share.locator('audio').count()) === 1, 'the share page has no player')
  expect((await share.textContent('body')).includes('for the browser test'), 'the share page does not show the note')

  await item.getByRole('button', { name: 'Revoke' }).click()
  await item.locator('.badge', { hasText: 'revoked' }).waitFor()
  await share.reload()
  expect(/revoked/i.test(await share.textContent('body')), `after revoking, the share page says: ${await share.textContent('body')}`)
  await stranger.close()
})

await test('upload a voice and synthesize with it', async (context) => {
  const page = await signIn(context, 'alice')
  await page.getByRole('link', { name: 'Voices' }).click()
  await page.getByLabel('Name').fill('Test tone')
  await page.getByLabel('Transcript (exactly what is said)').fill('This is a test recording.')
  await page.getByLabel('WAV or FLAC file, 1–30 s').setInputFiles({ name: 'tone.wav', mimeType: 'audio/wav', buffer: toneWav() })
  await page.getByRole('button', { name: 'Upload voice' }).click()
  await page.locator('#voice-list li', { hasText: 'Test tone' }).waitFor()
  await page.getByRole('link', { name: 'Synthesize' }).click()
  await page.getByRole('heading', { name: 'Synthesize', level: 1 }).waitFor()
  const { id } = await synthesize(page, { text: 'Hello from my own voice.', mode: 'zero_shot', voice: 'Test tone' })
  expect(/^[\w-]+$/.test(id), 'no audio id')
})

await test('record a voice in the browser (WAV encoded client-side) and upload it', async (context) => {
  await context.grantPermissions(['microphone'], { origin: BASE })
  const page = await signIn(context, 'alice')
  await page.getByRole('link', { name: 'Voices' }).click()
  await page.getByLabel('Name').fill('Recorded')
  await page.getByLabel('Transcript (exactly what is said)').fill('A recorded beep.')
  await page.getByRole('button', { name: 'Record' }).click()
  await page.getByText('Recording…').waitFor()
  await sleep(2500)
  await page.getByRole('button', { name: 'Stop recording' }).click()
  const status = await page.locator('#record-status').textContent()
  expect(/^Recorded /.test(status), `recording refused: ${status}`)
  await page.getByRole('button', { name: 'Upload voice' }).click()
  await page.locator('#voice-list li', { hasText: 'Recorded' }).waitFor()
})

await test('a queued synthesis shows its place in line', async (context) => {
  // Both slots (ORIGINS concurrency 2) held by other users' slow syntheses, over the HTTP API.
  const slow = async (user) => {
    const { access_token } = await (
      await fetch(`${BASE}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORDS[user] }) })
    ).json()
    const res = await fetch(`${BASE}/v1/tts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Hold the slot. [[dev:delay=5000]]', mode: 'sft', speaker: '英文女' }),
    })
    await res.arrayBuffer()
  }
  const page = await signIn(context, 'alice')
  const holding = [slow('bob'), slow('root')]
  await sleep(1000)
  await page.getByLabel('Text').fill('Waiting my turn.')
  await page.getByRole('button', { name: 'Synthesize' }).click()
  await page.locator('#synth-status[data-position="1"]').waitFor({ timeout: 15_000 })
  expect(/number 1 in line/.test(await page.locator('#synth-status').textContent()), 'no place in line shown')
  await page.waitForFunction(() => document.querySelector('#synth-status')?.dataset.state === 'done', null, { timeout: 60_000 })
  await Promise.all(holding)
})

await test("an admin revokes a user and the user's console signs out on its next action", async (context) => {
  const bob = await signIn(context, 'bob')
  const adminContext = await browser.newContext()
  const admin = await signIn(adminContext, 'root')
  await admin.getByRole('link', { name: 'Admin' }).click()
  // By name, in the Users section: a token's sub is the account id (u_…), not the name.
  await admin.locator('#user-list li[data-username="bob"]').getByRole('button', { name: 'Sign out everywhere' }).click()
  await admin.getByText('bob is signed out everywhere.').waitFor()
  await adminContext.close()
  await bob.getByRole('link', { name: 'Library' }).click()
  await bob.getByRole('heading', { name: 'Sign in' }).waitFor()
  expect(/session has ended/.test(await bob.locator('#signin-error').textContent()), 'no signed-out message')
})

await test('the header and the Account page show the username, not the account id', async (context) => {
  const page = await signIn(context, 'alice')
  const me = await page.evaluate(() => fetch('/auth/me').then((r) => r.json()))
  expect(/^u_/.test(me.sub), `alice's sub is ${me.sub}, not an account id`)
  const who = await page.locator('#who').textContent()
  expect(who === 'alice', `the header shows ${JSON.stringify(who)}`)
  await page.getByRole('link', { name: 'Account' }).click()
  await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor()
  const details = await page.locator('dl.card').textContent()
  expect(details.includes('Useralice') && details.includes(me.sub), `the Account page says: ${details}`)
})

await test('an admin creates a user with an invite link; they set a password and sign in; the admin deletes them', async (context) => {
  const admin = await signIn(context, 'root')
  await admin.getByRole('link', { name: 'Admin' }).click()
  await admin.getByLabel('New username').fill('dave')
  await admin.getByLabel('Role for the new user').fill('free')
  await admin.getByRole('button', { name: 'Create user' }).click()
  const url = await admin.getByLabel('Invite link for dave (shown once)').inputValue()
  expect(url.startsWith(`${BASE}/auth/invite/`), `invite url ${url}`)
  const row = admin.locator('#user-list li[data-username="dave"]')
  expect(/invite pending/.test(await row.textContent()), `dave's row: ${await row.textContent()}`)

  const invitee = await browser.newContext()
  const invite = await invitee.newPage()
  await invite.goto(url)
  await invite.getByRole('heading', { name: 'Welcome, dave' }).waitFor()
  await invite.getByLabel('New password').fill('dave-password-55555')
  await invite.getByRole('button', { name: 'Set my password' }).click()
  await invite.getByRole('heading', { name: 'Password set' }).waitFor()
  await invite.goto(url)
  await invite.getByRole('heading', { name: 'This invite link does not work' }).waitFor()
  const dave = await signIn(invitee, 'dave', 'dave-password-55555')
  expect((await dave.locator('#who').textContent()) === 'dave', 'the header does not say dave')

  await admin.getByRole('button', { name: 'Search', exact: true }).click()
  await admin.locator('#user-list li[data-username="dave"]').filter({ hasNotText: 'invite pending' }).waitFor()
  await admin.locator('#user-list li[data-username="dave"]').getByRole('button', { name: 'Delete' }).click()
  await admin.locator('#user-list li[data-username="dave"]').waitFor({ state: 'detached' })
  await admin.locator('#user-jobs', { hasText: 'Deleted dave' }).waitFor({ timeout: 60_000 })
  await dave.getByRole('link', { name: 'Library' }).click()
  await dave.getByRole('heading', { name: 'Sign in' }).waitFor()
  expect(/session has ended/.test(await dave.locator('#signin-error').textContent()), 'the deleted user is not signed out')
  await invitee.close()
})

await test('a user changes their password (the old one stops working) and ends another session of theirs', async (context) => {
  const next = 'carol-new-password-55'
  const page = await signIn(context, 'carol')
  await page.getByRole('link', { name: 'Account' }).click()
  await page.getByLabel('Current password').fill(PASSWORDS.carol)
  await page.getByLabel('New password', { exact: true }).fill(next)
  await page.getByLabel('New password again').fill(next)
  await page.getByRole('button', { name: 'Change password' }).click()
  await page.getByText('Password changed.').waitFor()
  const login = (password) =>
    fetch(`${BASE}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'carol', password }) }).then((r) => r.status)
  const old = await login(PASSWORDS.carol)
  expect(old === 401, `the old password still logs in: ${old}`)

  const otherContext = await browser.newContext()
  const other = await signIn(otherContext, 'carol', next)
  const otherSession = await other.evaluate(() =>
    fetch('/auth/me')
      .then((r) => r.json())
      .then((m) => m.session),
  )
  const mine = await page.evaluate(() =>
    fetch('/auth/me')
      .then((r) => r.json())
      .then((m) => m.session),
  )
  await page.reload()
  const otherRow = page.locator(`#session-list li[data-session-id="${otherSession}"]`)
  await otherRow.waitFor()
  const current = page.locator('#session-list li[data-current]')
  expect((await current.getAttribute('data-session-id')) === mine && /This session/.test(await current.textContent()), 'the current session is not marked')
  expect((await current.getByRole('button', { name: 'End' }).count()) === 0, 'the current session offers End')
  await otherRow.getByRole('button', { name: 'End' }).click()
  await page.getByText('Session ended.').waitFor()
  await otherRow.waitFor({ state: 'detached' })
  await other.getByRole('link', { name: 'Library' }).click()
  await other.getByRole('heading', { name: 'Sign in' }).waitFor()
  expect(/session has ended/.test(await other.locator('#signin-error').textContent()), 'the ended session is not signed out')
  await otherContext.close()
  // This console goes on.
  await page.getByRole('link', { name: 'Library' }).click()
  await page.getByRole('heading', { name: 'Library', level: 1 }).waitFor()
})

await test('a non-admin never sees the Users section, even at #/admin', async (context) => {
  const page = await signIn(context, 'bob')
  const adminCalls = []
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/admin')) adminCalls.push(r.url())
  })
  await page.goto(`${BASE}/console#/admin`)
  await page.getByText('This page is for administrators.').waitFor()
  expect((await page.locator('#admin-users').count()) === 0, 'bob sees the Users section')
  expect(adminCalls.length === 0, `bob's console called ${adminCalls.join(', ')}`)
})

await test('an admin disabling themself or changing their own role gets a clear message, not a broken page', async (context) => {
  const admin = await signIn(context, 'root')
  await admin.getByRole('link', { name: 'Admin' }).click()
  const row = admin.locator('#user-list li[data-username="root"]')
  expect((await row.getByRole('button', { name: 'Delete' }).count()) === 0, 'Delete offered for oneself')
  const refused = async (click) => {
    const [res] = await Promise.all([admin.waitForResponse((r) => r.request().method() === 'PATCH'), click()])
    expect(res.status() === 409 && (await res.json()).error.code === 'own_account', `PATCH answered ${res.status()}`)
    const alert = admin.locator('#flash[role="alert"]')
    await alert.waitFor()
    expect(/your own account/.test(await alert.textContent()), `the flash says: ${await alert.textContent()}`)
    await admin.evaluate(() => {
      document.querySelector('#flash').textContent = ''
    })
  }
  await refused(() => row.getByRole('button', { name: 'Disable' }).click())
  await row.getByLabel('Role of root').fill('free')
  await refused(() => row.getByRole('button', { name: 'Change role' }).click())
  expect((await row.getByLabel('Role of root').inputValue()) === 'admin', 'the refused role stays in the field')
  expect((await row.locator('.badge').textContent()) === 'active', 'root shows as disabled')
  expect(await admin.getByRole('heading', { name: 'Admin', level: 1 }).isVisible(), 'the admin page is gone')
  // The console still works: the list can be searched.
  await admin.getByLabel('Search users').fill('ali')
  await admin.getByRole('button', { name: 'Search', exact: true }).click()
  await admin.locator('#user-list li[data-username="root"]').waitFor({ state: 'detached' })
  expect((await admin.locator('#user-list li[data-username="alice"]').count()) === 1, 'the search does not find alice')
})

await test('a guest is refused the admin page and / leads to the console', async (context) => {
  const page = await signIn(context, 'bob')
  expect((await page.getByRole('link', { name: 'Admin' }).count()) === 0, 'bob sees the admin link')
  expect(new URL(page.url()).pathname === '/console', `/ led to ${page.url()}`)
  // Only the fields of the chosen mode are shown (and reachable by keyboard).
  expect((await page.getByLabel('Speaker').isVisible()) && !(await page.getByLabel('Voice', { exact: true }).isVisible()), 'sft shows the voice field')
  await page.getByLabel('Mode').selectOption('instruct2')
  expect((await page.getByLabel('Instruction').isVisible()) && !(await page.getByLabel('Speaker').isVisible()), 'instruct2 fields wrong')
  expect(!(await page.getByRole('button', { name: 'Stop' }).isVisible()), 'Stop shown before a synthesis')
})

await test('create a personal API key (shown once) and revoke it', async (context) => {
  const page = await signIn(context, 'bob')
  await page.getByRole('link', { name: 'Account' }).click()
  await page.getByLabel('Key name').fill('laptop')
  await page.getByRole('button', { name: 'Create key' }).click()
  const key = await page.getByLabel('Your new key (shown only now)').inputValue()
  const me = await fetch(`${BASE}/auth/me`, { headers: { authorization: `Bearer ${key}` } })
  expect(me.status === 200, `the new key is refused: ${me.status}`)
  await page.goto(`${BASE}/console#/usage`)
  await page.goto(`${BASE}/console#/account`)
  await page.locator('#api-key-list li', { hasText: 'laptop' }).getByRole('button', { name: 'Revoke' }).click()
  await page.getByText('Key revoked.').waitFor()
  const after = await fetch(`${BASE}/auth/me`, { headers: { authorization: `Bearer ${key}` } })
  expect(after.status === 401, `a revoked key still works: ${after.status}`)
})

await test('the console assets stay within 150 KB gzip', async () => {
  let total = 0
  for (const f of readdirSync(join(ROOT, 'public', 'console'))) total += gzipSync(readFileSync(join(ROOT, 'public', 'console', f))).length
  expect(total <= 150 * 1024, `public/console is ${total} bytes gzip`)
  console.log(`    (console assets: ${(total / 1024).toFixed(1)} KB gzip)`)
})

if (SCREENSHOTS) {
  await test('screenshots of every page (desktop and 390 px)', async () => {
    const out = join(ROOT, 'docs', 'console')
    mkdirSync(out, { recursive: true })
    for (const [suffix, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['390', { width: 390, height: 844 }],
    ]) {
      const context = await browser.newContext({ viewport })
      const page = await context.newPage()
      await page.goto(`${BASE}/console`)
      await page.getByLabel('Username').waitFor()
      await page.screenshot({ path: join(out, `signin-${suffix}.png`), fullPage: true })
      await page.getByLabel('Username').fill('root')
      await page.getByLabel('Password').fill(PASSWORDS.root)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('heading', { name: 'Synthesize', level: 1 }).waitFor()
      if (suffix === 'desktop') await synthesize(page, { text: 'A clip for the screenshots.' })
      for (const name of ['synthesize', 'library', 'voices', 'usage', 'admin', 'account']) {
        await page.goto(`${BASE}/console#/${name}`)
        await page.waitForFunction(() => !document.querySelector('main')?.hasAttribute('aria-busy') && document.querySelector('h1'))
        await sleep(300)
        await page.screenshot({ path: join(out, `${name}-${suffix}.png`), fullPage: true })
      }
      await context.close()
    }
  })
}

await shutdown()
const passed = results.filter((r) => r.ok).length
const failed = results.length - passed
console.log(`browser tests: ${passed} passed, ${failed} failed`)
process.exit(failed || !passed ? 1 : 0)
