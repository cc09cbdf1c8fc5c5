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
let current: SpiceConsole | null = null;

const api = {
  ready: true,
  events,
  mount(): void {
    current?.remove();
    const el = document.createElement('spice-console');
    for (const name of ['spice-connected', 'spice-disconnected', 'spice-channels', 'spice-state']) {
      el.addEventListener(name, (e) => events.push({ name, detail: JSON.parse(JSON.stringify((e as CustomEvent).detail)) }));
    }
    document.body.append(el);
    current = el;
  },
  async connect(url: string, password = ''): Promise<void> {
    if (!current) api.mount();
    events.length = 0;
    current!.url = url;
    current!.password = password;
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
  state(): string {
    return current?.state ?? 'none';
  },
  named(name: string): any[] {
    return events.filter((e) => e.name === name).map((e) => e.detail);
  },
};

(window as any).spiceTest = api;
