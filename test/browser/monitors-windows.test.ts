import '../../src/define.js';
import { executeServerCommand } from '@web/test-runner-commands';
import type { EngineEvent } from '../../src/api/engine-api.js';
import type { InputEvent } from '../../src/api/input.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { assert, assertEqual } from './assert.js';
import { fakeEngine, frames } from './input-fakes.js';

const TWO: EngineEvent = {
  type: 'monitors',
  maxAllowed: 2,
  monitors: [
    { key: '0:0', channelId: 0, displayId: 0, monitorId: 0, x: 0, y: 0, width: 1024, height: 768, surfaceX: 0, surfaceY: 0 },
    { key: '1:0', channelId: 1, displayId: 1, monitorId: 0, x: 1024, y: 0, width: 800, height: 600, surfaceX: 0, surfaceY: 0 },
  ],
};

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The colour the fake engine drew into a canvas (its page pixels, read back through a 2D canvas of that window). */
async function centreColour(win: Window, canvas: HTMLCanvasElement): Promise<number[]> {
  // The placeholder canvas takes the worker's size asynchronously.
  await until(() => canvas.width > 0 && canvas.height > 0, 'the canvas sized by the worker');
  return new Promise((resolve) => {
    win.requestAnimationFrame(() => {
      const probe = win.document.createElement('canvas');
      probe.width = 1;
      probe.height = 1;
      const ctx = probe.getContext('2d')!;
      ctx.drawImage(canvas, canvas.width / 2, canvas.height / 2, 1, 1, 0, 0, 1, 1);
      resolve([...ctx.getImageData(0, 0, 1, 1).data.slice(0, 3)]);
    });
  });
}

describe('<spice-console layout="windows">', () => {
  it('should open one window per monitor, draw and take input there, and take a closed window back', async () => {
    // Chromium with the window-management permission granted (web-test-runner.config.mjs's command).
    await executeServerCommand('grant-window-management');
    const engine = fakeEngine('client');
    const el = new SpiceConsole(engine.factory);
    el.style.cssText = 'display:block;width:800px;height:400px';
    el.url = 'ws://fake';
    document.body.append(el);
    await el.connect();
    await engine.emit(TWO);
    // Shown in the console first (on a loaded machine the console may render after the next frame).
    await until(() => engine.attached.length === 2, 'both monitors attached in the console');
    el.layout = 'windows';
    await el.updateComplete;
    await until(() => engine.attached.length === 4, 'both monitors attached again from their windows');
    const wa = el.monitorWindow('0:0');
    const wb = el.monitorWindow('1:0');
    assert(wa && wb && wa !== wb, 'a window for each monitor');
    assertEqual(el.shadowRoot!.querySelectorAll('spice-monitor').length, 0, 'none left in the console');
    const ma = el.monitorElement('0:0')!;
    const mb = el.monitorElement('1:0')!;
    assert(ma.ownerDocument === wa!.document && mb.ownerDocument === wb!.document, 'each monitor lives in its window');
    // Not full screen yet (no gesture in the popup): each window offers it with a button.
    const offer = wa!.document.querySelector('button');
    assert(offer !== null && !offer.hidden && /full screen/i.test(offer.textContent ?? ''), 'a full screen button in the window');
    // The worker drew into canvases transferred from the popups.
    assertEqual(await centreColour(wa!, ma.canvas), [0xc8, 0x1e, 0x28], 'monitor 0 drawn in its window');
    assertEqual(await centreColour(wb!, mb.canvas), [0x1e, 0xbe, 0x3c], 'monitor 1 drawn in its window');
    // Pointer input in a window carries that monitor's display id.
    const r = mb.canvas.getBoundingClientRect();
    mb.canvas.dispatchEvent(
      new (wb as Window & typeof globalThis).PointerEvent('pointermove', {
        clientX: r.left + r.width / 2,
        clientY: r.top + r.height / 2,
        bubbles: true,
        composed: true,
        pointerId: 1,
        pointerType: 'mouse',
        isPrimary: true,
      }),
    );
    await until(() => engine.batches.flat().some((e) => e.type === 'position'), 'a position from the window');
    const p = engine.batches.flat().find((e): e is Extract<InputEvent, { type: 'position' }> => e.type === 'position')!;
    assertEqual([p.displayId, Math.abs(p.x - 400) <= 1, Math.abs(p.y - 300) <= 1], [1, true, true], 'display 1, its centre');
    // Keys typed in a monitor's window go to the guest.
    mb.focus();
    mb.dispatchEvent(new (wb as Window & typeof globalThis).KeyboardEvent('keydown', { code: 'KeyA', key: 'a', bubbles: true, composed: true, cancelable: true }));
    await until(() => engine.batches.flat().some((e) => e.type === 'key'), 'a key from the window');
    // Ctrl+V in a monitor's window, with an agent that takes the clipboard: the window's paste event offers
    // the page's clipboard first, then V reaches the guest.
    await engine.emit({ type: 'agent', connected: true, caps: ['clipboard-by-demand'], fileTransferAvailable: false });
    const W = wb as Window & typeof globalThis;
    const v = new W.KeyboardEvent('keydown', { code: 'KeyV', key: 'v', ctrlKey: true, bubbles: true, composed: true, cancelable: true });
    mb.dispatchEvent(v);
    assert(!v.defaultPrevented, 'Ctrl+V in the window keeps its paste action');
    const keysBefore = engine.batches.flat().filter((e) => e.type === 'key').length;
    const dt = new W.DataTransfer();
    dt.setData('text/plain', 'pasted in a window');
    mb.dispatchEvent(new W.ClipboardEvent('paste', { clipboardData: dt, bubbles: true, composed: true, cancelable: true }));
    await until(() => engine.calls.some((c) => c.name === 'offerClipboard'), 'the offer from the window');
    assertEqual(engine.calls.find((c) => c.name === 'offerClipboard')!.args, ['pasted in a window'], 'the window paste offered');
    await until(() => engine.batches.flat().filter((e) => e.type === 'key').length > keysBefore, 'V after the offer');
    // Closing window 1 brings monitor 1 back into the console with a new canvas; window 0 keeps drawing.
    wb!.close();
    await until(() => el.shadowRoot!.querySelectorAll('spice-monitor').length === 1, 'monitor 1 back in the console');
    await until(() => engine.attached.length === 5, 'a new canvas for it');
    assertEqual(engine.attached.at(-1), '1:0', 'the returning monitor');
    assert(!wa!.closed && el.monitorWindow('0:0') === wa, 'the other window stays');
    assertEqual(await centreColour(wa!, ma.canvas), [0xc8, 0x1e, 0x28], 'and still shows its monitor');
    await frames();
    el.remove();
    await el.disconnect();
    await until(() => wa!.closed, 'windows close with the session');
  });
});
