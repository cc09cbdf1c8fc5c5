/**
 * The image codecs, one module each, re-exported for the display channel. Which codec an image needs
 * (the dispatch on the image descriptor's type, caches, surfaces) belongs to the display channel; every
 * function here takes payload bytes and returns a top-down RGBA `DecodedImage` or throws ProtocolError.
 */
export * from './types.js';
export { decodeBitmap, bitmapBitsPerPixel } from './bitmap.js';
export { QuicDecoder, QuicImageType, QUIC_MAGIC, decodeQuic, type QuicHeader } from './quic.js';
export { LzImageType, LZ_MAGIC, LZ_HEADER_SIZE, decodeLz, decodeLzAlpha, readLzHeader, type LzHeader } from './lz.js';
export { GlzDictionary, GLZ_HEADER_SIZE, decodeGlz, decodeGlzShared, readGlzHeader, type GlzHeader } from './glz.js';
export { decodeZlibGlz } from './zlib-glz.js';
export { decodeLz4, lz4DecodeBlock } from './lz4.js';
