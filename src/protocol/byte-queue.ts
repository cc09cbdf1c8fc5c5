/**
 * A FIFO of received byte chunks. WebSocket frames split the SPICE byte stream arbitrarily, so the link
 * stage and the framer take exact byte counts from here. `take` returns a view without copying when the
 * bytes lie in one chunk (the common case for large display messages) and copies only across chunks.
 */

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // read offset into chunks[0]
  available = 0;

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.byteLength;
  }

  /** Byte at `index` from the read position, without consuming. Caller ensures index < available. */
  peekByte(index: number): number {
    let i = this.head + index;
    for (const c of this.chunks) {
      if (i < c.byteLength) return c[i]!;
      i -= c.byteLength;
    }
    throw new RangeError('peek past end');
  }

  /** Consumes exactly `n` bytes (caller ensures n <= available). */
  take(n: number): Uint8Array {
    if (n > this.available) throw new RangeError(`take ${n} of ${this.available}`);
    this.available -= n;
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first && first.byteLength - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.byteLength) {
        this.chunks.shift();
        this.head = 0;
      }
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const count = Math.min(c.byteLength - this.head, n - filled);
      out.set(c.subarray(this.head, this.head + count), filled);
      filled += count;
      this.head += count;
      if (this.head === c.byteLength) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.available = 0;
  }
}
