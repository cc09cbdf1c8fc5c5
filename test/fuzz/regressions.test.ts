/**
 * Regression tests for what fuzzing found, one per finding, each from its minimised counterexample (or the
 * smallest input that shows it), so the fix stays fixed whatever the random run does.
 */
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { GlzDictionary } from '../../src/codecs/glz.js';
import { decodeZlibGlz } from '../../src/codecs/zlib-glz.js';
import { ProtocolError } from '../../src/protocol/errors.js';

describe('fuzz findings', () => {
  it('should refuse a ZLIB_GLZ size that its zlib stream cannot inflate to, before allocating it', () => {
    // codecs/zlib-glz: a 129-byte input announcing glz_data_size 0x10000000 allocated 256 MiB, then failed.
    const data = zlibSync(new Uint8Array(64));
    const t0 = performance.now();
    expect(() => decodeZlibGlz(data, 0x10000000, new GlzDictionary(1 << 20))).toThrow(ProtocolError);
    expect(() => decodeZlibGlz(data, 0x10000000, new GlzDictionary(1 << 20))).toThrow(/cannot inflate to 268435456 bytes/);
    expect(performance.now() - t0).toBeLessThan(50);
    // The largest size deflate allows for the stream still gets through to the inflate (and its own check).
    expect(() => decodeZlibGlz(data, data.length * 1032, new GlzDictionary(1 << 20))).toThrow(/inflates to 64 bytes/);
  });
});
