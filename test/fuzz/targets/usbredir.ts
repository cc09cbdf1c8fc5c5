/**
 * Fuzz targets for usbredir parsing, through its public entry points only: `decodePacket` (one packet's
 * type header and data, for both roles and with or without the negotiated capabilities) and `UsbredirStream`
 * (packet reassembly from a chunked byte stream).
 */
import { Negotiation, UsbredirCap, UsbredirStream, UsbredirType, capsWords, decodePacket, typeHeaderLength, type UsbredirRole } from '../../../src/usb/usbredir/index.js';
import type { FuzzTarget } from '../harness.js';

const ALL_CAPS = capsWords(Object.values(UsbredirCap));
const TYPES = Object.values(UsbredirType);

/** The negotiation selected by bit 0 (both sides have every capability, or no peer hello yet). */
function negotiation(full: boolean): Negotiation {
  return full ? new Negotiation(ALL_CAPS, ALL_CAPS) : new Negotiation(ALL_CAPS);
}

/** Input: type index u8 (into UsbredirType), flags u8 (bit 0: all caps negotiated, bit 1: we are the guest), body. */
export const usbredirPacketTarget: FuzzTarget = {
  name: 'usb/usbredir-decode-packet',
  seeds: () => {
    const out: Uint8Array[] = [];
    for (const [i, type] of TYPES.entries()) {
      for (const flags of [0, 1, 2, 3]) {
        const receiver: UsbredirRole = flags & 2 ? 'guest' : 'host';
        const sender: UsbredirRole = receiver === 'host' ? 'guest' : 'host';
        const thl = typeHeaderLength(type, negotiation((flags & 1) !== 0), sender);
        if (thl < 0) continue;
        const body = new Uint8Array(thl + (type >= 100 ? 8 : 0));
        if (type === UsbredirType.Hello) body.set(new TextEncoder().encode('fuzz 0.1'));
        const seed = Uint8Array.from([i, flags, ...body]);
        // Endpoint-bearing packets need an endpoint of the right direction: try an IN one, keep what decodes.
        for (const ep of [0x00, 0x81, 0x01]) {
          if (seed.length > 2) seed[2] = ep;
          try {
            usbredirPacketTarget.run(seed);
            out.push(seed);
            break;
          } catch {
            // not valid with this endpoint
          }
        }
      }
    }
    return out;
  },
  run: (input) => {
    if (input.length < 2) return;
    const type = TYPES[input[0]! % TYPES.length]!;
    const receiver: UsbredirRole = input[1]! & 2 ? 'guest' : 'host';
    decodePacket(type, 5n, input.subarray(2), negotiation((input[1]! & 1) !== 0), receiver);
  },
};

function header(type: number, length: number, id: number): number[] {
  const out: number[] = [];
  for (const v of [type, length, id]) out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  return out;
}

/** Input: chunk size byte, then a usbredir byte stream as a usb-host reads it (a guest's hello first). */
export const usbredirStreamTarget: FuzzTarget = {
  name: 'usb/usbredir-stream',
  seeds: () => {
    const hello = [...new TextEncoder().encode('qemu usb-redir guest 7.2'), ...new Array(64 - 24).fill(0), ...[0xff, 0, 0, 0]];
    const helloPacket = [...header(UsbredirType.Hello, hello.length, 0), ...hello];
    const reset = header(UsbredirType.Reset, 0, 1);
    const setConfig = [...header(UsbredirType.SetConfiguration, 1, 2), 1];
    const control = [...header(UsbredirType.ControlPacket, 10 + 4, 3), 0x80, 0x06, 0, 1, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4];
    return [Uint8Array.from([7, ...helloPacket, ...reset, ...setConfig]), Uint8Array.from([3, ...helloPacket, ...control])];
  },
  run: (input) => {
    if (!input.length) return;
    const step = (input[0]! % 17) + 1;
    const stream = new UsbredirStream({ role: 'host', caps: ALL_CAPS });
    const bytes = input.subarray(1);
    for (let at = 0; at < bytes.length; at += step) stream.push(bytes.slice(at, at + step));
  },
};

export const usbredirTargets: FuzzTarget[] = [usbredirPacketTarget, usbredirStreamTarget];
