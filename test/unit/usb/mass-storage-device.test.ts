import { describe, expect, it } from 'vitest';
import { FAKE_MSC_BLOCK_SIZE, FakeMassStorageDevice, FakeMscEndpoint, fakeMscBlock, fakeMscCbw, parseCsw, ScsiOp } from '../../fakes/usb/mass-storage-device.js';
import { resultBytes } from '../../../src/usb/webusb-types.js';

const USBS = 0x53425355;

async function ready(options = {}): Promise<FakeMassStorageDevice> {
  const dev = new FakeMassStorageDevice(options);
  await dev.open();
  await dev.claimInterface(0);
  return dev;
}

/** Sends a CBW, reads `dataLength` bytes of data-in (or writes `out`), then the CSW. */
async function command(dev: FakeMassStorageDevice, tag: number, cdb: number[], dataLength: number, out?: Uint8Array<ArrayBuffer>) {
  const sent = await dev.transferOut(2, fakeMscCbw(tag, dataLength, !out, cdb));
  expect(sent).toEqual({ status: 'ok', bytesWritten: 31 });
  let data = new Uint8Array(0);
  let dataStatus = 'ok';
  if (out) {
    expect((await dev.transferOut(2, out)).status).toBe('ok');
  } else if (dataLength > 0) {
    const r = await dev.transferIn(1, dataLength);
    dataStatus = r.status!;
    data = resultBytes(r.data).slice();
    if (dataStatus === 'stall') await dev.clearHalt('in', 1);
  }
  let r = await dev.transferIn(1, 13);
  if (r.status === 'stall') {
    // A stall after a short data stage comes on the CSW read: clear it and read again, as Linux does.
    dataStatus = 'stall';
    await dev.clearHalt('in', 1);
    r = await dev.transferIn(1, 13);
  }
  const csw = parseCsw(resultBytes(r.data));
  expect(resultBytes(r.data).byteLength).toBe(13);
  expect(csw.signature).toBe(USBS);
  expect(csw.tag).toBe(tag);
  return { data, dataStatus, csw };
}

const read10 = (lba: number, count: number) => [ScsiOp.Read10, 0, lba >>> 24, (lba >> 16) & 0xff, (lba >> 8) & 0xff, lba & 0xff, 0, count >> 8, count & 0xff, 0];
const write10 = (lba: number, count: number) => [ScsiOp.Write10, 0, lba >>> 24, (lba >> 16) & 0xff, (lba >> 8) & 0xff, lba & 0xff, 0, count >> 8, count & 0xff, 0];

describe('FakeMassStorageDevice', () => {
  it('should describe a Bulk-Only SCSI flash drive with bulk IN 0x81 and OUT 0x02', async () => {
    const dev = await ready();
    const alt = dev.configuration!.interfaces[0]!.alternate;
    expect([alt.interfaceClass, alt.interfaceSubclass, alt.interfaceProtocol]).toEqual([0x08, 0x06, 0x50]);
    expect(alt.endpoints.map((e) => [e.endpointNumber, e.direction, e.type, e.packetSize])).toEqual([
      [1, 'in', 'bulk', 64],
      [2, 'out', 'bulk', 64],
    ]);
    const config = await dev.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value: 0x0200, index: 0 }, 255);
    const bytes = resultBytes(config.data);
    expect(bytes.byteLength).toBe(bytes[2]);
    expect(Array.from(bytes.subarray(9 + 5, 9 + 8))).toEqual([0x08, 0x06, 0x50]);
    const hs = await ready({ highSpeed: true });
    expect(hs.configuration!.interfaces[0]!.alternate.endpoints[0]!.packetSize).toBe(512);
    expect([hs.usbVersionMajor, hs.usbVersionMinor]).toEqual([2, 0]);
  });

  it('should answer GET MAX LUN with 0 and take a Bulk-Only reset', async () => {
    const dev = await ready();
    const lun = await dev.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 0xfe, value: 0, index: 0 }, 1);
    expect(lun.status).toBe('ok');
    expect(Array.from(resultBytes(lun.data))).toEqual([0]);
    const reset = await dev.controlTransferOut({ requestType: 'class', recipient: 'interface', request: 0xff, value: 0, index: 0 });
    expect(reset.status).toBe('ok');
    expect(dev.bulkOnlyResets).toBe(1);
  });

  it('should answer INQUIRY with a removable direct-access device, truncated to the allocation length', async () => {
    const dev = await ready();
    const { data, csw } = await command(dev, 7, [ScsiOp.Inquiry, 0, 0, 0, 36, 0], 36);
    expect(data.byteLength).toBe(36);
    expect([data[0], data[1]]).toEqual([0x00, 0x80]);
    expect(String.fromCharCode(...data.subarray(8, 16))).toBe('SPICECON');
    expect(String.fromCharCode(...data.subarray(16, 32))).toBe('Fake Flash Drive');
    expect(csw).toMatchObject({ residue: 0, status: 0 });
    const short = await command(dev, 8, [ScsiOp.Inquiry, 0, 0, 0, 5, 0], 5);
    expect(short.data.byteLength).toBe(5);
    expect(short.csw).toMatchObject({ residue: 0, status: 0 });
  });

  it('should give the capacity of a 2 MiB disk: last LBA 4095, 512-byte blocks', async () => {
    const dev = await ready();
    const { data, csw } = await command(dev, 1, [ScsiOp.ReadCapacity10, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8);
    expect(Array.from(data)).toEqual([0, 0, 0x0f, 0xff, 0, 0, 2, 0]);
    expect(csw.status).toBe(0);
  });

  it('should read blocks with the known pattern, across several IN transfers', async () => {
    const dev = await ready();
    await dev.transferOut(2, fakeMscCbw(0x1234, 8 * 512, true, read10(100, 8)));
    // The host may split the data stage (QEMU hands qTDs of its own size); pieces of whole packets.
    const parts = [await dev.transferIn(1, 1024), await dev.transferIn(1, 3072)];
    const data = new Uint8Array(parts.flatMap((p) => Array.from(resultBytes(p.data))));
    const expected = new Uint8Array(8 * 512);
    for (let n = 0; n < 8; n++) expected.set(fakeMscBlock(100 + n), n * 512);
    expect(data).toEqual(expected);
    const csw = parseCsw(resultBytes((await dev.transferIn(1, 13)).data));
    expect(csw).toEqual({ signature: USBS, tag: 0x1234, residue: 0, status: 0 });
    expect(fakeMscBlock(0)[510]).not.toBe(0x55); // no MBR signature on a fresh disk
  });

  it('should keep a write in memory and record it', async () => {
    const dev = await ready();
    const block = Uint8Array.from({ length: 1024 }, (_, i) => (i * 5 + 1) & 0xff);
    const { csw } = await command(dev, 9, write10(2000, 2), 1024, block);
    expect(csw).toMatchObject({ residue: 0, status: 0 });
    expect(dev.writes).toEqual([{ lba: 2000, blocks: 2 }]);
    expect(dev.changedBlocks()).toEqual([2000, 2001]);
    expect(dev.block(2001)).toEqual(block.slice(512));
    // And it reads back.
    const back = await command(dev, 10, read10(2000, 2), 1024);
    expect(back.data).toEqual(block);
  });

  it('should fail an unknown opcode with CHECK CONDITION, stall the data stage, and report INVALID COMMAND OPCODE', async () => {
    const dev = await ready();
    const { data, dataStatus, csw } = await command(dev, 3, [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0], 16);
    expect(data.byteLength).toBe(0);
    expect(dataStatus).toBe('stall');
    expect(csw).toMatchObject({ status: 1, residue: 16 });
    expect(dev.commands).toEqual(['0xa0']);
    const sense = await command(dev, 4, [ScsiOp.RequestSense, 0, 0, 0, 18, 0], 18);
    expect([sense.data[0], sense.data[2], sense.data[12], sense.data[13]]).toEqual([0x70, 0x05, 0x20, 0x00]);
    const cleared = await command(dev, 5, [ScsiOp.RequestSense, 0, 0, 0, 18, 0], 18);
    expect([cleared.data[2], cleared.data[12]]).toEqual([0, 0]);
  });

  it('should refuse the opcodes it is told to, as a drive that lacks them', async () => {
    const dev = await ready({ refuse: [ScsiOp.ModeSense6] });
    const { dataStatus, csw } = await command(dev, 60, [ScsiOp.ModeSense6, 0, 0x3f, 0, 192, 0], 192);
    expect([dataStatus, csw.status, csw.residue]).toEqual(['stall', 1, 192]);
    const sense = await command(dev, 61, [ScsiOp.RequestSense, 0, 0, 0, 18, 0], 18);
    expect([sense.data[2], sense.data[12]]).toEqual([0x05, 0x20]);
    expect((await command(dev, 62, [ScsiOp.ModeSense10, 0, 0x3f, 0, 0, 0, 0, 0, 192, 0], 192)).csw.status).toBe(0);
  });

  it('should wedge on the read it is told to until a Bulk-Only reset, then work', async () => {
    const dev = await ready({ hangReadAt: 10 });
    await dev.transferOut(2, fakeMscCbw(70, 4096, true, read10(8, 8)));
    let settled = false;
    const stuck = dev.transferIn(1, 4096).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 5));
    expect([settled, dev.hungCommands]).toEqual([false, 1]);
    // A CBW now is not valid: both pipes stall.
    expect((await dev.transferOut(2, fakeMscCbw(71, 0, false, [ScsiOp.TestUnitReady, 0, 0, 0, 0, 0]))).status).toBe('stall');
    expect((await stuck).status).toBe('stall');
    await dev.controlTransferOut({ requestType: 'class', recipient: 'interface', request: 0xff, value: 0, index: 0 });
    await dev.clearHalt('in', 1);
    await dev.clearHalt('out', 2);
    const again = await command(dev, 72, read10(8, 8), 4096);
    expect(again.data).toEqual(new Uint8Array(Array.from({ length: 8 }, (_, n) => Array.from(fakeMscBlock(8 + n))).flat()));
    expect(again.csw.status).toBe(0);
    expect(dev.reads).toEqual([{ lba: 8, blocks: 8 }]);
  });

  it('should pull its own plug when told to, at the read of a block', async () => {
    const dev = await ready({ unplugAtRead: 5 });
    expect((await command(dev, 80, read10(0, 4), 2048)).csw.status).toBe(0);
    await expect(dev.transferOut(2, fakeMscCbw(81, 2048, true, read10(4, 4)))).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(dev.opened).toBe(false);
  });

  it('should refuse a read past the end with LOGICAL BLOCK ADDRESS OUT OF RANGE', async () => {
    const dev = await ready();
    const { csw } = await command(dev, 11, read10(4095, 2), 1024);
    expect(csw).toMatchObject({ status: 1, residue: 1024 });
    const sense = await command(dev, 12, [ScsiOp.RequestSense, 0, 0, 0, 18, 0], 18);
    expect([sense.data[2], sense.data[12]]).toEqual([0x05, 0x21]);
  });

  it('should take the no-data commands a Linux host sends', async () => {
    const dev = await ready();
    for (const [tag, op] of [ScsiOp.TestUnitReady, ScsiOp.PreventAllowMediumRemoval, ScsiOp.StartStopUnit, ScsiOp.SynchronizeCache10].entries()) {
      const { csw } = await command(dev, 20 + tag, [op, 0, 0, 0, 1, 0], 0);
      expect(csw).toMatchObject({ status: 0, residue: 0 });
    }
  });

  it('should answer MODE SENSE(6) and (10) with the caching page, not write protected', async () => {
    const dev = await ready();
    const six = await command(dev, 30, [ScsiOp.ModeSense6, 0, 0x3f, 0, 192, 0], 192);
    expect(six.data.byteLength).toBe(24);
    expect([six.data[0], six.data[2], six.data[4], six.data[5]]).toEqual([23, 0, 0x08, 0x12]);
    // 24 bytes < 192 expected and not a packet multiple: a short packet ends the stage, no stall.
    expect(six.dataStatus).toBe('ok');
    expect(six.csw).toMatchObject({ status: 0, residue: 168 });
    const ten = await command(dev, 31, [ScsiOp.ModeSense10, 0, 0x08, 0, 0, 0, 0, 0, 64, 0], 64);
    expect(ten.data.byteLength).toBe(28);
    expect([ten.data[1], ten.data[8]]).toEqual([26, 0x08]);
    const unknown = await command(dev, 32, [ScsiOp.ModeSense6, 0, 0x1c, 0, 192, 0], 192);
    expect(unknown.csw.status).toBe(1);
  });

  it('should send a short read and stall before the CSW when the host expected more, ending on a packet boundary', async () => {
    const dev = await ready();
    const { data, dataStatus, csw } = await command(dev, 40, read10(3, 1), 1024);
    expect(data).toEqual(fakeMscBlock(3));
    expect(dataStatus).toBe('stall');
    expect(csw).toMatchObject({ status: 0, residue: 512 });
  });

  it('should end a read the host expected less of in a phase error, stalling the data stage', async () => {
    const dev = await ready();
    const { data, dataStatus, csw } = await command(dev, 41, read10(0, 2), 512);
    expect([data.byteLength, dataStatus]).toEqual([0, 'stall']);
    expect(csw).toMatchObject({ status: 2, residue: 512 });
  });

  it('should stall both pipes after an invalid CBW until a Bulk-Only reset and clear-halts', async () => {
    const dev = await ready();
    const bad = fakeMscCbw(50, 0, false, [ScsiOp.TestUnitReady, 0, 0, 0, 0, 0]);
    bad[0] = 0x00;
    expect((await dev.transferOut(2, bad)).status).toBe('stall');
    expect((await dev.transferIn(1, 13)).status).toBe('stall');
    expect((await dev.transferOut(2, fakeMscCbw(51, 0, false, [ScsiOp.TestUnitReady, 0, 0, 0, 0, 0]))).status).toBe('stall');
    await dev.controlTransferOut({ requestType: 'class', recipient: 'interface', request: 0xff, value: 0, index: 0 });
    await dev.clearHalt('in', 1);
    await dev.clearHalt('out', 2);
    const { csw } = await command(dev, 52, [ScsiOp.TestUnitReady, 0, 0, 0, 0, 0], 0);
    expect(csw.status).toBe(0);
  });

  it('should reject calls once unplugged and say so with disconnect', async () => {
    const dev = await ready();
    let gone = false;
    dev.addEventListener('disconnect', () => (gone = true));
    const waiting = dev.transferIn(1, 13);
    dev.unplug();
    await expect(waiting).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(dev.transferOut(2, fakeMscCbw(1, 0, false, [0, 0, 0, 0, 0, 0]))).rejects.toMatchObject({ name: 'NotFoundError' });
    expect([gone, dev.opened]).toEqual([true, false]);
    expect(FakeMscEndpoint.In & 0x80).toBe(0x80);
    expect(FAKE_MSC_BLOCK_SIZE).toBe(512);
  });
});
