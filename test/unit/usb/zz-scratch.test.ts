import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { it } from 'vitest';
import { UsbHost } from '../../../src/usb/usb-host.js';
import { FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';
const r = spawnSync('bash', ['scripts/build-guest.sh'], { encoding: 'utf8' });
const kernel = /^KERNEL=(.*)$/m.exec(r.stdout)![1]!; const initrd = /^INITRD=(.*)$/m.exec(r.stdout)![1]!;
function freePort(): Promise<number> { return new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as any).port; s.close(() => res(p)); }); }); }
it('measure', async () => {
  const N = Number(process.env.N ?? 262144);
  const port = await freePort();
  let serial = '';
  const q: ChildProcess = spawn('qemu-system-x86_64', ['-accel','tcg','-machine','pc','-m','256','-nodefaults','-no-user-config','-display','none','-kernel',kernel,'-initrd',initrd,'-append',`console=ttyS0 quiet acmtest=${N}`,'-serial','stdio',
    '-device','ich9-usb-ehci1,id=usb','-device','ich9-usb-uhci1,masterbus=usb.0,firstport=0,multifunction=on',
    '-chardev',`socket,id=ur1,host=127.0.0.1,port=${port},server=on,wait=off`,'-device','usb-redir,chardev=ur1,id=redir1'], { stdio: ['ignore','pipe','ignore'] });
  q.stdout!.on('data', (d: Buffer) => { serial += d.toString('latin1'); });
  await new Promise((r) => setTimeout(r, 500));
  const s = new Socket(); await new Promise<void>((res) => s.connect(port, '127.0.0.1', () => res()));
  const host = new UsbHost(new FakeCdcAcmDevice(), { send: (b) => s.write(b) });
  s.on('data', (c: Buffer) => host.receive(new Uint8Array(c.buffer, c.byteOffset, c.byteLength)));
  await host.start();
  let t0 = 0;
  while (!/ACM RESULT/.test(serial)) { if (!t0 && /ACM DEVICE/.test(serial)) t0 = Date.now(); await new Promise((r) => setTimeout(r, 20)); }
  const dt = (Date.now() - t0) / 1000;
  console.log(serial.match(/ACM (SENT|RESULT).*/g), `N=${N} ${dt}s ${(N / dt / 1e6).toFixed(3)} MB/s`);
  q.kill('SIGKILL'); s.destroy();
}, 120000);
