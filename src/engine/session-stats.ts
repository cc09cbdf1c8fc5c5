/**
 * Session statistics of the engine worker, for the demo's overlay and diagnostics: bytes each way over
 * every channel's socket, time spent handling display messages (decoding and drawing), and the round-trip
 * time of the inputs channel's motion acknowledgements. The worker runs one session, so the counters are
 * the worker's; Session resets them when it starts.
 *
 * Round trip: SPICE's PING is sent by the server and timed by the server (the client only echoes PONG), so
 * the client measures its own round trip where the protocol gives one: the server acknowledges every 4th
 * MOUSE_MOTION/MOUSE_POSITION (MOUSE_MOTION_ACK), and the time from sending that 4th message to its ack is
 * one round trip. It is known once the pointer moved over the console.
 */
import type { EngineStats } from '../api/engine-api.js';

const counters = { bytesIn: 0, bytesOut: 0, displayBusyMs: 0, displayMessages: 0 };
let motionSentAt: number[] = [];
let rttMs: number | null = null;

export function resetSessionStats(): void {
  counters.bytesIn = counters.bytesOut = counters.displayBusyMs = counters.displayMessages = 0;
  motionSentAt = [];
  rttMs = null;
}

export function countBytesIn(n: number): void {
  counters.bytesIn += n;
}

export function countBytesOut(n: number): void {
  counters.bytesOut += n;
}

/** A display message took `ms` to handle (decode and draw, including asynchronous decoding). */
export function countDisplayWork(ms: number): void {
  counters.displayBusyMs += ms;
  counters.displayMessages++;
}

/** A MOUSE_MOTION or MOUSE_POSITION message left. */
export function motionSent(now = performance.now()): void {
  motionSentAt.push(now);
  if (motionSentAt.length > 64) motionSentAt.splice(0, motionSentAt.length - 64);
}

/** MOUSE_MOTION_ACK arrived: it answers the `bunch`-th message not yet acknowledged. */
export function motionAcked(bunch: number, now = performance.now()): void {
  if (motionSentAt.length >= bunch) {
    const sample = now - motionSentAt[bunch - 1]!;
    rttMs = rttMs === null ? sample : rttMs * 0.7 + sample * 0.3;
  }
  motionSentAt.splice(0, bunch);
}

export function sessionStats(frames: number): EngineStats {
  return {
    bytesIn: counters.bytesIn,
    bytesOut: counters.bytesOut,
    frames,
    displayBusyMs: counters.displayBusyMs,
    displayMessages: counters.displayMessages,
    roundTripMs: rttMs,
    at: Date.now(),
  };
}
