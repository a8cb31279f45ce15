#!/usr/bin/env node
// Dev origin: a stand-in for CosyVoice's FastAPI server (runtime/python/fastapi/server.py), speaking
// its protocol and failing the way it fails (see docs/ORIGIN-PROTOCOL.md), with eSpeak-NG or a
// tone melody as the "model". Faithful by default; what tests need on top (fault directives,
// concurrency accounting, request recording under /__dev/) is explicit.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { verifyEdgeProof } from './origin-proof.mjs';

const MARKER = '<|endofprompt|>';
const RECORD_LIMIT = 500;
const CACHE_LIMIT = 200;
const MAX_WAIT_MS = 10 * 60 * 1000;
const MAX_REPEAT = 2000;
const TONE_SECONDS_PER_CHAR = 0.1;
const TONE_MAX_CHARS = 200;
const PROMPT_MIN_RATE = 16000;
const PROMPT_MAX_SECONDS = 30;
/** Peak below which a prompt holds nothing to clone (digital silence, or nearly). */
const PROMPT_SILENCE_PEAK = 64;
const MODELS = new Set(['cosyvoice3', 'cosyvoice2']);

// Field order matters: FastAPI lists missing fields in declaration order.
const ROUTES = {
  '/inference_sft': { mode: 'sft', fields: ['tts_text', 'spk_id'] },
  '/inference_zero_shot': { mode: 'zero_shot', fields: ['tts_text', 'prompt_text', 'prompt_wav'] },
  '/inference_cross_lingual': { mode: 'cross_lingual', fields: ['tts_text', 'prompt_wav'] },
  '/inference_instruct': { mode: 'instruct', fields: ['tts_text', 'spk_id', 'instruct_text'] },
  '/inference_instruct2': { mode: 'instruct2', fields: ['tts_text', 'instruct_text', 'prompt_wav'] },
};
const FILE_FIELDS = new Set(['prompt_wav']);

// eSpeak variant and pitch (0-99) for the speakers the README uses, so each one sounds different.
// Which of them (or which other names) an origin knows is its `speakers` option: none by default,
// like the CosyVoice2/3 downloads.
const SPEAKER_STYLES = {
  中文女: { variant: 'f3', pitch: 65, speed: 165 },
  中文男: { variant: 'm3', pitch: 38, speed: 165 },
  英文女: { variant: 'f2', pitch: 58, speed: 175 },
  英文男: { variant: 'm1', pitch: 32, speed: 175 },
  日语男: { variant: 'm2', pitch: 45, speed: 170 },
  粤语女: { variant: 'f4', pitch: 62, speed: 165, hanVoice: 'yue' },
  韩语女: { variant: 'f1', pitch: 70, speed: 170 },
};
export const PRESET_SPEAKERS = Object.keys(SPEAKER_STYLES);
const CLONE_VARIANTS = ['f1', 'f2', 'f3', 'f4', 'm1', 'm2', 'm3', 'm4'];

// empty: a complete 200 with no audio (the model yielded nothing). error: the model raises before
// any audio (200, then the connection closes without the last chunk). cut: the same after the
// first chunk. odd: a complete body of odd length. refuse: the connection closes before any
// response. error500: a 500 before the stream (an exception in the endpoint itself).
const FAULTS = new Set(['empty', 'error', 'cut', 'odd', 'refuse', 'error500']);
const DIRECTIVE = /\[\[dev:([a-z0-9_]+)(?:=(\d+))?\]\]/gi;
const RECORDED_HEADERS = ['x-request-id', 'x-user-id', 'x-user-role', 'x-edge-timestamp', 'x-edge-signature'];

/**
 * @typedef {'empty' | 'error' | 'cut' | 'odd' | 'refuse' | 'error500'} DevOriginFault
 *
 * @typedef {object} DevOriginOptions
 * @property {number} [port]  0 (default) picks a free port
 * @property {string} [host]  default 127.0.0.1
 * @property {string} [secret]  when set, every /inference_* call must carry a valid edge proof (dev/origin-proof.mjs)
 * @property {'espeak' | 'tone'} [engine]  default DEV_ORIGIN_ENGINE, else espeak
 * @property {'cosyvoice3' | 'cosyvoice2'} [model]  cosyvoice3 (default) asserts `<|endofprompt|>` in prompt text + text in every mode
 * @property {readonly string[]} [speakers]  preset speakers the model ships (default none, like the CosyVoice2/3 downloads)
 * @property {boolean} [directives]  honour `[[dev:…]]` directives in tts_text and `X-Dev-*` headers (default off: faithful)
 * @property {number} [maxConcurrent]  calls beyond this many at once are served but counted as violations
 * @property {number} [sampleRate]  default 24000
 * @property {DevOriginFault} [fault]  applies to every call until changed (`setFault`, or POST /__dev/fault)
 * @property {number} [delayMs]
 * @property {boolean | ((line: string) => void)} [log]
 *
 * @typedef {{ inFlight: number, maxInFlight: number, violations: number, total: number }} DevOriginStats
 *
 * @typedef {object} DevOrigin
 * @property {string} url
 * @property {number} port
 * @property {() => Promise<void>} close
 * @property {() => DevOriginStats} stats
 * @property {(requestId?: string) => any[]} requests  what it received, with the outcome of each call
 * @property {(fault: DevOriginFault | null) => void} setFault
 * @property {() => void} reset
 */

/**
 * Starts a dev origin; resolves once it listens.
 * @param {DevOriginOptions} [options]
 * @returns {Promise<DevOrigin>}
 */
export async function startOrigin({
  port = 0,
  host = '127.0.0.1',
  secret,
  engine = /** @type {'espeak' | 'tone'} */ (process.env.DEV_ORIGIN_ENGINE || 'espeak'),
  model = 'cosyvoice3',
  speakers = [],
  directives = false,
  maxConcurrent = Infinity,
  sampleRate = 24000,
  fault,
  delayMs = 0,
  log = false,
} = {}) {
  if (engine !== 'espeak' && engine !== 'tone') throw new Error(`unknown engine: ${engine}`);
  if (!MODELS.has(model)) throw new Error(`unknown model: ${model}`);
  if (fault !== undefined && !FAULTS.has(fault)) throw new Error(`unknown fault: ${fault}`);
  if (engine === 'espeak') await loadEspeak();
  const origin = {
    secret,
    model,
    speakers: new Map(speakers.map((name) => [name, SPEAKER_STYLES[name] ?? styleFromName(name)])),
    directives,
    maxConcurrent,
    defaults: { fault, delayMs },
    synthesize: createSynthesizer({ engine, sampleRate }),
    log: typeof log === 'function' ? log : log ? (line) => console.log(line) : () => {},
    seen: new Map(),
    // SHA-256 (hex) of prompt audio this "model" fails on, as a real one fails on some prompts an
    // edge cannot judge from the file (POST /__dev/reject-prompt).
    rejectedPrompts: new Set(),
    records: [],
    stats: { inFlight: 0, maxInFlight: 0, violations: 0, total: 0 },
  };

  const server = http.createServer((req, res) => {
    handleRequest(origin, req, res).catch((error) => failResponse(origin, res, error));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });

  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    stats: () => ({ ...origin.stats }),
    requests: (requestId) => findRecords(origin, requestId),
    setFault: (next) => setFault(origin, next),
    reset: () => resetOrigin(origin),
    close: () => closeServer(server),
  };
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve(undefined));
    server.closeAllConnections();
  });
}

function setFault(origin, fault) {
  if (fault !== undefined && fault !== null && !FAULTS.has(fault)) throw new Error(`unknown fault: ${fault}`);
  origin.defaults.fault = fault ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// Routing

async function handleRequest(origin, req, res) {
  const url = new URL(req.url, 'http://origin.invalid');
  const startedAt = Date.now();
  res.once('close', () => origin.log(accessLine(req, res, url, startedAt)));

  if (url.pathname.startsWith('/__dev/')) return handleDevRoute(origin, req, res, url);
  // FastAPI's own pages; there is no health route (GET /health is a 404).
  if (url.pathname === '/docs' && req.method === 'GET') return sendHtml(res, DOCS_PAGE);
  if (url.pathname === '/openapi.json' && req.method === 'GET') return sendJson(res, 200, openApi());

  const route = ROUTES[url.pathname];
  if (!route) return sendJson(res, 404, { detail: 'Not Found' });
  if (req.method !== 'GET' && req.method !== 'POST') {
    res.setHeader('allow', 'GET, POST');
    return sendJson(res, 405, { detail: 'Method Not Allowed' });
  }
  return handleInference(origin, route, req, res, url);
}

const DOCS_PAGE = '<!DOCTYPE html><html><head><title>FastAPI - Swagger UI</title></head><body><div id="swagger-ui"></div></body></html>';

function openApi() {
  const paths = Object.fromEntries(Object.keys(ROUTES).map((path) => [path, { get: {}, post: {} }]));
  return { openapi: '3.1.0', info: { title: 'FastAPI', version: '0.1.0' }, paths };
}

async function handleDevRoute(origin, req, res, url) {
  if (url.pathname === '/__dev/requests' && req.method === 'GET') {
    return sendJson(res, 200, findRecords(origin, url.searchParams.get('request_id')));
  }
  if (url.pathname === '/__dev/stats' && req.method === 'GET') {
    return sendJson(res, 200, origin.stats);
  }
  if (url.pathname === '/__dev/reset' && req.method === 'POST') {
    resetOrigin(origin);
    return sendJson(res, 200, { ok: true });
  }
  if (url.pathname === '/__dev/reject-prompt' && req.method === 'POST') {
    const body = await readJsonBody(req);
    if (!/^[0-9a-f]{64}$/.test(body?.sha256 ?? '')) return sendJson(res, 400, { detail: 'sha256 must be 64 hex digits' });
    origin.rejectedPrompts.add(body.sha256);
    return sendJson(res, 200, { rejected: origin.rejectedPrompts.size });
  }
  // The origin's default fault, for tests of a machine that breaks and recovers: {"fault": "error"}
  // or {"fault": null}.
  if (url.pathname === '/__dev/fault' && req.method === 'POST') {
    const body = await readJsonBody(req);
    if (!body || !('fault' in body)) return sendJson(res, 400, { detail: 'send {"fault": <fault or null>}' });
    try {
      setFault(origin, body.fault);
    } catch (error) {
      return sendJson(res, 400, { detail: /** @type {Error} */ (error).message });
    }
    return sendJson(res, 200, { fault: origin.defaults.fault ?? null });
  }
  return sendJson(res, 404, { detail: 'Not Found' });
}

async function readJsonBody(req) {
  try {
    return JSON.parse(await new Response(/** @type {ReadableStream} */ (Readable.toWeb(req))).text());
  } catch {
    return undefined;
  }
}

function accessLine(req, res, url, startedAt) {
  const record = res.record;
  const parts = [new Date().toISOString(), req.method, url.pathname, res.headersSent ? res.statusCode : '---'];
  if (record) parts.push(record.outcome, `${record.bytes}B`, `${record.chunks} chunks`);
  parts.push(`${Date.now() - startedAt}ms`);
  if (req.headers['x-request-id']) parts.push(`rid=${req.headers['x-request-id']}`);
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Inference: proof -> admission -> form -> validation -> faults -> model -> stream

async function handleInference(origin, route, req, res, url) {
  const record = startRecord(origin, req, url);
  res.record = record;

  if (origin.secret) {
    const proof = verifyEdgeProof({
      secret: origin.secret,
      method: req.method,
      path: url.pathname,
      headers: req.headers,
      seen: origin.seen,
    });
    record.proofOk = proof.ok;
    if (!proof.ok) {
      record.outcome = `unauthorized:${proof.reason}`;
      return sendJson(res, 401, { detail: `edge proof ${proof.reason}` });
    }
  }
  admit(origin, res);

  const form = await readForm(req);
  if (!form) {
    record.outcome = 'bad-body';
    return sendJson(res, 400, { detail: 'There was an error parsing the body' });
  }
  recordForm(record, form);

  const errors = validateForm(route, form);
  if (errors.length > 0) {
    record.outcome = 'invalid';
    return sendJson(res, 422, { detail: errors });
  }

  const { text, directives } = origin.directives ? extractDirectives(form.fields.tts_text) : { text: form.fields.tts_text, directives: {} };
  const plan = faultPlan(origin.directives ? req.headers : {}, directives, origin.defaults);
  if (plan.fault === 'refuse') {
    record.outcome = 'fault:refuse';
    return req.socket.destroy();
  }
  if (plan.fault === 'error500') {
    record.outcome = 'fault:error500';
    await wait(res, plan.delayMs);
    return sendJson(res, 500, { detail: 'Internal Server Error' });
  }

  // From here on the real server has already sent 200 (StreamingResponse, before the model runs):
  // a model that raises closes the connection without the terminating chunk.
  res.writeHead(200);
  res.flushHeaders();
  await wait(res, plan.delayMs);

  const synthesis =
    plan.fault === 'empty'
      ? { empty: 'fault:empty' }
      : plan.fault === 'error'
        ? { error: 'fault:error' }
        : planSynthesis(origin, route.mode, { ...form, fields: { ...form.fields, tts_text: text } });
  if (synthesis.error !== undefined) return modelError(res, record, synthesis.error);
  if (synthesis.empty !== undefined) {
    record.outcome = synthesis.empty;
    return res.end();
  }
  return streamAudio(origin, res, record, synthesis, plan);
}

/** The model raised after the 200: uvicorn closes the connection, the chunked body has no end. */
function modelError(res, record, reason) {
  record.outcome = record.bytes > 0 ? `model-error-after-audio:${reason}` : `model-error:${reason}`;
  res.destroy();
}

async function streamAudio(origin, res, record, /** @type {{ segments: any[], style: any }} */ { segments, style }, plan) {
  record.outcome = 'streaming';
  let first = true;
  for (let round = 0; round < plan.repeat; round += 1) {
    for (const segment of segments) {
      if (!first) await wait(res, plan.gapMs);
      first = false;
      if (res.destroyed) return abandon(record);

      let pcm;
      try {
        pcm = await origin.synthesize(segment, style);
      } catch (error) {
        return modelError(res, record, `synthesis:${/** @type {Error} */ (error).message}`);
      }
      if (!(await writeChunk(res, pcm))) return abandon(record);
      record.bytes += pcm.length;
      record.chunks += 1;

      if (plan.fault === 'cut' && record.chunks >= plan.cutAfter) return modelError(res, record, 'fault:cut');
    }
  }
  if (plan.fault === 'odd') {
    await writeChunk(res, Buffer.from([0]));
    record.bytes += 1;
    record.chunks += 1;
  }
  record.outcome = plan.fault === 'odd' ? 'fault:odd' : 'audio';
  res.end();
}

function abandon(record) {
  record.outcome = 'client-closed';
}

// ---------------------------------------------------------------------------------------------
// Concurrency accounting: the real server synthesizes one request at a time.

function admit(origin, res) {
  const { stats } = origin;
  if (stats.inFlight >= origin.maxConcurrent) stats.violations += 1;
  stats.inFlight += 1;
  stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    stats.inFlight -= 1;
  };
  res.once('finish', release);
  res.once('close', release);
}

// ---------------------------------------------------------------------------------------------
// Form parsing and FastAPI-style validation

async function readForm(req) {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(contentType)) {
    return { fields: {}, files: {} };
  }
  let formData;
  try {
    // duplex: a streamed request body (Node's fetch requires it; the DOM typings do not know it yet).
    const init = /** @type {RequestInit} */ ({ method: 'POST', headers: { 'content-type': contentType }, body: Readable.toWeb(req), duplex: 'half' });
    formData = await new Request(`http://origin.invalid${req.url}`, init).formData();
  } catch {
    return null;
  }

  const form = { fields: {}, files: {} };
  for (const [name, value] of formData) {
    if (typeof value === 'string') {
      form.fields[name] = value;
    } else {
      const bytes = Buffer.from(await value.arrayBuffer());
      form.files[name] = { bytes, filename: value.name, type: value.type };
    }
  }
  return form;
}

// FastAPI treats an empty string in a Form() field as absent.
function validateForm(route, { fields, files }) {
  const errors = [];
  for (const name of route.fields) {
    const loc = ['body', name];
    if (FILE_FIELDS.has(name)) {
      if (files[name]) continue;
      if (fields[name]) {
        errors.push({
          type: 'value_error',
          loc,
          msg: "Value error, Expected UploadFile, received: <class 'str'>",
          input: fields[name],
          ctx: { error: {} },
        });
      } else {
        errors.push({ type: 'missing', loc, msg: 'Field required', input: null });
      }
    } else if (!fields[name]) {
      errors.push(files[name] ? { type: 'string_type', loc, msg: 'Input should be a valid string', input: null } : { type: 'missing', loc, msg: 'Field required', input: null });
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Faults (explicit extras): header > [[dev:...]] directive in tts_text > origin default. Headers and
// directives are read only when the origin was started with `directives: true`.

function extractDirectives(ttsText) {
  const directives = {};
  const text = ttsText.replace(DIRECTIVE, (_, name, value) => {
    directives[name.toLowerCase()] = value === undefined ? true : Number(value);
    return '';
  });
  return { text, directives };
}

function faultPlan(headers, directives, defaults) {
  // `cut` may say after how many chunks: [[dev:cut=40]] (default 1).
  const directiveFault = [...FAULTS].find((name) => directives[name] === true || (name === 'cut' && typeof directives.cut === 'number'));
  const requested = String(headers['x-dev-fault'] ?? '')
    .trim()
    .toLowerCase();
  const headerFault = FAULTS.has(requested) ? requested : undefined;
  return {
    fault: headerFault ?? directiveFault ?? defaults.fault,
    delayMs: clampCount(headers['x-dev-delay-ms'] ?? directives.delay ?? defaults.delayMs, MAX_WAIT_MS),
    gapMs: clampCount(headers['x-dev-gap-ms'] ?? directives.gap ?? 0, MAX_WAIT_MS),
    repeat: Math.max(1, clampCount(headers['x-dev-repeat'] ?? directives.repeat ?? 1, MAX_REPEAT)),
    cutAfter: Math.max(1, clampCount(typeof directives.cut === 'number' ? directives.cut : 1, MAX_REPEAT * 100)),
  };
}

function clampCount(value, max) {
  const number = Math.floor(Number(value));
  return Number.isFinite(number) ? Math.min(Math.max(number, 0), max) : 0;
}

// ---------------------------------------------------------------------------------------------
// The "model": decides what gets spoken, or how it fails. `error` is a model exception (the
// connection is cut after the 200); `empty` is a model that yields nothing (a complete empty 200).

function planSynthesis(origin, mode, { fields, files }) {
  // CosyVoice2/3's inference_instruct asserts: only CosyVoice1 has that mode.
  if (mode === 'instruct') return { error: 'instruct-unsupported' };

  // CosyVoice3's LLM asserts the marker is in prompt text + text, in every mode (llm.py).
  const promptText = { zero_shot: fields.prompt_text, instruct2: fields.instruct_text }[mode] ?? '';
  if (origin.model === 'cosyvoice3' && !`${promptText}${fields.tts_text}`.includes(MARKER)) {
    return { error: 'no-endofprompt' };
  }

  let style;
  if (mode === 'sft') {
    style = origin.speakers.get(fields.spk_id);
    if (!style) return { error: 'unknown-speaker' }; // KeyError in the speaker table
  } else {
    const prompt = files.prompt_wav.bytes;
    const problem = promptAudioProblem(prompt);
    if (problem) return { error: problem };
    if (origin.rejectedPrompts.has(createHash('sha256').update(prompt).digest('hex'))) return { error: 'prompt-rejected' };
    style = styleFromPrompt(prompt);
    if (mode === 'instruct2') style = applyInstruction(style, fields.instruct_text);
  }

  const segments = segmentText(fields.tts_text);
  if (segments.length === 0) return { empty: 'empty:no-text' };
  return { segments, style };
}

// Text holding both `<|` and `|>` skips upstream's text normalisation, sentence splitting included:
// it is synthesized as one chunk.
function segmentText(ttsText) {
  const spoken = speakableText(ttsText);
  if (ttsText.includes('<|') && ttsText.includes('|>')) {
    return /[\p{L}\p{N}]/u.test(spoken) ? [spoken.trim()] : [];
  }
  return splitSentences(spoken);
}

// Different prompt audio gives a different (but stable) voice; so does a speaker name without a style.
function styleFromPrompt(prompt) {
  return styleFromHash(createHash('sha256').update(prompt).digest());
}

function styleFromName(name) {
  return styleFromHash(createHash('sha256').update(`speaker:${name}`).digest());
}

function styleFromHash(digest) {
  const n = digest.readUInt32BE(0);
  return { variant: CLONE_VARIANTS[n % CLONE_VARIANTS.length], pitch: 30 + ((n >>> 8) % 41), speed: 170 };
}

function applyInstruction(style, instruction) {
  const styled = { ...style };
  if (/粤语|广东话|cantonese/i.test(instruction)) styled.hanVoice = 'yue';
  if (/快|fast|quick/i.test(instruction)) styled.speed = 220;
  if (/慢|slow/i.test(instruction)) styled.speed = 120;
  return styled;
}

// Drops the system prompt before the marker, and special tokens and tags eSpeak would read aloud.
function speakableText(ttsText) {
  const markerAt = ttsText.lastIndexOf(MARKER);
  const spoken = markerAt >= 0 ? ttsText.slice(markerAt + MARKER.length) : ttsText;
  return spoken.replace(/<\|[^|]*\|>|<\/?[a-z_]+>|\[[a-z_]+\]/gi, ' ');
}

function splitSentences(text) {
  const pieces = text.match(/[^。！？!?.；;\n]+[。！？!?.；;]*/g) ?? [];
  return pieces.map((piece) => piece.trim()).filter((piece) => /[\p{L}\p{N}]/u.test(piece));
}

// soundfile accepts WAV and FLAC; CosyVoice then wants >= 16 kHz and <= 30 s. A silent prompt has
// no speech to take tokens from: this stand-in model rejects it, the way the real one rejects
// prompts an edge cannot judge from the header (a valid file the model still fails on).
function promptAudioProblem(bytes) {
  const wav = parseWavHeader(bytes);
  const info = wav ?? parseFlacStreamInfo(bytes);
  if (!info) return 'prompt-not-wav-or-flac';
  if (info.sampleRate < PROMPT_MIN_RATE) return 'prompt-rate-below-16k';
  if (info.seconds > PROMPT_MAX_SECONDS) return 'prompt-longer-than-30s';
  if (wav && isSilentPcm16(bytes, wav)) return 'prompt-has-no-speech';
  return null;
}

function isSilentPcm16(bytes, wav) {
  if (wav.audioFormat !== 1 || wav.bitsPerSample !== 16) return false;
  for (let offset = wav.dataOffset; offset + 1 < wav.dataOffset + wav.dataLength; offset += 2) {
    if (Math.abs(bytes.readInt16LE(offset)) > PROMPT_SILENCE_PEAK) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Audio formats

function parseWavHeader(bytes) {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    return null;
  }
  let format;
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= bytes.length) {
      format = {
        audioFormat: bytes.readUInt16LE(body),
        channels: bytes.readUInt16LE(body + 2),
        sampleRate: bytes.readUInt32LE(body + 4),
        blockAlign: bytes.readUInt16LE(body + 12),
        bitsPerSample: bytes.readUInt16LE(body + 14),
      };
    }
    if (id === 'data') {
      if (!format?.blockAlign || !format.sampleRate) return null;
      // Streaming writers (eSpeak among them) may leave a placeholder size: trust the file length.
      const dataLength = Math.min(size, bytes.length - body);
      return { ...format, dataOffset: body, dataLength, seconds: dataLength / format.blockAlign / format.sampleRate };
    }
    offset = body + size + (size % 2);
  }
  return null;
}

function parseFlacStreamInfo(bytes) {
  if (bytes.length < 42 || bytes.toString('latin1', 0, 4) !== 'fLaC' || (bytes[4] & 0x7f) !== 0) return null;
  const info = 8; // 'fLaC' + metadata block header; STREAMINFO is always the first block.
  const sampleRate = (bytes[info + 10] << 12) | (bytes[info + 11] << 4) | (bytes[info + 12] >> 4);
  const totalSamples = (bytes[info + 13] & 0x0f) * 2 ** 32 + bytes.readUInt32BE(info + 14);
  if (!sampleRate) return null;
  return { sampleRate, seconds: totalSamples / sampleRate };
}

function wavToMonoSamples(bytes) {
  const wav = parseWavHeader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (wav?.audioFormat !== 1 || wav.bitsPerSample !== 16) throw new Error('unexpected eSpeak WAV');
  const view = new DataView(bytes.buffer, bytes.byteOffset + wav.dataOffset, wav.dataLength);
  const frames = Math.floor(wav.dataLength / wav.blockAlign);
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i += 1) samples[i] = view.getInt16(i * wav.blockAlign, true);
  return { samples, sampleRate: wav.sampleRate };
}

function resampleToPcm16le(samples, fromRate, toRate) {
  const length = Math.floor((samples.length * toRate) / fromRate);
  const out = Buffer.alloc(length * 2);
  const step = fromRate / toRate;
  for (let i = 0; i < length; i += 1) {
    const position = i * step;
    const left = Math.floor(position);
    const right = Math.min(left + 1, samples.length - 1);
    const fraction = position - left;
    out.writeInt16LE(Math.round(samples[left] * (1 - fraction) + samples[right] * fraction), i * 2);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Engines: eSpeak-NG (real speech) or a tone melody (fast, deterministic); both cached.

function createSynthesizer({ engine, sampleRate }) {
  const cache = new LruCache(CACHE_LIMIT);
  const render = engine === 'tone' ? async (segment, style) => toneMelody(segment, style, sampleRate) : serialize((segment, style) => espeakSegment(segment, style, sampleRate));

  return async (segment, style) => {
    const key = [engine, sampleRate, style.variant, style.pitch, style.speed, style.hanVoice, segment].join('\u0000');
    let pcm = cache.get(key);
    if (!pcm) {
      pcm = await render(segment, style);
      cache.set(key, pcm);
    }
    return pcm;
  };
}

// Imported lazily: espeak-ng is a devDependency and the tone engine does not need it.
async function loadEspeak() {
  try {
    return (await import('espeak-ng')).default;
  } catch (error) {
    throw new Error(`espeak-ng is not installed (npm install, or use the tone engine): ${/** @type {Error} */ (error).message}`);
  }
}

async function espeakSegment(segment, style, sampleRate) {
  const ESpeakNg = await loadEspeak();
  const voice = `${espeakLanguage(segment, style)}+${style.variant}`;
  const args = ['-w', 'out.wav', '-v', voice, '-p', String(style.pitch), '-s', String(style.speed), '--', segment];
  const quiet = () => {};
  const espeak = await ESpeakNg({ arguments: args, print: quiet, printErr: quiet });
  const { samples, sampleRate: espeakRate } = wavToMonoSamples(espeak.FS.readFile('out.wav'));
  return resampleToPcm16le(samples, espeakRate, sampleRate);
}

function espeakLanguage(text, style) {
  if (/[\u3040-\u30ff]/.test(text)) return 'ja';
  if (/[\u1100-\u11ff\uac00-\ud7af]/.test(text)) return 'ko';
  if (/\p{Script=Han}/u.test(text)) return style.hanVoice ?? 'cmn';
  return 'en-us';
}

const PENTATONIC = [0, 2, 4, 7, 9, 12, 14, 16, 19, 21];

// One note per character (a rest for spaces and punctuation), pitch picked by the code point.
function toneMelody(text, style, sampleRate) {
  const chars = [...text].slice(0, TONE_MAX_CHARS);
  const noteLength = Math.round(sampleRate * TONE_SECONDS_PER_CHAR);
  const fade = Math.round(sampleRate * 0.01);
  const base = 110 * 2 ** (style.pitch / 40);
  const out = Buffer.alloc(chars.length * noteLength * 2);
  chars.forEach((char, index) => {
    if (!/[\p{L}\p{N}]/u.test(char)) return;
    const frequency = base * 2 ** (PENTATONIC[char.codePointAt(0) % PENTATONIC.length] / 12);
    for (let n = 0; n < noteLength; n += 1) {
      const envelope = Math.min(1, n / fade, (noteLength - n) / fade);
      const value = Math.sin((2 * Math.PI * frequency * n) / sampleRate) * envelope * 0.3 * 32767;
      out.writeInt16LE(Math.round(value), (index * noteLength + n) * 2);
    }
  });
  return out;
}

// eSpeak's WASM build keeps global state: one call at a time.
function serialize(fn) {
  let queue = Promise.resolve();
  return (...args) => {
    const run = queue.then(() => fn(...args));
    queue = run.catch(() => {});
    return run;
  };
}

class LruCache {
  constructor(limit) {
    this.limit = limit;
    this.map = new Map();
  }

  get(key) {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key, value) {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value);
  }
}

// ---------------------------------------------------------------------------------------------
// Recording

function startRecord(origin, req, url) {
  const headers = {};
  for (const name of RECORDED_HEADERS) {
    if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  }
  const record = {
    path: url.pathname,
    method: req.method,
    at: Date.now(),
    headers,
    fields: {},
    files: {},
    proofOk: origin.secret ? false : null,
    outcome: 'received',
    bytes: 0,
    chunks: 0,
  };
  origin.stats.total += 1;
  origin.records.push(record);
  if (origin.records.length > RECORD_LIMIT) origin.records.shift();
  return record;
}

function recordForm(record, { fields, files }) {
  record.fields = { ...fields };
  for (const [name, file] of Object.entries(files)) {
    const sha256 = createHash('sha256').update(file.bytes).digest('hex');
    record.files[name] = { size: file.bytes.length, sha256, type: file.type, filename: file.filename };
  }
}

function findRecords(origin, requestId) {
  if (!requestId) return origin.records;
  return origin.records.filter((record) => record.headers['x-request-id'] === requestId);
}

// In-flight requests keep counting (and release their slot later), so inFlight is kept.
function resetOrigin(origin) {
  const { stats } = origin;
  Object.assign(stats, { maxInFlight: stats.inFlight, violations: 0, total: 0 });
  origin.records.length = 0;
}

// ---------------------------------------------------------------------------------------------
// Response helpers

function sendJson(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function sendHtml(res, html) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

function writeChunk(res, chunk) {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = () => resolve(false);
    res.once('close', onClose);
    res.write(chunk, (error) => {
      res.off('close', onClose);
      resolve(!error);
    });
  });
}

function wait(res, ms) {
  if (!ms || res.destroyed) return Promise.resolve();
  const abort = new AbortController();
  const onClose = () => abort.abort();
  res.once('close', onClose);
  return sleep(ms, undefined, { signal: abort.signal })
    .catch(() => {})
    .finally(() => res.off('close', onClose));
}

function failResponse(origin, res, error) {
  origin.log(`dev origin error: ${error.stack ?? error}`);
  if (res.record) res.record.outcome = `error:${error.message}`;
  if (res.headersSent) return res.destroy();
  sendJson(res, 500, { detail: 'Internal Server Error' });
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage: node dev/origin.mjs [--port 50000] [--host 127.0.0.1] [--engine espeak|tone]
                          [--model cosyvoice3|cosyvoice2] [--speakers 中文女,英文女|presets]
                          [--dev-directives] [--max-concurrent N] [--sample-rate 24000]
                          [--fault empty|error|cut|odd|refuse|error500] [--delay-ms N]
Faithful to the stock server by default: no preset speakers, no [[dev:…]] directives.
--speakers presets = ${PRESET_SPEAKERS.join(',')}
env: ORIGIN_SECRET (enables the edge proof check), DEV_ORIGIN_ENGINE`;

function parseCliArgs(argv) {
  const options = { port: 50000, log: true, secret: process.env.ORIGIN_SECRET || undefined };
  const numeric = { '--port': 'port', '--max-concurrent': 'maxConcurrent', '--sample-rate': 'sampleRate', '--delay-ms': 'delayMs' };
  const text = { '--host': 'host', '--engine': 'engine', '--fault': 'fault', '--model': 'model', '--speakers': 'speakers' };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (flag === '--help' || flag === '-h') return null;
    if (flag === '--dev-directives') {
      options.directives = true;
      continue;
    }
    if (!numeric[flag] && !text[flag]) throw new Error(`unknown option: ${flag}`);
    i += inline === undefined ? 1 : 0;
    const value = inline ?? argv[i];
    if (value === undefined) throw new Error(`missing value for ${flag}`);
    if (text[flag]) options[text[flag]] = value;
    else if (Number.isFinite(Number(value))) options[numeric[flag]] = Number(value);
    else throw new Error(`${flag} needs a number, got ${value}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, got ${options.port}`);
  options.engine ??= process.env.DEV_ORIGIN_ENGINE || undefined;
  if (options.engine !== undefined && options.engine !== 'espeak' && options.engine !== 'tone') throw new Error(`unknown engine: ${options.engine} (espeak or tone)`);
  if (options.fault && !FAULTS.has(options.fault)) throw new Error(`unknown fault: ${options.fault}`);
  if (options.model && !MODELS.has(options.model)) throw new Error(`unknown model: ${options.model}`);
  if (options.speakers !== undefined) options.speakers = parseSpeakers(options.speakers);
  return options;
}

function parseSpeakers(value) {
  if (value === 'presets') return PRESET_SPEAKERS;
  return value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

async function main() {
  let options;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${/** @type {Error} */ (error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (!options) return console.log(USAGE);

  let origin;
  try {
    origin = await startOrigin(options);
  } catch (error) {
    // A port in use, an address that is not this machine's: one line, not a stack.
    console.error(`dev origin: ${/** @type {Error} */ (error).message}`);
    process.exit(1);
  }
  const engine = options.engine ?? 'espeak';
  const details = [
    `engine ${engine}`,
    options.model ?? 'cosyvoice3',
    `speakers ${options.speakers?.length ? options.speakers.join(',') : 'none'}`,
    options.directives ? 'dev directives on' : null,
    `edge proof ${options.secret ? 'required' : 'off'}`,
    `max-concurrent ${options.maxConcurrent ?? 'unlimited'}`,
    `${options.sampleRate ?? 24000} Hz`,
    options.fault ? `fault ${options.fault}` : null,
  ].filter(Boolean);
  console.log(`dev origin listening on ${origin.url} (${details.join(', ')})`);

  const shutdown = () => origin.close().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
