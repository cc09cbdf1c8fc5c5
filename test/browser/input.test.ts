import '../../src/define.js';
import { resetMouse, sendMouse } from '@web/test-runner-commands';
import type { InputEvent } from '../../src/api/input.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { assert, assertEqual } from './assert.js';
import { fakeEngine, frames, oneMonitor, type FakeEngine } from './input-fakes.js';

/** A console 1100x800 CSS px on the page, connected to a fake engine with a 1024x768 guest. */
async function connected(mouseMode: 'client' | 'server' = 'client'): Promise<{ el: SpiceConsole; engine: FakeEngine; canvas: HTMLCanvasElement }> {
  const engine = fakeEngine(mouseMode);
  const el = new SpiceConsole(engine.factory);
  el.style.cssText = 'display:block;width:1100px;height:800px;position:absolute;left:0;top:0';
  el.url = 'ws://fake';
  document.body.append(el);
  await el.connect();
  await engine.emit({ type: 'surface', displayId: 0, width: 1024, height: 768 });
  await engine.emit(oneMonitor(1024, 768));
  await el.updateComplete;
  return { el, engine, canvas: el.shadowRoot!.querySelector('canvas')! };
}

function key(el: Element, type: 'keydown' | 'keyup', code: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const e = new KeyboardEvent(type, { code, key: code, bubbles: true, composed: true, cancelable: true, ...init });
  el.dispatchEvent(e);
  return e;
}

function pointer(el: Element, type: string, clientX: number, clientY: number, init: PointerEventInit = {}): PointerEvent {
  const e = new PointerEvent(type, { clientX, clientY, bubbles: true, composed: true, cancelable: true, pointerId: 1, pointerType: 'mouse', isPrimary: true, ...init });
  el.dispatchEvent(e);
  return e;
}

/** The page point over the middle of guest pixel (gx, gy). */
function at(canvas: HTMLCanvasElement, gx: number, gy: number): [number, number] {
  const r = canvas.getBoundingClientRect();
  return [r.left + ((gx + 0.5) * r.width) / 1024, r.top + ((gy + 0.5) * r.height) / 768];
}

const flat = (engine: FakeEngine): InputEvent[] => engine.batches.flat();
/** Input without the lock-state syncs (the first event after focus carries one). */
const inputs = (engine: FakeEngine): InputEvent[] => flat(engine).filter((e) => e.type !== 'locks');

/** Waits (frame by frame) until `check` holds. */
async function until(check: () => boolean, what: string, maxFrames = 300): Promise<void> {
  for (let i = 0; i < maxFrames && !check(); i++) await frames(1);
  assert(check(), `waiting for ${what}`);
}

describe('<spice-console> input', () => {
  afterEach(() => document.querySelectorAll('spice-console').forEach((el) => el.remove()));

  it('should be a tab stop and show a focus ring while it has the keyboard', async () => {
    const el = document.createElement('spice-console');
    document.body.append(el);
    await el.updateComplete;
    assertEqual(el.tabIndex, 0, 'tabIndex');
    assertEqual(getComputedStyle(el).outlineStyle, 'none', 'no ring unfocused');
    el.focus();
    assert(el.matches(':focus'), 'focused');
    assertEqual(getComputedStyle(el).outlineStyle, 'solid', 'ring when focused');
    assertEqual(getComputedStyle(el).outlineWidth, '2px', 'ring width');
    // A page's own tabindex wins.
    const other = document.createElement('spice-console');
    other.setAttribute('tabindex', '-1');
    document.body.append(other);
    await other.updateComplete;
    assertEqual(other.tabIndex, -1, 'page tabindex kept');
  });

  it('should map KeyboardEvent.code to scan codes, swallow the browser action, and leave unknown keys alone', async () => {
    const { el, engine } = await connected();
    el.focus();
    const down = key(el, 'keydown', 'KeyA');
    key(el, 'keyup', 'KeyA');
    key(el, 'keydown', 'AltRight');
    key(el, 'keyup', 'AltRight');
    const tab = key(el, 'keydown', 'Tab');
    key(el, 'keyup', 'Tab');
    const fn = key(el, 'keydown', 'Fn');
    await until(() => inputs(engine).length >= 6, 'six keys');
    assert(down.defaultPrevented && tab.defaultPrevented, 'mapped keys are prevented');
    assert(!fn.defaultPrevented, 'unknown keys are not');
    assertEqual(
      flat(engine),
      [
        { type: 'locks', locks: { capsLock: false, numLock: false, scrollLock: false } },
        { type: 'key', scancode: 0x1e, down: true },
        { type: 'key', scancode: 0x1e, down: false },
        { type: 'key', scancode: 0x138, down: true },
        { type: 'key', scancode: 0x138, down: false },
        { type: 'key', scancode: 0x0f, down: true },
        { type: 'key', scancode: 0x0f, down: false },
      ],
      'input',
    );
  });

  it('should tell the guest the lock keys once per focus, from the first key event', async () => {
    const { el, engine } = await connected();
    el.focus();
    key(el, 'keydown', 'KeyB', { modifierCapsLock: true, modifierNumLock: true });
    key(el, 'keydown', 'KeyC', { modifierCapsLock: false });
    el.blur();
    el.focus();
    key(el, 'keydown', 'KeyD', { modifierScrollLock: true });
    await until(() => inputs(engine).length >= 3, 'three keys');
    const locks = flat(engine).filter((e) => e.type === 'locks');
    assertEqual(
      locks,
      [
        { type: 'locks', locks: { capsLock: true, numLock: true, scrollLock: false } },
        { type: 'locks', locks: { capsLock: false, numLock: false, scrollLock: true } },
      ],
      'lock syncs',
    );
  });

  it('should release all keys in the guest when it loses focus or the page hides', async () => {
    const { el, engine } = await connected();
    el.focus();
    key(el, 'keydown', 'ShiftLeft');
    key(el, 'keydown', 'ControlLeft');
    el.blur();
    await until(() => inputs(engine).length >= 2 && engine.calls.length > 0, 'two keys and a release');
    assertEqual(engine.calls.filter((c) => c.name === 'releaseAll').length, 1, 'releaseAll on blur');
    // After blur the page no longer holds them: their keyups are not sent as anything new to hold.
    el.focus();
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    await frames();
    assertEqual(engine.calls.filter((c) => c.name === 'releaseAll').length, 2, 'releaseAll when hidden');
  });

  it('should send nothing when view-only, and again when it is switched off', async () => {
    const { el, engine, canvas } = await connected();
    el.viewOnly = true;
    await el.updateComplete;
    assertEqual(el.getAttribute('view-only'), '', 'reflected');
    el.focus();
    const e = key(el, 'keydown', 'KeyQ');
    key(el, 'keyup', 'KeyQ');
    const [x, y] = at(canvas, 100, 100);
    pointer(el, 'pointermove', x, y);
    pointer(el, 'pointerdown', x, y, { buttons: 1 });
    pointer(el, 'pointerup', x, y, { buttons: 0 });
    el.dispatchEvent(new WheelEvent('wheel', { deltaY: 100, clientX: x, clientY: y, bubbles: true, composed: true }));
    await el.sendKeys(['KeyA']);
    await frames();
    assert(!e.defaultPrevented, 'keys are left to the page');
    assertEqual(engine.batches.length, 0, 'no input');
    assertEqual(engine.calls.filter((c) => c.name === 'sendKeys').length, 0, 'no sendKeys');
    el.viewOnly = false;
    await el.updateComplete;
    key(el, 'keydown', 'KeyW');
    await until(() => inputs(engine).length > 0, 'W');
    assertEqual(inputs(engine), [{ type: 'key', scancode: 0x11, down: true }], 'only W');
  });

  it('should map pointer coordinates through the canvas in every scale mode', async () => {
    const { el, engine, canvas } = await connected();
    const sizes: Record<string, [number, number]> = { fit: [1066, 800], fill: [1100, 800], none: [1024, 768] };
    for (const scale of ['fit', 'fill', 'none'] as const) {
      el.scale = scale;
      await el.updateComplete;
      const r = canvas.getBoundingClientRect();
      assertEqual([Math.round(r.width), Math.round(r.height)], sizes[scale], `${scale} size`);
      for (const [gx, gy] of [
        [0, 0],
        [1023, 767],
        [517, 301],
      ] as const) {
        const before = engine.batches.length;
        pointer(el, 'pointermove', ...at(canvas, gx, gy));
        await engine.waitForBatches(before + 1);
        assertEqual(engine.batches.at(-1), [{ type: 'position', x: gx, y: gy, displayId: 0 }], `${scale} ${gx},${gy}`);
      }
    }
    // Outside the screen with no button held: nothing.
    const before = engine.batches.length;
    pointer(el, 'pointermove', canvas.getBoundingClientRect().right + 20, 5);
    await frames();
    assertEqual(engine.batches.length, before, 'no motion outside the screen');
  });

  it('should send one position per animation frame, and clicks and wheel notches after it', async () => {
    const { el, engine, canvas } = await connected();
    for (let i = 0; i < 5; i++) pointer(el, 'pointermove', ...at(canvas, 10 + i, 20));
    await engine.waitForBatches(1);
    await frames();
    assertEqual(engine.batches, [[{ type: 'position', x: 14, y: 20, displayId: 0 }]], 'one batch, latest position');
    const [x, y] = at(canvas, 40, 50);
    pointer(el, 'pointermove', x, y);
    pointer(el, 'pointerdown', x, y, { button: 2, buttons: 2 });
    pointer(el, 'pointermove', x, y, { button: 0, buttons: 3 }); // a chorded second button only moves
    pointer(el, 'pointerup', x, y, { button: 2, buttons: 1 });
    pointer(el, 'pointerup', x, y, { button: 0, buttons: 0 });
    // WheelEvent coordinates are whole pixels: aim at the middle of a guest pixel's box anyway.
    const [wx, wy] = at(canvas, 60, 70).map(Math.round) as [number, number];
    el.dispatchEvent(new WheelEvent('wheel', { deltaY: 53, deltaMode: 0, clientX: wx, clientY: wy, bubbles: true, composed: true, cancelable: true }));
    el.dispatchEvent(new WheelEvent('wheel', { deltaY: -3, deltaMode: 1, clientX: wx, clientY: wy, bubbles: true, composed: true, cancelable: true }));
    await until(() => inputs(engine).filter((e) => e.type === 'wheel').length === 2, 'two wheel notches');
    assertEqual(
      inputs(engine)
        .slice(1)
        .map((e) => (e.type === 'position' ? 'position' : e)),
      [
        'position',
        { type: 'button', button: 'right', down: true },
        { type: 'button', button: 'left', down: true },
        { type: 'button', button: 'right', down: false },
        { type: 'button', button: 'left', down: false },
        'position',
        { type: 'wheel', notches: 1 },
        { type: 'wheel', notches: -1 },
      ],
      'buttons and wheel',
    );
    assertEqual(inputs(engine)[1], { type: 'position', x: 40, y: 50, displayId: 0 }, 'the click lands on its pixel');
  });

  it('should turn a tap into a click, a drag into a held button and two fingers into the wheel', async () => {
    const { el, engine, canvas } = await connected();
    const touch = (type: string, id: number, gx: number, gy: number) =>
      pointer(el, type, ...at(canvas, gx, gy), { pointerType: 'touch', pointerId: id, isPrimary: id === 1 });
    touch('pointerdown', 1, 100, 100);
    touch('pointerup', 1, 101, 100);
    await until(() => inputs(engine).length >= 3, 'the tap');
    assertEqual(
      inputs(engine),
      [
        { type: 'position', x: 100, y: 100, displayId: 0 },
        { type: 'button', button: 'left', down: true },
        { type: 'button', button: 'left', down: false },
      ],
      'tap',
    );
    engine.batches.length = 0;
    touch('pointerdown', 1, 200, 200);
    touch('pointermove', 1, 260, 230);
    touch('pointerup', 1, 260, 230);
    await until(() => inputs(engine).length >= 4, 'the drag');
    assertEqual(
      inputs(engine),
      [
        { type: 'position', x: 200, y: 200, displayId: 0 },
        { type: 'button', button: 'left', down: true },
        { type: 'position', x: 260, y: 230, displayId: 0 },
        { type: 'button', button: 'left', down: false },
      ],
      'drag',
    );
    engine.batches.length = 0;
    touch('pointerdown', 1, 300, 400);
    touch('pointerdown', 2, 400, 400);
    touch('pointermove', 1, 300, 340); // both fingers up by 60 guest px: content scrolls down
    touch('pointermove', 2, 400, 340);
    touch('pointerup', 1, 300, 340);
    touch('pointerup', 2, 400, 340);
    await until(() => inputs(engine).length > 0, 'the scroll');
    await frames();
    const wheel = inputs(engine);
    assert(wheel.length > 0 && wheel.every((e) => e.type === 'wheel' && e.notches > 0), `scroll down: ${JSON.stringify(wheel)}`);
  });

  it('should show the guest cursor as a data: PNG CSS cursor, hide it, and fall back to the default', async () => {
    const { engine, canvas } = await connected();
    const rgba = new Uint8ClampedArray(4 * 4 * 4).fill(255).buffer;
    await engine.emit({ type: 'cursor', channelId: 0, shape: { width: 4, height: 4, hotX: 1, hotY: 2, rgba }, visible: true, x: 5, y: 5 });
    const css = canvas.style.cursor;
    assert(css.startsWith('url("data:image/png;base64,') && css.endsWith('") 1 2, auto'), `cursor css: ${css.slice(0, 60)}…${css.slice(-20)}`);
    const img = new Image();
    img.src = /url\("([^"]+)"\)/.exec(css)![1]!;
    await img.decode();
    assertEqual([img.naturalWidth, img.naturalHeight], [4, 4], 'png size');
    await engine.emit({ type: 'cursor-hidden', channelId: 0 });
    assertEqual(canvas.style.cursor, 'none', 'hidden');
    await engine.emit({ type: 'cursor', channelId: 0, shape: null, visible: true, x: null, y: null });
    assertEqual(canvas.style.cursor, 'default', 'default pointer');
    await engine.emit({ type: 'cursor', channelId: 1, shape: null, visible: false, x: 0, y: 0 });
    assertEqual(canvas.style.cursor, 'default', 'another display channel does not touch this screen');
  });

  it('should fire spice-resize and spice-keyboard-locks, send combos, and ask for the preferred mouse mode', async () => {
    const { el, engine } = await connected();
    const seen: string[] = [];
    el.addEventListener('spice-resize', (e) => seen.push(`resize ${JSON.stringify((e as CustomEvent).detail)}`));
    el.addEventListener('spice-keyboard-locks', (e) => seen.push(`locks ${(e as CustomEvent).detail.capsLock}`));
    await engine.emit({ type: 'surface', displayId: 0, width: 800, height: 600 });
    await engine.emit(oneMonitor(800, 600));
    await engine.emit({ type: 'keyboard-locks', locks: { capsLock: true, numLock: false, scrollLock: false } });
    assertEqual(seen, ['resize {"key":"0:0","channelId":0,"displayId":0,"monitorId":0,"width":800,"height":600}', 'locks true'], 'events');
    assertEqual(el.keyboardLocks, { capsLock: true, numLock: false, scrollLock: false }, 'keyboardLocks');
    await el.sendCombo('ctrl-alt-del');
    await el.sendKeys(['MetaLeft', 'KeyL']);
    let error: unknown;
    try {
      await el.sendCombo('nope' as never);
    } catch (e) {
      error = e;
    }
    assert(error instanceof RangeError, 'unknown combo rejected');
    el.mouseMode = 'server';
    await el.updateComplete;
    await frames();
    assertEqual(
      engine.calls.filter((c) => c.name !== 'releaseAll'),
      [
        { name: 'sendKeys', args: [['ControlLeft', 'AltLeft', 'Delete']] },
        { name: 'sendKeys', args: [['MetaLeft', 'KeyL']] },
        { name: 'requestMouseMode', args: ['server'] },
      ],
      'calls',
    );
  });

  it('should show the pointer hint in server mode and take nothing from a click that asks for the lock', async () => {
    const { el, engine, canvas } = await connected('server');
    await el.updateComplete;
    const hint = el.shadowRoot!.querySelector('[part="hint"]');
    assert(hint?.textContent?.includes('Click'), `hint: ${hint?.textContent}`);
    const [x, y] = at(canvas, 10, 10);
    pointer(el, 'pointermove', x, y);
    pointer(el, 'pointerdown', x, y, { buttons: 1 });
    pointer(el, 'pointerup', x, y, { buttons: 0 });
    await frames();
    assertEqual(engine.batches.filter((b) => b.some((e) => e.type !== 'locks')).length, 0, 'no motion or click without the lock');
  });

  it('should lock the pointer on a real click in server mode, send scaled relative motion and draw the guest cursor', async () => {
    const { el, engine, canvas } = await connected('server');
    el.scale = 'none';
    await el.updateComplete;
    const rgba = new Uint8ClampedArray(8 * 8 * 4).fill(200).buffer;
    await engine.emit({ type: 'cursor', channelId: 0, shape: { width: 8, height: 8, hotX: 3, hotY: 2, rgba }, visible: true, x: 0, y: 0 });
    await engine.emit({ type: 'cursor-move', channelId: 0, x: 100, y: 50 });
    const r = canvas.getBoundingClientRect();
    const locked = new Promise((resolve) => el.addEventListener('spice-pointer-lock', (e) => resolve((e as CustomEvent).detail.locked), { once: true }));
    try {
      await sendMouse({ type: 'click', position: [Math.round(r.left + 200), Math.round(r.top + 200)] });
      assertEqual(await locked, true, 'locked');
      assert(el.pointerLocked, 'pointerLocked');
      await el.updateComplete;
      const img = el.shadowRoot!.querySelector<HTMLImageElement>('[part="cursor"]');
      assert(img, 'guest cursor drawn under the lock');
      // The cursor image lives in the console's base box: the canvas's offset there plus the guest position.
      const base = el.shadowRoot!.querySelector<HTMLElement>('[part="base"]')!.getBoundingClientRect();
      const c = canvas.getBoundingClientRect();
      assertEqual([img.style.left, img.style.top], [`${c.left - base.left + 100 - 3}px`, `${c.top - base.top + 50 - 2}px`], 'at the guest position less the hot spot');
      assert(el.shadowRoot!.querySelector('[part="hint"]')!.textContent!.includes('Ctrl+Alt'), 'release hint');
      await sendMouse({ type: 'move', position: [Math.round(r.left + 230), Math.round(r.top + 190)] });
      await until(() => inputs(engine).some((e) => e.type === 'motion'), 'relative motion');
      const motion = inputs(engine).filter((e) => e.type === 'motion');
      assertEqual(motion, [{ type: 'motion', dx: 30, dy: -10 }], 'motion in guest pixels (scale none)');
      assertEqual(
        inputs(engine).filter((e) => e.type === 'button'),
        [],
        'the click that took the lock is not forwarded',
      );
      const released = new Promise((resolve) => el.addEventListener('spice-pointer-lock', (e) => resolve((e as CustomEvent).detail.locked), { once: true }));
      el.releasePointer();
      assertEqual(await released, false, 'released');
      await el.updateComplete;
      assert(!el.shadowRoot!.querySelector('[part="cursor"]'), 'no guest cursor without the lock');
      await until(() => engine.calls.some((c) => c.name === 'releaseAll'), 'everything released with the lock');
    } finally {
      await resetMouse();
    }
  });

  it('should grab the keyboard with focus and let it go', async () => {
    const { el } = await connected();
    await el.grabKeyboard();
    assert(el.keyboardGrabbed && el.matches(':focus'), 'grabbed and focused');
    el.releaseKeyboard();
    assert(!el.keyboardGrabbed, 'released');
  });

  it('should let go of every listener and the engine when removed from the page', async () => {
    const { el, engine, canvas } = await connected();
    const [x, y] = at(canvas, 10, 10);
    el.remove();
    await frames();
    assertEqual(engine.terminated, 1, 'engine worker terminated');
    const before = engine.batches.length;
    el.dispatchEvent(new KeyboardEvent('keydown', { code: 'KeyA', bubbles: true, composed: true }));
    pointer(el, 'pointermove', x, y);
    document.dispatchEvent(new Event('visibilitychange'));
    await frames();
    assertEqual(engine.batches.length, before, 'nothing sent after removal');
  });
});
