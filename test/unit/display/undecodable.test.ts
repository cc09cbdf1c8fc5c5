/**
 * A draw whose image does not decode ends the session with code `protocol` (README "Limits"): the decision
 * and its reasons. The image stream is stateful — CACHE_ME pixmaps, palettes, the GLZ window that later
 * images copy from — so skipping one image would make later draws wrong in ways nobody sees, and TCP/TLS
 * already rule out transport corruption: an image that does not decode means a broken or hostile server.
 * Tested at the resolver (nothing broken is kept) and through a session with a scripted server.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/api/engine-api.js';
import { GlzDictionary } from '../../../src/codecs/glz.js';
import { ImageResolver } from '../../../src/display/images.js';
import { Session } from '../../../src/engine/session.js';
import { DisplayMsg, ImageFlags, ImageType, MainMsg } from '../../../src/protocol/constants.js';
import { readImage } from '../../../src/protocol/display.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { channelsList, fakeNetwork, linked, mainInit, settle } from '../engine/fake-server.js';

/** An Image structure: QUIC header of a 4x4 RGB32 image, then no code at all (it cannot decode). */
function corruptQuic(flags = 0, id = 5n): Uint8Array {
  const quic = new Writer().bytes(new TextEncoder().encode('QUIC')).u32(0).u32(4).u32(4).u32(4).finish();
  return new Writer().u64(id).u8(ImageType.Quic).u8(flags).u32(4).u32(4).u32(quic.length).bytes(quic).finish();
}

/** A GLZ_RGB Image of a 4x4 RGB32 image whose code stops after the header. */
function corruptGlz(id: number): Uint8Array {
  const glz = new Writer().u32be(0x20205a4c).u32be(0x00010001).u8(0x18).u32be(4).u32be(4).u32be(16).u32be(0).u32be(id).u32be(0).finish();
  return new Writer().u64(9n).u8(ImageType.GlzRgb).u8(0).u32(4).u32(4).u32(glz.length).bytes(glz).finish();
}

/** The presenter wraps the primary surface in an ImageData (a worker global Node lacks); no canvas draws here. */
if (!('ImageData' in globalThis)) {
  (globalThis as Record<string, unknown>)['ImageData'] = class {
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
}

describe('a draw whose image does not decode', () => {
  it('should be a ProtocolError that leaves the pixmap cache and the GLZ window as they were', () => {
    const glz = new GlzDictionary(1 << 20);
    const images = new ImageResolver({ pixmapCachePixels: 1 << 20, glz, surface: () => undefined, later: () => {} });
    expect(() => images.resolve(readImage(new Reader(corruptQuic(ImageFlags.CacheMe)), 0))).toThrow(ProtocolError);
    expect(images.cachedPixmaps).toBe(0);
    expect(() => images.resolve(readImage(new Reader(corruptGlz(0)), 0))).toThrow(ProtocolError);
    expect(glz.size).toBe(0);
  });

  it('should end the session with code protocol and a reason naming the codec', async () => {
    const net = fakeNetwork();
    const events: EngineEvent[] = [];
    const session = new Session({ url: 'ws://test', password: '', linkTimeoutMs: 2000 }, (e) => events.push(e), net.factory);
    void session.start();
    const main = net.connections[0]!;
    await linked(main);
    main.message(MainMsg.Init, mainInit(1));
    main.message(MainMsg.ChannelsList, channelsList([[2, 0]]));
    await settle();
    const display = net.connections[1]!;
    await linked(display);
    await settle();
    display.message(DisplayMsg.SurfaceCreate, new Writer().u32(0).u32(64).u32(48).u32(32).u32(1).finish());
    // DRAW_COPY onto the primary surface of the broken QUIC image.
    const image = corruptQuic();
    const draw = new Writer().u32(0).i32(0).i32(0).i32(4).i32(4).u8(0).u32(0).i32(0).i32(0).i32(4).i32(4).u16(8).u8(1).u8(0).i32(0).i32(0).u32(0);
    draw.patchU32(21, draw.length).bytes(image);
    display.message(DisplayMsg.DrawCopy, draw.finish());
    await settle();
    const disconnected = events.filter((e) => e.type === 'disconnected');
    expect(disconnected).toEqual([expect.objectContaining({ type: 'disconnected', code: 'protocol', reason: expect.stringMatching(/quic/) })]);
  });
});
