/**
 * usbredir, the protocol: constants (proto.ts), packet shapes (packets.ts), capability negotiation
 * (caps.ts), the table-driven wire format (codec.ts) and the stream framer (stream.ts). Importers take what
 * they need from here.
 */
export * from './proto.js';
export * from './packets.js';
export * from './caps.js';
export { decodePacket, encodePacket, typeHeaderLength, type UsbredirRole } from './codec.js';
export * from './stream.js';
