/** Channel type and image compression names are derived from the generated constants: check the derivation. */
import { describe, expect, it } from 'vitest';
import { channelTypeName, imageCompressionName, imageCompressionValue, type ChannelTypeName, type ImageCompressionName } from '../../../src/api/types.js';
import { ChannelType, ImageCompression } from '../../../src/protocol/constants.js';

describe('names from the generated constants', () => {
  it('should name every SPICE_CHANNEL_* and call others unknown', () => {
    const names: ChannelTypeName[] = ['main', 'display', 'inputs', 'cursor', 'playback', 'record', 'tunnel', 'smartcard', 'usbredir', 'port', 'webdav'];
    expect(Object.values(ChannelType).map(channelTypeName)).toEqual(names);
    expect(channelTypeName(ChannelType.Usbredir)).toBe('usbredir');
    expect(channelTypeName(99)).toBe('unknown-99');
  });

  it('should map every image-compression attribute value to its SPICE_IMAGE_COMPRESSION_* and nothing else', () => {
    const names: ImageCompressionName[] = ['off', 'auto-glz', 'auto-lz', 'quic', 'glz', 'lz', 'lz4'];
    expect(names.map(imageCompressionValue)).toEqual([
      ImageCompression.Off,
      ImageCompression.AutoGlz,
      ImageCompression.AutoLz,
      ImageCompression.Quic,
      ImageCompression.Glz,
      ImageCompression.Lz,
      ImageCompression.Lz4,
    ]);
    // @ts-expect-error: INVALID is not a choice
    const invalid: ImageCompressionName = 'invalid';
    expect(imageCompressionValue(invalid)).toBeUndefined();
    expect(imageCompressionValue('AutoGlz')).toBeUndefined();
  });

  it('should name every SPICE_IMAGE_COMPRESSION_* value back, and nothing for INVALID or unknown values', () => {
    const names: ImageCompressionName[] = ['off', 'auto-glz', 'auto-lz', 'quic', 'glz', 'lz', 'lz4'];
    expect(names.map((n) => imageCompressionName(imageCompressionValue(n)!))).toEqual(names);
    expect(imageCompressionName(ImageCompression.Invalid)).toBeUndefined();
    expect(imageCompressionName(99)).toBeUndefined();
  });
});
