/**
 * <spice-usb-menu> and the console's USB API in Chromium, against a stand-in engine worker
 * (usb-fake-engine.worker.ts) that reports usbredir channels and drives devices through the real device
 * port: states (unavailable with the reason, available, the device list), redirect and release from the
 * menu, the migration notice, filters, unplugging, auto-redirect.
 */
import '../../src/define.js';
import type { UsbStatus } from '../../src/api/usb.js';
import { UsbController } from '../../src/controllers/usb-controller.js';
import type { EngineController } from '../../src/controllers/engine-controller.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { SpiceUsbMenu } from '../../src/elements/spice-usb-menu/spice-usb-menu.js';
import { FakeCdcAcmDevice } from '../fakes/usb/cdc-acm-device.js';
import { assert, assertEqual } from './assert.js';

const fakeEngine = () => new Worker(new URL('./usb-fake-engine.worker.ts', import.meta.url), { type: 'module', name: 'usb-fake-engine' });

function mount(attrs: Record<string, string> = {}): { el: SpiceConsole; menu: SpiceUsbMenu } {
  const el = new SpiceConsole(fakeEngine);
  el.id = 'vm';
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  document.body.append(el);
  const menu = document.createElement('spice-usb-menu');
  menu.setAttribute('for', 'vm');
  document.body.append(menu);
  return { el, menu };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const part = (menu: SpiceUsbMenu, name: string) => menu.shadowRoot!.querySelector<HTMLElement>(`[part="${name}"]`);
const parts = (menu: SpiceUsbMenu, name: string) => Array.from(menu.shadowRoot!.querySelectorAll<HTMLElement>(`[part="${name}"]`));
const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

async function rejection(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

async function connectTo(el: SpiceConsole, menu: SpiceUsbMenu, usbredir: number): Promise<void> {
  el.url = `ws://fake/?usbredir=${usbredir}`;
  await el.connect();
  await until('the USB status', () => el.usbStatus.reason !== 'Not connected');
  await menu.updateComplete;
}

describe('<spice-usb-menu>', () => {
  afterEach(async () => {
    for (const el of document.querySelectorAll('spice-console')) {
      await (el as SpiceConsole).disconnect();
      el.remove();
    }
    document.querySelectorAll('spice-usb-menu').forEach((m) => m.remove());
  });

  it('should register and show why USB is off by default (usb="disabled"), with its controls disabled', async () => {
    assert(customElements.get('spice-usb-menu') === SpiceUsbMenu, 'spice-usb-menu is SpiceUsbMenu');
    const { el, menu } = mount();
    await menu.updateComplete;
    assertEqual(el.usb, 'disabled', 'default usb mode');
    assertEqual(el.usbAvailable, false, 'usbAvailable');
    assert(!el.hasAttribute('usb-available'), 'no usb-available attribute');
    assertEqual(text(part(menu, 'reason')), 'USB redirection is unavailable: USB redirection is turned off for this console (usb="disabled")', 'reason');
    assert((part(menu, 'add') as HTMLButtonElement).disabled, 'add disabled');
    assert(part(menu, 'toggle')!.hasAttribute('data-unavailable'), 'toggle marked unavailable');
    assert(part(menu, 'toggle')!.title.includes('turned off'), 'toggle title carries the reason');
  });

  it('should report usb="legacy" as unsupported in a browser, and "native" as waiting for a connection', async () => {
    const { el, menu } = mount({ usb: 'legacy' });
    await menu.updateComplete;
    assert(/Legacy USB redirection needs a separate USB-over-network client/.test(el.usbStatus.reason!), el.usbStatus.reason!);
    el.usb = 'native';
    await el.updateComplete;
    await menu.updateComplete;
    assertEqual(el.usbStatus.reason, 'Not connected', 'reason when not connected');
    assert(/Not connected/.test(text(part(menu, 'reason'))), 'menu says not connected');
  });

  it('should find its console when placed inside it, and say so when it has none', async () => {
    const orphan = document.createElement('spice-usb-menu');
    document.body.append(orphan);
    await orphan.updateComplete;
    assert(/not attached to a <spice-console>/.test(text(part(orphan, 'reason'))), text(part(orphan, 'reason')));
    const el = new SpiceConsole(fakeEngine);
    el.usb = 'native';
    const inner = document.createElement('spice-usb-menu');
    inner.slot = 'toolbar';
    el.append(inner);
    document.body.append(el);
    await inner.updateComplete;
    assert(inner.console === el, 'the enclosing console');
    assert(el.shadowRoot!.querySelector('slot[name="toolbar"]') !== null, 'the console has a toolbar slot');
  });

  it('should turn USB on for a VM with usbredir channels, list devices, redirect and release them, and warn once about migration', async () => {
    const { el, menu } = mount({ usb: 'native' });
    const events: UsbStatus[] = [];
    el.addEventListener('spice-usb', (e) => events.push((e as CustomEvent<UsbStatus>).detail));
    await connectTo(el, menu, 2);
    assertEqual(el.usbAvailable, true, 'usbAvailable');
    assert(el.hasAttribute('usb-available'), 'usb-available attribute reflects');
    assertEqual(el.usbStatus.channels, { total: 2, free: 2 }, 'channels');
    assert(part(menu, 'reason') === null, 'no reason shown');
    assert(!(part(menu, 'add') as HTMLButtonElement).disabled, 'add enabled');
    assertEqual(text(part(menu, 'empty')), 'No USB device yet.', 'empty list');

    const fake = new FakeCdcAcmDevice();
    const info = el.addUsbDevice(fake);
    assertEqual(info.key, '2341:0043:SC0001#0', 'device key');
    await menu.updateComplete;
    const [item] = parts(menu, 'device');
    assertEqual(item!.dataset.state, 'available', 'listed available');
    assertEqual(text(item!.querySelector('[part="device-name"]')), 'Fake Arduino Uno (2341:0043)', 'device name');
    assertEqual(text(item!.querySelector('[part="device-action"]')), 'Redirect', 'action');

    menu.open = true;
    await menu.updateComplete;
    (item!.querySelector('[part="device-action"]') as HTMLButtonElement).click();
    await until('redirected', () => el.usbStatus.devices[0]?.state === 'redirected');
    await menu.updateComplete;
    // The engine read the device's descriptors through the device port, across the worker boundary.
    assert(fake.opened, 'the page device was opened for the engine');
    assert(
      fake.calls.some((c) => c.startsWith('controlTransferIn(standard, device, 0x6, 0x100')),
      'device descriptor read',
    );
    const redirected = parts(menu, 'device')[0]!;
    assertEqual(text(redirected.querySelector('[part="device-state"]')), 'Redirected (USB channel 0)', 'state text');
    assertEqual(text(redirected.querySelector('[part="device-action"]')), 'Release', 'release action');
    assertEqual(text(part(menu, 'toggle')), 'USB (1)', 'toggle counts redirected devices');
    assert(/cannot be live-migrated/.test(text(part(menu, 'notice'))), 'migration notice shown');
    assert(
      events.some((e) => e.migrationWarning),
      'spice-usb carries the migration warning',
    );
    (part(menu, 'dismiss') as HTMLButtonElement).click();
    await menu.updateComplete;
    assert(part(menu, 'notice') === null, 'notice dismissed');

    (parts(menu, 'device')[0]!.querySelector('[part="device-action"]') as HTMLButtonElement).click();
    await until('released', () => el.usbStatus.devices[0]?.state === 'available');
    await until('closed on the page', () => !fake.opened);
    await menu.updateComplete;
    assertEqual(el.usbStatus.channels, { total: 2, free: 2 }, 'channel free again');
    assert(part(menu, 'notice') === null, 'the notice stays dismissed');
  });

  it('should report USB unavailable for a VM without usbredir channels and reject calls with usb-unavailable', async () => {
    const { el, menu } = mount({ usb: 'native' });
    await connectTo(el, menu, 0);
    assert(/no usbredir channel/.test(el.usbStatus.reason!), el.usbStatus.reason!);
    assert(/not configured for USB redirection/.test(text(part(menu, 'reason'))), 'menu reason');
    const { key } = el.addUsbDevice(new FakeCdcAcmDevice());
    await menu.updateComplete;
    assert((parts(menu, 'device')[0]!.querySelector('[part="device-action"]') as HTMLButtonElement).disabled, 'device action disabled');
    const error = await rejection(el.redirectUsb(key));
    assertEqual(error.code, 'usb-unavailable', 'code');
    assertEqual((await rejection(el.requestUsbDevice())).code, 'usb-unavailable', 'requestUsbDevice code');
  });

  it("should refuse a device the console's usb-filter does not allow, with the reason", async () => {
    const { el, menu } = mount({ usb: 'native', 'usb-filter': '0x02,-1,-1,-1,0|-1,-1,-1,-1,1' });
    await connectTo(el, menu, 1);
    const fake = new FakeCdcAcmDevice();
    const { key } = el.addUsbDevice(fake);
    const error = await rejection(el.redirectUsb(key));
    assertEqual(error.code, 'usb-refused', 'code');
    assert(/usb|USB filter.*class 0x02.*rule 1/.test(error.message), error.message);
    await menu.updateComplete;
    assert(/^Refused: not allowed by this console's USB filter/.test(text(parts(menu, 'device')[0]!.querySelector('[part="device-state"]'))), 'refused in the menu');
    assert(!fake.opened, 'never opened');
  });

  it('should mark a stand-in that fires disconnect as lost, and redirect what the auto-redirect filter matches', async () => {
    const { el, menu } = mount({ usb: 'native', 'usb-auto-redirect-filter': '-1,0x2341,-1,-1,1|-1,-1,-1,-1,0' });
    await connectTo(el, menu, 2);
    const auto = new FakeCdcAcmDevice({ serialNumber: 'AUTO' });
    const other = new FakeCdcAcmDevice({ serialNumber: 'OTHER' });
    Object.defineProperty(other, 'vendorId', { value: 0x1234 });
    el.addUsbDevice(auto);
    el.addUsbDevice(other);
    await until('auto-redirected', () => el.usbStatus.devices.find((d) => d.serialNumber === 'AUTO')?.state === 'redirected');
    assertEqual(el.usbStatus.devices.find((d) => d.serialNumber === 'OTHER')!.state, 'available', 'not matching the auto filter');
    other.unplug();
    await until('lost', () => el.usbStatus.devices.find((d) => d.serialNumber === 'OTHER')?.state === 'lost');
    await menu.updateComplete;
    const lost = parts(menu, 'device').find((d) => d.dataset.key === '1234:0043:OTHER#0')!;
    assertEqual(text(lost.querySelector('[part="device-state"]')), 'Unplugged', 'lost state text');
    assert((lost.querySelector('[part="device-action"]') as HTMLButtonElement).disabled, 'no action on a lost device');
  });

  it('should reject requestUsbDevice without a user gesture, with a reason', async () => {
    const { el, menu } = mount({ usb: 'native' });
    await connectTo(el, menu, 1);
    const error = await rejection(el.requestUsbDevice());
    assert(error.code === 'usb-failed' || error.code === 'usb-cancelled', `code ${error.code}`);
  });

  it('should tell a browser without WebUSB apart', () => {
    const host = { addController() {}, removeController() {}, requestUpdate() {}, updateComplete: Promise.resolve(true) };
    const controller = new UsbController(host, {
      engine: { api: null } as unknown as EngineController,
      mode: () => 'native',
      filter: () => '',
      autoRedirectFilter: () => '',
      changed: () => {},
      webusb: null,
    });
    assert(/no WebUSB.*Chromium-based browser/.test(controller.status.reason!), controller.status.reason!);
    assertEqual(controller.engineOptions().mode, 'disabled', 'usbredir channels are not linked then');
  });
});
