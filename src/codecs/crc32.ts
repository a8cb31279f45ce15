/** CRC-32 (IEEE 802.3, the zlib and PNG one) lookup table. */
const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[i] = c >>> 0
  }
  return table
})()

/**
 * CRC-32 of a string's UTF-8 bytes. A checksum against typos, not a secret: it catches every
 * change within 32 consecutive bits (any one mistyped character, any swap of neighbours) and all
 * but one in 2³² of the rest.
 */
export function crc32(text: string): number {
  let c = 0xffffffff
  for (const b of new TextEncoder().encode(text)) c = TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
