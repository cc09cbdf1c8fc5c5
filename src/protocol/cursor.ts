/**
 * Cursor channel (type 4) wire format: message ids, the SpiceCursor structure and parsers for every server
 * message [spice.proto CursorChannel; enums.h]. Parsing checks what a hostile server could get wrong — an
 * unknown cursor type, a shape larger than MAX_CURSOR_SIZE, pixel data shorter than the type needs — and
 * throws ProtocolError. Turning the shape data into RGBA and caching it is input/cursor-image.ts.
 *
 * Pixel data layouts (sizes as the old spice client and spice-gtk compute them; mask rows are padded to
 * whole bytes, bpl = ceil(width / 8), bits MSB first):
 *   ALPHA   width*height u32 ARGB (little endian, so bytes B G R A)
 *   MONO    AND mask (bpl*height), then XOR mask (bpl*height)
 *   COLOR4  ceil(width/2)*height nibbles (high nibble first), 16 u32 xRGB palette, AND mask
 *   COLOR8  width*height indexes, 256 u32 xRGB palette, AND mask
 *   COLOR16 width*height u16 (x1r5g5b5), AND mask
 *   COLOR24 width*height*3 (bytes B G R), AND mask
 *   COLOR32 width*height u32 xRGB, AND mask
 */
import type { Reader } from './reader.js';
import { check } from './errors.js';
import { limitError, MAX_CURSOR_DIMENSION } from './limits.js';
import { CursorFlags, CursorType } from './constants.js';

// Ids and flags come from the generated constants (enums.h), re-exported so cursor code has one import.
// CursorMsg: SPICE_MSG_CURSOR_*; the cursor channel has no client messages of its own. CursorFlags.None
// means no cursor at all (and no header follows).
export { CursorFlags, CursorMsg, CursorType } from './constants.js';

/** Largest width or height we accept. Real cursors are 32..256 px; anything bigger is hostile or broken. */
/** MAX_CURSOR_DIMENSION (src/protocol/limits.ts), under the name this module has always exported. */
export const MAX_CURSOR_SIZE = MAX_CURSOR_DIMENSION;

export interface CursorHeader {
  /** Cache key of this shape. */
  unique: bigint;
  type: CursorType;
  width: number;
  height: number;
  hotSpotX: number;
  hotSpotY: number;
}

export interface SpiceCursor {
  /** CursorFlags bits. */
  flags: number;
  /** Absent exactly when flags has NONE. */
  header: CursorHeader | null;
  /**
   * Shape data (a view into the message; copy before keeping it). Empty with FROM_CACHE; otherwise at least
   * {@link cursorDataSize} bytes, checked when parsing.
   */
  data: Uint8Array;
}

export interface Point16 {
  x: number;
  y: number;
}

export interface CursorInit {
  position: Point16;
  trailLength: number;
  trailFrequency: number;
  visible: boolean;
  cursor: SpiceCursor;
}

export interface CursorSet {
  position: Point16;
  visible: boolean;
  cursor: SpiceCursor;
}

export interface CursorMove {
  position: Point16;
}

export interface CursorTrail {
  length: number;
  frequency: number;
}

export interface CursorInvalOne {
  id: bigint;
}

const bpl = (width: number): number => (width + 7) >> 3;

/** Bytes of shape data a cursor of this type and size needs (see the layouts above). */
export function cursorDataSize(type: CursorType, width: number, height: number): number {
  const mask = bpl(width) * height;
  switch (type) {
    case CursorType.Alpha:
      return width * height * 4;
    case CursorType.Mono:
      return mask * 2;
    case CursorType.Color4:
      return ((width + 1) >> 1) * height + 16 * 4 + mask;
    case CursorType.Color8:
      return width * height + 256 * 4 + mask;
    case CursorType.Color16:
      return width * height * 2 + mask;
    case CursorType.Color24:
      return width * height * 3 + mask;
    case CursorType.Color32:
      return width * height * 4 + mask;
  }
}

function parsePoint16(r: Reader): Point16 {
  return { x: r.i16(), y: r.i16() };
}

export function parseCursorHeader(r: Reader): CursorHeader {
  const unique = r.u64();
  const type = r.u8();
  check(type <= CursorType.Color32, () => `unknown cursor type ${type}`);
  const width = r.u16();
  const height = r.u16();
  const hotSpotX = r.u16();
  const hotSpotY = r.u16();
  if (width > MAX_CURSOR_SIZE || height > MAX_CURSOR_SIZE) {
    throw limitError(`cursor ${width}x${height}`, `${MAX_CURSOR_SIZE}x${MAX_CURSOR_SIZE}`, 'MAX_CURSOR_DIMENSION');
  }
  return { unique, type: type as CursorType, width, height, hotSpotX, hotSpotY };
}

/** Cursor {flags u16, [header unless NONE], data to the end of the message}. */
export function parseCursor(r: Reader): SpiceCursor {
  const flags = r.u16();
  if (flags & CursorFlags.None) return { flags, header: null, data: r.rest() };
  const header = parseCursorHeader(r);
  const data = r.rest();
  if (!(flags & CursorFlags.FromCache)) {
    const need = cursorDataSize(header.type, header.width, header.height);
    check(data.byteLength >= need, () => `truncated cursor: ${header.width}x${header.height} type ${header.type} needs ${need} bytes, has ${data.byteLength}`);
  }
  return { flags, header, data };
}

/** INIT {position Point16, trail_length u16, trail_frequency u16, visible u8, cursor Cursor}. */
export function parseCursorInit(r: Reader): CursorInit {
  const position = parsePoint16(r);
  const trailLength = r.u16();
  const trailFrequency = r.u16();
  const visible = r.u8() !== 0;
  return { position, trailLength, trailFrequency, visible, cursor: parseCursor(r) };
}

/** SET {position Point16, visible u8, cursor Cursor}. */
export function parseCursorSet(r: Reader): CursorSet {
  const position = parsePoint16(r);
  const visible = r.u8() !== 0;
  return { position, visible, cursor: parseCursor(r) };
}

/** MOVE {position Point16}: where the guest put its pointer (server mouse mode). */
export function parseCursorMove(r: Reader): CursorMove {
  return { position: parsePoint16(r) };
}

/** TRAIL {length u16, frequency u16}: pointer trails; informational (spice-gtk ignores it). */
export function parseCursorTrail(r: Reader): CursorTrail {
  return { length: r.u16(), frequency: r.u16() };
}

/** INVAL_ONE {id u64}: drop one cached shape. */
export function parseCursorInvalOne(r: Reader): CursorInvalOne {
  return { id: r.u64() };
}
