// The CosyVoice web console: a small vanilla client of the public HTTP API (README "HTTP API").
// It holds no credential: the session is the HttpOnly cookies set by POST /auth/login with
// `cookie: true`; unsafe requests carry the readable CSRF cookie's value in X-CSRF-Token.
// DOM is built with h() (textContent, never innerHTML), so nothing a user typed becomes markup.

const $ = (sel, root = document) => root.querySelector(sel)
const main = $('#main')
const nav = $('#nav')
const flashBox = $('#flash')

/** h('tag.class', {attrs, on*: handler}, ...children) */
function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split('.')
  const el = document.createElement(name)
  if (classes.length) el.className = classes.join(' ')
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'text') el.textContent = v
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c))
  return el
}

let me = null // GET /auth/me
let account = null // GET /auth/account's user; null for a principal with no account here (an IdP's user, a minted token)
/** The name to show: the account's username (a token's `sub` is the account id, `u_…`), else the sub. */
const myName = () => account?.username ?? me?.sub ?? ''
let flashTimer

function flash(message, kind = 'info') {
  clearTimeout(flashTimer)
  flashBox.textContent = message
  flashBox.className = `flash ${kind}`
  flashBox.setAttribute('role', kind === 'error' ? 'alert' : 'status')
  if (kind !== 'error') flashTimer = setTimeout(() => { flashBox.textContent = ''; flashBox.className = 'flash' }, 6000)
}

function csrf() {
  const m = /(?:^|;\s*)__Host-csrf=([^;]+)/.exec(document.cookie)
  return m ? decodeURIComponent(m[1]) : ''
}

export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

async function failureOf(res) {
  let code = 'http_' + res.status
  let message = `${res.status} ${res.statusText}`
  try {
    const body = await res.json()
    if (body?.error) ({ code, message } = body.error)
  } catch {}
  return new ApiFailure(res.status, code, message)
}

let refreshing = null
/** The refresh cookie rotates the session once; concurrent 401s share one attempt. */
function refreshSession() {
  refreshing ??= fetch('/auth/refresh', { method: 'POST', credentials: 'same-origin' }).then((r) => r.ok).catch(() => false).finally(() => setTimeout(() => { refreshing = null }, 0))
  return refreshing
}

/**
 * fetch on the session. A 401 invalid_token (expired or revoked access cookie) tries the refresh
 * cookie once; when that fails too the console is signed out. Returns the Response when ok.
 */
async function request(method, path, { json, body, headers = {}, signal, retried = false } = {}) {
  const init = { method, credentials: 'same-origin', headers: { ...headers }, signal }
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json'
    init.body = JSON.stringify(json)
  } else if (body !== undefined) init.body = body
  if (!['GET', 'HEAD'].includes(method)) init.headers['x-csrf-token'] = csrf()
  const res = await fetch(path, init)
  if (res.ok) return res
  const failure = await failureOf(res)
  if (res.status === 401 && failure.code === 'invalid_token' && !retried && me) {
    if (await refreshSession()) return request(method, path, { json, body, headers, signal, retried: true })
    signedOut('Your session has ended. Please sign in again.')
  }
  throw failure
}

const api = async (method, path, opts) => {
  const res = await request(method, path, opts)
  return res.status === 204 ? null : res.json()
}

/** Runs an action, showing its failure (a reauth_required asks for the password and retries). */
async function attempt(fn, done) {
  try {
    const result = await fn()
    if (done) flash(done, 'ok')
    return result
  } catch (e) {
    if (e instanceof ApiFailure && e.code === 'reauth_required') {
      if (await reauthenticate()) return attempt(fn, done)
      return
    }
    if (e instanceof ApiFailure && e.status === 401 && !me) return
    flash(e.message || String(e), 'error')
  }
}

/** The account behind the session: 404 for a principal with no account here. */
const loadAccount = () => api('GET', '/auth/account').then((r) => r.user ?? null).catch(() => null)

function reauthenticate() {
  if (!account) {
    flash('This needs a sign-in within the last few minutes, and this session has no password at this service: sign in again where your session came from.', 'error')
    return Promise.resolve(false)
  }
  return new Promise((resolve) => {
    const pw = h('input', { type: 'password', id: 'reauth-password', autocomplete: 'current-password', required: true })
    const dialog = h('dialog.reauth', { 'aria-labelledby': 'reauth-title' },
      h('form', { method: 'dialog', onsubmit: async (ev) => {
        ev.preventDefault()
        try {
          await login(account.username, pw.value)
          // A new login is a new session: the Account page marks the current one by this id.
          me = (await api('GET', '/auth/me').catch(() => null)) ?? me
          dialog.close(); dialog.remove(); resolve(true)
        } catch (e) { flash(e.message, 'error') }
      } },
        h('h2', { id: 'reauth-title', text: 'Confirm it is you' }),
        h('p', { text: `This action needs a sign-in within the last few minutes. Enter the password of ${account.username}.` }),
        h('label', { for: 'reauth-password', text: 'Password' }), pw,
        h('div.row', {}, h('button', { type: 'submit', text: 'Confirm' }), h('button.secondary', { type: 'button', text: 'Cancel', onclick: () => { dialog.close(); dialog.remove(); resolve(false) } }))))
    document.body.append(dialog)
    dialog.showModal()
    pw.focus()
  })
}

async function login(username, password) {
  const res = await fetch('/auth/login', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password, cookie: true }) })
  if (!res.ok) throw await failureOf(res)
}

function signedOut(message) {
  me = null
  account = null
  nav.hidden = true
  $('#who').textContent = ''
  location.hash = '#/signin'
  renderSignIn(message)
}

// ---------------------------------------------------------------- views

function page(title, ...content) {
  main.replaceChildren(h('h1', { tabindex: '-1', id: 'page-title', text: title }), ...content)
  document.title = `${title} · CosyVoice console`
  $('#page-title').focus()
}

const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—')
const fmtBytes = (n) => (n == null ? '—' : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`)

function field(id, label, input, hint) {
  input.id = id
  const parts = [h('label', { for: id, text: label }), input]
  if (hint) {
    const hintEl = h('small.hint', { id: `${id}-hint`, text: hint })
    input.setAttribute('aria-describedby', hintEl.id)
    parts.push(hintEl)
  }
  return h('div.field', {}, parts)
}

function renderSignIn(message) {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' })
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const err = h('p.error', { role: 'alert', id: 'signin-error' })
  if (message) err.textContent = message
  page('Sign in',
    h('form.card.narrow', { id: 'signin', onsubmit: async (ev) => {
      ev.preventDefault()
      err.textContent = ''
      try {
        await login(user.value, pass.value)
        await start()
      } catch (e) { err.textContent = e.message }
    } },
      field('signin-username', 'Username', user),
      field('signin-password', 'Password', pass),
      err,
      h('button', { type: 'submit', text: 'Sign in' })))
}

const MODES = {
  sft: 'Preset speaker',
  zero_shot: 'Clone a voice (zero-shot)',
  cross_lingual: 'Cross-lingual with a voice',
  instruct2: 'Voice with an instruction',
}
// The dev origin's and CosyVoice's usual preset names, used only when GET /v1/speakers is missing.
const FALLBACK_SPEAKERS = ['中文女', '中文男', '英文女', '英文男', '日语男', '粤语女', '韩语女']

/** GET /v1/speakers: `{speakers, modes}`, what the origins declare; older servers lack it. */
async function catalog() {
  try {
    const r = await api('GET', '/v1/speakers')
    return { speakers: (r.speakers ?? []).map((s) => (typeof s === 'string' ? s : s.name)), modes: r.modes ?? Object.keys(MODES) }
  } catch { return { speakers: FALLBACK_SPEAKERS, modes: Object.keys(MODES) } }
}

async function renderSynthesize() {
  const [usage, mine, shared, offered] = await Promise.all([
    api('GET', '/v1/usage').catch(() => null),
    api('GET', '/v1/voices').catch(() => ({ items: [] })),
    api('GET', '/v1/shared-voices').catch(() => ({ items: [] })),
    catalog(),
  ])
  const presets = offered.speakers
  const max = usage?.max_characters ?? null
  const mode = h('select', { name: 'mode' }, Object.entries(MODES).filter(([v]) => offered.modes.includes(v)).map(([v, l]) => h('option', { value: v, text: l })))
  const speaker = h('select', { name: 'speaker' }, presets.map((s) => h('option', { value: s, text: s })))
  const voice = h('select', { name: 'voice_id' },
    h('optgroup', { label: 'My voices' }, (mine.items ?? []).map((v) => h('option', { value: v.voice_id, text: v.name ?? v.voice_id }))),
    h('optgroup', { label: 'Shared voices' }, (shared.items ?? []).map((v) => h('option', { value: v.voice_id, text: v.name ?? v.voice_id }))))
  const instruct = h('input', { name: 'instruct', placeholder: 'e.g. speak slowly and warmly' })
  const text = h('textarea', { name: 'text', rows: 5, required: true })
  const count = h('span.count', { id: 'text-count', 'aria-live': 'polite' })
  const status = h('output.status', { id: 'synth-status', for: 'synth-text' })
  const result = h('div', { id: 'synth-result' })
  const go = h('button', { type: 'submit', text: 'Synthesize' })
  const stop = h('button.secondary', { type: 'button', text: 'Stop', hidden: true })
  const speakerField = field('synth-speaker', 'Speaker', speaker)
  const voiceField = field('synth-voice', 'Voice', voice, (mine.items?.length || shared.items?.length) ? undefined : 'No voices yet: add one on the Voices page.')
  const instructField = field('synth-instruct', 'Instruction', instruct)
  const sync = () => {
    speakerField.hidden = mode.value !== 'sft'
    voiceField.hidden = mode.value === 'sft'
    instructField.hidden = mode.value !== 'instruct2'
    const n = [...text.value].length
    count.textContent = max ? `${n} / ${max} characters` : `${n} characters`
    count.classList.toggle('over', max !== null && n > max)
  }
  mode.addEventListener('change', sync)
  text.addEventListener('input', sync)
  let controller = null
  stop.addEventListener('click', () => controller?.abort())
  const form = h('form.card', { id: 'synth-form', onsubmit: async (ev) => {
    ev.preventDefault()
    const body = { text: text.value, mode: mode.value, format: 'pcm' }
    if (mode.value === 'sft') body.speaker = speaker.value
    else body.voice_id = voice.value
    if (mode.value === 'instruct2') body.instruct = instruct.value
    go.disabled = true
    stop.hidden = false
    result.replaceChildren()
    controller = new AbortController()
    try {
      const id = await streamSynthesis(body, status, controller.signal)
      if (id) result.replaceChildren(h('p', {}, 'Saved to your library. ', h('a', { href: `#/library?focus=${id}`, text: 'Open in library' })),
        h('audio', { controls: true, preload: 'none', src: `/v1/audio/${id}/content`, 'aria-label': 'The saved audio' }))
    } catch (e) {
      status.dataset.state = 'failed'
      if (e.name === 'AbortError') status.textContent = 'Stopped.'
      else if (!(e instanceof ApiFailure && e.status === 401 && !me)) { status.textContent = `Failed: ${e.message}`; flash(e.message, 'error') }
    } finally {
      go.disabled = false
      stop.hidden = true
    }
  } },
    field('synth-mode', 'Mode', mode),
    speakerField, voiceField, instructField,
    field('synth-text', 'Text', text), count,
    h('div.row', {}, go, stop),
    status)
  page('Synthesize', form, result)
  sync()
}

/**
 * POST /v1/tts with format "pcm" (raw int16 little-endian, X-Sample-Rate) and play each piece as
 * it arrives: Web Audio buffers scheduled back to back. Returns the stored copy's id.
 */
async function streamSynthesis(body, status, signal) {
  const ctx = new AudioContext() // created in the click, so the browser lets it play
  status.dataset.state = 'waiting'
  delete status.dataset.firstAudio
  status.textContent = 'Waiting for a GPU…'
  // No header comes before the audio, so the wait is shown from GET /v1/queue meanwhile.
  let waiting = true
  ;(async () => {
    while (waiting) {
      await new Promise((r) => setTimeout(r, 700))
      if (!waiting) break
      const q = await api('GET', '/v1/queue').catch(() => null)
      const place = q?.items?.[0]
      if (!waiting || !place) continue
      status.dataset.position = place.position
      status.textContent = `Waiting for a GPU: number ${place.position} in line${place.estimate_seconds != null ? `, about ${place.estimate_seconds} s` : ''}.`
    }
  })()
  try {
    const res = await request('POST', '/v1/tts', { json: body, signal }).finally(() => { waiting = false })
    const rate = Number(res.headers.get('x-sample-rate')) || 24000
    const id = res.headers.get('x-audio-id')
    const reader = res.body.getReader()
    let streaming = true
    let nextAt = 0
    let carry = null
    let seconds = 0
    status.dataset.state = 'streaming'
    status.textContent = 'Receiving audio…'
    const play = (bytes) => {
      if (carry) { const joined = new Uint8Array(carry.length + bytes.length); joined.set(carry); joined.set(bytes, carry.length); bytes = joined; carry = null }
      if (bytes.length % 2) { carry = bytes.slice(-1); bytes = bytes.subarray(0, bytes.length - 1) }
      const n = bytes.length / 2
      if (!n) return
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      const buffer = ctx.createBuffer(1, n, rate)
      const ch = buffer.getChannelData(0)
      for (let i = 0; i < n; i++) ch[i] = view.getInt16(i * 2, true) / 32768
      const src = ctx.createBufferSource()
      src.buffer = buffer
      src.connect(ctx.destination)
      nextAt = Math.max(nextAt, ctx.currentTime + 0.05)
      src.start(nextAt)
      nextAt += buffer.duration
      seconds += buffer.duration
      if (!status.dataset.firstAudio) {
        // For people and for the browser tests: did sound start while the synthesis still ran?
        status.dataset.firstAudio = streaming ? 'while-streaming' : 'after-end'
        status.textContent = 'Playing as it arrives…'
      }
    }
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      play(value)
    }
    streaming = false
    status.dataset.state = 'done'
    status.textContent = `Done: ${seconds.toFixed(1)} s of audio.`
    return id
  } finally {
    signal.addEventListener('abort', () => ctx.close())
  }
}

async function renderLibrary() {
  const [audio, shares] = await Promise.all([api('GET', '/v1/audio?limit=100'), api('GET', '/v1/shares').catch(() => ({ items: [] }))])
  const byAudio = new Map()
  for (const s of shares.items ?? []) byAudio.set(s.audio_id, [...(byAudio.get(s.audio_id) ?? []), s])
  const items = audio.items ?? []
  const list = h('ul.items', { id: 'library-list' })
  for (const a of items) list.append(audioItem(a, byAudio.get(a.audio_id) ?? []))
  page('Library', items.length ? list : h('p', { text: 'Nothing yet: synthesize something first.' }))
  const focus = new URLSearchParams(location.hash.split('?')[1] ?? '').get('focus')
  if (focus) document.getElementById(`audio-${focus}`)?.scrollIntoView()
}

function audioItem(a, shares) {
  const who = a.speaker ?? a.voice_id ?? ''
  const out = h('div.out')
  const li = h('li.item', { id: `audio-${a.audio_id}`, 'data-audio-id': a.audio_id },
    h('h2', { text: `${fmtTime(a.created)} · ${a.mode ?? ''} ${who}` }),
    h('p.meta', { text: `${a.duration_seconds != null ? a.duration_seconds.toFixed(1) + ' s' : ''} · ${a.characters ?? '?'} characters · ${fmtBytes(a.bytes)}` }),
    h('audio', { controls: true, preload: 'none', src: `/v1/audio/${a.audio_id}/content`, 'aria-label': `Play audio of ${fmtTime(a.created)}` }),
    h('div.row', {},
      h('a.button.secondary', { href: `/v1/audio/${a.audio_id}/content`, download: `cosyvoice-${(a.created ?? '').slice(0, 19).replace(/[:T]/g, '-')}.wav`, text: 'Download' }),
      h('button.secondary', { type: 'button', text: 'Signed link', onclick: () => attempt(async () => {
        const r = await api('POST', `/v1/audio/${a.audio_id}/link`, { json: {} })
        // `?inline=1` only changes how a browser presents it (README: POST /v1/audio/<id>/link).
        out.replaceChildren(copyable(`Download link (expires ${fmtTime(r.expires_at)})`, r.url, `link-${a.audio_id}`),
          copyable('Play-in-browser link (same expiry)', `${r.url}?inline=1`, `link-inline-${a.audio_id}`))
      }) }),
      h('button.secondary', { type: 'button', text: 'Share…', onclick: () => out.replaceChildren(shareForm(a, out)) }),
      h('button.danger', { type: 'button', text: 'Delete', onclick: () => {
        if (!confirm('Delete this audio and revoke its shares?')) return
        attempt(async () => { await api('DELETE', `/v1/audio/${a.audio_id}`); li.remove() }, 'Deleted.')
      } })),
    out,
    shares.length ? h('ul.shares', { 'aria-label': 'Shares' }, shares.map(shareItem)) : null)
  return li
}

function shareItem(s) {
  const left = s.max_downloads != null ? `${Math.max(0, s.max_downloads - s.downloads)} of ${s.max_downloads} downloads left` : `${s.downloads} downloads`
  const state = h('span.badge', { text: s.status })
  const revoke = s.status === 'active' ? h('button.danger.small', { type: 'button', text: 'Revoke', onclick: () => attempt(async () => {
    await api('DELETE', `/v1/shares/${s.share_id}`)
    state.textContent = 'revoked'
    revoke.remove()
  }, 'Share revoked.') }) : null
  return h('li.share', { 'data-share-id': s.share_id }, state, ' ', h('a', { href: s.url, text: s.url, target: '_blank', rel: 'noopener' }), h('span.meta', { text: ` · ${left} · until ${fmtTime(s.expires_at)}${s.note ? ' · note: ' + s.note : ''}` }), ' ', revoke)
}

function shareForm(a, out) {
  const ttl = h('select', {}, [['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']].map(([v, l]) => h('option', { value: v, text: l })))
  const max = h('input', { type: 'number', min: 1, inputmode: 'numeric' })
  const note = h('input', { maxlength: 200 })
  return h('form.card.inline', { onsubmit: (ev) => {
    ev.preventDefault()
    attempt(async () => {
      const body = { ttl_seconds: Number(ttl.value) }
      if (max.value) body.max_downloads = Number(max.value)
      if (note.value) body.note = note.value
      const s = await api('POST', `/v1/audio/${a.audio_id}/shares`, { json: body })
      out.replaceChildren(copyable('Share link', s.url, `share-${a.audio_id}`))
      const li = document.getElementById(`audio-${a.audio_id}`)
      let ul = li.querySelector('ul.shares')
      if (!ul) {
        ul = h('ul.shares', { 'aria-label': 'Shares' })
        li.append(ul)
      }
      ul.append(shareItem({ ...s, status: 'active', downloads: 0, note: body.note ?? null }))
    }, 'Share created.')
  } },
    field(`share-ttl-${a.audio_id}`, 'Expires after', ttl),
    field(`share-max-${a.audio_id}`, 'Max downloads (optional)', max),
    field(`share-note-${a.audio_id}`, 'Note (optional)', note, 'Shown to everyone who opens the link.'),
    h('button', { type: 'submit', text: 'Create share' }))
}

function copyable(label, value, id, hint) {
  const input = h('input', { readonly: true, value })
  return h('div.copy', {}, field(id, label, input, hint), h('button.secondary', { type: 'button', text: 'Copy', onclick: async () => {
    try { await navigator.clipboard.writeText(value); flash('Copied.', 'ok') } catch { input.select(); flash('Select and copy the link.', 'info') }
  } }))
}

async function renderVoices() {
  const mine = await api('GET', '/v1/voices')
  const list = h('ul.items', { id: 'voice-list' }, (mine.items ?? []).map((v) => {
    const li = h('li.item', { 'data-voice-id': v.voice_id },
      h('h2', { text: v.name ?? v.voice_id }),
      h('p.meta', { text: `${v.duration_seconds?.toFixed?.(1) ?? '?'} s · ${v.format ?? ''} · “${v.prompt_text ?? ''}”` }),
      h('audio', { controls: true, preload: 'none', src: v.content_url, 'aria-label': `Play voice ${v.name ?? ''}` }),
      h('button.danger', { type: 'button', text: 'Delete', onclick: () => {
        if (!confirm(`Delete the voice “${v.name ?? v.voice_id}”?`)) return
        attempt(async () => { await api('DELETE', `/v1/voices/${v.voice_id}`); li.remove() }, 'Voice deleted.')
      } }))
    return li
  }))
  const name = h('input', { required: true, maxlength: 100 })
  const transcript = h('textarea', { required: true, rows: 2 })
  const file = h('input', { type: 'file', accept: 'audio/wav,audio/x-wav,audio/flac,.wav,.flac' })
  const recorded = { blob: null }
  const recorder = voiceRecorder(recorded)
  const form = h('form.card', { id: 'voice-form', onsubmit: (ev) => {
    ev.preventDefault()
    const audio = file.files[0] ?? recorded.blob
    if (!audio) return flash('Choose a WAV or FLAC file, or record one.', 'error')
    const data = new FormData()
    data.set('name', name.value)
    data.set('prompt_text', transcript.value)
    data.set('prompt_wav', audio, file.files[0]?.name ?? 'recording.wav')
    attempt(async () => { await api('POST', '/v1/voices', { body: data }); await renderVoices() }, 'Voice added.')
  } },
    h('h2', { text: 'Add a voice' }),
    field('voice-name', 'Name', name),
    field('voice-transcript', 'Transcript (exactly what is said)', transcript),
    field('voice-file', 'WAV or FLAC file, 1–30 s', file),
    recorder,
    h('button', { type: 'submit', text: 'Upload voice' }))
  page('Voices', list, form)
}

/** Records from the microphone and encodes 16-bit mono WAV in the browser, checking length and level. */
function voiceRecorder(recorded) {
  const status = h('output', { id: 'record-status' })
  const preview = h('audio', { controls: true, hidden: true, 'aria-label': 'Your recording' })
  let session = null
  const button = h('button.secondary', { type: 'button', text: 'Record', 'aria-pressed': 'false', onclick: async () => {
    if (session) return finish()
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } })
      const ctx = new AudioContext()
      const source = ctx.createMediaStreamSource(stream)
      const node = ctx.createScriptProcessor(4096, 1, 1)
      const chunks = []
      node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)))
      source.connect(node)
      node.connect(ctx.destination)
      session = { stream, ctx, chunks }
      button.textContent = 'Stop recording'
      button.setAttribute('aria-pressed', 'true')
      status.textContent = 'Recording… read your transcript aloud.'
    } catch (e) { flash(`No microphone: ${e.message}`, 'error') }
  } })
  function finish() {
    const { stream, ctx, chunks } = session
    session = null
    for (const t of stream.getTracks()) t.stop()
    const rate = ctx.sampleRate
    ctx.close()
    button.textContent = 'Record'
    button.setAttribute('aria-pressed', 'false')
    const samples = new Float32Array(chunks.reduce((n, c) => n + c.length, 0))
    let o = 0
    for (const c of chunks) { samples.set(c, o); o += c.length }
    const seconds = samples.length / rate
    let peak = 0
    for (const s of samples) peak = Math.max(peak, Math.abs(s))
    recorded.blob = null
    if (seconds < 1 || seconds > 30) {
      status.textContent = `The recording is ${seconds.toFixed(1)} s: it must be 1 to 30 s.`
      return
    }
    if (peak < 0.02) {
      status.textContent = 'The recording is almost silent: check the microphone.'
      return
    }
    recorded.blob = new Blob([encodeWav(samples, rate)], { type: 'audio/wav' })
    preview.src = URL.createObjectURL(recorded.blob)
    preview.hidden = false
    status.textContent = `Recorded ${seconds.toFixed(1)} s (peak ${Math.round(peak * 100)} %). It is uploaded with the form.`
  }
  return h('fieldset.record', {}, h('legend', { text: 'Or record in the browser' }), button, ' ', status, preview)
}

export function encodeWav(samples, rate) {
  const out = new DataView(new ArrayBuffer(44 + samples.length * 2))
  const str = (at, s) => { for (let i = 0; i < s.length; i++) out.setUint8(at + i, s.charCodeAt(i)) }
  str(0, 'RIFF'); out.setUint32(4, 36 + samples.length * 2, true); str(8, 'WAVE')
  str(12, 'fmt '); out.setUint32(16, 16, true); out.setUint16(20, 1, true); out.setUint16(22, 1, true)
  out.setUint32(24, rate, true); out.setUint32(28, rate * 2, true); out.setUint16(32, 2, true); out.setUint16(34, 16, true)
  str(36, 'data'); out.setUint32(40, samples.length * 2, true)
  for (let i = 0; i < samples.length; i++) out.setInt16(44 + i * 2, Math.max(-1, Math.min(1, samples[i])) * 0x7fff, true)
  return out.buffer
}

function table(caption, columns, rows) {
  return h('div.scroll', { tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', {}, h('caption', { text: caption }),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v) => h('td', { text: v ?? '—' })))))))
}

async function renderUsage() {
  const [u, audit] = await Promise.all([api('GET', '/v1/usage'), api('GET', '/v1/audit?limit=50').catch(() => ({ items: [] }))])
  const limits = [['Syntheses this minute', u.syntheses_per_minute], ['Syntheses today', u.syntheses_per_day], ['Running at once', u.concurrent_syntheses], ['Storage', u.storage_bytes]]
  page('Usage',
    h('p', {}, 'Tier: ', h('strong', { text: u.tier }), ` · up to ${u.max_characters} characters per synthesis`),
    table('Limits', ['limit', 'used', 'remaining', 'of', 'resets'], limits.map(([n, l]) => {
      const f = n === 'Storage' ? fmtBytes : String
      return [n, f(l.used), f(l.remaining), f(l.limit), l.resets_at ? fmtTime(l.resets_at) : '—']
    })),
    auditTable('My activity', audit.items ?? []))
}

const auditTable = (caption, items) => table(caption, ['when', 'action', 'resource', 'status', 'by'], items.map((e) => [fmtTime(e.at), e.action, e.resource, String(e.status ?? ''), e.actor]))

async function renderAdmin() {
  const origins = h('div', { id: 'admin-origins' })
  const loadOrigins = () => attempt(async () => {
    const r = await api('GET', '/admin/origins')
    const list = r.origins ?? r.items ?? []
    origins.replaceChildren(table('Origins', ['origin', 'breaker', 'in flight', 'failures in a row', 'first byte p50 / p95', 'recent errors'], list.map((o) => [o.name ?? o.url, o.state, `${o.in_flight} of ${o.concurrency}`, String(o.consecutive_failures ?? 0), `${o.ttfb_ms?.p50 ?? '—'} / ${o.ttfb_ms?.p95 ?? '—'} ms`, String(o.recent_errors?.length ?? 0)])),
      h('p', { text: r.queue ? `Queue: ${r.queue.waiting} waiting from ${r.queue.users} users (limit ${r.queue.limit}, ${r.queue.per_user_limit} per user).` : '' }),
      h('button.secondary', { type: 'button', text: 'Refresh', onclick: loadOrigins }))
  })

  const sub = h('input', { required: true })
  const role = h('input', { value: 'free', required: true })
  const scope = h('input', { value: 'tts' })
  const ttl = h('input', { type: 'number', value: 600, min: 60 })
  const minted = h('div')
  const mint = h('form.card', { id: 'admin-mint', onsubmit: (ev) => {
    ev.preventDefault()
    attempt(async () => {
      const r = await api('POST', '/admin/tokens', { json: { sub: sub.value, role: role.value, scope: scope.value || undefined, ttl_seconds: Number(ttl.value) } })
      minted.replaceChildren(copyable(`Token (jti ${r.jti}, expires ${fmtTime(r.expires_at)}); shown once`, r.token, 'minted-token'))
    }, 'Token minted.')
  } }, h('h2', { text: 'Mint a guest token' }), field('mint-sub', 'Subject (sub)', sub, 'A name for the guest. An account’s id (u_…) would act as that account.'), field('mint-role', 'Role', role), field('mint-scope', 'Scopes (space separated)', scope), field('mint-ttl', 'Lifetime (seconds)', ttl), h('button', { type: 'submit', text: 'Mint' }), minted)

  const rjti = h('input')
  const rsub = h('input')
  const riss = h('input', { value: me.issuer ?? '' })
  const revoke = h('form.card', { id: 'admin-revoke', onsubmit: (ev) => {
    ev.preventDefault()
    const body = rjti.value ? { jti: rjti.value } : { sub: rsub.value, issuer: riss.value || undefined }
    if (!rjti.value && !rsub.value) return flash('Give a jti or a user id.', 'error')
    if (!confirm(rjti.value ? `Revoke token ${rjti.value}?` : `Revoke every token of the user id ${rsub.value}?`)) return
    attempt(() => api('POST', '/admin/revoke', { json: body }), 'Revoked.')
  } }, h('h2', { text: 'Revoke a token or a user id' }), field('revoke-jti', 'Token id (jti)', rjti, 'Or leave empty and give a user id with its issuer:'),
    field('revoke-sub', 'User id (sub) whose tokens to revoke', rsub, 'The sub of the tokens: for an identity provider’s user, its id there; for an account here, its id (u_…). To sign an account out by name, use Sign out everywhere under Users.'),
    field('revoke-iss', 'Issuer', riss), h('button.danger', { type: 'submit', text: 'Revoke' }))

  const asub = h('input', { required: true })
  const auditOut = h('div')
  const audit = h('form.card', { id: 'admin-audit', onsubmit: (ev) => {
    ev.preventDefault()
    attempt(async () => {
      const r = await api('GET', `/admin/audit?sub=${encodeURIComponent(asub.value)}&limit=100`)
      auditOut.replaceChildren(auditTable(`Audit trail of ${asub.value}`, r.items ?? []))
    })
  } }, h('h2', { text: "A user's audit trail" }), field('audit-sub', 'User id (sub)', asub, 'An account’s id (u_…): Audit trail under Users fills it in.'), h('button', { type: 'submit', text: 'Show' }), auditOut)

  const vid = h('input', { required: true })
  const vsub = h('input', { required: true })
  const publish = (method) => (ev) => {
    ev.preventDefault()
    if (!vid.value || !vsub.value) return flash('Give the voice id and its owner.', 'error')
    attempt(() => api(method, `/admin/voices/${encodeURIComponent(vid.value)}/publish?sub=${encodeURIComponent(vsub.value)}`), method === 'POST' ? 'Published.' : 'Withdrawn.')
  }
  const voices = h('form.card', { id: 'admin-voices', onsubmit: publish('POST') }, h('h2', { text: 'Shared voices' }), field('pub-voice', 'Voice id', vid), field('pub-sub', 'Owner (user id)', vsub),
    h('div.row', {}, h('button', { type: 'submit', text: 'Publish' }), h('button.secondary', { type: 'button', text: 'Withdraw', onclick: publish('DELETE') })))

  const reports = h('section', { id: 'admin-reports', 'aria-labelledby': 'reports-title' })
  const loadReports = () => attempt(async () => {
    const r = await api('GET', '/admin/reports?status=open')
    const items = r.items ?? []
    reports.replaceChildren(h('h2', { id: 'reports-title', text: `Reports (${items.length} open)` }),
      items.length ? h('ul.items', {}, items.map(reportItem)) : h('p', { text: 'No open reports.' }))
  })
  const reportItem = (rep) => {
    const resolve = (action) => api('POST', `/admin/reports/${rep.report_id}/resolve`, { json: { action } })
    const li = h('li.item', { 'data-report-id': rep.report_id },
      h('h3', { text: `${rep.reason} · ${fmtTime(rep.created_at)}` }),
      rep.details ? h('p', { text: rep.details }) : null,
      h('p.meta', { text: `share ${rep.share?.ref ?? rep.share?.share_id} · audio ${rep.share?.audio_id} · owner ${rep.owner?.sub ?? 'unknown'}` }),
      h('div.row', {},
        rep.owner ? h('button.danger', { type: 'button', text: 'Take down the audio', onclick: () => attempt(async () => {
          await api('POST', '/admin/takedowns', { json: { kind: 'audio', owner: rep.owner, id: rep.share.audio_id, reason: rep.reason, report_id: rep.report_id } })
          await resolve('taken_down').catch(() => {})
          li.remove()
        }, 'Taken down; kept as evidence.') }) : null,
        h('button.secondary', { type: 'button', text: 'Dismiss', onclick: () => attempt(async () => { await resolve('dismissed'); li.remove() }, 'Dismissed.') })))
    return li
  }

  const users = usersSection((u) => {
    asub.value = u.id
    audit.requestSubmit()
    audit.scrollIntoView()
  })

  page('Admin', origins, users, reports, mint, revoke, audit, voices)
  loadOrigins()
  users.load()
  loadReports()
}

// The roles every deploy has (TIERS is merged over them); others appear as users have them.
const KNOWN_ROLES = ['free', 'premium', 'admin']

/**
 * The account directory (GET/POST/PATCH/DELETE /admin/users…): search, create (with a password or
 * a one-time invite link), and per user sign out everywhere, disable/enable, role, re-invite, delete.
 */
function usersSection(showAudit) {
  let seq = 0
  const roles = h('datalist', { id: 'role-options' })
  const noteRoles = (items) => {
    const known = new Set([...KNOWN_ROLES, ...items.map((u) => u.role)])
    roles.replaceChildren(...[...known].map((r) => h('option', { value: r })))
  }
  const search = h('input', { type: 'search', maxlength: 64, autocomplete: 'off' })
  const list = h('ul.items', { id: 'user-list' })
  const more = h('button.secondary', { type: 'button', text: 'More users', hidden: true })
  const jobs = h('output.status', { id: 'user-jobs' })
  let cursor = null
  let query = ''

  const load = (append = false) => attempt(async () => {
    if (!append) { query = search.value.trim(); cursor = null }
    const params = new URLSearchParams({ limit: '50' })
    if (query) params.set('search', query)
    if (append && cursor) params.set('cursor', cursor)
    const r = await api('GET', `/admin/users?${params}`)
    const items = r.items ?? []
    noteRoles(items)
    const rows = items.map((u) => userItem(u))
    if (append) list.append(...rows)
    else list.replaceChildren(...(rows.length ? rows : [h('li', { text: query ? `No user matches “${query}”.` : 'No users yet.' })]))
    cursor = r.cursor ?? null
    more.hidden = !cursor
  })
  more.addEventListener('click', () => load(true))

  function userItem(u) {
    const n = ++seq
    const you = u.id === me.sub
    const name = u.username
    const path = `/admin/users/${encodeURIComponent(name)}`
    const out = h('div.out')
    const use = u.usage ? ` · ${u.usage.syntheses_today} syntheses today, ${u.usage.syntheses_running} running · ${fmtBytes(u.usage.stored_bytes)} stored` : ''
    const role = h('input', { list: 'role-options', value: u.role, required: true, autocapitalize: 'none', spellcheck: 'false' })
    const li = h('li.item', { 'data-username': name, 'data-user-id': u.id },
      h('h3', { id: `user-${n}-name` }, name, you ? ' (you)' : null, ' ', h('span.badge', { text: u.status })),
      h('p.meta', { text: `${u.role} · tier ${u.tier} · last login ${u.last_login_at ? fmtTime(u.last_login_at) : 'never'}${u.password_set ? '' : ' · no password yet (invite pending)'}${use}` }),
      h('div.row', {},
        button('Sign out everywhere', 'danger', () => {
          if (!confirm(`Sign ${name} out everywhere? Every session and token of theirs stops working; they can sign in again.`)) return
          attempt(() => api('POST', `${path}/revoke`), `${name} is signed out everywhere.`)
        }),
        u.status === 'active'
          ? button('Disable', 'danger', () => {
            if (!confirm(`Disable ${name}? Their sessions, tokens and API keys stop working and their links stop answering until enabled.`)) return
            change({ status: 'disabled' }, `${name} is disabled.`)
          })
          : button('Enable', 'secondary', () => change({ status: 'active' }, `${name} is enabled.`)),
        button('New invite link', 'secondary', () => attempt(async () => {
          const r = await api('POST', `${path}/invite`)
          out.replaceChildren(copyable(`New invite link for ${name} (shown once)`, r.invite_url, `user-${n}-invite`, `Works once, until ${fmtTime(r.invite_expires_at)}. Earlier links stop working; the password stays until this one is used.`))
        }, 'Invite link made: copy it now.')),
        button('Audit trail', 'secondary', () => showAudit(u)),
        you ? null : button('Delete', 'danger', () => {
          if (!confirm(`Delete ${name} and erase all of their audio, voices and shares? This cannot be undone.`)) return
          attempt(async () => {
            const { job } = await api('DELETE', path)
            li.remove()
            followJob(job)
          })
        })),
      h('form.row', { onsubmit: async (ev) => {
        ev.preventDefault()
        const to = role.value.trim()
        if (to === u.role) return
        if (!confirm(`Change the role of ${name} from ${u.role} to ${to}? Their current access tokens are revoked.`)) return
        if (!(await change({ role: to }, `${name} is now ${to}.`))) role.value = u.role
      } }, field(`user-${n}-role`, `Role of ${name}`, role), h('button.secondary.small', { type: 'submit', text: 'Change role', 'aria-describedby': `user-${n}-name` })),
      out)
    function button(text, kind, onclick) {
      return h(`button.small.${kind}`, { type: 'button', text, 'aria-describedby': `user-${n}-name`, onclick })
    }
    /** PATCH; on success the row is redrawn from the answer, on failure it stays as it was. */
    function change(body, done) {
      return attempt(async () => {
        const r = await api('PATCH', path, { json: body })
        li.replaceWith(userItem({ ...r.user, usage: u.usage }))
        return true
      }, done)
    }
    return li
  }

  /** DELETE answers 202 with the erasure job: polled here until done (it goes on without the page too). */
  async function followJob(job) {
    const say = (j) => {
      jobs.dataset.state = j.state
      jobs.textContent = j.state === 'done'
        ? `Deleted ${j.username}: ${j.objects_deleted} stored objects erased.`
        : `Deleting ${j.username}: ${j.state}, ${j.objects_deleted} stored objects erased so far${j.last_error ? ` (retrying after: ${j.last_error})` : ''}…`
    }
    say(job)
    for (let i = 0; i < 60 && job.state !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 1000))
      if (!jobs.isConnected || !me) return
      try { job = (await api('GET', `/admin/jobs/${encodeURIComponent(job.id)}`)).job } catch { break }
      say(job)
    }
    if (job.state === 'done') flash(`Deleted ${job.username}.`, 'ok')
    else jobs.textContent = `Deleting ${job.username} goes on in the background (job ${job.id}).`
  }

  const username = h('input', { required: true, maxlength: 64, autocapitalize: 'none', autocomplete: 'off', spellcheck: 'false' })
  const newRole = h('input', { list: 'role-options', value: 'free', required: true, autocapitalize: 'none' })
  const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8 })
  const created = h('div')
  const create = h('form.card', { id: 'user-create', onsubmit: (ev) => {
    ev.preventDefault()
    attempt(async () => {
      const body = { username: username.value.trim(), role: newRole.value.trim() }
      if (password.value) body.password = password.value
      const r = await api('POST', '/admin/users', { json: body })
      const name = r.user.username
      created.replaceChildren(r.invite_url
        ? copyable(`Invite link for ${name} (shown once)`, r.invite_url, 'new-user-invite', `Send it to ${name}: it sets their password, once, until ${fmtTime(r.invite_expires_at)}.`)
        : h('p', { text: `${name} can sign in with the password you set.` }))
      create.reset()
      await load()
    }, 'User created.')
  } },
    h('h3', { text: 'Create a user' }),
    field('new-user-name', 'New username', username, 'Letters, digits and . _ @ -, at most 64.'),
    field('new-user-role', 'Role for the new user', newRole),
    field('new-user-password', 'Password (optional)', password, 'Leave empty to get a one-time invite link that lets them choose it.'),
    h('button', { type: 'submit', text: 'Create user' }), created)

  const section = h('section', { id: 'admin-users', 'aria-labelledby': 'users-title' },
    h('h2', { id: 'users-title', text: 'Users' }), roles,
    h('form.row', { role: 'search', onsubmit: (ev) => { ev.preventDefault(); load() } },
      field('user-search', 'Search users', search), h('button', { type: 'submit', text: 'Search' })),
    jobs, list, more, create)
  section.load = () => load()
  noteRoles([])
  return section
}

async function renderAccount() {
  const [keys, sessions] = await Promise.all([api('GET', '/v1/api-keys').catch(() => null), account ? sessionsSection() : null])
  page('Account',
    h('dl.card', {}, h('dt', { text: 'User' }), h('dd', { text: myName() }),
      account ? [h('dt', { text: 'User id' }), h('dd', { text: me.sub })] : null,
      h('dt', { text: 'Role' }), h('dd', { text: me.role }),
      h('dt', { text: 'Scopes' }), h('dd', { text: (me.scopes ?? []).join(' ') }), h('dt', { text: 'Signed in' }), h('dd', { text: fmtTime(me.auth_time) })),
    h('div.row', {},
      h('button', { type: 'button', id: 'signout', text: 'Sign out', onclick: signOut }),
      h('button.danger', { type: 'button', text: 'Sign out everywhere', onclick: () => attempt(async () => { await api('POST', '/auth/logout-all'); signedOut('Signed out on every device.') }) })),
    account ? passwordForm(() => sessions?.reload()) : h('p.meta', { text: 'This session has no account at this service (an identity provider’s user or a minted token): its password and sessions are managed where it came from.' }),
    sessions,
    keys ? apiKeys(keys.items ?? []) : null)
}

/** POST /auth/password: needs a recent login (attempt() asks for the password); other sessions end. */
function passwordForm(changed) {
  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true })
  const next = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8 })
  const again = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8 })
  const form = h('form.card', { id: 'password-form', onsubmit: (ev) => {
    ev.preventDefault()
    if (next.value !== again.value) return flash('The two new passwords differ.', 'error')
    attempt(async () => {
      await api('POST', '/auth/password', { json: { current_password: current.value, new_password: next.value } })
      form.reset()
      changed()
    }, 'Password changed. Your other sessions have ended.')
  } },
    h('h2', { text: 'Change password' }),
    h('input', { type: 'text', autocomplete: 'username', value: account.username, hidden: true, readonly: true }),
    field('password-current', 'Current password', current),
    field('password-new', 'New password', next, 'At least 8 characters. Every other session of yours ends.'),
    field('password-again', 'New password again', again),
    h('button', { type: 'submit', text: 'Change password' }))
  return form
}

/** GET /auth/sessions, each with End (DELETE /auth/sessions/<id>); this one is marked, and ended by Sign out. */
async function sessionsSection() {
  const list = h('ul.items', { id: 'session-list' })
  const section = h('section', { 'aria-labelledby': 'sessions-title' }, h('h2', { id: 'sessions-title', text: 'Sessions' }), list)
  const fill = (items) => list.replaceChildren(...items.map((s, i) => {
    const current = s.current || s.id === me.session
    const li = h('li.item', { 'data-session-id': s.id, 'data-current': current ? 'true' : undefined },
      h('h3', { id: `session-${i}-title` }, current ? [h('span.badge', { text: 'This session' }), ' '] : null, `Signed in ${fmtTime(s.created_at)}`),
      h('p.meta', { text: `${s.client === 'cookie' ? 'Browser' : 'API client'} · ${s.user_agent ?? 'unknown client'} · last used ${fmtTime(s.last_used_at)} · until ${fmtTime(s.expires_at)}` }),
      current ? null : h('button.danger.small', { type: 'button', text: 'End', 'aria-describedby': `session-${i}-title`, onclick: () => {
        if (!confirm('End this session? That device is signed out on its next action.')) return
        attempt(async () => { await api('DELETE', `/auth/sessions/${encodeURIComponent(s.id)}`); li.remove() }, 'Session ended.')
      } }))
    return li
  }))
  section.reload = () => attempt(async () => fill((await api('GET', '/auth/sessions')).items ?? []))
  fill((await api('GET', '/auth/sessions').catch(() => ({ items: [] }))).items ?? [])
  return section
}

/** Personal API keys (GET/POST/DELETE /v1/api-keys): the key is shown once, at creation. */
function apiKeys(items) {
  const name = h('input', { required: true, maxlength: 100 })
  const scope = h('input', { placeholder: 'e.g. tts audio' })
  const ttl = h('select', {}, [['', '90 days (default)'], ['86400', '1 day'], ['2592000', '30 days']].map(([v, l]) => h('option', { value: v, text: l })))
  const created = h('div')
  const list = h('ul.items', { id: 'api-key-list' }, items.map((k) => {
    const li = h('li.item', {}, h('h3', { text: k.name }), h('p.meta', { text: `${k.prefix}… · ${k.scope ?? 'all my rights'} · created ${fmtTime(k.created_at)} · last used ${fmtTime(k.last_used_at)} · ${k.expired ? 'expired' : 'expires ' + fmtTime(k.expires_at)}` }),
      h('button.danger.small', { type: 'button', text: 'Revoke', onclick: () => {
        if (!confirm(`Revoke the key “${k.name}”?`)) return
        attempt(async () => { await api('DELETE', `/v1/api-keys/${k.id}`); li.remove() }, 'Key revoked.')
      } }))
    return li
  }))
  return h('section', { 'aria-labelledby': 'keys-title' }, h('h2', { id: 'keys-title', text: 'API keys' }), list,
    h('form.card', { id: 'api-key-form', onsubmit: (ev) => {
      ev.preventDefault()
      attempt(async () => {
        const body = { name: name.value }
        if (scope.value) body.scope = scope.value
        if (ttl.value) body.ttl_seconds = Number(ttl.value)
        const k = await api('POST', '/v1/api-keys', { json: body })
        created.replaceChildren(copyable('Your new key (shown only now)', k.key, 'new-api-key'))
      }, 'Key created.')
    } }, field('key-name', 'Key name', name), field('key-scope', 'Scopes (optional)', scope, 'Leave empty for all of your rights.'), field('key-ttl', 'Expires', ttl), h('button', { type: 'submit', text: 'Create key' }), created))
}

async function signOut() {
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrf() } }).catch(() => {})
  signedOut('Signed out.')
}

// ---------------------------------------------------------------- routing

const ROUTES = {
  synthesize: ['Synthesize', renderSynthesize],
  library: ['Library', renderLibrary],
  voices: ['Voices', renderVoices],
  usage: ['Usage', renderUsage],
  admin: ['Admin', renderAdmin, (u) => u.role === 'admin' || (u.scopes ?? []).includes('admin')],
  account: ['Account', renderAccount],
}

function renderNav() {
  const current = location.hash.slice(2).split('?')[0] || 'synthesize'
  nav.replaceChildren(h('ul', {}, Object.entries(ROUTES).filter(([, r]) => !r[2] || r[2](me)).map(([k, [label]]) =>
    h('li', {}, h('a', { href: `#/${k}`, text: label, 'aria-current': k === current ? 'page' : undefined })))))
  nav.hidden = false
}

async function route() {
  if (!me) return renderSignIn()
  const key = location.hash.slice(2).split('?')[0] || 'synthesize'
  const r = ROUTES[key] ?? ROUTES.synthesize
  renderNav()
  // A page the user may not use is never rendered (nor its API calls made), whatever the address says.
  if (r[2] && !r[2](me)) return page(r[0], h('p', { text: 'This page is for administrators.' }), h('p', {}, h('a', { href: '#/synthesize', text: 'Go to Synthesize' })))
  main.setAttribute('aria-busy', 'true')
  try { await r[1]() } catch (e) {
    if (!(e instanceof ApiFailure && e.status === 401 && !me)) page(r[0], h('p.error', { role: 'alert', text: `Could not load: ${e.message}` }))
  } finally { main.removeAttribute('aria-busy') }
}

async function start() {
  try {
    me = await api('GET', '/auth/me', { retried: false })
  } catch {
    me = null
  }
  if (!me && (await refreshSession())) me = await api('GET', '/auth/me').catch(() => null)
  account = me ? await loadAccount() : null
  $('#who').textContent = me ? myName() : ''
  if (!me) { nav.hidden = true; return renderSignIn() }
  if (!location.hash || location.hash === '#/signin') location.hash = '#/synthesize'
  else route()
}

window.addEventListener('hashchange', () => { if (me) route() })
start()
