/**
 * A stand-in engine worker for the USB browser tests: it speaks the EngineApi contract over comlink like
 * workers/spice.worker.ts, but has no SPICE session. `connect` reports a session whose usbredir channels are
 * given by the URL (`ws://fake/?usbredir=N`); `redirectUsb` drives the page's device through the real
 * device port (PageUsbDevice): opens it and reads its descriptors as UsbHost does, then reports it
 * redirected. So the page side (UsbController, device port, <spice-usb-menu>) runs against a real worker
 * boundary.
 */
import { expose } from 'comlink';
import type { EngineEventSink } from '../../src/api/engine-api.js';
import type { ConnectOptions } from '../../src/api/types.js';
import type { UsbDeviceStatus, UsbEngineStatus, UsbResult } from '../../src/api/usb.js';
import { USB_MIGRATION_WARNING } from '../../src/api/usb.js';
import { PageUsbDevice } from '../../src/engine/usb-device-proxy.js';
import { readDescriptors } from '../../src/usb/host/index.js';
import { idleEngineCalls } from './fake-engine-base.js';

let sink: EngineEventSink = () => {};
let total = 0;
const devices = new Map<string, { status: UsbDeviceStatus; device: PageUsbDevice }>();
let warned = false;

function status(): UsbEngineStatus {
  const busy = [...devices.values()].filter((d) => d.status.state === 'redirected').length;
  return {
    available: total > 0,
    ...(total > 0 ? {} : { reason: 'The connected VM is not configured for USB redirection: the server offers no usbredir channel' }),
    channels: { total, free: total - busy },
    devices: [...devices.values()].map((d) => ({ ...d.status })),
    ...(warned ? { migrationWarning: USB_MIGRATION_WARNING } : {}),
  };
}

const emit = () => sink({ type: 'usb', ...status() });

const engine = {
  ...idleEngineCalls(() => sink),
  async connect(options: ConnectOptions, s: EngineEventSink): Promise<void> {
    sink = s;
    total = options.usb?.mode === 'native' ? Number(new URL(options.url).searchParams.get('usbredir') ?? 0) : 0;
    sink({ type: 'state', state: 'connected' });
    sink({
      type: 'connected',
      session: { sessionId: 1, channels: [], displayChannelsHint: 1, mouseModes: ['client'], mouseMode: 'client', agentConnected: false },
    });
    emit();
  },
  async redirectUsb(key: string, port?: MessagePort): Promise<UsbResult> {
    if (!port) return { ok: false, code: 'usb-not-found', message: 'no device port' };
    if (status().channels.free === 0) {
      port.close();
      return { ok: false, code: 'usb-no-free-channel', message: 'there are no free USB channels' };
    }
    const device = await PageUsbDevice.connect(port);
    await device.open();
    const descriptors = await readDescriptors(device);
    if (descriptors.device.idVendor !== device.vendorId) return { ok: false, code: 'usb-failed', message: 'descriptors do not match' };
    warned = true;
    devices.set(key, { device, status: { key, state: 'redirected', channelId: devices.size, via: 'page' } });
    emit();
    return { ok: true, via: 'page' };
  },
  async releaseUsb(key: string): Promise<UsbResult> {
    const d = devices.get(key);
    if (d) {
      await d.device.close();
      d.device.dispose();
      devices.delete(key);
      emit();
    }
    return { ok: true };
  },
};

expose(engine);
