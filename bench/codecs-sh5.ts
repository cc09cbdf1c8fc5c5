/**
 * spice-html5 0.2.1's QUIC and LZ decoders, set up for timing: each function prepares its input once the way
 * spice-html5's message parser leaves it, and returns a call that runs only what spice-html5 does to decode
 * it. Its converters want a canvas context only for createImageData; a plain object stands in.
 */
import { SpiceQuic, convert_spice_quic_to_web } from '@spice-project/spice-html5/src/quic.js';
import { convert_spice_lz_to_web } from '@spice-project/spice-html5/src/lz.js';

const context = {
  createImageData: (width: number, height: number) => ({ width, height, data: new Uint8ClampedArray(width * height * 4) }),
};

/**
 * QUIC (payload from "QUIC"): SpiceQuic.from_dv reads the length-prefixed image from the message buffer (its
 * own copy included), decodes it, then convert_spice_quic_to_web turns BGRA into a new RGBA ImageData.
 */
export function sh5QuicDecoder(payload: Uint8Array): () => Uint8ClampedArray {
  const buf = new ArrayBuffer(4 + payload.length);
  new DataView(buf).setUint32(0, payload.length, true);
  new Uint8Array(buf, 4).set(payload);
  const view = new DataView(buf);
  return () => {
    const q = new SpiceQuic();
    q.from_dv(view, 0, buf);
    if (!q.outptr) throw new Error('spice-html5 cannot decode this QUIC image');
    return convert_spice_quic_to_web(context, q).data;
  };
}

/** LZ_RGB (payload from the "  ZL" header): the parser has split off the header fields and copied the code. */
export function sh5LzDecoder(payload: Uint8Array): () => Uint8ClampedArray {
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const image = {
    type: dv.getUint32(8),
    width: dv.getUint32(12),
    height: dv.getUint32(16),
    top_down: dv.getUint32(24),
    data: payload.slice(28).buffer,
  };
  return () => {
    const out = convert_spice_lz_to_web(context, image);
    if (!out) throw new Error('spice-html5 cannot decode this LZ image');
    return out.data;
  };
}
