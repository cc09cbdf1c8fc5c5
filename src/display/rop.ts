/**
 * Raster operations of SPICE draw commands on packed RGBA words: ROP descriptors (spice.proto `ropd`:
 * which inputs to invert and which operation combines them) and ROP3 codes (the Windows ternary raster
 * operations of brush P, source S and destination D). Alpha is handled by the caller; these combine the
 * colour bits only.
 */
import { Ropd } from '../protocol/constants.js';

export { Ropd };

/** A colour combiner for one pixel: source (or brush) word and destination word to result word. */
export type Combine = (s: number, d: number) => number;

/** Which input a descriptor's INVERS_SRC / INVERS_BRUSH applies to. */
export type RopSource = 'src' | 'brush';

/**
 * The combiner for a ROP descriptor, or null when the result is simply the (uninverted) source — the fast
 * path that needs no per-pixel function. `source` says whether the operation's input is an image (COPY,
 * BLEND, OPAQUE) or a brush (FILL).
 */
export function ropdCombiner(ropd: number, source: RopSource): Combine | null {
  const invS = source === 'src' ? ropd & Ropd.InversSrc : ropd & Ropd.InversBrush;
  const invD = ropd & Ropd.InversDest;
  const invR = ropd & Ropd.InversRes;
  let op: Combine;
  if (ropd & Ropd.OpPut) op = (s) => s;
  else if (ropd & Ropd.OpOr) op = (s, d) => s | d;
  else if (ropd & Ropd.OpAnd) op = (s, d) => s & d;
  else if (ropd & Ropd.OpXor) op = (s, d) => s ^ d;
  else if (ropd & Ropd.OpBlackness) return invR ? () => 0xffffffff : () => 0;
  else if (ropd & Ropd.OpWhiteness) return invR ? () => 0 : () => 0xffffffff;
  else if (ropd & Ropd.OpInvers) return invR ? (_s, d) => d : (_s, d) => ~d;
  else op = (s) => s; // no operation bit: servers mean PUT
  if (!invS && !invD && !invR && op.length === 1) return null;
  return (s, d) => {
    const r = op(invS ? ~s : s, invD ? ~d : d);
    return invR ? ~r : r;
  };
}

/**
 * The ternary raster operation `rop3` applied bitwise: bit i of the result is bit ((P<<2)|(S<<1)|D) of
 * rop3, where P, S, D are bit i of brush, source and destination.
 */
export function rop3Combine(rop3: number, p: number, s: number, d: number): number {
  let r = 0;
  for (let k = 0; k < 8; k++) {
    if (!(rop3 & (1 << k))) continue;
    r |= (k & 4 ? p : ~p) & (k & 2 ? s : ~s) & (k & 1 ? d : ~d);
  }
  return r;
}
