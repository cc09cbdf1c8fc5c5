/**
 * Little byte builders for usbredir tests: expected wire bytes are written out field by field from the
 * layouts in usbredirproto.h, with these helpers only for the little-endian integers.
 */

export const le16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
export const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
export const le64 = (v: bigint): number[] => {
  const out: number[] = [];
  for (let i = 0n; i < 8n; i++) out.push(Number((v >> (8n * i)) & 0xffn));
  return out;
};

/** usb_redir_header with a 32-bit id (before 64bits_ids is negotiated, and always for hello). */
export const hdr32 = (type: number, length: number, id = 0): number[] => [...le32(type), ...le32(length), ...le32(id)];

/** usb_redir_header with a 64-bit id. */
export const hdr64 = (type: number, length: number, id: bigint = 0n): number[] => [...le32(type), ...le32(length), ...le64(id)];

export const zeros = (n: number): number[] => new Array<number>(n).fill(0);

export const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

export const bytes = (...parts: (number | number[])[]): Uint8Array => Uint8Array.from(parts.flat());

export function concat(...chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function hexdump(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
