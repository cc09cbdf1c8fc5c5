import '../../src/define.js';
import type { EngineEvent } from '../../src/api/engine-api.js';
import type { InputEvent } from '../../src/api/input.js';
import type { MonitorInfo } from '../../src/api/monitors.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import type { SpiceMonitor } from '../../src/elements/spice-monitor/spice-monitor.js';
import { assert, assertEqual } from './assert.js';
import { fakeEngine, frames, type FakeEngine } from './input-fakes.js';

const monitor = (channelId: number, monitorId: number, x: number, width: number, height: number): MonitorInfo => ({
  key: `${channelId}:${monitorId}`,
  channelId,
  displayId: channelId === 0 ? monitorId : channelId,
  monitorId,
  x,
  y: 0,
  width,
  height,
  surfaceX: channelId === 0 ? x : 0,
  surfaceY: 0,
});

/** Two monitors of two display channels: 1024x768 and 800x600 to its right. */
const TWO: EngineEvent = { type: 'monitors', maxAllowed: 2, monitors: [monitor(0, 0, 0, 1024, 768), monitor(1, 0, 1024, 800, 600)] };

async function connected(style = 'display:block;width:1200px;height:500px;position:absolute;left:0;top:0'): Promise<{ el: SpiceConsole; engine: FakeEngine }> {
  const engine = fakeEngine('client');
  const el = new SpiceConsole(engine.factory);
  el.style.cssText = style;
  el.url = 'ws://fake';
  document.body.append(el);
  await el.connect();
  return { el, engine };
}

function monitors(el: SpiceConsole): SpiceMonitor[] {
  return [...el.shadowRoot!.querySelectorAll('spice-monitor')];
}

function pointer(target: Element, type: string, clientX: number, clientY: number): void {
  target.dispatchEvent(
    new PointerEvent(type, { clientX, clientY, bubbles: true, composed: true, cancelable: true, pointerId: 1, pointerType: 'mouse', isPrimary: true, buttons: 0 }),
  );
}

const positions = (engine: FakeEngine) => engine.batches.flat().filter((e): e is Extract<InputEvent, { type: 'position' }> => e.type === 'position');

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('<spice-console> monitors', () => {
  afterEach(() => document.querySelectorAll('spice-console').forEach((el) => el.remove()));

  it('should give every monitor its own canvas, arranged as the guest places them, and attach each once', async () => {
    const { el, engine } = await connected();
    const seen: unknown[] = [];
    el.addEventListener('spice-monitors', (e) => seen.push((e as CustomEvent).detail));
    await engine.emit(TWO);
    await el.updateComplete;
    // Engine events cross from the fake worker as messages: wait for their effect, not for a fixed frame.
    await until(() => monitors(el).length === 2, 'two <spice-monitor> elements');
    const [a, b] = monitors(el);
    assert(a && b, 'two <spice-monitor> elements');
    assertEqual(el.shadowRoot!.querySelectorAll('canvas').length, 2, 'two canvases');
    await until(() => engine.attached.length === 2, 'both canvases attached');
    assertEqual(engine.attached, ['0:0', '1:0'], 'attached once each');
    assertEqual((seen[0] as { maxAllowed: number }).maxAllowed, 2, 'spice-monitors detail');
    const ra = a.canvas.getBoundingClientRect();
    const rb = b.canvas.getBoundingClientRect();
    // 1824x768 guest pixels fitted into 1200x500: one scale for both, b right of a, top-aligned.
    const scale = Math.min(1200 / 1824, 500 / 768);
    assert(Math.abs(ra.width - 1024 * scale) < 1 && Math.abs(rb.width - 800 * scale) < 1, `scaled together: ${ra.width} ${rb.width}`);
    assert(Math.abs(rb.left - ra.right) < 1 && Math.abs(rb.top - ra.top) < 1, 'b right of a');
    // The same event again changes nothing; a size change keeps the element (and its canvas).
    await engine.emit(TWO);
    await engine.emit({ type: 'monitors', maxAllowed: 2, monitors: [monitor(0, 0, 0, 1024, 768), monitor(1, 0, 1024, 640, 480)] });
    assert(monitors(el)[1] === b, 'same element after a resize');
    assertEqual(engine.attached.length, 2, 'no new canvas for a resize');
    // A monitor that goes away loses its element; when it comes back it gets a new canvas.
    await engine.emit({ type: 'monitors', maxAllowed: 2, monitors: [monitor(0, 0, 0, 1024, 768)] });
    await until(() => monitors(el).length === 1, 'removed');
    await engine.emit(TWO);
    await until(() => engine.attached.length === 3, 'the returning monitor attached');
    assert(monitors(el)[1] !== b, 'a new element for the returning monitor');
  });

  it('should send pointer positions with the display id and coordinates of the monitor under the pointer', async () => {
    const { el, engine } = await connected();
    await engine.emit(TWO);
    await el.updateComplete;
    await until(() => monitors(el).length === 2, 'two monitors');
    const [a, b] = monitors(el);
    const at = (m: SpiceMonitor, gx: number, gy: number): [number, number] => {
      const r = m.canvas.getBoundingClientRect();
      return [r.left + ((gx + 0.5) * r.width) / m.info!.width, r.top + ((gy + 0.5) * r.height) / m.info!.height];
    };
    pointer(b!.canvas, 'pointermove', ...at(b!, 100, 200));
    await frames();
    pointer(a!.canvas, 'pointermove', ...at(a!, 10, 20));
    await frames();
    await until(() => positions(engine).length >= 2, 'two positions');
    assertEqual(
      positions(engine).map((p) => [p.displayId, p.x, p.y]),
      [
        [1, 100, 200],
        [0, 10, 20],
      ],
      'display ids and monitor-relative coordinates',
    );
    // Each display channel's cursor shape goes on its monitors' canvases.
    await engine.emit({ type: 'cursor-hidden', channelId: 1 });
    assertEqual([a!.canvas.style.cursor, b!.canvas.style.cursor], ['', 'none'], 'channel 1 cursor on monitor 1 only');
    const rgba = new Uint8ClampedArray(4 * 4 * 4).fill(255).buffer;
    await engine.emit({ type: 'cursor', channelId: 0, shape: { width: 4, height: 4, hotX: 1, hotY: 1, rgba }, visible: true, x: null, y: null });
    assert(a!.canvas.style.cursor.startsWith('url("data:image/png'), 'channel 0 cursor shape on monitor 0');
  });

  it('should show only the chosen monitor in the single layout', async () => {
    const { el, engine } = await connected();
    await engine.emit(TWO);
    await until(() => monitors(el).length === 2, 'two monitors');
    el.layout = 'single';
    el.monitor = 1;
    await el.updateComplete;
    await until(() => monitors(el).length === 1, 'one monitor shown');
    const shown = monitors(el);
    assertEqual(
      shown.map((m) => m.info!.key),
      ['1:0'],
      'only display 1',
    );
    const r = shown[0]!.canvas.getBoundingClientRect();
    assert(Math.abs(r.height - 500) < 1 || Math.abs(r.width - 1200) < 1, `fitted to the console: ${r.width}x${r.height}`);
    assertEqual(el.monitorLayout, { mode: 'single', monitor: 1 }, 'monitorLayout, the per-VM setting');
    el.monitorLayout = { mode: 'guest', monitor: 0 };
    await el.updateComplete;
    assertEqual([el.layout, el.monitor], ['guest', 0], 'set through monitorLayout');
    await until(() => monitors(el).length === 2, 'back to both');
  });

  it('should size an unsized console like a video: its container width and the guest aspect', async () => {
    const holder = document.createElement('div');
    holder.style.cssText = 'width:900px';
    document.body.append(holder);
    const engine = fakeEngine('client');
    const el = new SpiceConsole(engine.factory);
    el.url = 'ws://fake';
    holder.append(el);
    await el.connect();
    await engine.emit({ type: 'monitors', maxAllowed: 1, monitors: [monitor(0, 0, 0, 1024, 768)] });
    await el.updateComplete;
    await frames();
    const box = el.getBoundingClientRect();
    assertEqual(Math.round(box.width), 900, 'container width');
    assertEqual(Math.round(box.height), Math.round((900 * 768) / 1024), 'guest aspect');
    const r = monitors(el)[0]!.canvas.getBoundingClientRect();
    assertEqual([Math.round(r.width), Math.round(r.height)], [900, 675], 'the whole guest shown');
    holder.remove();
  });

  it('should leave keys typed into a control slotted into the toolbar to that control', async () => {
    const { el, engine } = await connected();
    await engine.emit(TWO);
    const button = document.createElement('button');
    button.slot = 'toolbar';
    button.textContent = 'menu';
    el.append(button);
    await el.updateComplete;
    button.focus();
    const e = new KeyboardEvent('keydown', { code: 'Space', key: ' ', bubbles: true, composed: true, cancelable: true });
    button.dispatchEvent(e);
    await frames();
    assert(!e.defaultPrevented, 'Space not cancelled');
    assertEqual(engine.batches.flat().filter((x) => x.type === 'key').length, 0, 'nothing sent to the guest');
    el.focus();
    el.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyA', key: 'a', bubbles: true, composed: true, cancelable: true }));
    await until(() => engine.batches.flat().some((x) => x.type === 'key'), 'the console still takes its own keys');
  });

  it('should ask the guest for the room it has with resize-guest, debounced', async () => {
    const { el, engine } = await connected('display:block;width:1200px;height:500px;position:absolute;left:0;top:0');
    el.resizeGuest = true;
    await engine.emit(TWO);
    await el.updateComplete;
    await until(() => engine.monitorsConfigs.length > 0, 'MONITORS_CONFIG', 4000);
    const dpr = devicePixelRatio;
    assertEqual(
      engine.monitorsConfigs.at(-1),
      [
        { x: 0, y: 0, width: Math.floor((1200 * dpr) / 2), height: Math.floor(500 * dpr) },
        { x: Math.floor((1200 * dpr) / 2), y: 0, width: Math.floor((1200 * dpr) / 2), height: Math.floor(500 * dpr) },
      ],
      'the console split in two, at the device pixel ratio',
    );
    const before = engine.monitorsConfigs.length;
    el.style.width = '1000px';
    el.style.width = '800px';
    await new Promise((r) => setTimeout(r, 400));
    assertEqual(engine.monitorsConfigs.length, before, 'nothing before the debounce');
    await until(() => engine.monitorsConfigs.length === before + 1, 'one request after the debounce', 4000);
    assertEqual((engine.monitorsConfigs.at(-1) as { width: number }[])[0]!.width, Math.floor((800 * dpr) / 2), 'new width');
    assert(!el.addMonitor(), 'no room for a third monitor');
    assert(el.removeMonitor(), 'one less');
    await until(() => (engine.monitorsConfigs.at(-1) as unknown[]).length === 1, 'one monitor asked for', 3000);
  });
});
