import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';

describe('Reader', () => {
  it('should read little-endian wire types in order', () => {
    const r = new Reader(Uint8Array.from([0x01, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0x80]));
    expect(r.u8()).toBe(1);
    expect(r.u16()).toBe(0x1234);
    expect(r.u32()).toBe(0x12345678);
    expect(r.i32()).toBe(-1);
    expect(r.u64()).toBe(0x8000000000000001n);
    expect(r.remaining).toBe(0);
  });

  it('should name the offset when a read overruns', () => {
    const r = new Reader(new Uint8Array(5));
    r.u32();
    expect(() => r.u16()).toThrowError(ProtocolError);
    expect(() => new Reader(new Uint8Array(5), 4).u16()).toThrowError(/offset 4/);
  });

  it('should honour the byteOffset of a subarray', () => {
    const bytes = Uint8Array.from([9, 9, 0x78, 0x56, 0x34, 0x12]);
    expect(new Reader(bytes.subarray(2)).u32()).toBe(0x12345678);
  });

  it('should refuse pointers outside the message', () => {
    const r = new Reader(new Uint8Array(8));
    expect(() => r.at(9)).toThrowError(/pointer 9/);
    expect(r.at(8).remaining).toBe(0);
  });

  it('should read big-endian u32 for LZ headers', () => {
    expect(new Reader(Uint8Array.from([0x20, 0x20, 0x5a, 0x4c])).u32be()).toBe(0x20205a4c);
  });

  it('should refuse a u64 beyond safe integers where a number is asked', () => {
    expect(() => new Reader(new Uint8Array(8).fill(0xff)).u64n()).toThrowError(ProtocolError);
  });
});

describe('Writer', () => {
  it('should write little-endian and grow as needed', () => {
    const w = new Writer(1);
    w.u8(1).u16(0x1234).u32(0x12345678).i32(-2).u64(5n).i16(-1);
    expect(Array.from(w.finish())).toEqual([1, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0xfe, 0xff, 0xff, 0xff, 5, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
  });

  it('should patch a u32 written earlier', () => {
    const w = new Writer().u32(0).u8(7);
    w.patchU32(0, 0xdeadbeef);
    expect(Array.from(w.finish())).toEqual([0xef, 0xbe, 0xad, 0xde, 7]);
  });
});
