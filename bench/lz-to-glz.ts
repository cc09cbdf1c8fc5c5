/**
 * Rewrites an LZ payload (RGB32 or RGBA) as a GLZ payload with the very same literals and matches, all within
 * the image (image distance 0), so that the codec bench compares the two decoders on identical work: the test
 * encoders of the two formats pick different matches, and payload shape dominates decode speed. Bench-only.
 *
 * Both formats code a pass as control bytes: < 32 is a literal run of ctrl+1 units (3 bytes B,G,R per pixel
 * in the RGB pass, 1 byte in the alpha pass); otherwise a match whose length sits in the top 3 bits (7 =
 * continued by 255-terminated bytes) with the same per-pass bias in both. They differ in the match distance:
 * LZ has 13 bits (or 8191 + 16 bits), GLZ a 12-bit same-image offset, or 17 / 25 bits with the pixel flag.
 */
import { LZ_HEADER_SIZE, LzImageType, readLzHeader } from '../src/codecs/lz.js';

export function lzToGlz(lz: Uint8Array, id: number): Uint8Array {
  const h = readLzHeader(lz);
  if (h.type !== LzImageType.Rgb32 && h.type !== LzImageType.Rgba) throw new Error(`lzToGlz: type ${h.type}`);
  const n = h.width * h.height;
  const out: number[] = [];
  const u32 = (v: number): void => void out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  u32(0x20205a4c);
  u32(0x00010001);
  out.push(h.type | (h.topDown ? 0x10 : 0));
  u32(h.width);
  u32(h.height);
  u32(h.width * 4);
  u32(0);
  u32(id);
  u32(0); // win_head_dist
  let ip = LZ_HEADER_SIZE;
  for (const unitBytes of h.type === LzImageType.Rgba ? [3, 1] : [3]) {
    const bias = unitBytes === 3 ? 0 : 2;
    let op = 0;
    while (op < n) {
      const ctrl = lz[ip++]!;
      if (ctrl < 32) {
        out.push(ctrl, ...lz.subarray(ip, ip + (ctrl + 1) * unitBytes));
        ip += (ctrl + 1) * unitBytes;
        op += ctrl + 1;
        continue;
      }
      let len = ctrl >> 5;
      const ext: number[] = [];
      if (len === 7) {
        let b: number;
        do {
          b = lz[ip++]!;
          ext.push(b);
          len += b;
        } while (b === 255);
      }
      let ofs = (ctrl & 31) << 8;
      const b = lz[ip++]!;
      if (b === 255 && ofs === 31 << 8) {
        ofs = ((lz[ip]! << 8) | lz[ip + 1]!) + 8191;
        ip += 2;
      } else {
        ofs += b;
      }
      // ofs is the distance - 1 in both formats
      const pixelFlag = ofs >= 4096 ? 1 : 0;
      out.push((ctrl & 0xe0) | (pixelFlag << 4) | (ofs & 0x0f), ...ext, (ofs >> 4) & 0xff);
      if (!pixelFlag) out.push(0);
      else if (ofs < 1 << 17) out.push((ofs >> 12) & 0x1f);
      else out.push(0x20 | ((ofs >> 12) & 0x1f), (ofs >> 17) & 0xff);
      op += len + bias;
    }
  }
  return Uint8Array.from(out);
}
