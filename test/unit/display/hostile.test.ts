/**
 * Hostile display input: mutated and truncated draw commands must either draw or fail with a
 * ProtocolError — never another exception (which would mean an unchecked read or a crash path), never a
 * hang, never an allocation the limits did not allow.
 */
import { describe, expect, it } from 'vitest';
import { GlzDictionary } from '../../../src/codecs/glz.js';
import { ImageResolver } from '../../../src/display/images.js';
import { Surface, SurfaceFormat } from '../../../src/display/surface.js';
import * as msg from '../../../src/protocol/display.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { Writer } from '../../../src/protocol/writer.js';

/** A deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

function drawCopyBody(): Uint8Array {
  const w = new Writer();
  w.u32(0).i32(1).i32(1).i32(9).i32(9).u8(1).u32(1).i32(0).i32(0).i32(8).i32(8);
  const ptrAt = w.length;
  w.u32(0).i32(0).i32(0).i32(8).i32(8).u16(8).u8(1).u8(0).i32(0).i32(0).u32(0);
  w.patchU32(ptrAt, w.length);
  w.u64(1n).u8(0).u8(1).u32(8).u32(8).u8(8).u8(4).u32(8).u32(8).u32(32).u32(0);
  w.bytes(new Uint8Array(8 * 32).fill(0x7f));
  return w.finish();
}

function apply(body: Uint8Array): void {
  const surface = new Surface(0, 16, 16, SurfaceFormat.Xrgb32);
  const images = new ImageResolver({ pixmapCachePixels: 4096, glz: new GlzDictionary(4096), surface: () => surface, later: () => {} });
  const m = msg.parseDrawCopy(body);
  if (!m.src) return;
  const src = images.resolve(m.src);
  if (src instanceof Promise) return;
  surface.copy(src, m.srcArea, m.base.box, m.base.clip, m.rop, m.scaleMode, null);
}

describe('hostile display input', () => {
  it('should accept the valid command it starts from', () => {
    expect(() => apply(drawCopyBody())).not.toThrow();
  });

  it('should fail only with ProtocolError on thousands of mutated commands', () => {
    const random = prng(1);
    const valid = drawCopyBody();
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const body = valid.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(random() * 80); // the headers, where sizes and pointers live
        body[at] = random() < 0.5 ? 0xff : Math.floor(random() * 256);
      }
      try {
        apply(body);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw new Error(`mutation ${i} threw ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });

  it('should fail only with ProtocolError on every truncation', () => {
    const valid = drawCopyBody();
    for (let cut = 0; cut < valid.length; cut++) {
      try {
        apply(valid.subarray(0, cut));
      } catch (e) {
        expect(e, `cut at ${cut}`).toBeInstanceOf(ProtocolError);
      }
    }
  });
});
