/** Reads the fields of a canonical 44-byte PCM WAV header (what the edge writes). */
export function readWavHeader(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ascii = (o: number, n: number) => String.fromCharCode(...bytes.subarray(o, o + n))
  return {
    riff: ascii(0, 4),
    riffSize: view.getUint32(4, true),
    wave: ascii(8, 4),
    format: view.getUint16(20, true),
    channels: view.getUint16(22, true),
    sampleRate: view.getUint32(24, true),
    bitsPerSample: view.getUint16(34, true),
    dataId: ascii(36, 4),
    dataSize: view.getUint32(40, true),
  }
}

/** Root-mean-square amplitude of int16 PCM, 0..32767: zero for silence. */
export function rms(pcm: Uint8Array): number {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength)
  let sum = 0
  const n = Math.floor(pcm.byteLength / 2)
  for (let i = 0; i < n; i++) sum += view.getInt16(i * 2, true) ** 2
  return Math.sqrt(sum / Math.max(1, n))
}

/** SHA-256 of bytes, hex: compare big buffers by digest (deep equality on megabytes is slow). */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes)
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
