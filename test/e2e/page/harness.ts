/**
 * The e2e page's test API (`window.spiceTest`): mounts `<spice-console>`, connects it, and records every
 * spice-* event so Node-side tests can wait for and inspect them with page.evaluate.
 */
import '../../../src/define.js';
import type { SpiceConsole } from '../../../src/index.js';
import { FakeCdcAcmDevice, type FakeCdcAcmOptions } from '../../fakes/usb/cdc-acm-device.js';
import { FakeMassStorageDevice, type FakeMassStorageOptions } from '../../fakes/usb/mass-storage-device.js';

interface Recorded {
  name: string;
  detail: any;
}

const events: Recorded[] = [];
/** Input-related events the input tests wait for. */
const inputEventNames = ['spice-resize', 'spice-mouse-mode', 'spice-pointer-lock', 'spice-keyboard-locks'];
let current: SpiceConsole | null = null;
/** Fake USB devices created on this page, by key. */
const usbFakes = new Map<string, FakeCdcAcmDevice>();
/** Fake USB flash drives created on this page, by key. */
const mscFakes = new Map<string, FakeMassStorageDevice>();

const api = {
  ready: true,
  events,
  mount(): void {
    current?.remove();
    const el = document.createElement('spice-console');
    // Native USB, as an oVirt VM with USB support is opened (the element's default is "disabled").
    el.usb = 'native';
    for (const name of ['spice-connected', 'spice-disconnected', 'spice-channels', 'spice-state', 'spice-usb', ...inputEventNames]) {
      el.addEventListener(name, (e) => events.push({ name, detail: JSON.parse(JSON.stringify((e as CustomEvent).detail)) }));
    }
    document.body.append(el);
    current = el;
  },
  async connect(url: string, password = '', imageCompression = ''): Promise<void> {
    if (!current) api.mount();
    events.length = 0;
    current!.url = url;
    current!.password = password;
    current!.imageCompression = imageCompression as never;
    await current!.connect();
  },
  async disconnect(): Promise<void> {
    await current?.disconnect();
  },
  remove(): void {
    current?.remove();
    current = null;
  },
  openSockets(): Promise<number> {
    return current ? current.openSockets() : Promise.resolve(0);
  },
  /** The element's screenshot as base64 RGBA (cheap to pass to Node). */
  async screenshot(displayId = 0): Promise<{ width: number; height: number; rgba: string } | null> {
    const shot = await current?.screenshot(displayId);
    if (!shot) return null;
    let binary = '';
    for (let i = 0; i < shot.rgba.length; i += 0x8000) binary += String.fromCharCode(...shot.rgba.subarray(i, i + 0x8000));
    return { width: shot.width, height: shot.height, rgba: btoa(binary) };
  },
  displayStats() {
    return current?.displayStats() ?? [];
  },
  state(): string {
    return current?.state ?? 'none';
  },
  /** The element under test (input tests set attributes and call its methods). */
  element(): SpiceConsole | null {
    return current;
  },
  /** The screen canvas's box in page coordinates and its computed CSS cursor. */
  screen(): { left: number; top: number; width: number; height: number; cursor: string } | null {
    const canvas = current?.shadowRoot?.querySelector('canvas');
    if (!canvas) return null;
    const r = canvas.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height, cursor: getComputedStyle(canvas).cursor };
  },
  /** USB: creates a FakeCdcAcmDevice on the page, hands it to the console, returns its key. */
  addFakeUsbDevice(options: FakeCdcAcmOptions = {}): string {
    if (!current) api.mount();
    const device = new FakeCdcAcmDevice({ keepWritten: false, ...options });
    const { key } = current!.addUsbDevice(device);
    usbFakes.set(key, device);
    return key;
  },
  /** USB: creates a FakeMassStorageDevice (a flash drive) on the page, hands it to the console, returns its key. */
  addFakeMassStorage(options: FakeMassStorageOptions = {}): string {
    if (!current) api.mount();
    const device = new FakeMassStorageDevice(options);
    const { key } = current!.addUsbDevice(device);
    mscFakes.set(key, device);
    return key;
  },
  /** What a fake flash drive saw: the blocks that differ from a fresh disk (with their bytes as hex), its WRITE(10)s and SCSI opcodes. */
  fakeMassStorage(key: string): {
    opened: boolean;
    changed: { block: number; hex: string }[];
    writes: { lba: number; blocks: number }[];
    reads: { lba: number; blocks: number }[];
    commands: string[];
    bulkOnlyResets: number;
    resets: number;
    hungCommands: number;
  } | null {
    const d = mscFakes.get(key);
    if (!d) return null;
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return {
      opened: d.opened,
      changed: d.changedBlocks().map((block) => ({ block, hex: hex(d.block(block)) })),
      writes: [...d.writes],
      reads: [...d.reads],
      commands: [...d.commands],
      bulkOnlyResets: d.bulkOnlyResets,
      resets: d.resets,
      hungCommands: d.hungCommands,
    };
  },
  /** redirectUsb/releaseUsb with the outcome as plain data: `{ ok }` or `{ ok: false, code, message }`. */
  async redirectUsb(key: string): Promise<{ ok: boolean; code?: string; message?: string }> {
    try {
      await current!.redirectUsb(key);
      return { ok: true };
    } catch (e) {
      return { ok: false, code: (e as { code?: string }).code, message: (e as Error).message };
    }
  },
  async releaseUsb(key: string): Promise<{ ok: boolean; code?: string; message?: string }> {
    try {
      await current!.releaseUsb(key);
      return { ok: true };
    } catch (e) {
      return { ok: false, code: (e as { code?: string }).code, message: (e as Error).message };
    }
  },
  /** Pulls a fake device's plug. */
  unplugUsb(key: string): void {
    usbFakes.get(key)?.unplug();
  },
  /** What a fake device saw: bytes written to it, resets, whether it is open, what it still holds, its calls. */
  fakeUsbDevice(key: string): { written: number; resets: number; opened: boolean; claimed: number[]; pendingTransfers: number; calls: string[] } | null {
    const d = usbFakes.get(key);
    return d
      ? {
          written: d.writtenCount,
          resets: d.resets,
          opened: d.opened,
          claimed: d.claimedInterfaces,
          pendingTransfers: d.pendingTransfers,
          calls: d.calls.filter((c) => !c.startsWith('transfer')),
        }
      : null;
  },
  /** Injects a fault into a fake device: `vanishAfterWritten`, `halt`, `hang`, `unhang`, `freeze`, `failNext` or `failCalls` with its arguments. */
  fakeUsbFault(key: string, fault: 'vanishAfterWritten' | 'halt' | 'hang' | 'unhang' | 'freeze' | 'failNext' | 'failCalls', ...args: unknown[]): void {
    const d = usbFakes.get(key);
    if (!d) throw new Error(`no fake USB device ${key}`);
    (d[fault] as (...a: unknown[]) => void)(...args);
  },
  usbStatus() {
    return current ? JSON.parse(JSON.stringify(current.usbStatus)) : null;
  },
  /** Puts a <spice-usb-menu> in the console's toolbar and returns what it shows. */
  async usbMenu(): Promise<{
    toggle: string;
    reason: string | null;
    addDisabled: boolean;
    devices: { key: string; state: string; text: string; action: string; disabled: boolean }[];
  } | null> {
    if (!current) return null;
    let menu = current.querySelector('spice-usb-menu');
    if (!menu) {
      menu = document.createElement('spice-usb-menu');
      menu.slot = 'toolbar';
      current.append(menu);
    }
    await menu.updateComplete;
    const root = menu.shadowRoot;
    if (!root) return null;
    return {
      toggle: root.querySelector('[part="toggle"]')?.getAttribute('title') ?? '',
      reason: root.querySelector('[part="reason"]')?.textContent?.trim() ?? null,
      addDisabled: (root.querySelector('[part="add"]') as HTMLButtonElement | null)?.disabled ?? true,
      devices: Array.from(root.querySelectorAll('[part="device"]')).map((li) => ({
        key: li.getAttribute('data-key') ?? '',
        state: li.getAttribute('data-state') ?? '',
        text: li.querySelector('[part="device-state"]')?.textContent?.trim() ?? '',
        action: li.querySelector('[part="device-action"]')?.textContent?.trim() ?? '',
        disabled: (li.querySelector('[part="device-action"]') as HTMLButtonElement | null)?.disabled ?? true,
      })),
    };
  },
  named(name: string): any[] {
    return events.filter((e) => e.name === name).map((e) => e.detail);
  },
};

(window as any).spiceTest = api;
