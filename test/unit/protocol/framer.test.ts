import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { Framer, frameMessage, type SpiceMessage } from '../../../src/protocol/framer.js';
import { Writer } from '../../../src/protocol/writer.js';

function mini(type: number, body: number[]): number[] {
  return Array.from(frameMessage(type, Uint8Array.from(body), true));
}

/** Feeds `stream` cut at `cuts` and collects every message. */
function feed(framer: Framer, stream: Uint8Array, cuts: number[]): SpiceMessage[] {
  const out: SpiceMessage[] = [];
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    out.push(...framer.push(stream.slice(at, cut)));
    at = cut;
  }
  return out;
}

const simplify = (m: SpiceMessage[]) => m.map(({ type, body }) => [type, Array.from(body)]);

describe('Framer', () => {
  it('should frame a client message with the mini header byte for byte', () => {
    expect(mini(0x0103, [0xaa, 0xbb])).toEqual([0x03, 0x01, 2, 0, 0, 0, 0xaa, 0xbb]);
  });

  it('should frame a client message with the full header byte for byte', () => {
    expect(Array.from(frameMessage(3, Uint8Array.from([9]), false, 7n))).toEqual([7, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9]);
  });

  it('should yield the same messages whatever single offset the stream is split at', () => {
    const stream = Uint8Array.from([
      ...mini(101, [1, 2, 3, 4]),
      ...mini(4, []),
      ...mini(
        300,
        Array.from({ length: 40 }, (_, i) => i),
      ),
    ]);
    const expected = simplify(new Framer(true).push(stream));
    expect(expected.map(([t]) => t)).toEqual([101, 4, 300]);
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(simplify(feed(new Framer(true), stream, [cut]))).toEqual(expected);
    }
  });

  it('should yield the same messages when fed one byte at a time', () => {
    const stream = Uint8Array.from([...mini(101, [1, 2, 3]), ...mini(102, [4])]);
    const cuts = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
    expect(simplify(feed(new Framer(true), stream, cuts))).toEqual([
      [101, [1, 2, 3]],
      [102, [4]],
    ]);
  });

  it('should deliver sub-messages of a full-header message before it', () => {
    // body: 2 payload bytes, then the list at offset 2: count u16, offset u32 -> sub message at 8
    const body = new Writer().u8(0xee).u8(0xff).u16(1).u32(8).u16(7).u32(1).u8(0x42).finish();
    const stream = new Writer().u64(1n).u16(101).u32(body.length).u32(2).bytes(body).finish();
    for (let cut = 0; cut <= stream.length; cut++) {
      const msgs = feed(new Framer(false), stream, [cut]);
      expect(msgs.map((m) => m.type)).toEqual([7, 101]);
      expect(Array.from(msgs[0]!.body)).toEqual([0x42]);
    }
  });

  it('should refuse a message larger than the limit before buffering it', () => {
    const framer = new Framer(true, 1024);
    expect(() => framer.push(Uint8Array.from([1, 0, 0xff, 0xff, 0xff, 0x7f]))).toThrowError(ProtocolError);
  });

  it('should refuse a sub-message list that points outside the body', () => {
    const stream = new Writer().u64(1n).u16(101).u32(4).u32(100).u32(0).finish();
    expect(() => new Framer(false).push(stream)).toThrowError(ProtocolError);
  });
});
