/**
 * Display channel messages (spice.proto DisplayChannel). This file grows with the display issue; it holds
 * the client's DISPLAY_INIT and the surface lifecycle messages.
 */
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export interface DisplayInit {
  pixmapCacheId: number;
  /** In pixels. */
  pixmapCacheSize: number;
  glzDictionaryId: number;
  /** In pixels; 0 makes the server never use GLZ. */
  glzDictionaryWindowSize: number;
}
export function writeDisplayInit(m: DisplayInit): Uint8Array {
  return new Writer(14).u8(m.pixmapCacheId).i64(m.pixmapCacheSize).u8(m.glzDictionaryId).i32(m.glzDictionaryWindowSize).finish();
}

export interface SurfaceCreate {
  surfaceId: number;
  width: number;
  height: number;
  format: number;
  flags: number;
}
export function parseSurfaceCreate(body: Uint8Array): SurfaceCreate {
  const r = new Reader(body);
  return { surfaceId: r.u32(), width: r.u32(), height: r.u32(), format: r.u32(), flags: r.u32() };
}

export function parseSurfaceDestroy(body: Uint8Array): { surfaceId: number } {
  return { surfaceId: new Reader(body).u32() };
}
