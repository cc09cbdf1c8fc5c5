/**
 * Shared by the tests that talk usbredir to real QEMU over a plain TCP chardev: whether QEMU is here, the
 * small test guest (scripts/build-guest.sh), a free port, and connecting to the chardev once QEMU listens.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';

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
