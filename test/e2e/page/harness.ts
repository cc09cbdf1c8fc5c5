/**
 * The e2e page's test API (`window.spiceTest`): mounts `<spice-console>`, connects it, and records every
 * spice-* event so Node-side tests can wait for and inspect them with page.evaluate.
 */
import '../../../src/define.js';
import type { SpiceConsole } from '../../../src/index.js';

interface Recorded {
  name: string;
  detail: any;
}

const events: Recorded[] = [];
/** Input-related events the input tests wait for. */
const inputEventNames = ['spice-resize', 'spice-mouse-mode', 'spice-pointer-lock', 'spice-keyboard-locks'];
let current: SpiceConsole | null = null;

const api = {
  ready: true,
  events,
  mount(): void {
    current?.remove();
    const el = document.createElement('spice-console');
    for (const name of ['spice-connected', 'spice-disconnected', 'spice-channels', 'spice-state', ...inputEventNames]) {
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
  named(name: string): any[] {
    return events.filter((e) => e.name === name).map((e) => e.detail);
  },
};

(window as any).spiceTest = api;
