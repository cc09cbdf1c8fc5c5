import { LitElement } from 'lit';
import type { InputEvent } from '../../src/api/input.js';
import { KeyboardController, isPasteShortcut } from '../../src/controllers/keyboard-controller.js';
import { assert, assertEqual } from './assert.js';

class KeyHost extends LitElement {}
customElements.define('input-key-host', KeyHost);

/** A focusable host with a KeyboardController for `platform`, recording what it sends. */
function setup(platform: 'windows' | 'mac' | 'other', awaitPaste?: () => Promise<void> | null) {
  const host = new KeyHost();
  host.tabIndex = 0;
  document.body.append(host);
  const sent: string[] = [];
  const log = { releases: 0, combos: 0 };
  new KeyboardController(host, {
    enabled: () => true,
    send: (...events: InputEvent[]) => events.forEach((e) => e.type === 'key' && sent.push(`${e.down ? 'down' : 'up'} ${e.scancode.toString(16)}`)),
    releaseAll: () => log.releases++,
    onReleaseCombo: () => log.combos++,
    platform,
    ...(awaitPaste ? { awaitPaste } : {}),
  });
  host.focus();
  const key = (type: 'keydown' | 'keyup', code: string, init: KeyboardEventInit & { timeStamp?: number } = {}) => {
    const e = new KeyboardEvent(type, { code, key: code, bubbles: true, cancelable: true, ...init });
    if (init.timeStamp !== undefined) Object.defineProperty(e, 'timeStamp', { value: init.timeStamp });
    host.dispatchEvent(e);
    return e;
  };
  return { host, sent, log, key };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('KeyboardController quirks', () => {
  afterEach(() => document.querySelectorAll('input-key-host').forEach((el) => el.remove()));

  it("should drop Windows' fake ControlLeft of AltGr and keep a real Ctrl", async () => {
    const { sent, key } = setup('windows');
    key('keydown', 'ControlLeft', { timeStamp: 1000 });
    key('keydown', 'AltRight', { timeStamp: 1000 });
    key('keydown', 'KeyQ', { timeStamp: 1010 });
    key('keyup', 'KeyQ');
    key('keyup', 'ControlLeft');
    key('keyup', 'AltRight');
    assertEqual(sent, ['down 138', 'down 10', 'up 10', 'up 1d', 'up 138'], 'AltGr+Q without the fake Ctrl');
    sent.length = 0;
    // A real Ctrl: followed by another key at another time, or by nothing (sent when the AltGr window closes).
    key('keydown', 'ControlLeft', { timeStamp: 2000 });
    key('keydown', 'KeyC', { timeStamp: 2050 });
    key('keyup', 'KeyC');
    key('keyup', 'ControlLeft');
    key('keydown', 'ControlLeft', { timeStamp: 3000 });
    await tick(150);
    key('keyup', 'ControlLeft');
    assertEqual(sent, ['down 1d', 'down 2e', 'up 2e', 'up 1d', 'down 1d', 'up 1d'], 'real Ctrl');
  });

  it('should tap CapsLock on each of its macOS events and tap keys pressed with Cmd', () => {
    const { sent, key } = setup('mac');
    key('keydown', 'CapsLock');
    key('keyup', 'CapsLock');
    key('keydown', 'MetaLeft', { metaKey: true });
    key('keydown', 'KeyC', { metaKey: true });
    key('keyup', 'MetaLeft');
    assertEqual(sent, ['down 3a', 'up 3a', 'down 3a', 'up 3a', 'down 15b', 'down 2e', 'up 2e', 'up 15b'], 'mac');
  });

  it('should tap PrintScreen when only its keyup arrives', () => {
    const { sent, key } = setup('other');
    key('keyup', 'PrintScreen');
    key('keydown', 'PrintScreen');
    key('keyup', 'PrintScreen');
    assertEqual(sent, ['down 137', 'up 137', 'down 137', 'up 137'], 'PrintScreen');
  });

  it('should call the release combo for Ctrl+Alt alone, not for Ctrl+Alt+Del', () => {
    const { log, key } = setup('other');
    key('keydown', 'ControlLeft');
    key('keydown', 'AltLeft');
    key('keyup', 'AltLeft');
    key('keyup', 'ControlLeft');
    assertEqual(log.combos, 1, 'Ctrl+Alt');
    key('keydown', 'ControlLeft');
    key('keydown', 'AltLeft');
    key('keydown', 'Delete');
    key('keyup', 'Delete');
    key('keyup', 'AltLeft');
    key('keyup', 'ControlLeft');
    assertEqual(log.combos, 1, 'not Ctrl+Alt+Del');
  });

  it('should release everything on blur and stop listening when the host leaves the page', () => {
    const { host, sent, log, key } = setup('other');
    key('keydown', 'ShiftLeft');
    host.blur();
    assertEqual(log.releases, 1, 'released on blur');
    host.remove();
    key('keydown', 'KeyA');
    assertEqual(sent, ['down 2a'], 'nothing after removal');
  });

  it('should know the paste shortcuts of each platform', () => {
    const k = (code: string, mods: string) => ({
      code,
      ctrlKey: mods.includes('c'),
      altKey: mods.includes('a'),
      shiftKey: mods.includes('s'),
      metaKey: mods.includes('m'),
    });
    const table: [string, string, 'windows' | 'mac' | 'other', boolean][] = [
      ['KeyV', 'c', 'other', true],
      ['KeyV', 'cs', 'windows', true],
      ['Insert', 's', 'other', true],
      ['Insert', 'cs', 'other', false],
      ['Insert', '', 'other', false],
      ['KeyV', '', 'other', false],
      ['KeyV', 'ca', 'other', false], // AltGr+V on Windows arrives as Ctrl+Alt+V
      ['KeyV', 'cm', 'other', false],
      ['KeyV', 'm', 'mac', true],
      ['KeyV', 'c', 'mac', false],
      ['KeyC', 'c', 'other', false],
    ];
    for (const [code, mods, platform, want] of table) assertEqual(isPasteShortcut(k(code, mods), platform), want, `${mods}+${code} on ${platform}`);
  });

  it('should hold the keys of a paste shortcut, and those after it, until the paste was handled', async () => {
    let settle!: () => void;
    let asked = 0;
    const { sent, key, log } = setup('other', () => {
      asked++;
      return new Promise<void>((r) => (settle = r));
    });
    key('keydown', 'ControlLeft', { ctrlKey: true });
    const v = key('keydown', 'KeyV', { ctrlKey: true });
    assert(!v.defaultPrevented, 'the browser keeps its paste action');
    key('keydown', 'KeyV', { ctrlKey: true, repeat: true });
    key('keyup', 'KeyV', { ctrlKey: true });
    key('keyup', 'ControlLeft');
    key('keydown', 'KeyA');
    assertEqual(asked, 1, 'asked once (not for the auto-repeat)');
    assertEqual(sent, ['down 1d'], 'Ctrl went before; V and what follows wait');
    settle();
    await tick();
    assertEqual(sent, ['down 1d', 'down 2f', 'down 2f', 'up 2f', 'up 1d', 'down 1e'], 'in order once the paste was handled');
    assert(key('keydown', 'KeyB').defaultPrevented, 'other keys stay the guest’s');
    assertEqual(sent.at(-1), 'down 30', 'and go at once');

    // Focus lost while held: what was held goes first, then everything is released; the late settle sends nothing.
    sent.length = 0;
    key('keydown', 'ShiftLeft', { shiftKey: true });
    key('keydown', 'Insert', { shiftKey: true });
    const late = settle;
    (document.activeElement as HTMLElement).blur();
    assertEqual(sent, ['down 2a', 'down 152'], 'held keys sent on blur');
    assertEqual(log.releases, 1, 'then released');
    late();
    await tick();
    assertEqual(sent.length, 2, 'nothing twice');
  });

  it('should send a paste shortcut at once when nothing will be pasted', () => {
    const { sent, key } = setup('other', () => null);
    key('keydown', 'ControlLeft', { ctrlKey: true });
    assert(key('keydown', 'KeyV', { ctrlKey: true }).defaultPrevented, 'an ordinary key');
    assertEqual(sent, ['down 1d', 'down 2f'], 'sent at once');
  });
});
