import { describe, expect, it } from 'vitest';
import { FAKE_CDC_CONFIG_DESCRIPTOR, FakeCdcAcmDevice, fakeCdcTransform } from '../../fakes/usb/cdc-acm-device.js';
import { resultBytes } from '../../../src/usb/webusb-types.js';

const text = (d?: DataView | null) => String.fromCharCode(...resultBytes(d));

async function ready(): Promise<FakeCdcAcmDevice> {
  const dev = new FakeCdcAcmDevice();
  await dev.open();
  await dev.claimInterface(0);
  await dev.claimInterface(1);
  return dev;
}

describe('FakeCdcAcmDevice', () => {
  it('should look like an Arduino Uno to WebUSB', () => {
    const dev = new FakeCdcAcmDevice();
    expect([dev.vendorId, dev.productId, dev.deviceClass, dev.productName]).toEqual([0x2341, 0x0043, 2, 'Fake Arduino Uno']);
    expect(dev.configuration?.interfaces.map((i) => [i.interfaceNumber, i.alternate.interfaceClass, i.alternate.endpoints.length])).toEqual([
      [0, 2, 1],
      [1, 10, 2],
    ]);
    expect(FAKE_CDC_CONFIG_DESCRIPTOR.byteLength).toBe(FAKE_CDC_CONFIG_DESCRIPTOR[2]);
  });

  it('should swap the case of letters only', () => {
    expect(String.fromCharCode(...fakeCdcTransform(Uint8Array.from('Hi there, 42!\n', (c) => c.charCodeAt(0))))).toBe('hI THERE, 42!\n');
  });

  it('should keep a bulk IN read pending until data comes, then complete it on a short packet', async () => {
    const dev = await ready();
    let done = false;
    const read = dev.transferIn(2, 64).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    expect(dev.pendingBulkIn).toBe(1);
    await dev.transferOut(2, Uint8Array.from([0x61, 0x42, 0x0a]));
    const r = await read;
    expect(r.status).toBe('ok');
    expect(text(r.data)).toBe('Ab\n');
  });

  it('should fill a read packet by packet and wait after a full packet', async () => {
    const dev = await ready();
    const big = dev.transferIn(2, 256);
    dev.emit(new Array(64).fill(0x30));
    await new Promise((r) => setTimeout(r, 5));
    expect(dev.pendingBulkIn).toBe(1); // one full packet in, no short packet yet
    dev.emit([0x31]);
    const r = await big;
    expect(resultBytes(r.data).byteLength).toBe(65);
    const first = dev.transferIn(2, 4);
    const second = dev.transferIn(2, 4);
    dev.emit([1, 2, 3, 4, 5, 6]);
    const small = await Promise.all([first, second]);
    expect(small.map((x) => Array.from(resultBytes(x.data)))).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
  });

  it('should answer the CDC class requests and stall the device qualifier', async () => {
    const dev = await ready();
    const coding = Uint8Array.from([0x00, 0xc2, 0x01, 0x00, 0x00, 0x00, 0x08]);
    expect(await dev.controlTransferOut({ requestType: 'class', recipient: 'interface', request: 0x20, value: 0, index: 0 }, coding)).toEqual({
      status: 'ok',
      bytesWritten: 7,
    });
    const got = await dev.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 0x21, value: 0, index: 0 }, 7);
    expect(Array.from(resultBytes(got.data))).toEqual(Array.from(coding));
    await dev.controlTransferOut({ requestType: 'class', recipient: 'interface', request: 0x22, value: 3, index: 0 });
    expect(dev.controlLineState).toBe(3);
    const q = await dev.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value: 0x0600, index: 0 }, 10);
    expect(q.status).toBe('stall');
  });

  it('should refuse calls while a reset runs, like Chrome', async () => {
    const dev = await ready();
    const pending = dev.transferIn(2, 64);
    const reset = dev.reset();
    await expect(dev.transferIn(2, 64)).rejects.toMatchObject({ name: 'InvalidStateError' });
    await reset;
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(dev.resets).toBe(1);
  });

  it('should reject transfers outside claimed interfaces with NotFoundError while staying open', async () => {
    const dev = new FakeCdcAcmDevice();
    await dev.open();
    await expect(dev.transferIn(2, 64)).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(dev.opened).toBe(true);
  });

  it('should reject pending and later calls with NotFoundError once unplugged', async () => {
    const dev = await ready();
    const pending = dev.transferIn(2, 64);
    dev.unplug();
    await expect(pending).rejects.toMatchObject({ name: 'NotFoundError', message: 'The device was disconnected.' });
    await expect(dev.transferOut(2, Uint8Array.of(1))).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(dev.opened).toBe(false);
  });

  it('should deliver SERIAL_STATE notifications on the interrupt endpoint', async () => {
    const dev = await ready();
    const n = dev.transferIn(3, 16);
    dev.notifySerialState(0x03);
    expect(Array.from(resultBytes((await n).data))).toEqual([0xa1, 0x20, 0, 0, 0, 0, 2, 0, 3, 0]);
  });
});
