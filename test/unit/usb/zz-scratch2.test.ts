import { it } from 'vitest';
import { Session } from '../../../src/engine/session.js';
import { openUsbDevicePort } from '../../../src/controllers/usb-device-port.js';
import { usbDeviceKey } from '../../../src/usb/device-key.js';
import { startQemu } from '../../servers/index.js';
import { FakeCdcAcmDevice } from '../../fakes/usb/cdc-acm-device.js';
import { tcpTransport } from './tcp-transport.js';
it('measure', async () => {
  const N = Number(process.env.N ?? 1048576);
  const qemu = await startQemu({ usbredirSlots: 1, waitForGuest: true, acmTest: N });
  try {
    const session = new Session({ url: qemu.url, linkChannelTypes: ['usbredir'] }, (e) => { if (e.type === 'log' && e.level !== 'debug') console.log(e.message); }, tcpTransport);
    await session.start();
    const device = new FakeCdcAcmDevice({ keepWritten: false, highSpeed: !!process.env.HS });
    if (process.env.DIRECT) (session.usb as any).source = { open: async () => ({ device, via: 'page', gone: new Promise(() => {}), dispose() {} }) };
    const port = openUsbDevicePort(device);
    console.log(await session.usb.redirect(usbDeviceKey(device), port.port));
    await qemu.waitForSerial(/ACM DEVICE/, 60000);
    const t0 = Date.now();
    const r = await qemu.waitForSerial(/ACM RESULT.*/, 60000);
    const dt = (Date.now() - t0) / 1000;
    console.log(r[0], `${dt}s ${(N / dt / 1e6).toFixed(3)} MB/s`, (session.usb as any).traffic(), session.linkedChannels(9).map((c) => Object.fromEntries(c.received)));
    session.disconnect();
  } finally { await qemu.stop(); }
}, 200000);
