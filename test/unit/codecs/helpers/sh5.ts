/**
 * spice-html5 0.2.1 as the reference decoder: runs its QUIC, LZ and BITMAP converters on the same bytes we
 * decode. Its converters want a canvas context only for createImageData; a plain object stands in.
 */
import { SpiceQuic, convert_spice_quic_to_web } from '@spice-project/spice-html5/src/quic.js';
import { convert_spice_lz_to_web } from '@spice-project/spice-html5/src/lz.js';
import { convert_spice_bitmap_to_web } from '@spice-project/spice-html5/src/bitmap.js';

const context = {
  createImageData: (width: number, height: number) => ({ width, height, data: new Uint8ClampedArray(width * height * 4) }),
};

/** sh5's QUIC decode of a payload (starting at "QUIC"), or null where sh5 does not support the type. */
export function sh5Quic(payload: Uint8Array): Uint8ClampedArray | null {
  const buf = new ArrayBuffer(4 + payload.length);
  new DataView(buf).setUint32(0, payload.length, true);
  new Uint8Array(buf, 4).set(payload);
  const q = new SpiceQuic();
  q.from_dv(new DataView(buf), 0, buf);
  if (!q.outptr) return null;
  return convert_spice_quic_to_web(context, q).data;
}

/** sh5's LZ_RGB decode of a payload (starting at the "  ZL" header), or null where sh5 does not support it. */
export function sh5Lz(payload: Uint8Array): Uint8ClampedArray | null {
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const image = {
    type: dv.getUint32(8),
    width: dv.getUint32(12),
    height: dv.getUint32(16),
    top_down: dv.getUint32(24),
    data: payload.slice(28).buffer,
  };
  return convert_spice_lz_to_web(context, image)?.data ?? null;
}

/** sh5's BITMAP decode (it supports 32BIT and RGBA with stride == width * 4 only). */
export function sh5Bitmap(format: number, flags: number, width: number, height: number, stride: number, data: Uint8Array): Uint8ClampedArray | null {
  const img = convert_spice_bitmap_to_web(context, { format, flags, x: width, y: height, stride, data: data.slice().buffer });
  return img?.data ?? null;
}
