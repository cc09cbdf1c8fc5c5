import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { GlzDictionary } from '../../../src/codecs/glz.js';
import { LzImageType } from '../../../src/codecs/lz.js';
import { decodeZlibGlz } from '../../../src/codecs/zlib-glz.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { encodeGlz } from './helpers/lz-encoders.js';
import { makeImage } from './helpers/images.js';

describe('zlib-glz', () => {
  const w = 20;
  const h = 10;
  const rgba = makeImage(w, h, 'desktop', 1, true);
  const stream = rgba.slice();
  for (let i = 0; i < stream.length; i += 4) [stream[i], stream[i + 2]] = [rgba[i + 2]!, rgba[i]!];
  const glz = encodeGlz(LzImageType.Rgb32, w, h, stream, true, 0, 0, new Map());

  it('should inflate and decode a GLZ image into the shared dictionary', () => {
    const dict = new GlzDictionary(1 << 20);
    const img = decodeZlibGlz(zlibSync(glz), glz.length, dict);
    expect([...img.pixels]).toEqual([...rgba]);
    expect(dict.has(0)).toBe(true);
  });

  it('should reject a corrupt stream, a wrong inflated size and an absurd one', () => {
    const dict = new GlzDictionary(1 << 20);
    const z = zlibSync(glz);
    const bad = z.slice();
    bad[0] = 0;
    expect(() => decodeZlibGlz(bad, glz.length, dict)).toThrow(ProtocolError);
    expect(() => decodeZlibGlz(z, glz.length + 5, dict)).toThrow(/inflates to/);
    expect(() => decodeZlibGlz(z, 2 ** 40, dict)).toThrow(/not plausible/);
    expect(() => decodeZlibGlz(z.subarray(0, z.length - 8), glz.length, dict)).toThrow(ProtocolError);
  });
});
