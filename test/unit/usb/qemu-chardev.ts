/**
 * Shared by the tests that talk usbredir to real QEMU over a plain TCP chardev: whether QEMU is here, the
 * small test guest (scripts/build-guest.sh), a free port, the VM's arguments, connecting to the chardev once
 * QEMU listens, and stopping QEMU after a test.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';

import { EHCI_WITH_UHCI_COMPANIONS } from '../../servers/qemu.js';

export { findFreePort as freePort } from '../../servers/ports.js';

export const QEMU = 'qemu-system-x86_64';
export const haveQemu = spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;

/** The test guest's kernel and initrd, or undefined where QEMU or the guest build is missing (tests skip). */
export function testGuest(): { kernel: string; initrd: string } | undefined {
  if (!haveQemu || !existsSync('scripts/build-guest.sh') || process.env.USB_QEMU_LINUX === '0') return undefined;
  const r = spawnSync('bash', ['scripts/build-guest.sh'], { encoding: 'utf8', timeout: 300_000 });
  const kernel = /^KERNEL=(.*)$/m.exec(r.stdout ?? '')?.[1];
  const initrd = /^INITRD=(.*)$/m.exec(r.stdout ?? '')?.[1];
  return r.status === 0 && kernel && initrd ? { kernel, initrd } : undefined;
}

/** A TCP connection to 127.0.0.1:`port`, retried until `deadline` (QEMU opens the chardev a moment after start). */
export async function connect(port: number, deadline: number): Promise<Socket> {
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = new Socket();
        s.once('error', reject);
        s.connect(port, '127.0.0.1', () => {
          s.off('error', reject);
          resolve(s);
        });
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface UsbredirVmOptions {
  /** The TCP port QEMU's usb-redir chardev listens on. */
  port: number;
  /** Boot the test guest (its serial console on stdio); without it only the firmware runs. */
  guest?: { kernel: string; initrd: string };
  /** Extra kernel command line after `console=ttyS0 quiet`. */
  append?: string;
  memoryMb?: number;
  /** Start stopped (`-S`) with the monitor on stdio, so the device is on the bus before the firmware scans it. */
  stopped?: boolean;
  /** QEMU's usb-redir filter, in its `:`-separated form. */
  filter?: string;
}

/** QEMU arguments for a VM with oVirt's USB controllers and one usb-redir device on a TCP chardev server. */
export function usbredirVmArgs(o: UsbredirVmOptions): string[] {
  const args = ['-machine', 'pc', '-m', String(o.memoryMb ?? (o.guest ? 256 : 64)), '-nodefaults', '-no-user-config', '-display', 'none'];
  if (o.guest) {
    args.push('-kernel', o.guest.kernel, '-initrd', o.guest.initrd, '-append', ['console=ttyS0 quiet', o.append].filter(Boolean).join(' '));
    args.push('-serial', 'stdio');
  }
  if (o.stopped) args.push('-S', '-monitor', 'stdio');
  args.push(...EHCI_WITH_UHCI_COMPANIONS);
  args.push('-chardev', `socket,id=ur1,host=127.0.0.1,port=${o.port},server=on,wait=off`);
  args.push('-device', `usb-redir,chardev=ur1,id=redir1${o.filter ? `,filter=${o.filter}` : ''}`);
  return args;
}

/** Kills a QEMU a test started (if it still runs) and waits until it has exited. */
export async function killQemu(qemu: ChildProcess | undefined): Promise<void> {
  if (!qemu || qemu.exitCode !== null || qemu.signalCode !== null) return;
  const exited = new Promise((r) => qemu.once('exit', r));
  qemu.kill('SIGKILL');
  await exited;
}
