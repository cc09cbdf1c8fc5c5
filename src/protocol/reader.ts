/**
 * A bounds-checked little-endian reader over a byte slice, named after the wire types of spice.proto.
 * Every read past the end throws a ProtocolError that names the offset, so a truncated or hostile
 * message never yields garbage values. Offsets are relative to the start of the slice it was made with
 * (for SPICE message bodies that is exactly what body "pointers" are relative to).
 */
import { ProtocolError } from './errors.js';

export class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  offset: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  /** Throws unless `n` more bytes are there; returns the offset to read them from and advances past them. */
  private take(n: number, what: string): number {
    const at = this.offset;
    if (n < 0 || at + n > this.bytes.byteLength) {
      throw new ProtocolError(`truncated: ${what} needs ${n} byte(s) at offset ${at}, message has ${this.bytes.byteLength}`);
    }
    this.offset = at + n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1, 'u8'));
  }
  i8(): number {
    return this.view.getInt8(this.take(1, 'i8'));
  }
  u16(): number {
    return this.view.getUint16(this.take(2, 'u16'), true);
  }
  i16(): number {
    return this.view.getInt16(this.take(2, 'i16'), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4, 'u32'), true);
  }
  i32(): number {
    return this.view.getInt32(this.take(4, 'i32'), true);
  }
  /** Big-endian u32, for the few payload headers (LZ, LZ4 blocks) that use network order. */
  u32be(): number {
    return this.view.getUint32(this.take(4, 'u32be'), false);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8, 'u64'), true);
  }
  i64(): bigint {
    return this.view.getBigInt64(this.take(8, 'i64'), true);
  }
  /** A u64 that must fit a JS number exactly (times, sizes); larger values are a protocol error. */
  u64n(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`u64 ${v} too large at offset ${this.offset - 8}`);
    return Number(v);
  }

  /** `n` bytes as a view into the same buffer (no copy). */
  bytesView(n: number): Uint8Array {
    const at = this.take(n, `${n} bytes`);
    return this.bytes.subarray(at, at + n);
  }

  /** Everything left, as a view. */
  rest(): Uint8Array {
    return this.bytesView(this.remaining);
  }

  skip(n: number): void {
    this.take(n, `skip ${n}`);
  }

  /** A reader positioned at absolute offset `at` of the same slice (for body pointers). */
  at(at: number): Reader {
    if (at < 0 || at > this.bytes.byteLength) {
      throw new ProtocolError(`pointer ${at} outside message of ${this.bytes.byteLength} bytes`);
    }
    return new Reader(this.bytes, at);
  }
}
