#!/usr/bin/env node
// Self-test for the dev origin: `node dev/origin.selftest.mjs` (exits non-zero on failure).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { PRESET_SPEAKERS, startOrigin } from './origin.mjs';
import { signEdgeProof, verifyEdgeProof } from './origin-proof.mjs';

const RATE = 24000;
const MARKER = '<|endofprompt|>';
const SYSTEM = `You are a helpful assistant.${MARKER}`;
const RAW_OUT = '/tmp/origin-out.raw';
const WAV_OUT = '/tmp/origin-out.wav';

// ---------------------------------------------------------------------------------------------
// Tiny harness

const results = [];
async function check(name, fn) {
  const started = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started}ms)${note ? ` - ${note}` : ''}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(
      `FAIL ${name}\n     ${String(/** @type {Error} */ (error).stack ?? error)
        .split('\n')
        .slice(0, 6)
        .join('\n     ')}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Clients: a raw HTTP/1.1 client that sees the chunk framing, and plain fetch

async function encodeForm(fields) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value instanceof Uint8Array) form.set(name, new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (value)], { type: 'audio/wav' }), `${name}.wav`);
    else form.set(name, value);
  }
  const request = new Request('http://x/', { method: 'POST', body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type') };
}

/**
 * @param {{ url: string }} origin
 * @param {string} path
 * @param {{ method?: string, fields?: Record<string, string | Uint8Array>, headers?: Record<string, string> }} [request]
 */
async function raw(origin, path, { method = 'POST', fields, headers = {} } = {}) {
  const { port } = new URL(origin.url);
  const encoded = fields ? await encodeForm(fields) : { body: Buffer.alloc(0) };
  const head = [
    `${method} ${path} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    'connection: close',
    `content-length: ${encoded.body.length}`,
    ...(encoded.contentType ? [`content-type: ${encoded.contentType}`] : []),
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');

  const started = Date.now();
  const received = await new Promise((resolve, reject) => {
    const parts = [];
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), encoded.body])));
    socket.on('data', (data) => parts.push(data));
    socket.on('error', (/** @type {NodeJS.ErrnoException} */ error) => (error.code === 'ECONNRESET' ? resolve(Buffer.concat(parts)) : reject(error)));
    socket.on('close', () => resolve(Buffer.concat(parts)));
  });
  return { ...parseResponse(received), elapsed: Date.now() - started };
}

function parseResponse(bytes) {
  const headerEnd = bytes.indexOf('\r\n\r\n');
  if (headerEnd < 0) return { status: 0, headers: {}, chunks: [], body: Buffer.alloc(0), complete: false };
  const [statusLine, ...lines] = bytes.toString('latin1', 0, headerEnd).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  const rest = bytes.subarray(headerEnd + 4);
  const framing = headers['transfer-encoding'] === 'chunked' ? parseChunked(rest) : { chunks: [rest], complete: true };
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    ...framing,
    body: Buffer.concat(framing.chunks),
  };
}

function parseChunked(bytes) {
  const chunks = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset);
    if (lineEnd < 0) return { chunks, complete: false };
    const size = parseInt(bytes.toString('latin1', offset, lineEnd).split(';')[0], 16);
    if (size === 0) return { chunks, complete: true };
    const start = lineEnd + 2;
    if (start + size + 2 > bytes.length) return { chunks, complete: false };
    chunks.push(bytes.subarray(start, start + size));
    offset = start + size + 2;
  }
}

async function post(origin, path, fields, headers = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value instanceof Uint8Array) form.set(name, new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (value)], { type: 'audio/wav' }), `${name}.wav`);
    else form.set(name, value);
  }
  return fetch(origin.url + path, { method: 'POST', body: form, headers });
}

async function json(origin, path, init) {
  const response = await fetch(origin.url + path, init);
  return { status: response.status, body: await response.json() };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function makeWav({ sampleRate = 16000, seconds = 1, frequency = 220 } = {}) {
  const frames = Math.round(sampleRate * seconds);
  const wav = Buffer.alloc(44 + frames * 2);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + frames * 2, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(frames * 2, 40);
  for (let i = 0; i < frames; i += 1) {
    wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequency * i) / sampleRate) * 8000), 44 + i * 2);
  }
  return wav;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function assertAudio(response, { minSeconds = 0.3 } = {}) {
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], undefined, 'no content-type');
  assert.equal(response.headers['content-length'], undefined, 'no content-length');
  assert.equal(response.headers['transfer-encoding'], 'chunked');
  assert.ok(response.complete, 'stream ends with the terminating chunk');
  assert.equal(response.body.length % 2, 0, 'even length');
  assert.ok(response.body.length > RATE * 2 * minSeconds, `more than ${minSeconds}s (${response.body.length} bytes)`);
}

/** A model exception after the 200: chunked, then the connection closes without the last chunk. */
function assertModelError(response, { audioBytes = 0 } = {}) {
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], undefined);
  assert.equal(response.headers['transfer-encoding'], 'chunked');
  assert.equal(response.complete, false, 'no terminating chunk');
  if (audioBytes === 0) assert.equal(response.body.length, 0, 'no audio');
  else assert.ok(response.body.length >= audioBytes, 'some audio before the cut');
}

function assertEmpty(response) {
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], undefined);
  assert.equal(response.headers['transfer-encoding'], 'chunked');
  assert.ok(response.complete);
  assert.equal(response.body.length, 0);
}

function rms(pcm) {
  let sum = 0;
  for (let i = 0; i < pcm.length; i += 2) sum += pcm.readInt16LE(i) ** 2;
  return Math.sqrt(sum / (pcm.length / 2)) / 32768;
}

function missing(...names) {
  return { detail: names.map((name) => ({ type: 'missing', loc: ['body', name], msg: 'Field required', input: null })) };
}

/**
 * @param {string} secret
 * @param {{ path: string, method?: string, requestId?: string, timestamp?: number, userId?: string, role?: string }} proof
 */
function proofHeaders(secret, { path, method = 'POST', requestId = randomUUID(), timestamp, userId = 'user-1', role = 'member' }) {
  const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
  return {
    'x-request-id': requestId,
    'x-user-id': userId,
    'x-user-role': role,
    'x-edge-timestamp': ts,
    'x-edge-signature': signEdgeProof({ secret, timestamp: ts, method, path, requestId, userId, role }),
  };
}

// ---------------------------------------------------------------------------------------------
// Faithful by default

const stock = await startOrigin({ engine: 'tone' });

await check('default origin is the stock server: no speakers, no directives, no /health, /docs 200', async () => {
  assert.deepEqual(await json(stock, '/health'), { status: 404, body: { detail: 'Not Found' } });
  const docs = await fetch(`${stock.url}/docs`);
  assert.equal(docs.status, 200);
  assert.match(await docs.text(), /swagger/i);
  assertModelError(await raw(stock, '/inference_sft', { fields: { tts_text: `${SYSTEM}Hello.`, spk_id: '中文女' } }));
  // A directive is just text to the real model: spoken, not obeyed.
  const spoken = await raw(stock, '/inference_cross_lingual', { fields: { tts_text: `${SYSTEM}Hi.[[dev:empty]]`, prompt_wav: makeWav() } });
  assertAudio(spoken);
  assert.equal(stock.requests().at(-1).outcome, 'audio');
});

await check('a model error is 200 + chunked + a cut connection; fetch sees a failed body read', async () => {
  const response = await post(stock, '/inference_sft', { tts_text: 'no marker here.', spk_id: 'x' });
  assert.equal(response.status, 200);
  await assert.rejects(response.arrayBuffer());
  assert.equal(stock.requests().at(-1).outcome, 'model-error:no-endofprompt');
});

await check('POST /__dev/fault sets the default fault until cleared', async () => {
  const fields = { tts_text: `${SYSTEM}Hi.`, prompt_wav: makeWav() };
  assert.deepEqual(await json(stock, '/__dev/fault', { method: 'POST', body: JSON.stringify({ fault: 'error' }) }), { status: 200, body: { fault: 'error' } });
  assertModelError(await raw(stock, '/inference_cross_lingual', { fields }));
  assert.deepEqual(await json(stock, '/__dev/fault', { method: 'POST', body: JSON.stringify({ fault: null }) }), { status: 200, body: { fault: null } });
  assertAudio(await raw(stock, '/inference_cross_lingual', { fields }), { minSeconds: 0.2 });
  assert.equal((await json(stock, '/__dev/fault', { method: 'POST', body: '{"fault":"melt"}' })).status, 400);
  assert.equal((await json(stock, '/__dev/fault', { method: 'POST', body: 'nope' })).status, 400);
});

await stock.close();

// ---------------------------------------------------------------------------------------------
// espeak origin (CosyVoice3, the presets, directives on)

const origin = await startOrigin({ speakers: PRESET_SPEAKERS, directives: true });
const prompt = makeWav();
const sft = (text, spk = '中文女', headers) => raw(origin, '/inference_sft', { fields: { tts_text: `${SYSTEM}${text}`, spk_id: spk }, headers });

let reference;
await check('sft 中文女: 200, chunked, no content-type/length, one chunk (the marker skips normalisation), audible', async () => {
  const response = await sft('你好，世界。Hello there.');
  assertAudio(response, { minSeconds: 0.5 });
  assert.equal(response.chunks.length, 1, 'text with <|…|> is one segment upstream');
  assert.ok(rms(response.body) > 0.02, `rms ${rms(response.body).toFixed(3)}`);
  writeFileSync(RAW_OUT, response.body);
  reference = response.body;
  return `${response.body.length} bytes = ${(response.body.length / 2 / RATE).toFixed(2)}s`;
});

await check('audio differs by speaker and by text; repeats are cached and identical', async () => {
  const male = await sft('你好，世界。Hello there.', '中文男');
  assertAudio(male);
  assert.notDeepEqual(male.body, reference);
  const other = await sft('今天天气很好。Good morning.');
  assertAudio(other);
  assert.notDeepEqual(other.body, reference);
  const again = await sft('你好，世界。Hello there.');
  assert.deepEqual(again.body, reference);
  return `cached repeat took ${again.elapsed}ms`;
});

await check('GET is accepted like POST', async () => {
  const response = await raw(origin, '/inference_sft', { method: 'GET', fields: { tts_text: `${SYSTEM}Hello there.`, spk_id: '英文男' } });
  assertAudio(response);
});

await check('model errors (cut after the 200): unknown speaker, sft without marker, /inference_instruct', async () => {
  assertModelError(await sft('你好。', '不存在'));
  assertModelError(await raw(origin, '/inference_sft', { fields: { tts_text: '你好。', spk_id: '中文女' } }));
  assertModelError(
    await raw(origin, '/inference_instruct', {
      fields: { tts_text: `${SYSTEM}你好。`, spk_id: '中文女', instruct_text: '开心' },
    }),
  );
  assert.deepEqual(
    origin
      .requests()
      .slice(-3)
      .map((r) => r.outcome),
    ['model-error:unknown-speaker', 'model-error:no-endofprompt', 'model-error:instruct-unsupported'],
  );
});

await check('text of punctuation only: a complete, empty 200', async () => {
  assertEmpty(await sft('。。！'));
});

await check('missing fields -> 422 FastAPI shape (empty string counts as missing); unknown path -> 404', async () => {
  const onlyText = await json(origin, '/inference_sft', { method: 'POST', body: formOf({ tts_text: 'hi' }) });
  assert.deepEqual(onlyText, { status: 422, body: missing('spk_id') });
  const emptyText = await json(origin, '/inference_sft', { method: 'POST', body: formOf({ tts_text: '', spk_id: '中文女' }) });
  assert.deepEqual(emptyText, { status: 422, body: missing('tts_text') });
  const noBody = await json(origin, '/inference_zero_shot', { method: 'POST' });
  assert.deepEqual(noBody, { status: 422, body: missing('tts_text', 'prompt_text', 'prompt_wav') });
  assert.deepEqual(await json(origin, '/nope'), { status: 404, body: { detail: 'Not Found' } });
  assert.deepEqual(await json(origin, '/health'), { status: 404, body: { detail: 'Not Found' } });
});

function formOf(fields) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return form;
}

await check('fault empty (header and directive) -> 200 empty; fault error -> model error', async () => {
  assertEmpty(await sft('Hello there.', '英文女', { 'x-dev-fault': 'empty' }));
  assertEmpty(await sft('[[dev:empty]]Hello there.', '英文女'));
  assertModelError(await sft('Hello there.', '英文女', { 'x-dev-fault': 'error' }));
  assertModelError(await sft('[[dev:error]]Hello there.', '英文女'));
});

await check('fault cut -> first chunk, then a broken stream; fetch body read rejects', async () => {
  const response = await sft('[[dev:repeat=3]]Hello there.', '英文女', { 'x-dev-fault': 'cut' });
  assertModelError(response, { audioBytes: 2 });
  assert.equal(response.chunks.length, 1);
  const fetched = await post(origin, '/inference_sft', { tts_text: `${SYSTEM}[[dev:cut]]你好，世界。Hello there.`, spk_id: '中文女' });
  assert.equal(fetched.status, 200);
  await assert.rejects(fetched.arrayBuffer());
});

await check('fault odd -> complete stream with odd length', async () => {
  const response = await sft('Hello there.', '英文女', { 'x-dev-fault': 'odd' });
  assert.equal(response.status, 200);
  assert.ok(response.complete);
  assert.equal(response.body.length % 2, 1);
  const viaDirective = await sft('[[dev:odd]]Hello there.', '英文女');
  assert.equal(viaDirective.body.length % 2, 1);
});

await check('fault refuse -> connection closed without a response', async () => {
  const response = await sft('Hello there.', '英文女', { 'x-dev-fault': 'refuse' });
  assert.equal(response.status, 0);
  await assert.rejects(post(origin, '/inference_sft', { tts_text: `${SYSTEM}[[dev:refuse]]Hello.`, spk_id: '英文女' }));
});

await check('fault error500 -> 500 JSON', async () => {
  const response = await post(origin, '/inference_sft', { tts_text: `${SYSTEM}Hello.`, spk_id: '英文女' }, { 'x-dev-fault': 'error500' });
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), { detail: 'Internal Server Error' });
  const viaDirective = await post(origin, '/inference_sft', { tts_text: `${SYSTEM}[[dev:error500]]Hello.`, spk_id: '英文女' });
  assert.equal(viaDirective.status, 500);
});

await check('delay, gap and repeat directives; directives are not spoken', async () => {
  const plain = await sft('Hello there.', '英文女');
  const delayed = await sft('Hello there.', '英文女', { 'x-dev-delay-ms': '400' });
  assert.ok(delayed.elapsed >= 400, `elapsed ${delayed.elapsed}`);
  assert.deepEqual(delayed.body, plain.body);
  const viaDirective = await sft('[[dev:delay=300]]Hello there.', '英文女');
  assert.ok(viaDirective.elapsed >= 300);
  assert.deepEqual(viaDirective.body, plain.body);
  const gapped = await sft('[[dev:gap=300]][[dev:repeat=2]]Hello there.', '英文女');
  assert.ok(gapped.elapsed >= 300);
  assert.deepEqual(gapped.body, Buffer.concat([plain.body, plain.body]));
  const repeated = await sft('[[dev:repeat=4]]Hello there.', '英文女');
  assert.equal(repeated.chunks.length, 4);
  assert.deepEqual(repeated.body, Buffer.concat(Array(4).fill(plain.body)));
  return `delay ${delayed.elapsed}ms, gap ${gapped.elapsed}ms, repeat x4 ${repeated.elapsed}ms`;
});

await check('zero_shot: no marker -> model error; marker + WAV -> audio, a chunk per sentence; recorded prompt sha256', async () => {
  const requestId = randomUUID();
  const noMarker = await raw(origin, '/inference_zero_shot', {
    fields: { tts_text: 'Good morning.', prompt_text: 'Hello.', prompt_wav: prompt },
  });
  assertModelError(noMarker);
  const withMarker = await raw(origin, '/inference_zero_shot', {
    fields: { tts_text: 'Good morning. Good night.', prompt_text: `${SYSTEM}Hello.`, prompt_wav: prompt },
    headers: { 'x-request-id': requestId },
  });
  assertAudio(withMarker);
  assert.equal(withMarker.chunks.length, 2, 'tts_text without <|…|> is split into sentences');
  const recorded = await json(origin, `/__dev/requests?request_id=${requestId}`);
  assert.equal(recorded.body.length, 1);
  const [entry] = recorded.body;
  assert.equal(entry.files.prompt_wav.sha256, sha256(prompt));
  assert.equal(entry.files.prompt_wav.size, prompt.length);
  assert.equal(entry.files.prompt_wav.filename, 'prompt_wav.wav');
  assert.equal(entry.fields.prompt_text, `${SYSTEM}Hello.`);
  assert.equal(entry.outcome, 'audio');
  return `sha256 ${entry.files.prompt_wav.sha256.slice(0, 16)}…`;
});

await check('prompt_wav must be WAV/FLAC, >= 16 kHz, <= 30 s, not silent, not one the model rejects (else a model error)', async () => {
  const fields = { tts_text: 'Good morning.', prompt_text: `${SYSTEM}Hello.` };
  const send = (prompt_wav) => raw(origin, '/inference_zero_shot', { fields: { ...fields, prompt_wav } });
  assertModelError(await send(Buffer.from('ID3 this is an mp3, honest')));
  assertModelError(await send(makeWav({ sampleRate: 8000 })));
  assertModelError(await send(makeWav({ seconds: 31 })));
  assertModelError(await send(makeWav({ frequency: 0 })));
  assert.equal(origin.requests().at(-1).outcome, 'model-error:prompt-has-no-speech');
  const rejected = makeWav({ frequency: 523 });
  assertAudio(await send(rejected));
  assert.deepEqual(await json(origin, '/__dev/reject-prompt', { method: 'POST', body: JSON.stringify({ sha256: sha256(rejected) }) }), { status: 200, body: { rejected: 1 } });
  assertModelError(await send(rejected));
  assert.equal(origin.requests().at(-1).outcome, 'model-error:prompt-rejected');
  assert.equal((await json(origin, '/__dev/reject-prompt', { method: 'POST', body: '{"sha256":"x"}' })).status, 400);
  const asText = await json(origin, '/inference_zero_shot', { method: 'POST', body: formOf({ ...fields, prompt_wav: 'x' }) });
  assert.equal(asText.status, 422);
});

await check('cross_lingual and instruct2: marker rule, system prompt stripped before speaking', async () => {
  const crossNoMarker = await raw(origin, '/inference_cross_lingual', { fields: { tts_text: 'Good morning.', prompt_wav: prompt } });
  assertModelError(crossNoMarker);
  const cross = await raw(origin, '/inference_cross_lingual', { fields: { tts_text: `${SYSTEM}Good morning.`, prompt_wav: prompt } });
  assertAudio(cross);
  const zeroShot = await raw(origin, '/inference_zero_shot', {
    fields: { tts_text: 'Good morning.', prompt_text: `${SYSTEM}Hello.`, prompt_wav: prompt },
  });
  assert.deepEqual(cross.body, zeroShot.body, 'same prompt, same spoken text => same audio');
  const otherPrompt = await raw(origin, '/inference_cross_lingual', {
    fields: { tts_text: `${SYSTEM}Good morning.`, prompt_wav: makeWav({ frequency: 330 }) },
  });
  assertAudio(otherPrompt);
  assert.notDeepEqual(otherPrompt.body, cross.body, 'another prompt => another voice');

  assertModelError(
    await raw(origin, '/inference_instruct2', {
      fields: { tts_text: '今天天气很好。', instruct_text: '请用广东话表达。', prompt_wav: prompt },
    }),
  );
  const instruct = await raw(origin, '/inference_instruct2', {
    fields: { tts_text: '今天天气很好。', instruct_text: `You are a helpful assistant. 请用广东话表达。${MARKER}`, prompt_wav: prompt },
  });
  assertAudio(instruct);
});

await check('stats and reset', async () => {
  const before = await json(origin, '/__dev/stats');
  assert.equal(before.body.inFlight, 0);
  assert.ok(before.body.total > 10);
  assert.equal(before.body.violations, 0);
  assert.deepEqual(await json(origin, '/__dev/reset', { method: 'POST' }), { status: 200, body: { ok: true } });
  assert.deepEqual((await json(origin, '/__dev/stats')).body, { inFlight: 0, maxInFlight: 0, violations: 0, total: 0 });
  assert.deepEqual((await json(origin, '/__dev/requests')).body, []);
  return JSON.stringify(before.body);
});

await check(`sox sees real audio in ${WAV_OUT}`, async () => {
  try {
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'sox not installed: skipped';
  }
  execFileSync('sox', ['-t', 'raw', '-r', String(RATE), '-e', 'signed', '-b', '16', '-c', '1', RAW_OUT, WAV_OUT]);
  // `sox ... stat` prints its report on stderr.
  const { stderr: stat, status } = spawnSync('sox', [WAV_OUT, '-n', 'stat'], { encoding: 'utf8' });
  assert.equal(status, 0, stat);
  return soxSummary(stat);
});

function soxSummary(stat) {
  const value = (label) => Number(stat.match(new RegExp(`${label}:\\s+(-?[\\d.]+)`))?.[1]);
  const length = value('Length \\(seconds\\)');
  const rmsAmplitude = value('RMS\\s+amplitude');
  assert.ok(rmsAmplitude > 0.02, `RMS amplitude ${rmsAmplitude}`);
  assert.ok(length > 0.5, `length ${length}`);
  return `length ${length}s, RMS amplitude ${rmsAmplitude}, max ${value('Maximum amplitude')}`;
}

await origin.close();

// ---------------------------------------------------------------------------------------------
// CosyVoice2: no marker assertion

const v2 = await startOrigin({ engine: 'tone', model: 'cosyvoice2', speakers: ['中文女'] });
await check('cosyvoice2: sft and instruct2 without a marker give audio, a chunk per sentence', async () => {
  const sftV2 = await raw(v2, '/inference_sft', { fields: { tts_text: '你好，世界。Hello there.', spk_id: '中文女' } });
  assertAudio(sftV2);
  assert.equal(sftV2.chunks.length, 2);
  assertAudio(await raw(v2, '/inference_instruct2', { fields: { tts_text: 'Good morning.', instruct_text: '用四川话说这句话', prompt_wav: makeWav() } }));
  assertModelError(await raw(v2, '/inference_sft', { fields: { tts_text: 'Hello.', spk_id: '英文女' } }), {});
});
await v2.close();

// ---------------------------------------------------------------------------------------------
// Edge proof (tone engine: fast)

const SECRET = 'dev-secret-for-selftest';
const guarded = await startOrigin({ secret: SECRET, engine: 'tone', speakers: ['英文女'] });
const sftFields = { tts_text: `${SYSTEM}Hello there.`, spk_id: '英文女' };

await check('proof: missing -> 401 required; valid -> 200; replay -> 401; old -> 401; tampered -> 401', async () => {
  const path = '/inference_sft';
  const send = (headers) => raw(guarded, path, { fields: sftFields, headers });
  const detail = (response) => JSON.parse(response.body.toString()).detail;

  const none = await send({});
  assert.equal(none.status, 401);
  assert.equal(detail(none), 'edge proof required');

  const headers = proofHeaders(SECRET, { path });
  assertAudio(await send(headers));

  const replay = await send(headers);
  assert.equal(replay.status, 401);
  assert.equal(detail(replay), 'edge proof replayed');

  const old = await send(proofHeaders(SECRET, { path, timestamp: Math.floor(Date.now() / 1000) - 120 }));
  assert.equal(old.status, 401);
  assert.equal(detail(old), 'edge proof expired');

  const wrongPath = await send(proofHeaders(SECRET, { path: '/inference_zero_shot' }));
  assert.equal(detail(wrongPath), 'edge proof invalid');
  const wrongRole = await send({ ...proofHeaders(SECRET, { path }), 'x-user-role': 'admin' });
  assert.equal(detail(wrongRole), 'edge proof invalid');
  const wrongSecret = await send(proofHeaders('not-the-secret', { path }));
  assert.equal(detail(wrongSecret), 'edge proof invalid');

  const recorded = (await json(guarded, `/__dev/requests?request_id=${headers['x-request-id']}`)).body;
  assert.deepEqual(
    recorded.map((entry) => [entry.proofOk, entry.outcome]),
    [
      [true, 'audio'],
      [false, 'unauthorized:replayed'],
    ],
  );
  assert.equal(recorded[0].headers['x-user-id'], 'user-1');
  assert.equal(recorded[0].headers['x-user-role'], 'member');
});

await check('verifyEdgeProof as a function (window edges, pruning)', async () => {
  const seen = new Map();
  const headers = proofHeaders(SECRET, { path: '/inference_sft', timestamp: 1000, requestId: 'r1' });
  const verify = (now, extra = {}) => verifyEdgeProof({ secret: SECRET, method: 'POST', path: '/inference_sft', headers, now, seen, ...extra });
  assert.deepEqual(verify(1060), { ok: true });
  assert.deepEqual(verify(1060), { ok: false, reason: 'replayed' });
  assert.deepEqual(verify(1061), { ok: false, reason: 'expired' });
  assert.equal(seen.size, 0, 'expired ids are pruned');
  assert.deepEqual(verify(940, { seen: new Map() }), { ok: true });
  assert.deepEqual(verify(1000, { method: 'GET', seen: new Map() }), { ok: false, reason: 'invalid' });
  const webHeaders = new Headers(headers);
  assert.deepEqual(verify(1000, { headers: webHeaders, seen: new Map() }), { ok: true });
});

await guarded.close();

// ---------------------------------------------------------------------------------------------
// Tone engine, concurrency accounting, long bodies

const tone = await startOrigin({ engine: 'tone', maxConcurrent: 1, speakers: ['英文女'], directives: true });

await check('tone engine: deterministic melody, 0.1 s per character, differs by text', async () => {
  const first = await raw(tone, '/inference_sft', { fields: sftFields });
  assertAudio(first);
  assert.equal(first.body.length, 'Hello there.'.length * (RATE / 10) * 2);
  const second = await raw(tone, '/inference_sft', { fields: sftFields });
  assert.deepEqual(second.body, first.body);
  const other = await raw(tone, '/inference_sft', { fields: { ...sftFields, tts_text: `${SYSTEM}Jello where.` } });
  assert.notDeepEqual(other.body, first.body);
  assert.ok(rms(first.body) > 0.1);
});

await check('concurrency: sequential is fine, overlapping requests count as violations', async () => {
  await json(tone, '/__dev/reset', { method: 'POST' });
  await raw(tone, '/inference_sft', { fields: sftFields });
  await raw(tone, '/inference_sft', { fields: sftFields });
  assert.equal(tone.stats().violations, 0);
  const slow = { ...sftFields, tts_text: `${SYSTEM}[[dev:delay=300]]Hello there.` };
  const all = await Promise.all([1, 2, 3].map(() => raw(tone, '/inference_sft', { fields: slow })));
  for (const response of all) assertAudio(response);
  assert.deepEqual(tone.stats(), { inFlight: 0, maxInFlight: 3, violations: 2, total: 5 });
  return JSON.stringify(tone.stats());
});

await check('client abort releases the in-flight slot', async () => {
  const controller = new AbortController();
  const form = formOf({ ...sftFields, tts_text: `${SYSTEM}[[dev:delay=5000]]Hello.` });
  const pending = fetch(`${tone.url}/inference_sft`, { method: 'POST', body: form, signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(tone.stats().inFlight, 1);
  controller.abort();
  await assert.rejects(pending.then((response) => response.arrayBuffer()));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(tone.stats().inFlight, 0);
});

await tone.close();

const big = await startOrigin({ engine: 'tone', speakers: ['中文男'], directives: true });
await check('repeat makes > 5 MiB cheaply', async () => {
  const text = `${SYSTEM}[[dev:repeat=25]]${'abcdefghij'.repeat(6)}`;
  const response = await raw(big, '/inference_sft', { fields: { tts_text: text, spk_id: '中文男' } });
  assertAudio(response);
  assert.equal(response.chunks.length, 25);
  assert.ok(response.body.length > 5 * 1024 * 1024);
  return `${(response.body.length / 1024 / 1024).toFixed(2)} MiB in ${response.elapsed}ms`;
});
await big.close();

// ---------------------------------------------------------------------------------------------

const failed = results.filter((result) => !result.ok);
console.log(`\n${results.length - failed.length}/${results.length} checks passed`);
process.exit(failed.length ? 1 : 0);
