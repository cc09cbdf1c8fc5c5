/**
 * ZLIB_GLZ_RGB images: a GLZ payload deflated once more (zlib stream), which spice-server sends instead of
 * GLZ_RGB on links it measured as slow. Owns only the inflate step (fflate) and its size checks; the GLZ
 * decode and the shared dictionary are glz.ts's.
 *
 * Image body (spice.proto ZlibGlzRGBData): glz_data_size u32 (inflated size), data_size u32, data. The
 * display channel passes `glzSize` and `data`.
 */
import { unzlibSync } from 'fflate';
import { ProtocolError } from '../protocol/errors.js';
import { type GlzDictionary, decodeGlz } from './glz.js';
import { type DecodedImage, type DecodeLimits, DEFAULT_LIMITS } from './types.js';

/** The largest expansion of deflate: 258 bytes from one length/distance pair of at least 2 bits. */
const DEFLATE_MAX_RATIO = 1032;

/**
 * Inflates a ZLIB_GLZ_RGB payload to exactly `glzSize` bytes and decodes the GLZ image in it.
 * @throws ProtocolError if the zlib stream is corrupt, inflates to another size, or `glzSize` is absurd
 *   (more than 4.25 bytes per pixel of the size limit), or if the GLZ decode fails.
 */
export function decodeZlibGlz(data: Uint8Array, glzSize: number, dict: GlzDictionary, limits: DecodeLimits = DEFAULT_LIMITS): DecodedImage {
  // A GLZ payload never exceeds its raw pixels by much (worst case RGBA: literal runs of 32 pixels, 3 bytes
  // each plus a control byte, then the alpha plane the same way): 4.25 bytes per pixel bounds the allocation.
  const ceiling = Math.ceil(limits.maxPixels * 4.25) + 1024;
  if (!Number.isInteger(glzSize) || glzSize <= 0 || glzSize > ceiling) {
    throw new ProtocolError(`zlib-glz: inflated size ${glzSize} is not plausible`);
  }
  // Deflate cannot expand more than 1032:1 (a 258-byte match per 2 bits at best, RFC 1951): a glz_data_size
  // beyond that is a lie, refused before its buffer is allocated (a 100-byte payload could ask for 285 MB).
  if (glzSize > data.length * DEFLATE_MAX_RATIO + 1024) {
    throw new ProtocolError(`zlib-glz: ${data.length} bytes of zlib cannot inflate to ${glzSize} bytes`);
  }
  const glz = new Uint8Array(glzSize);
  let inflated: Uint8Array;
  try {
    inflated = unzlibSync(data, { out: glz });
  } catch (e) {
    throw new ProtocolError(`zlib-glz: corrupt zlib stream (${e instanceof Error ? e.message : String(e)})`);
  }
  if (inflated.length !== glzSize || inflated.buffer !== glz.buffer) {
    throw new ProtocolError(`zlib-glz: stream inflates to ${inflated.length} bytes, expected ${glzSize}`);
  }
  return decodeGlz(glz, dict, limits);
}
