/**
 * A PNG decoder for test pictures: what Playwright's page screenshots and the element's CSS cursor images
 * are (8-bit greyscale, RGB, RGBA or palette, non-interlaced). Returns RGBA; anything else is a clear
 * error, never a wrong picture.
 */
import { inflateSync } from 'node:zlib';
import type { Screenshot } from '../../servers/index.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a PNG to RGBA. Unlike `Screenshot` from spicy-screenshot, alpha is kept as the PNG has it. */
export function decodePng(png: Uint8Array): Screenshot {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('decodePng: not a PNG');
  let width = 0;
  let height = 0;
  let depth = 0;
  let colourType = 0;
  let palette: Buffer | null = null;
  let transparency: Buffer | null = null;
  const data: Buffer[] = [];
  for (let at = 8; at + 8 <= buf.length;) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const body = buf.subarray(at + 8, at + 8 + length);
    if (body.length !== length) throw new Error(`decodePng: chunk ${type} cut short`);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      depth = body[8]!;
      colourType = body[9]!;
      if (body[12] !== 0) throw new Error('decodePng: interlaced PNGs are not supported');
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colourType];
  if (depth !== 8 || !channels || width === 0 || height === 0) {
    throw new Error(`decodePng: unsupported PNG (${width}x${height}, bit depth ${depth}, colour type ${colourType})`);
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error('decodePng: image data cut short');
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[out + x - channels]! : 0;
      const b = y > 0 ? pixels[out - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[out - stride + x - channels]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) v += paeth(a, b, c);
      else if (filter !== 0) throw new Error(`decodePng: bad filter ${filter} on line ${y}`);
      pixels[out + x] = v & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const s = p * channels;
    let px: [number, number, number, number];
    switch (colourType) {
      case 0:
        px = [pixels[s]!, pixels[s]!, pixels[s]!, 255];
        break;
      case 4:
        px = [pixels[s]!, pixels[s]!, pixels[s]!, pixels[s + 1]!];
        break;
      case 2:
        px = [pixels[s]!, pixels[s + 1]!, pixels[s + 2]!, 255];
        break;
      case 3: {
        const i = pixels[s]!;
        if (!palette || i * 3 + 2 >= palette.length) throw new Error(`decodePng: palette index ${i} out of range`);
        px = [palette[i * 3]!, palette[i * 3 + 1]!, palette[i * 3 + 2]!, transparency && i < transparency.length ? transparency[i]! : 255];
        break;
      }
      default:
        px = [pixels[s]!, pixels[s + 1]!, pixels[s + 2]!, pixels[s + 3]!];
    }
    rgba.set(px, p * 4);
  }
  return { width, height, rgba };
}
