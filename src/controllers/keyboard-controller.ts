/**
 * KeyboardController: the keyboard of a <spice-console>. While the host has focus and input is enabled,
 * every keydown/keyup is turned into a scan code from `KeyboardEvent.code` (the physical key: the guest
 * applies its own layout, so AltGr, dead keys and shifted characters come out as the guest's keymap says)
 * and the browser's own action for it is suppressed. When the host loses focus or the page is hidden, the
 * engine releases every key it holds. Lock keys: the first key or pointer event after gaining focus tells
 * the guest the page's Caps/Num/Scroll Lock state (KEY_MODIFIERS); the guest's own state comes back as
 * the `keyboard-locks` event.
 *
 * Browser quirks handled here [noVNC core/input/keyboard.js does the same]:
 *  - Windows reports AltGr as ControlLeft + AltRight with one timestamp: the fake ControlLeft is held back
 *    briefly and dropped when AltRight follows at the same time.
 *  - macOS sends CapsLock keydown when it turns on and keyup when it turns off: each is a full tap. While
 *    Cmd is held macOS sends no keyup for other keys: those are tapped on keydown.
 *  - Windows delivers only the keyup of PrintScreen: a lone keyup is a tap.
 *
 * Ctrl+Alt pressed and released with no other key in between calls `onReleaseCombo` (leave pointer lock),
 * like spice-gtk's grab-release combo; the keys themselves reach the guest as usual.
 *
 * Paste shortcuts (Ctrl+V, Ctrl+Shift+V, Shift+Insert; Cmd+V on macOS) keep their browser action when
 * `awaitPaste()` says the clipboard will be offered: the browser fires `paste`, the page's clipboard goes to
 * the guest first, and the shortcut's keys (with every key after them) follow once that is done, so the
 * guest application pastes what the user copied on their own computer, as in native clients.
 *
 * Local hotkeys (`hotkeys()`, remote-viewer's release-cursor, secure-attention, ...) are the page's, not the
 * guest's: a key press that matches one goes to `onHotkey` and neither its keydown, its auto-repeats nor its
 * keyup reach the guest; the modifiers pressed before it did reach the guest and their releases follow as
 * usual. A modifiers-only hotkey (`ctrl+alt`) fires when one of its keys is released with no other key
 * pressed in between, like the release combo (its keys reach the guest: a modifier is sent before anyone
 * can know what follows). Hotkeys work whenever the host has the keyboard, also while input is disabled.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { InputEvent, KeyboardLocks } from '../api/input.js';
import { SCANCODE_PRINT_SCREEN, scancodeForCode } from '../input/keys.js';
import { matchesHotkey, type HotkeyBinding } from '../vv/hotkey.js';

export interface KeyboardControllerConfig {
  /** Whether input goes to the guest now (connected and not view-only). */
  enabled(): boolean;
  /** Sends keys and lock state, in order. */
  send(...events: InputEvent[]): void;
  /** Releases everything the engine holds down (keys and buttons). */
  releaseAll(): void;
  /** Ctrl+Alt was pressed and released alone (not when a modifiers-only hotkey fired on that release). */
  onReleaseCombo?(): void;
  /** The local hotkeys to take out of the key stream; none if absent. */
  hotkeys?(): readonly HotkeyBinding[];
  /** A hotkey was pressed (once per press, not per auto-repeat). */
  onHotkey?(binding: HotkeyBinding): void;
  /**
   * A paste shortcut (Ctrl+V, Ctrl+Shift+V, Shift+Insert; Cmd+V on macOS) is being pressed in `doc` (the
   * host's document): a promise that settles once the page's clipboard was offered to the guest (the
   * browser's `paste` event that follows the key), or null to send the key at once as any other.
   */
  awaitPaste?(doc: Document): Promise<void> | null;
  /** Platform, for the quirks above; default from navigator. */
  platform?: 'windows' | 'mac' | 'other';
}

/** How long a possible fake ControlLeft (Windows AltGr) waits for its AltRight. */
const ALTGR_WINDOW_MS = 100;

function detectPlatform(): 'windows' | 'mac' | 'other' {
  const nav = navigator as Navigator & { userAgentData?: { platform?: string } };
  const p = (nav.userAgentData?.platform || navigator.platform || '').toLowerCase();
  if (p.startsWith('win')) return 'windows';
  if (p.startsWith('mac') || p === 'iphone' || p === 'ipad') return 'mac';
  return 'other';
}

/** The page's lock state as a KeyboardEvent or PointerEvent reports it. */
export function localLocks(e: { getModifierState(key: string): boolean }): KeyboardLocks {
  return { capsLock: e.getModifierState('CapsLock'), numLock: e.getModifierState('NumLock'), scrollLock: e.getModifierState('ScrollLock') };
}

const LOCK_CODES = new Set(['CapsLock', 'NumLock', 'ScrollLock']);
const MODIFIER_CODE = /^(Control|Alt|Shift|Meta)(Left|Right)$/;

/** Whether `code` is a key of one of the hotkey's modifiers. */
function isModifierOf(binding: HotkeyBinding, code: string): boolean {
  const m = MODIFIER_CODE.exec(code);
  if (!m) return false;
  const { ctrl, alt, shift, meta } = binding.hotkey;
  return m[1] === 'Control' ? ctrl : m[1] === 'Alt' ? alt : m[1] === 'Shift' ? shift : meta;
}

/**
 * Whether a keydown is the platform's paste shortcut: Ctrl+V (also with Shift, as terminals use it) and
 * Shift+Insert, or Cmd+V on macOS. The browser follows it with a `paste` event unless the keydown is prevented.
 */
export function isPasteShortcut(e: Pick<KeyboardEvent, 'code' | 'ctrlKey' | 'altKey' | 'shiftKey' | 'metaKey'>, platform: 'windows' | 'mac' | 'other'): boolean {
  if (e.altKey) return false;
  if (platform === 'mac') return e.code === 'KeyV' && e.metaKey && !e.ctrlKey;
  if (e.metaKey) return false;
  return (e.code === 'KeyV' && e.ctrlKey) || (e.code === 'Insert' && e.shiftKey && !e.ctrlKey);
}

export class KeyboardController implements ReactiveController {
  /** Codes down on the page (for the quirks and the release combo; the engine tracks what it sent). */
  private readonly down = new Set<string>();
  private readonly platform: 'windows' | 'mac' | 'other';
  private locksPending = true;
  private fakeCtrl: { timeStamp: number; timer: ReturnType<typeof setTimeout> } | null = null;
  private comboArmed = false;
  /** Keys whose press was a hotkey: their repeats and release stay on the page too. */
  private readonly swallowed = new Set<string>();
  /** The modifiers-only hotkey whose keys are held with nothing else: fires on their release. */
  private modifierHotkey: HotkeyBinding | null = null;
  /**
   * Key events held back behind a paste shortcut until the page's clipboard reached the guest (so the guest
   * pastes the page's content, not its own), in order; null when nothing is held.
   */
  private held: InputEvent[] | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly config: KeyboardControllerConfig,
  ) {
    this.platform = config.platform ?? detectPlatform();
    host.addController(this);
  }

  hostConnected(): void {
    this.host.addEventListener('keydown', this.onKeyDown);
    this.host.addEventListener('keyup', this.onKeyUp);
    this.host.addEventListener('focus', this.onFocus);
    this.host.addEventListener('blur', this.onBlur);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('keydown', this.onKeyDown);
    this.host.removeEventListener('keyup', this.onKeyUp);
    this.host.removeEventListener('focus', this.onFocus);
    this.host.removeEventListener('blur', this.onBlur);
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.reset();
  }

  /**
   * Offers the page's lock state from an event that carries it (a pointer event on the screen), if the
   * guest has not been told since focus was gained.
   */
  syncLocks(e: { getModifierState(key: string): boolean }): void {
    const event = this.locksEvent(e);
    if (event) this.emit(event);
  }

  private locksEvent(e: { getModifierState(key: string): boolean }): InputEvent | null {
    if (!this.locksPending || !this.config.enabled()) return null;
    this.locksPending = false;
    return { type: 'locks', locks: localLocks(e) };
  }

  /** Releases everything (focus lost, page hidden, input disabled) and forgets page-side state. */
  releaseAll(): void {
    this.releaseHeld();
    this.reset();
    this.config.releaseAll();
  }

  /** Sends key and lock events now, or queues them behind a paste shortcut still being handled. */
  private emit(...events: InputEvent[]): void {
    if (this.held) this.held.push(...events);
    else this.config.send(...events);
  }

  /** Holds the key stream until `until` settles (a paste shortcut's clipboard offer). */
  private holdUntil(until: Promise<void>): void {
    if (this.held) return;
    const held: InputEvent[] = [];
    this.held = held;
    // Only this hold: focus may have been lost (everything sent and released) and a new hold begun since.
    const release = (): void => {
      if (this.held === held) this.releaseHeld();
    };
    until.then(release, release);
  }

  /** Sends what was held back (if input still goes to the guest), in order. */
  private releaseHeld(): void {
    const held = this.held;
    this.held = null;
    if (held?.length && this.config.enabled()) this.config.send(...held);
  }

  private reset(): void {
    this.down.clear();
    this.swallowed.clear();
    this.comboArmed = false;
    this.modifierHotkey = null;
    this.locksPending = true;
    if (this.fakeCtrl) clearTimeout(this.fakeCtrl.timer);
    this.fakeCtrl = null;
    this.held = null;
  }

  private readonly onFocus = (): void => {
    this.locksPending = true;
  };

  private readonly onBlur = (): void => {
    this.releaseAll();
  };

  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'hidden') this.releaseAll();
  };

  /**
   * Whether a key event is the console's own: its target is the host itself (the screen inside its shadow
   * root is retargeted to the host). Keys typed into a focusable control slotted into the host (a toolbar
   * menu, a button) are that control's, and keep their browser behaviour.
   */
  private ownKey(e: KeyboardEvent): boolean {
    return e.target === this.host;
  }

  private readonly onKeyDown = (e: KeyboardEvent): void => {
    if (!this.ownKey(e)) return;
    if (this.hotkeyDown(e)) return;
    if (!this.config.enabled()) return;
    const scancode = scancodeForCode(e.code);
    if (scancode === undefined) return; // unknown key: leave it to the browser
    // A paste shortcut keeps its default action (the browser's `paste` event, which offers the page's
    // clipboard to the guest); this key and the ones after it wait for that offer.
    const paste = !e.repeat && isPasteShortcut(e, this.platform) ? (this.config.awaitPaste?.(this.host.ownerDocument) ?? null) : null;
    if (paste) this.holdUntil(paste);
    else e.preventDefault();
    e.stopPropagation();
    const events: InputEvent[] = [];
    // The lock state goes first, in the same batch; a lock key itself brings both sides along.
    const locks = LOCK_CODES.has(e.code) ? null : this.locksEvent(e);
    if (locks) events.push(locks);
    else this.locksPending = false;

    this.trackCombo(e.code, true);

    // Windows AltGr: ControlLeft and AltRight arrive with the same timestamp; hold ControlLeft to see.
    if (this.fakeCtrl) {
      const fake = this.fakeCtrl;
      clearTimeout(fake.timer);
      this.fakeCtrl = null;
      if (!(e.code === 'AltRight' && e.timeStamp === fake.timeStamp)) {
        events.push({ type: 'key', scancode: scancodeForCode('ControlLeft')!, down: true });
      } else {
        this.down.delete('ControlLeft');
      }
    }
    if (this.platform === 'windows' && e.code === 'ControlLeft' && !this.down.has('ControlLeft')) {
      this.down.add('ControlLeft');
      if (events.length) this.emit(...events);
      this.fakeCtrl = {
        timeStamp: e.timeStamp,
        timer: setTimeout(() => {
          this.fakeCtrl = null;
          if (this.config.enabled()) this.emit({ type: 'key', scancode, down: true });
        }, ALTGR_WINDOW_MS),
      };
      return;
    }

    this.down.add(e.code);
    events.push({ type: 'key', scancode, down: true });
    // A tap right away for keys whose keyup the platform swallows.
    if (this.platform === 'mac' && (e.code === 'CapsLock' || (e.metaKey && !e.code.startsWith('Meta')))) {
      events.push({ type: 'key', scancode, down: false });
      this.down.delete(e.code);
    }
    this.emit(...events);
  };

  private readonly onKeyUp = (e: KeyboardEvent): void => {
    if (!this.ownKey(e)) return;
    if (this.swallowed.delete(e.code)) {
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    const hotkey = this.modifierHotkeyUp(e.code);
    if (hotkey) {
      e.preventDefault();
      e.stopPropagation();
    }
    if (this.config.enabled()) this.keyUpToGuest(e, hotkey === null);
    if (hotkey) this.config.onHotkey?.(hotkey);
  };

  private keyUpToGuest(e: KeyboardEvent, comboAllowed: boolean): void {
    const scancode = scancodeForCode(e.code);
    if (scancode === undefined) return;
    e.preventDefault();
    e.stopPropagation();
    const releaseCombo = this.trackCombo(e.code, false) && comboAllowed;

    if (this.fakeCtrl && e.code === 'ControlLeft') {
      // Released before the AltGr window closed: a real, quick Ctrl tap.
      clearTimeout(this.fakeCtrl.timer);
      this.fakeCtrl = null;
      this.down.delete(e.code);
      this.emit({ type: 'key', scancode, down: true }, { type: 'key', scancode, down: false });
      return;
    }
    if (this.platform === 'mac' && e.code === 'CapsLock') {
      this.emit({ type: 'key', scancode, down: true }, { type: 'key', scancode, down: false });
      return;
    }
    const wasDown = this.down.delete(e.code);
    if (!wasDown && scancode === SCANCODE_PRINT_SCREEN) {
      this.emit({ type: 'key', scancode, down: true }, { type: 'key', scancode, down: false });
    } else {
      this.emit({ type: 'key', scancode, down: false });
    }
    if (releaseCombo) this.config.onReleaseCombo?.();
  }

  /**
   * A keydown that is (or repeats) a hotkey with a main key: kept from the guest, and `onHotkey` on the
   * first press. Also arms or disarms the modifiers-only hotkeys. True when the event was a hotkey's.
   */
  private hotkeyDown(e: KeyboardEvent): boolean {
    const bindings = this.config.hotkeys?.() ?? [];
    if (e.repeat && this.swallowed.has(e.code)) {
      e.preventDefault();
      e.stopPropagation();
      return true;
    }
    this.swallowed.delete(e.code); // its keyup never came (macOS with Cmd, focus moved): a new press
    const modifier = MODIFIER_CODE.test(e.code);
    if (modifier) {
      // Armed while exactly its modifiers are held and nothing else.
      const others = [...this.down].some((c) => !MODIFIER_CODE.test(c));
      this.modifierHotkey = others ? null : (bindings.find((b) => b.hotkey.code === null && matchesHotkey(b.hotkey, e)) ?? null);
      return false;
    }
    this.modifierHotkey = null;
    // An auto-repeat of a key pressed before the modifiers is the guest's: it holds that key down.
    const binding = e.repeat ? undefined : bindings.find((b) => b.hotkey.code !== null && matchesHotkey(b.hotkey, e));
    if (!binding) return false;
    e.preventDefault();
    e.stopPropagation();
    this.swallowed.add(e.code);
    this.comboArmed = false;
    this.flushFakeCtrl();
    this.config.onHotkey?.(binding);
    return true;
  }

  /** The modifiers-only hotkey that fires on this key's release, or null. */
  private modifierHotkeyUp(code: string): HotkeyBinding | null {
    const armed = this.modifierHotkey;
    if (!armed) return null;
    if (isModifierOf(armed, code)) {
      this.modifierHotkey = null;
      return armed;
    }
    if (!MODIFIER_CODE.test(code)) this.modifierHotkey = null;
    return null;
  }

  /** A held-back ControlLeft (Windows AltGr check) followed by a hotkey's key was a real Ctrl: send it now. */
  private flushFakeCtrl(): void {
    if (!this.fakeCtrl) return;
    clearTimeout(this.fakeCtrl.timer);
    this.fakeCtrl = null;
    if (this.config.enabled()) this.emit({ type: 'key', scancode: scancodeForCode('ControlLeft')!, down: true });
  }

  /** Ctrl+Alt alone: armed when both are down and nothing else, fired when one of them is released. */
  private trackCombo(code: string, down: boolean): boolean {
    const isCtrl = code === 'ControlLeft' || code === 'ControlRight';
    const isAlt = code === 'AltLeft' || code === 'AltRight';
    if (down) {
      if (!isCtrl && !isAlt) {
        this.comboArmed = false;
        return false;
      }
      const ctrl = isCtrl || this.down.has('ControlLeft') || this.down.has('ControlRight');
      const alt = isAlt || this.down.has('AltLeft') || this.down.has('AltRight');
      const others = [...this.down].some((c) => !c.startsWith('Control') && !c.startsWith('Alt'));
      this.comboArmed = ctrl && alt && !others;
      return false;
    }
    const fire = this.comboArmed && (isCtrl || isAlt);
    if (fire || (!isCtrl && !isAlt)) this.comboArmed = false;
    return fire;
  }
}
