/**
 * JPEG decoding in the worker with the browser's decoder (createImageBitmap on a Blob), read back as RGBA
 * through a scratch OffscreenCanvas. Used for JPEG and JPEG_ALPHA images and MJPEG stream frames.
 */
import type { DecodedImage } from '../codecs/types.js';
import { checkDimensions } from '../codecs/types.js';
import { ProtocolError } from '../protocol/errors.js';

let scratch: OffscreenCanvas | null = null;

export async function decodeJpeg(jpeg: Uint8Array): Promise<DecodedImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([jpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch {
    throw new ProtocolError(`corrupt JPEG image (${jpeg.byteLength} bytes)`);
  }
  try {
    checkDimensions('jpeg', bitmap.width, bitmap.height);
    return bitmapToImage(bitmap);
  } finally {
    bitmap.close();
  }
}

/** Reads an ImageBitmap or VideoFrame back as RGBA pixels. */
export function bitmapToImage(
  source: ImageBitmap | VideoFrame,
  width = 'displayWidth' in source ? source.displayWidth : source.width,
  height = 'displayHeight' in source ? source.displayHeight : source.height,
): DecodedImage {
  if (!scratch || scratch.width < width || scratch.height < height)
    scratch = new OffscreenCanvas(Math.max(width, scratch?.width ?? 0), Math.max(height, scratch?.height ?? 0));
  const ctx = scratch.getContext('2d', { willReadFrequently: true })!;
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { width, height, pixels: data, hasAlpha: false };
}
