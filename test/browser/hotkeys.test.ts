/**
 * Local hotkeys of <spice-console> (`hotkeys`, remote-viewer's --hotkeys form): the element, its controllers
 * and comlink are real, the engine is the input fake that records every input batch and sendKeys call. A
 * hotkey press must never reach the engine (neither down, repeat nor up), other keys must, `spice-hotkey`
 * fires and its preventDefault() stops the console's action. Most tests dispatch KeyboardEvents with the
 * modifier flags a browser sets; two use real key presses (web-test-runner's sendKeys), the gesture that
 * fullscreen needs.
 */
import '../../src/define.js';
import { LitElement } from 'lit';
import { executeServerCommand, sendKeys, sendMouse } from '@web/test-runner-commands';
import type { InputEvent } from '../../src/api/input.js';
import { SpiceConsole } from '../../src/elements/spice-console/spice-console.js';
import { KeyboardController } from '../../src/controllers/keyboard-controller.js';
import { hotkeyBindings, parseHotkeyList } from '../../src/vv/hotkey.js';
import { parseVvFile } from '../../src/vv/vv-file.js';
import { assert, assertEqual, nextEvent } from './assert.js';
import { fakeEngine, frames, oneMonitor, type FakeEngine } from './input-fakes.js';

const CTRL = 0x1d;
const ALT = 0x38;
const SHIFT = 0x2a;
const END = 0x14f;
const F12 = 0x58;
const KEY_X = 0x2d;

async function connected(
  hotkeys: string | null,
  init: (el: SpiceConsole) => void = () => {},
  mouseMode: 'client' | 'server' = 'client',
): Promise<{ el: SpiceConsole; engine: FakeEngine; fired: { action: string; hotkey: string }[] }> {
  const engine = fakeEngine(mouseMode);
  const el = new SpiceConsole(engine.factory);
  el.style.cssText = 'display:block;width:800px;height:600px;position:absolute;left:0;top:0';
  el.url = 'ws://fake';
  if (hotkeys !== null) el.setAttribute('hotkeys', hotkeys);
  init(el);
  const fired: { action: string; hotkey: string }[] = [];
  el.addEventListener('spice-hotkey', (e) => fired.push((e as CustomEvent).detail));
  document.body.append(el);
  await el.connect();
  await engine.emit(oneMonitor(1024, 768));
  // The fake's events come on the sink's own port: connect() may resolve before they are handled.
  for (let i = 0; i < 300 && el.state !== 'connected'; i++) await frames(1);
  assertEqual(el.state, 'connected', 'connected');
  await el.updateComplete;
  el.focus();
  return { el, engine, fired };
}

type Mods = { ctrlKey?: boolean; altKey?: boolean; shiftKey?: boolean; metaKey?: boolean };

/** A KeyboardEvent as the browser makes it, on the element; returns it to look at defaultPrevented. */
function key(el: Element, type: 'keydown' | 'keyup', code: string, mods: Mods = {}, repeat = false): KeyboardEvent {
  const e = new KeyboardEvent(type, { code, key: code, bubbles: true, composed: true, cancelable: true, repeat, ...mods });
  el.dispatchEvent(e);
  return e;
}

/** Keys as the engine got them: `down 1d`, `up 14f`. */
const keysSent = (engine: FakeEngine): string[] =>
  engine.batches.flat().flatMap((e: InputEvent) => (e.type === 'key' ? [`${e.down ? 'down' : 'up'} ${e.scancode.toString(16)}`] : []));
const combos = (engine: FakeEngine) => engine.calls.filter((c) => c.name === 'sendKeys').map((c) => c.args[0]);

/** Waits until the engine got every key event and call the page sent (a marker key goes last). */
async function settle(el: SpiceConsole, engine: FakeEngine): Promise<void> {
  key(el, 'keydown', 'KeyX');
  key(el, 'keyup', 'KeyX');
  for (let i = 0; i < 300 && !keysSent(engine).includes(`up ${KEY_X.toString(16)}`); i++) await frames(1);
  const sent = keysSent(engine);
  assertEqual(sent.slice(-2), [`down ${KEY_X.toString(16)}`, `up ${KEY_X.toString(16)}`], 'marker key arrived');
  engine.batches.length = 0;
}
const h = (n: number) => n.toString(16);

/** Real key presses (trusted events, a user gesture): the keys go down in order and up in reverse. */
async function realPress(...keys: string[]): Promise<void> {
  for (const k of keys) await sendKeys({ down: k });
  for (const k of [...keys].reverse()) await sendKeys({ up: k });
}

/** Ctrl+Alt+End pressed and released as a person does, with the flags the browser sets on each event. */
function ctrlAltEnd(el: Element): KeyboardEvent[] {
  return [
    key(el, 'keydown', 'ControlLeft', { ctrlKey: true }),
    key(el, 'keydown', 'AltLeft', { ctrlKey: true, altKey: true }),
    key(el, 'keydown', 'End', { ctrlKey: true, altKey: true }),
    key(el, 'keydown', 'End', { ctrlKey: true, altKey: true }, true),
    key(el, 'keyup', 'End', { ctrlKey: true, altKey: true }),
    key(el, 'keyup', 'AltLeft', { ctrlKey: true }),
    key(el, 'keyup', 'ControlLeft'),
  ];
}

describe('<spice-console> hotkeys', () => {
  afterEach(() => document.querySelectorAll('spice-console').forEach((el) => el.remove()));

  it('should keep a hotkey from the guest, fire spice-hotkey once, and send Ctrl+Alt+Del for secure-attention', async () => {
    const { el, engine, fired } = await connected('secure-attention=ctrl+alt+end');
    const events = ctrlAltEnd(el);
    await settle(el, engine);
    assert(
      events.every((e) => e.defaultPrevented),
      'every key event kept from the browser',
    );
    assertEqual(fired, [{ action: 'secure-attention', hotkey: 'ctrl+alt+end' }], 'one spice-hotkey event, not one per repeat');
    assertEqual(combos(engine), [['ControlLeft', 'AltLeft', 'Delete']], 'Ctrl+Alt+Del sent');
    assertEqual(el.hotkeys.secureAttention?.code, 'End', 'the property reads back the parsed hotkey');
  });

  it('should send the modifiers and never End (order as the guest sees it)', async () => {
    const { el, engine } = await connected('secure-attention=ctrl+alt+end');
    let seen: string[] = [];
    ctrlAltEnd(el);
    key(el, 'keydown', 'KeyX');
    key(el, 'keyup', 'KeyX');
    for (let i = 0; i < 300 && !(seen = keysSent(engine)).includes(`up ${h(KEY_X)}`); i++) await frames(1);
    assertEqual(seen, [`down ${h(CTRL)}`, `down ${h(ALT)}`, `up ${h(ALT)}`, `up ${h(CTRL)}`, `down ${h(KEY_X)}`, `up ${h(KEY_X)}`], 'keys to the engine');
  });

  it('should send keys that do not match exactly: other modifiers, another key, a key held before the modifiers', async () => {
    const { el, engine, fired } = await connected('secure-attention=ctrl+alt+end');
    key(el, 'keydown', 'ControlLeft', { ctrlKey: true });
    const ctrlEnd = key(el, 'keydown', 'End', { ctrlKey: true });
    key(el, 'keyup', 'End', { ctrlKey: true });
    key(el, 'keydown', 'ShiftLeft', { ctrlKey: true, shiftKey: true });
    key(el, 'keydown', 'AltLeft', { ctrlKey: true, altKey: true, shiftKey: true });
    key(el, 'keydown', 'End', { ctrlKey: true, altKey: true, shiftKey: true });
    key(el, 'keyup', 'End', { ctrlKey: true, altKey: true, shiftKey: true });
    key(el, 'keyup', 'ShiftLeft', { ctrlKey: true, altKey: true });
    key(el, 'keyup', 'AltLeft', { ctrlKey: true });
    key(el, 'keyup', 'ControlLeft');
    // End held first: its auto-repeat under Ctrl+Alt is the guest's key, not a hotkey press.
    key(el, 'keydown', 'End');
    key(el, 'keydown', 'ControlLeft', { ctrlKey: true });
    key(el, 'keydown', 'AltLeft', { ctrlKey: true, altKey: true });
    key(el, 'keydown', 'End', { ctrlKey: true, altKey: true }, true);
    key(el, 'keyup', 'End', { ctrlKey: true, altKey: true });
    key(el, 'keyup', 'AltLeft', { ctrlKey: true });
    key(el, 'keyup', 'ControlLeft');
    let seen: string[] = [];
    key(el, 'keydown', 'KeyX');
    key(el, 'keyup', 'KeyX');
    for (let i = 0; i < 300 && !(seen = keysSent(engine)).includes(`up ${h(KEY_X)}`); i++) await frames(1);
    assert(ctrlEnd.defaultPrevented, 'a key for the guest is kept from the browser too');
    assertEqual(fired, [], 'no hotkey fired');
    assertEqual(combos(engine), [], 'no Ctrl+Alt+Del');
    assertEqual(
      seen,
      [
        ...[`down ${h(CTRL)}`, `down ${h(END)}`, `up ${h(END)}`, `down ${h(SHIFT)}`, `down ${h(ALT)}`, `down ${h(END)}`, `up ${h(END)}`],
        ...[`up ${h(SHIFT)}`, `up ${h(ALT)}`, `up ${h(CTRL)}`],
        ...[`down ${h(END)}`, `down ${h(CTRL)}`, `down ${h(ALT)}`, `down ${h(END)}`, `up ${h(END)}`, `up ${h(ALT)}`, `up ${h(CTRL)}`],
        ...[`down ${h(KEY_X)}`, `up ${h(KEY_X)}`],
      ],
      'every key to the engine',
    );
  });

  it("should not act when the page calls preventDefault(), and still keep the hotkey's keys from the guest", async () => {
    const { el, engine, fired } = await connected('secure-attention=ctrl+alt+end');
    el.addEventListener('spice-hotkey', (e) => e.preventDefault());
    ctrlAltEnd(el);
    await settle(el, engine);
    assertEqual(fired.length, 1, 'the event fired');
    assertEqual(combos(engine), [], 'no Ctrl+Alt+Del');
    ctrlAltEnd(el);
    let seen: string[] = [];
    key(el, 'keydown', 'KeyX');
    key(el, 'keyup', 'KeyX');
    for (let i = 0; i < 300 && !(seen = keysSent(engine)).includes(`up ${h(KEY_X)}`); i++) await frames(1);
    assert(!seen.includes(`down ${h(END)}`) && !seen.includes(`up ${h(END)}`), `End never sent: ${seen.join(', ')}`);
  });

  it('should fire a modifiers-only hotkey on the release of its keys with nothing pressed in between', async () => {
    const { el, engine, fired } = await connected('release-cursor=ctrl+alt');
    key(el, 'keydown', 'ControlLeft', { ctrlKey: true });
    key(el, 'keydown', 'AltLeft', { ctrlKey: true, altKey: true });
    assertEqual(fired, [], 'not on press');
    key(el, 'keyup', 'AltLeft', { ctrlKey: true });
    assertEqual(fired, [{ action: 'release-cursor', hotkey: 'ctrl+alt' }], 'on release');
    key(el, 'keyup', 'ControlLeft');
    assertEqual(fired.length, 1, 'once');
    // With a key between: the guest's Ctrl+Alt+X, no hotkey.
    key(el, 'keydown', 'AltRight', { altKey: true });
    key(el, 'keydown', 'ControlRight', { ctrlKey: true, altKey: true });
    key(el, 'keydown', 'KeyX', { ctrlKey: true, altKey: true });
    key(el, 'keyup', 'KeyX', { ctrlKey: true, altKey: true });
    key(el, 'keyup', 'ControlRight', { altKey: true });
    key(el, 'keyup', 'AltRight');
    // Ctrl+Shift+Alt is not Ctrl+Alt; Ctrl alone neither.
    key(el, 'keydown', 'ControlLeft', { ctrlKey: true });
    key(el, 'keydown', 'AltLeft', { ctrlKey: true, altKey: true });
    key(el, 'keydown', 'ShiftLeft', { ctrlKey: true, altKey: true, shiftKey: true });
    key(el, 'keyup', 'ShiftLeft', { ctrlKey: true, altKey: true });
    key(el, 'keyup', 'AltLeft', { ctrlKey: true });
    key(el, 'keyup', 'ControlLeft');
    key(el, 'keydown', 'ControlLeft', { ctrlKey: true });
    key(el, 'keyup', 'ControlLeft');
    await settle(el, engine);
    assertEqual(fired.length, 1, 'no other hotkey');
  });

  it('should let go of Keyboard Lock on release-cursor, also in fullscreen, until the next click', async () => {
    const kb = (navigator as Navigator & { keyboard: { lock(): Promise<void>; unlock(): void } }).keyboard;
    const log: string[] = [];
    Object.defineProperty(kb, 'lock', { configurable: true, value: async () => void log.push('lock') });
    Object.defineProperty(kb, 'unlock', { configurable: true, value: () => void log.push('unlock') });
    try {
      const { el, engine, fired } = await connected('release-cursor=shift+f12');
      await el.grabKeyboard();
      assert(el.keyboardGrabbed, 'grabbed');
      key(el, 'keydown', 'ShiftLeft', { shiftKey: true });
      const f12 = key(el, 'keydown', 'F12', { shiftKey: true });
      key(el, 'keyup', 'F12', { shiftKey: true });
      key(el, 'keyup', 'ShiftLeft');
      assert(f12.defaultPrevented, 'F12 kept from the browser');
      assertEqual(
        fired.map((f) => f.action),
        ['release-cursor'],
        'event',
      );
      assert(!el.keyboardGrabbed, 'no longer grabbed');
      assertEqual(log, ['lock', 'unlock'], 'Keyboard Lock taken, then let go');
      let seen: string[] = [];
      key(el, 'keydown', 'KeyX');
      key(el, 'keyup', 'KeyX');
      for (let i = 0; i < 300 && !(seen = keysSent(engine)).includes(`up ${h(KEY_X)}`); i++) await frames(1);
      assert(!seen.some((s) => s.endsWith(` ${h(F12)}`)), `F12 never sent: ${seen.join(', ')}`);
      assertEqual(seen.slice(0, 2), [`down ${h(SHIFT)}`, `up ${h(SHIFT)}`], 'Shift went down and up');
      // preventDefault: nothing is let go.
      await el.grabKeyboard();
      const stop = (e: Event) => e.preventDefault();
      el.addEventListener('spice-hotkey', stop);
      key(el, 'keydown', 'F12', { shiftKey: true });
      key(el, 'keyup', 'F12', { shiftKey: true });
      assert(el.keyboardGrabbed, 'still grabbed after a prevented release-cursor');
      assertEqual(log, ['lock', 'unlock', 'lock'], 'lock kept');
    } finally {
      delete (kb as unknown as Record<string, unknown>).lock;
      delete (kb as unknown as Record<string, unknown>).unlock;
    }
  });

  it('should leave Pointer Lock on a real release-cursor press, and name the hotkey in the hint', async () => {
    const { el, fired } = await connected('release-cursor=shift+f12', () => {}, 'server');
    const r = el.shadowRoot!.querySelector('canvas')!.getBoundingClientRect();
    const lockEvent = () => nextEvent<{ locked: boolean }>(el, 'spice-pointer-lock', 5000).then((d) => d.locked);
    const locked = lockEvent();
    await sendMouse({ type: 'click', position: [Math.round(r.left + 100), Math.round(r.top + 100)] });
    assertEqual(await locked, true, 'locked by a click');
    await el.updateComplete;
    const hint = el.shadowRoot!.querySelector('[part="hint"]')!.textContent!;
    assert(hint.includes('shift+f12, Ctrl+Alt or Esc'), `hint: ${hint}`);
    const released = lockEvent();
    await realPress('Shift', 'F12');
    assertEqual(await released, false, 'released by Shift+F12');
    assertEqual(
      fired.map((f) => f.action),
      ['release-cursor'],
      'event',
    );
  });

  it('should toggle fullscreen on a real key press (the gesture), and work in kiosk mode', async () => {
    const { el, fired } = await connected('toggle-fullscreen=shift+f11,secure-attention=ctrl+alt+end');
    await realPress('Shift', 'F11');
    for (let i = 0; i < 100 && document.fullscreenElement !== el; i++) await frames(1);
    assertEqual(document.fullscreenElement === el, true, 'fullscreen after Shift+F11');
    await realPress('Shift', 'F11');
    for (let i = 0; i < 100 && document.fullscreenElement; i++) await frames(1);
    assertEqual(document.fullscreenElement, null, 'left fullscreen after Shift+F11 again');
    assertEqual(
      fired.map((f) => f.action),
      ['toggle-fullscreen', 'toggle-fullscreen'],
      'events',
    );
    el.remove();

    // Kiosk: fullscreen and Keyboard Lock; real Ctrl+Alt+End still is the hotkey.
    const k = await connected('secure-attention=ctrl+alt+end', (c) => (c.kiosk = true));
    await k.el.grabKeyboard(); // navigator.keyboard.lock(), as kiosk mode takes it once fullscreen
    assert(k.el.keyboardGrabbed, 'keyboard grabbed');
    await realPress('Control', 'Alt', 'End');
    await settle(k.el, k.engine);
    assertEqual(
      k.fired.map((f) => f.action),
      ['secure-attention'],
      'kiosk hotkey',
    );
    assertEqual(combos(k.engine), [['ControlLeft', 'AltLeft', 'Delete']], 'Ctrl+Alt+Del in kiosk mode');
    if (document.fullscreenElement) await document.exitFullscreen();
  });

  it('should keep the good hotkeys of a bad attribute, warn about the rest, and take parseVvFile hotkeys', async () => {
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warned.push(args.join(' '));
    try {
      const { el, engine, fired } = await connected('secure-attention=ctrl+alt+end,bogus=f1,zoom-in=ctrl+nokey');
      assertEqual(Object.keys(el.hotkeys), ['secureAttention'], 'the good one kept');
      assertEqual(warned.length, 1, 'one warning');
      assert(/hotkeys: .*"bogus".*zoom-in: .*"nokey"/.test(warned[0]!), `warning names both: ${warned[0]}`);
      ctrlAltEnd(el);
      assertEqual(fired.length, 1, 'the good hotkey works');

      const vv = parseVvFile('[virt-viewer]\ntype=spice\nhost=h\nport=1\nzoom-in=ctrl+plus\n', { urlTemplate: 'ws://{host}:{port}' });
      el.hotkeys = vv.hotkeys;
      assertEqual(Object.keys(el.hotkeys), ['zoomIn'], 'replaced');
      key(el, 'keydown', 'ControlLeft', { ctrlKey: true });
      key(el, 'keydown', 'Equal', { ctrlKey: true });
      key(el, 'keyup', 'Equal', { ctrlKey: true });
      key(el, 'keyup', 'ControlLeft');
      ctrlAltEnd(el); // no longer a hotkey: goes to the guest
      await settle(el, engine);
      assertEqual(
        fired.map((f) => f.action),
        ['secure-attention', 'zoom-in'],
        'events',
      );
      el.hotkeys = null;
      assertEqual(el.hotkeys, {}, 'none');
      key(el, 'keydown', 'F1', {});
      assertEqual(warned.length, 1, 'no more warnings');
    } finally {
      console.warn = warn;
    }
  });

  it('should work while view-only (nothing reaches the guest then)', async () => {
    const { el, engine, fired } = await connected('toggle-fullscreen=shift+f11,release-cursor=ctrl+alt');
    el.viewOnly = true;
    await el.updateComplete;
    const f11 = [key(el, 'keydown', 'ShiftLeft', { shiftKey: true }), key(el, 'keydown', 'F11', { shiftKey: true }), key(el, 'keyup', 'F11', { shiftKey: true })][1]!;
    key(el, 'keyup', 'ShiftLeft');
    key(el, 'keydown', 'ControlLeft', { ctrlKey: true });
    key(el, 'keydown', 'AltLeft', { ctrlKey: true, altKey: true });
    key(el, 'keyup', 'AltLeft', { ctrlKey: true });
    key(el, 'keyup', 'ControlLeft');
    assert(f11.defaultPrevented, 'hotkey kept from the browser');
    assertEqual(
      fired.map((f) => f.action),
      ['toggle-fullscreen', 'release-cursor'],
      'events',
    );
    await frames(3);
    assertEqual(keysSent(engine), [], 'nothing to the guest');
    if (document.fullscreenElement) await document.exitFullscreen();
  });
});

describe('<spice-console layout="windows"> hotkeys', () => {
  it("should take a hotkey pressed in a monitor's own window", async () => {
    await executeServerCommand('grant-window-management');
    const engine = fakeEngine('client');
    const el = new SpiceConsole(engine.factory);
    el.style.cssText = 'display:block;width:800px;height:400px';
    el.url = 'ws://fake';
    el.hotkeys = 'secure-attention=ctrl+alt+end';
    const fired: string[] = [];
    el.addEventListener('spice-hotkey', (e) => fired.push((e as CustomEvent).detail.action));
    document.body.append(el);
    try {
      await el.connect();
      for (let i = 0; i < 300 && el.state !== 'connected'; i++) await frames(1);
      await engine.emit({
        type: 'monitors',
        maxAllowed: 2,
        monitors: [
          { key: '0:0', channelId: 0, displayId: 0, monitorId: 0, x: 0, y: 0, width: 1024, height: 768, surfaceX: 0, surfaceY: 0 },
          { key: '1:0', channelId: 1, displayId: 1, monitorId: 0, x: 1024, y: 0, width: 800, height: 600, surfaceX: 0, surfaceY: 0 },
        ],
      });
      el.layout = 'windows';
      await el.updateComplete;
      for (let i = 0; i < 300 && !el.monitorWindow('1:0'); i++) await frames(1);
      const win = el.monitorWindow('1:0') as (Window & typeof globalThis) | null;
      assert(win, 'a window for monitor 1');
      const monitor = el.monitorElement('1:0')!;
      assert(monitor.ownerDocument === win.document, 'the monitor lives in its window');
      monitor.focus();
      const k = (type: 'keydown' | 'keyup', code: string, mods: Mods = {}) =>
        monitor.dispatchEvent(new win.KeyboardEvent(type, { code, key: code, bubbles: true, composed: true, cancelable: true, ...mods }));
      k('keydown', 'ControlLeft', { ctrlKey: true });
      k('keydown', 'AltLeft', { ctrlKey: true, altKey: true });
      k('keydown', 'End', { ctrlKey: true, altKey: true });
      k('keyup', 'End', { ctrlKey: true, altKey: true });
      k('keyup', 'AltLeft', { ctrlKey: true });
      k('keyup', 'ControlLeft');
      k('keydown', 'KeyX');
      k('keyup', 'KeyX');
      for (let i = 0; i < 300 && !keysSent(engine).includes(`up ${h(KEY_X)}`); i++) await frames(1);
      assertEqual(fired, ['secure-attention'], 'the console fired the hotkey');
      assertEqual(combos(engine), [['ControlLeft', 'AltLeft', 'Delete']], 'Ctrl+Alt+Del sent');
      assertEqual(keysSent(engine), [`down ${h(CTRL)}`, `down ${h(ALT)}`, `up ${h(ALT)}`, `up ${h(CTRL)}`, `down ${h(KEY_X)}`, `up ${h(KEY_X)}`], 'never End');
    } finally {
      el.remove();
      await el.disconnect();
    }
  });
});

class HotkeyHost extends LitElement {}
customElements.define('hotkey-key-host', HotkeyHost);

describe('KeyboardController hotkeys with platform quirks', () => {
  afterEach(() => document.querySelectorAll('hotkey-key-host').forEach((el) => el.remove()));

  function setup(platform: 'windows' | 'mac', hotkeys: string) {
    const host = new HotkeyHost();
    host.tabIndex = 0;
    document.body.append(host);
    const sent: string[] = [];
    const fired: string[] = [];
    const bindings = hotkeyBindings(parseHotkeyList(hotkeys).hotkeys);
    new KeyboardController(host, {
      enabled: () => true,
      send: (...events: InputEvent[]) => events.forEach((e) => e.type === 'key' && sent.push(`${e.down ? 'down' : 'up'} ${h(e.scancode)}`)),
      releaseAll: () => {},
      hotkeys: () => bindings,
      onHotkey: (b) => fired.push(`${b.action} after [${sent.join(', ')}]`),
      platform,
    });
    host.focus();
    const k = (type: 'keydown' | 'keyup', code: string, mods: Mods = {}, timeStamp?: number) => {
      const e = new KeyboardEvent(type, { code, key: code, bubbles: true, cancelable: true, ...mods });
      if (timeStamp !== undefined) Object.defineProperty(e, 'timeStamp', { value: timeStamp });
      host.dispatchEvent(e);
    };
    return { sent, fired, k };
  }

  it("should send Windows' held-back Ctrl before a Ctrl hotkey's key is kept from the guest", () => {
    const { sent, fired, k } = setup('windows', 'zoom-in=ctrl+plus');
    k('keydown', 'ControlLeft', { ctrlKey: true }, 1000);
    k('keydown', 'Equal', { ctrlKey: true }, 1040);
    k('keyup', 'Equal', { ctrlKey: true });
    k('keyup', 'ControlLeft');
    assertEqual(fired, [`zoom-in after [down ${h(CTRL)}]`], 'hotkey, once the guest has Ctrl');
    assertEqual(sent, [`down ${h(CTRL)}`, `up ${h(CTRL)}`], 'Ctrl down and up, never Equal');
  });

  it('should take a macOS Cmd hotkey whose keyup never comes, and send the key again once pressed without Cmd', () => {
    const { sent, fired, k } = setup('mac', 'secure-attention=win+l');
    k('keydown', 'MetaLeft', { metaKey: true });
    k('keydown', 'KeyL', { metaKey: true });
    k('keyup', 'MetaLeft'); // macOS sends no keyup for L while Cmd is held
    k('keydown', 'KeyL');
    k('keyup', 'KeyL');
    assertEqual(fired, ['secure-attention after [down 15b]'], 'hotkey once');
    assertEqual(sent, ['down 15b', 'up 15b', 'down 26', 'up 26'], 'Cmd, then a plain L');
  });
});
