/**
 * The real-server harness for end-to-end tests: Xspice (an X desktop that is a
 * SPICE server, optionally with the vdagent pair), QEMU with QXL/usb-redir/agent
 * devices booting a tiny busybox guest, free ports/displays, and process
 * tracking. How to start the servers by hand is in the project's testbed notes;
 * this package is the programmatic version.
 *
 * Cleanup contract: every `start*()` result has an idempotent `stop()` that
 * tests call in afterAll/afterEach (or wrap them in `withServer`). Should a
 * test run crash, the process exit and SIGINT/SIGTERM/SIGHUP handlers of
 * procs.ts kill every tracked process group, and a per-server watchdog kills the
 * group if the test process is SIGKILLed.
 *
 *   const x = await startXspice({ agent: true });
 *   afterAll(() => x.stop());
 */
export { findFreePort, findFreePorts, findFreeDisplay, isDisplayFree, isPortOpen } from './ports.js';
export {
  startXspice,
  parsePpm,
  spicyScreenshot,
  type Xspice,
  type XspiceOptions,
  type Screenshot,
  type RunOptions,
  type ImageCompression,
  type WanCompression,
  type StreamingVideo,
} from './xspice.js';
export { startQemu, buildQemuArgs, qmpCommand, type Qemu, type QemuOptions } from './qemu.js';
export {
  ensureGuest,
  agentBytes,
  lastUsbListing,
  usbListingAfter,
  waitForUsbListing,
  guestUsbTests,
  waitForGuestUsbIdle,
  acmPayload,
  md5Hex,
  GUEST,
  repoRoot,
  type GuestImage,
  type UsbDeviceLine,
} from './guest.js';
export { isAlive, sleep, waitFor, type ExecResult } from './procs.js';

/** Starts a server, runs `fn` with it and always stops it. */
export async function withServer<S extends { stop(): Promise<void> }, R>(start: Promise<S> | (() => Promise<S>), fn: (server: S) => Promise<R> | R): Promise<R> {
  const server = await (typeof start === 'function' ? start() : start);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
