// Types for the parts of spice-html5 (plain ES modules, no typings) that the codec tests use as an oracle.
declare module '@spice-project/spice-html5/src/quic.js' {
  export const Constants: Record<string, number>;
  export class SpiceQuic {
    type?: number;
    width?: number;
    height?: number;
    outptr?: Uint8Array;
    from_dv(dv: DataView, at: number, mb: ArrayBuffer): number;
  }
  export function convert_spice_quic_to_web(context: unknown, quic: SpiceQuic): { width: number; height: number; data: Uint8ClampedArray };
}
declare module '@spice-project/spice-html5/src/lz.js' {
  export function convert_spice_lz_to_web(
    context: unknown,
    image: { type: number; width: number; height: number; top_down: number; data: ArrayBuffer },
  ): { width: number; height: number; data: Uint8ClampedArray } | undefined;
}
declare module '@spice-project/spice-html5/src/bitmap.js' {
  export function convert_spice_bitmap_to_web(
    context: unknown,
    bitmap: { format: number; flags: number; x: number; y: number; stride: number; data: ArrayBuffer },
  ): { width: number; height: number; data: Uint8ClampedArray } | undefined;
}
