/**
 * Protocol errors. Every malformed, truncated or absurd input anywhere in the pure protocol and codec code
 * throws a `ProtocolError`; the engine turns it into one `spice-disconnected` event with code `protocol`.
 * Errors carry a string code (not a class hierarchy) so they survive the comlink boundary as plain data.
 */

export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(message: string) {
    super(message);
  }
}

/** Throws a ProtocolError unless `condition` holds. */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new ProtocolError(typeof message === 'function' ? message() : message);
}
