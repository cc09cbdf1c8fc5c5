/**
 * The tiny Linux guest booted by QEMU in end-to-end tests: a Debian kernel and
 * a busybox initramfs built by scripts/build-guest.sh (cached under
 * .cache/guest/ keyed by kernel version and script hash). This module only
 * runs the script, once per process, and documents the guest's serial
 * console contract as constants and parsers the tests can share.
 */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { execTracked, waitFor } from './procs.js';

export interface GuestImage {
  /** Path of the kernel (a copy of /boot/vmlinuz-<ver>). */
  kernel: string;
  /** Path of the gzip'd cpio initramfs. */
  initrd: string;
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const buildGuestScript = resolve(repoRoot, 'scripts/build-guest.sh');

let pending: Promise<GuestImage> | undefined;

/** Builds (or finds in the cache) the guest kernel + initramfs. */
export function ensureGuest(): Promise<GuestImage> {
  pending ??= (async () => {
    const r = await execTracked('bash', [buildGuestScript], { cwd: repoRoot, timeoutMs: 5 * 60_000 });
    const kernel = /^KERNEL=(.+)$/m.exec(r.stdout)?.[1];
    const initrd = /^INITRD=(.+)$/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || !kernel || !initrd) {
      throw new Error(`scripts/build-guest.sh failed (code ${r.code}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-1000)}`);
    }
    return { kernel, initrd };
  })();
  pending.catch(() => (pending = undefined));
  return pending;
}

/** Serial-console lines printed by the guest's /init (one line each). */
export const GUEST = {
  /** Printed once: modules loaded, agent port held open. */
  ready: /^GUEST READY\s*$/m,
  /** `GUEST AGENT-PORT /dev/vport0p1` (or `none`). */
  agentPort: /^GUEST AGENT-PORT (\S+)/m,
  /** `GUEST FB /dev/fb0 /dev/fb1` */
  framebuffers: /^GUEST FB (.*)$/m,
  /** Bytes read from the agent port, hex, at most 32 bytes a line. */
  agentLine: /^AGENT: ([0-9a-f]+)\s*$/gm,
  /** `USBDEV <name> <vid>:<pid> speed=<speed> product=<product>` once a second per device. */
  usbDevice: /^USBDEV (\S+) ([0-9a-f]{4}):([0-9a-f]{4}) speed=(\S+) product=(.*)$/gm,
  /** `ACM SENT <count> <md5>` / `ACM RESULT <count> <md5>` (kernel cmdline acmtest=N). */
  acmSent: /^ACM SENT (\d+) ([0-9a-f]{32})/m,
  acmResult: /^ACM RESULT (\d+) ([0-9a-f]{32})/m,
} as const;

/** All bytes the guest has read from the agent port so far, in order. */
export function agentBytes(serial: string): Uint8Array {
  const hex = [...serial.matchAll(GUEST.agentLine)].map((m) => m[1]).join('');
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export interface UsbDeviceLine {
  name: string;
  vendorId: number;
  productId: number;
  speed: string;
  product: string;
}

/** The USB devices of the last complete listing round in the serial log (root hubs included). */
export function lastUsbListing(serial: string): UsbDeviceLine[] {
  const ticks = [...serial.matchAll(/^USBTICK \d+\s*$/gm)];
  if (ticks.length === 0) return [];
  const end = ticks[ticks.length - 1]!.index!;
  const start = ticks.length > 1 ? ticks[ticks.length - 2]!.index! : 0;
  return [...serial.slice(start, end).matchAll(GUEST.usbDevice)].map((m) => ({
    name: m[1]!,
    vendorId: parseInt(m[2]!, 16),
    productId: parseInt(m[3]!, 16),
    speed: m[4]!,
    product: m[5]!.trim(),
  }));
}

/**
 * The last listing round of `serial` printed wholly after character offset `since`, or null before there is
 * one. A cursor taken while a round was being printed cuts it: the part after the cursor, up to its USBTICK,
 * lacks the devices listed before the cursor, and would pass for a listing without them.
 */
export function usbListingAfter(serial: string, since: number): UsbDeviceLine[] | null {
  const log = serial.slice(since);
  const ticks = log.match(/^USBTICK \d+\s*$/gm)?.length ?? 0;
  return ticks >= (since > 0 ? 2 : 1) ? lastUsbListing(log) : null;
}

/**
 * Waits until the guest's latest complete USB listing in `serialLog()` (printed wholly after offset `since`)
 * satisfies `cond`; resolves with that listing.
 */
export async function waitForUsbListing(
  qemu: { serialLog(): Promise<string> },
  what: string,
  cond: (listing: UsbDeviceLine[]) => boolean,
  ms = 30_000,
  since = 0,
): Promise<UsbDeviceLine[]> {
  return waitFor(
    async () => {
      const listing = usbListingAfter(await qemu.serialLog(), since);
      return listing && cond(listing) ? listing : null;
    },
    what,
    ms,
    200,
  );
}

/**
 * The guest's USB device tests still under way in `serial` (scripts/build-guest.sh /init): each CDC-ACM tty's
 * loopback runs in the background from its `ACM DEVICE` line to its `ACM DONE` line, each disk's test from
 * `MSC DISK` to `MSC DONE`, and the watcher prints `MSC GONE` once a disk has left. A test of an earlier
 * device may still be printing (its `ACM RESULT`, `MSC READ`, `MSC WROTE`, `MSC DONE sda`...) after a later
 * step took its serial-log cursor; those lines name no device (or the same name, sda, ttyACM0), so they
 * would be taken for the later device's.
 */
export function guestUsbTests(serial: string): { acmRunning: number; mscRunning: number; disksPresent: number } {
  const count = (re: RegExp) => serial.match(re)?.length ?? 0;
  const disks = count(/^MSC DISK /gm);
  return {
    acmRunning: count(/^ACM DEVICE /gm) - count(/^ACM DONE /gm),
    mscRunning: disks - count(/^MSC DONE /gm),
    disksPresent: disks - count(/^MSC GONE /gm),
  };
}

/**
 * Waits until the guest has no USB device test running and no disk left (see guestUsbTests), then for one
 * more listing round (its tty and disk watchers forget a device that went away at the end of a round, and would
 * not test a new device that took the same name within it). For a cleanup or the start of a step: afterwards
 * nothing an earlier device's test prints can land after a new cursor.
 */
export async function waitForGuestUsbIdle(qemu: { serialLog(): Promise<string>; qmp?(execute: string): Promise<unknown> }, ms = 90_000): Promise<void> {
  // A QEMU that is gone prints nothing more: nothing to wait for (and the failure that killed it speaks for itself).
  if (
    qemu.qmp &&
    !(await qemu.qmp('query-status').then(
      () => true,
      () => false,
    ))
  )
    return;
  let last = guestUsbTests('');
  await waitFor(
    async () => {
      last = guestUsbTests(await qemu.serialLog());
      return last.acmRunning <= 0 && last.mscRunning <= 0 && last.disksPresent <= 0 ? true : null;
    },
    'the guest to finish its USB device tests',
    ms,
    200,
  ).catch((e: Error) => {
    e.message += ` (still ${JSON.stringify(last)})`;
    throw e;
  });
  const since = (await qemu.serialLog()).length;
  await waitFor(async () => /^USBTICK \d+\s*$/m.test((await qemu.serialLog()).slice(since)) || null, 'a listing round after the USB tests ended', 15_000, 200);
}

/** The payload the guest writes for `acmtest=n`: byte i is i mod 256. */
export function acmPayload(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i & 0xff);
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}
