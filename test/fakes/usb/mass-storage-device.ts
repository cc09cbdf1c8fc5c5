/**
 * A scripted stand-in for a WebUSB `USBDevice`: a USB flash drive. Mass storage class 0x08, SCSI transparent
 * command set (subclass 0x06), Bulk-Only Transport (protocol 0x50): one interface with bulk IN 0x81 and bulk
 * OUT 0x02 (64-byte packets at full speed, 512 with `highSpeed`), over an in-memory disk of `blocks` 512-byte
 * blocks whose initial content is `fakeMscBlock(n)` for block n, so a test can predict every byte read.
 *
 * What it owns: descriptors and the standard requests a host sends through WebUSB; the BOT class requests GET
 * MAX LUN (one LUN: 0) and Bulk-Only Mass Storage Reset; the BOT state machine (a 31-byte CBW "USBC" on bulk
 * OUT, the data stage, a 13-byte CSW "USBS" on bulk IN echoing the tag, with the residue and status); the SCSI
 * commands a Linux host sends a flash drive: INQUIRY, TEST UNIT READY, REQUEST SENSE, READ CAPACITY(10),
 * READ(10), WRITE(10), MODE SENSE(6)/(10), PREVENT ALLOW MEDIUM REMOVAL, SYNCHRONIZE CACHE(10), START STOP
 * UNIT. Any other opcode ends in CHECK CONDITION with sense ILLEGAL REQUEST / INVALID COMMAND OPCODE.
 *
 * Where a real drive would, it stalls: bulk IN when a command that owed data fails (the host clears the halt
 * and reads the CSW), both endpoints after a CBW that is not valid, until a Bulk-Only reset and clear-halts.
 * A bulk IN transfer completes on a short packet or when full, and otherwise waits, as on the bus. Every
 * WRITE(10) is recorded (`writes`), and the disk itself (`disk`) shows what the host wrote.
 *
 * Pure TypeScript with no Node APIs: unit tests use it directly, and the e2e page creates it and hands it to
 * the console (`addUsbDevice`) like the CDC-ACM fake.
 */
import type {
  UsbConfigurationLike,
  UsbControlTransferParametersLike,
  UsbDeviceLike,
  UsbDirectionLike,
  UsbInterfaceLike,
  UsbInTransferResultLike,
  UsbIsochronousInTransferResultLike,
  UsbIsochronousOutTransferResultLike,
  UsbOutTransferResultLike,
} from '../../../src/usb/webusb-types.js';
import { disconnected, domError, utf16Descriptor, view } from './fake-device-support.js';

export const FAKE_MSC_VENDOR_ID = 0x0781; // a flash-drive maker's id, as a guest would see a real stick
export const FAKE_MSC_PRODUCT_ID = 0x5567;
export const FAKE_MSC_PRODUCT = 'Fake Flash Drive';
export const FAKE_MSC_MANUFACTURER = 'spice-console tests';
export const FAKE_MSC_SERIAL = 'MSC0001';
export const FAKE_MSC_BLOCK_SIZE = 512;
/** Default disk size: 2 MiB. */
export const FAKE_MSC_BLOCKS = 4096;

export const FakeMscEndpoint = { In: 0x81, Out: 0x02 } as const;

/** SCSI operation codes the fake implements. */
export const ScsiOp = {
  TestUnitReady: 0x00,
  RequestSense: 0x03,
  Inquiry: 0x12,
  ModeSense6: 0x1a,
  StartStopUnit: 0x1b,
  PreventAllowMediumRemoval: 0x1e,
  ReadCapacity10: 0x25,
  Read10: 0x28,
  Write10: 0x2a,
  SynchronizeCache10: 0x35,
  ModeSense10: 0x5a,
} as const;

/** Sense keys and additional sense codes used here (SPC). */
export const Sense = {
  none: [0x00, 0x00, 0x00],
  invalidOpcode: [0x05, 0x20, 0x00],
  invalidFieldInCdb: [0x05, 0x24, 0x00],
  lbaOutOfRange: [0x05, 0x21, 0x00],
} as const;

const CBW_SIGNATURE = 0x43425355; // "USBC" little-endian
const CSW_SIGNATURE = 0x53425355; // "USBS"

/** Byte i of block n of a fresh disk. Block 0 does not end in 0x55 0xAA, so no partition table is seen. */
export function fakeMscByte(block: number, i: number): number {
  return (block * 7 + (block >> 8) * 131 + i * 3 + (i >> 8)) & 0xff;
}

/** A fresh disk's block n. */
export function fakeMscBlock(block: number): Uint8Array {
  const out = new Uint8Array(FAKE_MSC_BLOCK_SIZE);
  for (let i = 0; i < out.length; i++) out[i] = fakeMscByte(block, i);
  return out;
}

/** Builds a 31-byte CBW (for tests that talk to the fake directly). */
export function fakeMscCbw(tag: number, dataLength: number, dataIn: boolean, cdb: ArrayLike<number>, lun = 0): Uint8Array<ArrayBuffer> {
  const cbw = new Uint8Array(31);
  const v = new DataView(cbw.buffer);
  v.setUint32(0, CBW_SIGNATURE, true);
  v.setUint32(4, tag >>> 0, true);
  v.setUint32(8, dataLength >>> 0, true);
  cbw[12] = dataIn ? 0x80 : 0x00;
  cbw[13] = lun;
  cbw[14] = cdb.length;
  cbw.set(Array.from(cdb), 15);
  return cbw;
}

/** Parses a 13-byte CSW. */
export function parseCsw(bytes: Uint8Array): { signature: number; tag: number; residue: number; status: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { signature: v.getUint32(0, true), tag: v.getUint32(4, true), residue: v.getUint32(8, true), status: v.getUint8(12) };
}

function ascii(text: string, length: number): number[] {
  return Array.from(text.padEnd(length, ' ').slice(0, length), (c) => c.charCodeAt(0));
}

function deviceDescriptor(highSpeed: boolean): Uint8Array {
  return new Uint8Array([
    0x12,
    0x01, // bLength, device
    0x00,
    highSpeed ? 0x02 : 0x01, // bcdUSB 2.00 / 1.10
    0x00,
    0x00,
    0x00, // class at interface level
    0x40, // bMaxPacketSize0
    FAKE_MSC_VENDOR_ID & 0xff,
    FAKE_MSC_VENDOR_ID >> 8,
    FAKE_MSC_PRODUCT_ID & 0xff,
    FAKE_MSC_PRODUCT_ID >> 8,
    0x00,
    0x01, // bcdDevice 1.00
    0x01,
    0x02,
    0x03, // iManufacturer, iProduct, iSerialNumber
    0x01, // one configuration
  ]);
}

function configDescriptor(maxPacket: number): Uint8Array {
  return new Uint8Array([
    // configuration: wTotalLength 32, 1 interface, value 1, bus powered, 200 mA
    0x09,
    0x02,
    0x20,
    0x00,
    0x01,
    0x01,
    0x00,
    0x80,
    0x64,
    // interface 0 alt 0: 2 endpoints, mass storage / SCSI transparent / Bulk-Only
    0x09,
    0x04,
    0x00,
    0x00,
    0x02,
    0x08,
    0x06,
    0x50,
    0x00,
    // endpoint 0x81 bulk IN
    0x07,
    0x05,
    0x81,
    0x02,
    maxPacket & 0xff,
    maxPacket >> 8,
    0x00,
    // endpoint 0x02 bulk OUT
    0x07,
    0x05,
    0x02,
    0x02,
    maxPacket & 0xff,
    maxPacket >> 8,
    0x00,
  ]);
}

const HS_QUALIFIER = new Uint8Array([0x0a, 0x06, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00]);

export interface FakeMassStorageOptions {
  /** Disk size in 512-byte blocks (default 4096: 2 MiB). */
  blocks?: number;
  /** USB 2.0 high speed with 512-byte bulk packets (default: full speed, 64). */
  highSpeed?: boolean;
  productName?: string;
  serialNumber?: string;
  /** SCSI opcodes answered with CHECK CONDITION / INVALID COMMAND OPCODE, as by a drive that lacks them. */
  refuse?: readonly number[];
  /**
   * The first READ(10) that covers this block wedges the drive: no data stage and no CSW, until a Bulk-Only
   * reset or a USB reset (the host's error recovery). Later reads of it work.
   */
  hangReadAt?: number;
  /** The drive is pulled out (as `unplug()`) when a READ(10) covering this block arrives. */
  unplugAtRead?: number;
}

/** One READ(10) or WRITE(10): its first block and block count. */
export interface FakeMscWrite {
  lba: number;
  blocks: number;
}

interface PendingIn {
  length: number;
  received: Uint8Array[];
  receivedBytes: number;
  resolve(result: UsbInTransferResultLike): void;
  reject(error: unknown): void;
}

/** The command in progress between its CBW and its CSW. */
interface Command {
  tag: number;
  expected: number;
  dataIn: boolean;
  /** Data-out bytes still to come from the host. */
  outRemaining: number;
  /** Called with the data-out bytes once all came; returns the SCSI status. */
  onData?: (data: Uint8Array) => number;
  outChunks: Uint8Array[];
  /** Status and residue for the CSW. */
  status: number;
  residue: number;
}

export class FakeMassStorageDevice extends EventTarget implements UsbDeviceLike {
  readonly usbVersionMajor: number;
  readonly usbVersionMinor: number;
  readonly usbVersionSubminor = 0;
  readonly deviceClass = 0x00;
  readonly deviceSubclass = 0x00;
  readonly deviceProtocol = 0x00;
  readonly vendorId = FAKE_MSC_VENDOR_ID;
  readonly productId = FAKE_MSC_PRODUCT_ID;
  readonly deviceVersionMajor = 1;
  readonly deviceVersionMinor = 0;
  readonly deviceVersionSubminor = 0;
  readonly manufacturerName = FAKE_MSC_MANUFACTURER;
  readonly productName: string;
  readonly serialNumber: string;
  readonly configurations: readonly UsbConfigurationLike[];

  /** The disk's bytes (blocks × 512). */
  readonly disk: Uint8Array;
  readonly blocks: number;
  readonly highSpeed: boolean;
  /** Every WRITE(10) that reached the disk, in order. */
  readonly writes: FakeMscWrite[] = [];
  /** Every READ(10) served, in order. */
  readonly reads: FakeMscWrite[] = [];
  /** SCSI opcodes received, in order (hex strings, e.g. "0x28"). */
  readonly commands: string[] = [];
  /** Bulk-Only Mass Storage Resets received. */
  bulkOnlyResets = 0;
  /** USB port resets (WebUSB reset()). */
  resets = 0;
  /** Commands the drive wedged on (`hangReadAt`). */
  hungCommands = 0;

  private readonly maxPacket: number;
  private readonly strings: Uint8Array[];
  private readonly claimedSet = new Set<number>();
  private readonly halted = new Set<number>();
  private isOpen = false;
  private unplugged = false;
  private configValue = 1;
  private readonly pendingIn: PendingIn[] = [];
  /** Bytes waiting to go out on bulk IN (data stage, then the CSW). */
  private inQueue: Uint8Array[] = [];
  private command: Command | null = null;
  /** After an invalid CBW: both endpoints stall until a Bulk-Only reset. */
  private needsResetRecovery = false;
  private sense: readonly number[] = Sense.none;
  private readonly refused: ReadonlySet<number>;
  private hangReadAt: number | undefined;
  private readonly unplugAtRead: number | undefined;

  constructor(options: FakeMassStorageOptions = {}) {
    super();
    this.blocks = options.blocks ?? FAKE_MSC_BLOCKS;
    this.refused = new Set(options.refuse ?? []);
    this.hangReadAt = options.hangReadAt;
    this.unplugAtRead = options.unplugAtRead;
    this.highSpeed = options.highSpeed ?? false;
    this.productName = options.productName ?? FAKE_MSC_PRODUCT;
    this.serialNumber = options.serialNumber ?? FAKE_MSC_SERIAL;
    this.usbVersionMajor = this.highSpeed ? 2 : 1;
    this.usbVersionMinor = this.highSpeed ? 0 : 1;
    this.maxPacket = this.highSpeed ? 512 : 64;
    this.disk = new Uint8Array(this.blocks * FAKE_MSC_BLOCK_SIZE);
    for (let n = 0; n < this.blocks; n++) this.disk.set(fakeMscBlock(n), n * FAKE_MSC_BLOCK_SIZE);
    this.strings = [
      new Uint8Array([0x04, 0x03, 0x09, 0x04]),
      utf16Descriptor(this.manufacturerName),
      utf16Descriptor(this.productName),
      utf16Descriptor(this.serialNumber),
    ];
    const claimed = this.claimedSet;
    const alternate = {
      alternateSetting: 0,
      interfaceClass: 0x08,
      interfaceSubclass: 0x06,
      interfaceProtocol: 0x50,
      interfaceName: null,
      endpoints: [
        { endpointNumber: 1, direction: 'in' as const, type: 'bulk' as const, packetSize: this.maxPacket },
        { endpointNumber: 2, direction: 'out' as const, type: 'bulk' as const, packetSize: this.maxPacket },
      ],
    };
    const itf: UsbInterfaceLike = {
      interfaceNumber: 0,
      alternate,
      alternates: [alternate],
      get claimed() {
        return claimed.has(0);
      },
    };
    this.configurations = [{ configurationValue: 1, configurationName: null, interfaces: [itf] }];
  }

  get opened(): boolean {
    return this.isOpen;
  }

  get configuration(): UsbConfigurationLike | null {
    return this.configurations.find((c) => c.configurationValue === this.configValue) ?? null;
  }

  get claimedInterfaces(): number[] {
    return [...this.claimedSet];
  }

  /** Blocks whose bytes differ from a fresh disk's. */
  changedBlocks(): number[] {
    const out: number[] = [];
    for (let n = 0; n < this.blocks; n++) {
      const at = n * FAKE_MSC_BLOCK_SIZE;
      for (let i = 0; i < FAKE_MSC_BLOCK_SIZE; i++) {
        if (this.disk[at + i] !== fakeMscByte(n, i)) {
          out.push(n);
          break;
        }
      }
    }
    return out;
  }

  /** A block's current bytes. */
  block(n: number): Uint8Array {
    return this.disk.slice(n * FAKE_MSC_BLOCK_SIZE, (n + 1) * FAKE_MSC_BLOCK_SIZE);
  }

  /** Pulls the plug: pending and later calls reject with NotFoundError; fires `disconnect`. */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    this.isOpen = false;
    this.claimedSet.clear();
    for (const p of this.pendingIn.splice(0)) p.reject(disconnected());
    this.dispatchEvent(new Event('disconnect'));
  }

  // -------------------------------------------------------------------------------------------------------
  // USBDevice

  async open(): Promise<void> {
    if (this.unplugged) throw disconnected();
    await Promise.resolve();
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.check();
    await Promise.resolve();
    this.isOpen = false;
    this.claimedSet.clear();
    this.abortPending('The device was closed.');
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    this.check();
    if (configurationValue !== 1) throw domError('NotFoundError', 'The configuration value provided is not supported by the device.');
    await Promise.resolve();
    this.configValue = 1;
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.check();
    this.interfaceOf(interfaceNumber);
    await Promise.resolve();
    this.claimedSet.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.check();
    this.interfaceOf(interfaceNumber);
    await Promise.resolve();
    this.claimedSet.delete(interfaceNumber);
    this.abortPending('The transfer was cancelled.');
  }

  async selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.check();
    this.interfaceOf(interfaceNumber);
    if (alternateSetting !== 0) throw domError('NotFoundError', 'The alternate setting provided is not supported by the device.');
    await Promise.resolve();
  }

  async controlTransferIn(setup: UsbControlTransferParametersLike, length: number): Promise<UsbInTransferResultLike> {
    this.check();
    this.checkRecipient(setup);
    await Promise.resolve();
    const reply = (bytes: ArrayLike<number>): UsbInTransferResultLike => ({ status: 'ok', data: view(Array.from(bytes).slice(0, length)) });
    const stall: UsbInTransferResultLike = { status: 'stall', data: view([]) };
    if (setup.requestType === 'standard') {
      if (setup.request === 0x06 && setup.recipient === 'device') {
        const type = setup.value >> 8;
        const index = setup.value & 0xff;
        if (type === 0x01) return reply(deviceDescriptor(this.highSpeed));
        if (type === 0x02 && index === 0) return reply(configDescriptor(this.maxPacket));
        if (type === 0x06 && this.highSpeed) return reply(HS_QUALIFIER);
        if (type === 0x03 && this.strings[index]) return reply(this.strings[index]!);
        return stall;
      }
      if (setup.request === 0x00) {
        if (setup.recipient === 'endpoint') return reply([this.halted.has(setup.index & 0xff) ? 1 : 0, 0]);
        return reply([0x00, 0x00]);
      }
      return stall;
    }
    // GET MAX LUN: one LUN.
    if (setup.requestType === 'class' && setup.recipient === 'interface' && setup.request === 0xfe && setup.value === 0 && length >= 1) {
      return reply([0x00]);
    }
    return stall;
  }

  async controlTransferOut(setup: UsbControlTransferParametersLike, data?: Uint8Array): Promise<UsbOutTransferResultLike> {
    this.check();
    this.checkRecipient(setup);
    await Promise.resolve();
    const ok: UsbOutTransferResultLike = { status: 'ok', bytesWritten: data?.byteLength ?? 0 };
    // Bulk-Only Mass Storage Reset: ready for the next CBW; the halts stay until the host clears them.
    if (setup.requestType === 'class' && setup.recipient === 'interface' && setup.request === 0xff && setup.value === 0 && !data?.byteLength) {
      this.bulkOnlyResets++;
      this.command = null;
      this.inQueue = [];
      this.cswAfterStall = null;
      this.needsResetRecovery = false;
      return ok;
    }
    if (setup.requestType === 'standard' && (setup.request === 0x01 || setup.request === 0x03)) {
      if (setup.recipient === 'endpoint' && setup.value === 0) {
        if (setup.request === 0x01) this.clearHaltOf(setup.index & 0xff);
        else this.halt(setup.index & 0xff);
      }
      return ok;
    }
    return { status: 'stall', bytesWritten: 0 };
  }

  async clearHalt(direction: UsbDirectionLike, endpointNumber: number): Promise<void> {
    const address = (direction === 'in' ? 0x80 : 0) | endpointNumber;
    this.check();
    this.checkEndpoint(address);
    await Promise.resolve();
    this.clearHaltOf(address);
  }

  async transferIn(endpointNumber: number, length: number): Promise<UsbInTransferResultLike> {
    const address = 0x80 | endpointNumber;
    this.check();
    this.checkEndpoint(address);
    if (this.halted.has(address)) return { status: 'stall', data: view([]) };
    return new Promise((resolve, reject) => {
      this.pendingIn.push({ length, received: [], receivedBytes: 0, resolve, reject });
      this.serviceIn();
    });
  }

  async transferOut(endpointNumber: number, data: Uint8Array): Promise<UsbOutTransferResultLike> {
    const address = endpointNumber & 0x7f;
    this.check();
    this.checkEndpoint(address);
    await Promise.resolve();
    if (this.unplugged) throw disconnected();
    if (this.halted.has(address)) return { status: 'stall', bytesWritten: 0 };
    const cmd = this.command;
    if (cmd && cmd.outRemaining > 0) {
      const take = data.subarray(0, cmd.outRemaining);
      cmd.outChunks.push(take.slice());
      cmd.outRemaining -= take.byteLength;
      if (cmd.outRemaining === 0) {
        const all = new Uint8Array(cmd.expected);
        let at = 0;
        for (const c of cmd.outChunks) {
          all.set(c, at);
          at += c.byteLength;
        }
        if (cmd.onData) cmd.status = cmd.onData(all);
        this.finish();
      }
      return { status: 'ok', bytesWritten: data.byteLength };
    }
    if (cmd || this.needsResetRecovery || !this.acceptCbw(data)) {
      // Not a valid CBW where one was due: stall both pipes until reset recovery (BOT 6.6.1).
      this.needsResetRecovery = true;
      this.halt(FakeMscEndpoint.In);
      this.halt(FakeMscEndpoint.Out);
      return { status: 'stall', bytesWritten: 0 };
    }
    return { status: 'ok', bytesWritten: data.byteLength };
  }

  async isochronousTransferIn(): Promise<UsbIsochronousInTransferResultLike> {
    this.check();
    throw domError('InvalidAccessError', 'The specified endpoint is not an isochronous endpoint.');
  }

  async isochronousTransferOut(): Promise<UsbIsochronousOutTransferResultLike> {
    this.check();
    throw domError('InvalidAccessError', 'The specified endpoint is not an isochronous endpoint.');
  }

  async reset(): Promise<void> {
    this.check();
    await Promise.resolve();
    this.resets++;
    this.command = null;
    this.inQueue = [];
    this.cswAfterStall = null;
    this.halted.clear();
    this.needsResetRecovery = false;
    this.abortPending('The transfer was cancelled.');
  }

  // -------------------------------------------------------------------------------------------------------
  // Bulk-Only Transport

  /** Takes a CBW (false when it is not a valid one) and starts its command. */
  private acceptCbw(data: Uint8Array): boolean {
    if (data.byteLength !== 31) return false;
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (v.getUint32(0, true) !== CBW_SIGNATURE) return false;
    const cdbLength = data[14]! & 0x1f;
    if (cdbLength < 1 || cdbLength > 16 || (data[13]! & 0x0f) !== 0) return false;
    const cmd: Command = {
      tag: v.getUint32(4, true),
      expected: v.getUint32(8, true),
      dataIn: (data[12]! & 0x80) !== 0,
      outRemaining: 0,
      outChunks: [],
      status: 0,
      residue: 0,
    };
    this.command = cmd;
    this.execute(cmd, data.slice(15, 15 + cdbLength));
    return true;
  }

  /** Runs a SCSI command: queues its data-in (or waits for its data-out), and the CSW when it can. */
  private execute(cmd: Command, cdb: Uint8Array): void {
    const op = cdb[0]!;
    this.commands.push(`0x${op.toString(16).padStart(2, '0')}`);
    const be16 = (at: number) => (cdb[at]! << 8) | cdb[at + 1]!;
    const be32 = (at: number) => ((cdb[at]! << 24) | (cdb[at + 1]! << 16) | (cdb[at + 2]! << 8) | cdb[at + 3]!) >>> 0;
    const good = () => {
      this.sense = Sense.none;
      return 0;
    };
    const fail = (sense: readonly number[]) => {
      this.sense = sense;
      return 1;
    };
    /** Data-in of a command whose allocation length limits what it returns. */
    const dataIn = (bytes: ArrayLike<number>, allocation: number) => {
      const n = Math.min(bytes.length, allocation);
      this.sendIn(cmd, Array.from(bytes).slice(0, n), 0);
    };
    /** A command that moves no data (or failed): any data the host expected is owed. */
    const noData = (status: number) => {
      cmd.status = status;
      if (cmd.expected > 0 && cmd.dataIn) {
        cmd.residue = cmd.expected;
        this.halt(FakeMscEndpoint.In); // nothing to send: stall, the host clears it and reads the CSW
        this.finish();
      } else if (cmd.expected > 0) {
        cmd.residue = cmd.expected; // the data-out is taken and dropped
        cmd.outRemaining = cmd.expected;
      } else {
        this.finish();
      }
    };
    if (op !== ScsiOp.RequestSense) this.sense = Sense.none;
    if (this.refused.has(op)) return noData(fail(Sense.invalidOpcode));
    switch (op) {
      case ScsiOp.TestUnitReady:
      case ScsiOp.PreventAllowMediumRemoval:
      case ScsiOp.StartStopUnit:
      case ScsiOp.SynchronizeCache10:
        return noData(good());
      case ScsiOp.RequestSense: {
        const s = this.sense;
        this.sense = Sense.none;
        return this.dataInOr(cmd, noData, () => dataIn([0x70, 0, s[0]!, 0, 0, 0, 0, 10, 0, 0, 0, 0, s[1]!, s[2]!, 0, 0, 0, 0], cdb[4]!));
      }
      case ScsiOp.Inquiry: {
        if (cdb[1]! & 0x01 || cdb[2]) return noData(fail(Sense.invalidFieldInCdb)); // no VPD pages
        const data = [0x00, 0x80, 0x04, 0x02, 31, 0, 0, 0, ...ascii('SPICECON', 8), ...ascii(this.productName, 16), ...ascii('1.00', 4)];
        return this.dataInOr(cmd, noData, () => dataIn(data, be16(3)));
      }
      case ScsiOp.ReadCapacity10: {
        const last = this.blocks - 1;
        const data = [last >>> 24, (last >> 16) & 0xff, (last >> 8) & 0xff, last & 0xff, 0, 0, FAKE_MSC_BLOCK_SIZE >> 8, FAKE_MSC_BLOCK_SIZE & 0xff];
        return this.dataInOr(cmd, noData, () => dataIn(data, 8));
      }
      case ScsiOp.ModeSense6:
      case ScsiOp.ModeSense10: {
        const page = cdb[2]! & 0x3f;
        // Caching mode page: write cache enabled, so a host syncs it.
        const caching = [0x08, 0x12, 0x04, ...new Array<number>(17).fill(0)];
        let pages: number[];
        if (page === 0x3f || page === 0x08) pages = caching;
        else if (page === 0x00) pages = [];
        else return noData(fail(Sense.invalidFieldInCdb));
        const data =
          op === ScsiOp.ModeSense6 ? [3 + pages.length, 0x00, 0x00, 0x00, ...pages] : [(6 + pages.length) >> 8, (6 + pages.length) & 0xff, 0, 0, 0, 0, 0, 0, ...pages];
        return this.dataInOr(cmd, noData, () => dataIn(data, op === ScsiOp.ModeSense6 ? cdb[4]! : be16(7)));
      }
      case ScsiOp.Read10: {
        const lba = be32(2);
        const count = be16(7);
        if (lba + count > this.blocks) return noData(fail(Sense.lbaOutOfRange));
        const bytes = count * FAKE_MSC_BLOCK_SIZE;
        if (bytes > 0 && (!cmd.dataIn || cmd.expected < bytes)) return this.phaseError(cmd);
        if (this.unplugAtRead !== undefined && lba <= this.unplugAtRead && this.unplugAtRead < lba + count) {
          this.unplug();
          throw disconnected(); // the CBW's transferOut fails: the device went under it
        }
        if (this.hangReadAt !== undefined && lba <= this.hangReadAt && this.hangReadAt < lba + count) {
          // Wedged: the command stays current (a next CBW is invalid) until reset recovery.
          this.hangReadAt = undefined;
          this.hungCommands++;
          return;
        }
        this.reads.push({ lba, blocks: count });
        return this.sendIn(cmd, this.disk.subarray(lba * FAKE_MSC_BLOCK_SIZE, lba * FAKE_MSC_BLOCK_SIZE + bytes), good());
      }
      case ScsiOp.Write10: {
        const lba = be32(2);
        const count = be16(7);
        if (lba + count > this.blocks) return noData(fail(Sense.lbaOutOfRange));
        const bytes = count * FAKE_MSC_BLOCK_SIZE;
        if (bytes > 0 && (cmd.dataIn || cmd.expected !== bytes)) return this.phaseError(cmd);
        if (bytes === 0) return noData(good());
        cmd.outRemaining = bytes;
        cmd.onData = (data) => {
          this.disk.set(data, lba * FAKE_MSC_BLOCK_SIZE);
          this.writes.push({ lba, blocks: count });
          return good();
        };
        return;
      }
      default:
        return noData(fail(Sense.invalidOpcode));
    }
  }

  /** Runs `send` when the host asked for data in; otherwise the command fails as a bad CDB would. */
  private dataInOr(cmd: Command, noData: (status: number) => void, send: () => void): void {
    if (cmd.expected > 0 && !cmd.dataIn) {
      this.sense = Sense.invalidFieldInCdb;
      return noData(1);
    }
    send();
  }

  /** Queues data-in (at most what the host expects), then the CSW. A short reply that ends on a packet boundary stalls. */
  private sendIn(cmd: Command, data: ArrayLike<number>, status: number): void {
    const bytes = Uint8Array.from(data).subarray(0, cmd.expected);
    cmd.status = status;
    cmd.residue = cmd.expected - bytes.byteLength;
    if (bytes.byteLength) this.inQueue.push(bytes);
    if (cmd.residue > 0 && bytes.byteLength % this.maxPacket === 0) {
      // The host would wait for more: end the data stage with a stall after the data (BOT 6.7.2).
      this.stallAfterQueued = true;
    }
    this.finish();
  }

  /** BOT phase error: the CSW says so; data the host expected in is stalled, data out is dropped. */
  private phaseError(cmd: Command): void {
    cmd.status = 2;
    cmd.residue = cmd.expected;
    if (cmd.dataIn) {
      this.halt(FakeMscEndpoint.In);
      this.finish();
    } else {
      cmd.outRemaining = cmd.expected;
      cmd.onData = () => 2;
    }
  }

  /** Set when the data queued must be followed by a stall before the CSW. */
  private stallAfterQueued = false;
  /** The CSW waiting behind a stall. */
  private cswAfterStall: Uint8Array | null = null;

  /** Queues the CSW of the current command. */
  private finish(): void {
    const cmd = this.command!;
    const csw = new Uint8Array(13);
    const v = new DataView(csw.buffer);
    v.setUint32(0, CSW_SIGNATURE, true);
    v.setUint32(4, cmd.tag, true);
    v.setUint32(8, cmd.residue, true);
    csw[12] = cmd.status;
    this.command = null;
    if (this.stallAfterQueued) {
      this.stallAfterQueued = false;
      this.cswAfterStall = csw;
    } else {
      this.inQueue.push(csw);
    }
    this.serviceIn();
  }

  // -------------------------------------------------------------------------------------------------------
  // Internals

  private halt(address: number): void {
    this.halted.add(address);
    if (address !== FakeMscEndpoint.In) return;
    // A waiting IN transfer with nothing yet ends in the stall; one that got packets ends short with them.
    for (const p of this.pendingIn.splice(0)) p.resolve({ status: p.receivedBytes ? 'ok' : 'stall', data: this.joined(p) });
  }

  private clearHaltOf(address: number): void {
    this.halted.delete(address);
    if (address === FakeMscEndpoint.In) this.serviceIn();
  }

  private joined(p: PendingIn): DataView {
    const out = new Uint8Array(p.receivedBytes);
    let at = 0;
    for (const c of p.received) {
      out.set(c, at);
      at += c.byteLength;
    }
    return new DataView(out.buffer);
  }

  /**
   * Feeds waiting IN transfers in order, packet by packet. A transfer takes from one queued item at a time (the
   * data stage and the CSW are separate items, as they are separate transfers on the bus) and ends on a short
   * packet or when full. When the data stage is over and a stall is owed, the endpoint halts before the CSW.
   */
  private serviceIn(): void {
    while (this.pendingIn.length && !this.halted.has(FakeMscEndpoint.In)) {
      const p = this.pendingIn[0]!;
      let done = p.length === 0;
      while (!done && this.inQueue.length) {
        const head = this.inQueue[0]!;
        const take = Math.min(p.length - p.receivedBytes, head.byteLength);
        p.received.push(head.slice(0, take));
        p.receivedBytes += take;
        if (take === head.byteLength) this.inQueue.shift();
        else this.inQueue[0] = head.subarray(take);
        done = take % this.maxPacket !== 0 || p.receivedBytes >= p.length;
      }
      if (!done) {
        if (!this.inQueue.length && this.cswAfterStall) {
          this.inQueue.push(this.cswAfterStall);
          this.cswAfterStall = null;
          this.halt(FakeMscEndpoint.In); // ends this transfer: short with its data, or with the stall
        }
        return;
      }
      this.pendingIn.shift();
      const data = this.joined(p);
      queueMicrotask(() => p.resolve({ status: 'ok', data }));
    }
  }

  private abortPending(message: string): void {
    for (const p of this.pendingIn.splice(0)) p.reject(domError('AbortError', message));
  }

  private check(): void {
    if (this.unplugged) throw disconnected();
    if (!this.isOpen) throw domError('InvalidStateError', 'The device must be opened first.');
  }

  private interfaceOf(n: number): UsbInterfaceLike {
    const itf = this.configuration?.interfaces.find((i) => i.interfaceNumber === n);
    if (!itf) throw domError('NotFoundError', 'The interface number provided is not supported by the device in its current configuration.');
    return itf;
  }

  private checkEndpoint(address: number): void {
    if ((address !== FakeMscEndpoint.In && address !== FakeMscEndpoint.Out) || !this.claimedSet.has(0)) {
      throw domError('NotFoundError', 'The specified endpoint is not part of a claimed and selected alternate interface.');
    }
  }

  private checkRecipient(setup: UsbControlTransferParametersLike): void {
    if (setup.recipient === 'interface') {
      this.interfaceOf(setup.index & 0xff);
      if (!this.claimedSet.has(setup.index & 0xff)) throw domError('InvalidStateError', 'The specified interface has not been claimed.');
    } else if (setup.recipient === 'endpoint') {
      this.checkEndpoint(setup.index & 0xff);
    }
  }
}
