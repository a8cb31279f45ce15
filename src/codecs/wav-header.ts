export const WAV_HEADER_BYTES = 44
/** Data size written when the length is not known yet (a live stream). Players read to the end. */
const UNKNOWN_LENGTH = 0xffffffff

export interface PcmFormat {
  sampleRate: number
  channels: number
  bitsPerSample: number
}

/** CosyVoice2/3 origins send mono int16 at 24 kHz and never say so (COSYVOICE.md). */
export const COSYVOICE_PCM: PcmFormat = { sampleRate: 24000, channels: 1, bitsPerSample: 16 }

/** A canonical 44-byte PCM WAV header. `dataBytes` undefined = unknown length, for streaming. */
export function wavHeader(format: PcmFormat, dataBytes?: number): Uint8Array {
  const header = new Uint8Array(WAV_HEADER_BYTES)
  const view = new DataView(header.buffer)
  const blockAlign = (format.channels * format.bitsPerSample) / 8
  const ascii = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i))
  }
  ascii(0, 'RIFF')
  view.setUint32(4, dataBytes === undefined ? UNKNOWN_LENGTH : 36 + dataBytes, true)
  ascii(8, 'WAVE')
  ascii(12, 'fmt ')
  view.setUint32(16, 16, true)
  view.setUint16(20, 1, true) // PCM
  view.setUint16(22, format.channels, true)
  view.setUint32(24, format.sampleRate, true)
  view.setUint32(28, format.sampleRate * blockAlign, true)
  view.setUint16(32, blockAlign, true)
  view.setUint16(34, format.bitsPerSample, true)
  ascii(36, 'data')
  view.setUint32(40, dataBytes === undefined ? UNKNOWN_LENGTH : dataBytes, true)
  return header
}

export function pcmDurationSeconds(pcmBytes: number, format: PcmFormat): number {
  return pcmBytes / (format.sampleRate * format.channels * (format.bitsPerSample / 8))
}
