/**
 * A growable little-endian writer for client messages, the twin of Reader. Builders of client messages
 * (`writeLinkMess`, `writeKeyDown`, ...) take a Writer so several messages can be packed into one buffer.
 */

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Reserves `n` bytes and returns their offset. Call before touching `view`: it may be replaced. */
  private ensure(n: number): number {
    const at = this.length;
    const need = at + n;
    if (need > this.buf.byteLength) {
      let cap = this.buf.byteLength * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length = need;
    return at;
  }

  u8(v: number): this {
    const at = this.ensure(1);
    this.view.setUint8(at, v);
    return this;
  }
  u16(v: number): this {
    const at = this.ensure(2);
    this.view.setUint16(at, v, true);
    return this;
  }
  i16(v: number): this {
    const at = this.ensure(2);
    this.view.setInt16(at, v, true);
    return this;
  }
  u32(v: number): this {
    const at = this.ensure(4);
    this.view.setUint32(at, v >>> 0, true);
    return this;
  }
  i32(v: number): this {
    const at = this.ensure(4);
    this.view.setInt32(at, v | 0, true);
    return this;
  }
  u32be(v: number): this {
    const at = this.ensure(4);
    this.view.setUint32(at, v >>> 0, false);
    return this;
  }
  u64(v: bigint | number): this {
    const at = this.ensure(8);
    this.view.setBigUint64(at, BigInt(v), true);
    return this;
  }
  i64(v: bigint | number): this {
    const at = this.ensure(8);
    this.view.setBigInt64(at, BigInt(v), true);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.ensure(b.byteLength);
    this.buf.set(b, at);
    return this;
  }
  /** Overwrites a u32 already written at `at` (for sizes known only at the end). */
  patchU32(at: number, v: number): this {
    this.view.setUint32(at, v >>> 0, true);
    return this;
  }

  /** The written bytes, copied into an exactly sized buffer (safe to transfer). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
