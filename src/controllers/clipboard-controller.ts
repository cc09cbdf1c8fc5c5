/**
 * ClipboardController: the page side of the shared clipboard for one <spice-console>. The engine runs the
 * agent's by-demand protocol; this controller moves content between it and the browser:
 *
 * - Into the guest: when the console gains focus and the page may read the clipboard (the async Clipboard
 *   API with `clipboard-read` granted), the page's text (and PNG image, where the browser gives one) is
 *   offered to the guest; a `paste` event on the console (the browser's Paste menu, or a paste shortcut
 *   pressed in the console: `expectPaste()` holds the shortcut's keys until the offer is made) does the
 *   same; and `sendClipboardText()` offers text a portal got by its own means.
 * - Out of the guest: when the guest announces new content, its text (or PNG) is fetched and written to
 *   the page's clipboard with the async Clipboard API when the page has focus and permission; otherwise it
 *   waits for the next `copy` event on the console. `readGuestClipboard()` fetches it on demand.
 *
 * The console's `clipboard` policy (`both`, `to-guest`, `from-guest`, `off`) is enforced by the engine; this
 * controller also does not touch the browser's clipboard in a direction the policy forbids.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { EngineEvent } from '../api/engine-api.js';
import { type AgentErrorCode, type AgentResult, type ClipboardDetail } from '../api/agent.js';
import { allowsFromGuest, allowsToGuest, type ClipboardPolicy } from '../agent/clipboard.js';
import type { EngineController } from './engine-controller.js';

/** The part of navigator.clipboard the controller uses. */
export interface PageClipboard {
  readText(): Promise<string>;
  writeText(text: string): Promise<void>;
  read?(): Promise<{ types: readonly string[]; getType(type: string): Promise<Blob> }[]>;
  write?(items: unknown[]): Promise<void>;
}

export interface ClipboardControllerOptions {
  engine: EngineController;
  policy(): ClipboardPolicy;
  /** The element whose focus, paste and copy events count. */
  target(): HTMLElement;
  emit(detail: ClipboardDetail): void;
  /** Whether the guest agent takes clipboard content now (connected, announcing clipboard-by-demand). */
  agentClipboard(): boolean;
  /** Default navigator.clipboard (null: none). */
  clipboard?: PageClipboard | null;
}

export interface AgentCallError extends Error {
  code: AgentErrorCode;
}

export function agentError(code: AgentErrorCode, message: string): AgentCallError {
  return Object.assign(new Error(message), { name: 'AgentError', code });
}

export function unwrap<T>(result: AgentResult<T>): T {
  if (result.ok) return result.value;
  throw agentError(result.code, result.message);
}

/**
 * The engine answers a clipboard read within its own 10 s limit; this bound on the page side also covers a
 * worker that was terminated while the call was pending (comlink would leave it pending forever).
 */
const PAGE_READ_TIMEOUT_MS = 15_000;
function withTimeout<T>(call: Promise<AgentResult<T>>): Promise<AgentResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<AgentResult<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: 'agent-timeout', message: `no answer from the engine within ${PAGE_READ_TIMEOUT_MS} ms` }), PAGE_READ_TIMEOUT_MS);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

/**
 * How long a paste shortcut's keys wait for the browser's `paste` event (it follows the keydown at once where
 * the browser fires one), and for the offer to reach the engine after it.
 */
const PASTE_EVENT_WAIT_MS = 200;
const PASTE_OFFER_WAIT_MS = 1000;

export class ClipboardController implements ReactiveController {
  /** The guest's last text (LF line ends), kept for a `copy` event when it could not be written at once. */
  private guestText: string | null = null;
  /** The text last carried either way, so focus does not offer the guest its own content back. */
  private lastSynced: string | null = null;
  /**
   * What the page's clipboard held when last looked at (a key: the text, or the image's type and size). Focus
   * offers the page's clipboard only when it changed since, so guest content the page could not take (no
   * write permission) is not overwritten by older page content.
   */
  private lastPageSeen: string | null = null;
  private readonly listened: HTMLElement[] = [];
  /** A paste shortcut waits for the next `paste` event: settle it once the offer was made (or not). */
  private pasteWait: { promise: Promise<void>; settle(): void; timer: ReturnType<typeof setTimeout>; doc: Document } | null = null;

  constructor(
    host: ReactiveControllerHost,
    private readonly options: ClipboardControllerOptions,
  ) {
    host.addController(this);
  }

  private get clipboard(): PageClipboard | null {
    if (this.options.clipboard !== undefined) return this.options.clipboard;
    return (globalThis.navigator?.clipboard as PageClipboard | undefined) ?? null;
  }

  hostConnected(): void {
    const t = this.options.target();
    t.addEventListener('focus', this.onFocus);
    this.watch(t);
  }

  /**
   * Takes `paste` and `copy` events of `el` as the console's: the target, and each monitor shown in a window
   * of its own (its keyboard is the console's too).
   */
  watch(el: HTMLElement): void {
    if (this.listened.includes(el)) return;
    // Monitors whose window closed are gone for good: let go of them.
    for (const gone of this.listened.filter((t) => !t.isConnected && t !== this.options.target())) {
      gone.removeEventListener('paste', this.onPaste);
      gone.removeEventListener('copy', this.onCopy);
      this.listened.splice(this.listened.indexOf(gone), 1);
    }
    el.addEventListener('paste', this.onPaste);
    el.addEventListener('copy', this.onCopy);
    this.listened.push(el);
  }

  hostDisconnected(): void {
    for (const t of this.listened.splice(0)) {
      t.removeEventListener('focus', this.onFocus);
      t.removeEventListener('paste', this.onPaste);
      t.removeEventListener('copy', this.onCopy);
    }
  }

  sessionEnded(): void {
    this.guestText = null;
    this.pasteWait?.settle();
  }

  /**
   * A paste shortcut is being pressed in the console (in `doc`: the console's document, or a monitor
   * window's): a promise that settles once the `paste` event that follows it offered the page's clipboard to
   * the guest (or when no such event came within PASTE_EVENT_WAIT_MS), or null when nothing would be offered
   * (policy, no agent clipboard). Firefox fires that event at the document's body rather than the focused
   * console, so until it comes the whole document is listened to.
   */
  expectPaste(doc: Document): Promise<void> | null {
    if (!allowsToGuest(this.options.policy()) || !this.options.engine.api || !this.options.agentClipboard()) return null;
    if (this.pasteWait) return this.pasteWait.promise;
    let settle!: () => void;
    const promise = new Promise<void>((resolve) => (settle = resolve));
    const wait = {
      promise,
      doc,
      settle: () => {
        clearTimeout(wait.timer);
        doc.removeEventListener('paste', this.onDocumentPaste, true);
        if (this.pasteWait === wait) this.pasteWait = null;
        settle();
      },
      timer: setTimeout(() => wait.settle(), PASTE_EVENT_WAIT_MS),
    };
    this.pasteWait = wait;
    doc.addEventListener('paste', this.onDocumentPaste, true);
    return promise;
  }

  /** The paste event a paste shortcut awaits, wherever in the document it is fired: the console's. */
  private readonly onDocumentPaste = (e: Event): void => {
    const wait = this.pasteWait;
    if (!wait) return;
    wait.doc.removeEventListener('paste', this.onDocumentPaste, true);
    e.stopPropagation(); // handled here once, not again by the console's own listener
    this.onPaste(e as ClipboardEvent);
  };

  handle(e: EngineEvent): void {
    if (e.type !== 'clipboard') return;
    this.options.emit({ direction: e.direction, types: e.types, size: e.size, kind: e.kind });
    if (e.direction === 'from-guest' && e.kind === 'grab' && allowsFromGuest(this.options.policy())) void this.pullFromGuest(e.types);
    if (e.direction === 'from-guest' && e.kind === 'release') this.guestText = null;
  }

  /** Offers `text` to the guest as its clipboard. */
  async sendText(text: string): Promise<void> {
    const api = this.options.engine.api;
    if (!api) throw agentError('agent-not-connected', 'not connected');
    unwrap(await api.offerClipboard([{ mime: 'text/plain', data: new TextEncoder().encode(text) }]));
    this.lastSynced = text;
  }

  /** The guest's clipboard text now (asks the guest). */
  async readGuestText(): Promise<string> {
    const api = this.options.engine.api;
    if (!api) throw agentError('agent-not-connected', 'not connected');
    const text = new TextDecoder().decode(unwrap(await withTimeout(api.readGuestClipboard('text/plain'))));
    this.guestText = text;
    this.lastSynced = text;
    return text;
  }

  private async pullFromGuest(types: string[]): Promise<void> {
    const api = this.options.engine.api;
    if (!api) return;
    try {
      if (types.includes('text/plain')) {
        const text = await this.readGuestText();
        await this.writePage(text);
      } else if (types.includes('image/png')) {
        const png = unwrap(await withTimeout(api.readGuestClipboard('image/png')));
        const clip = this.clipboard;
        const Item = (globalThis as { ClipboardItem?: new (items: Record<string, Blob>) => unknown }).ClipboardItem;
        if (clip?.write && Item && document.hasFocus()) {
          await clip.write([new Item({ 'image/png': new Blob([png as BlobPart], { type: 'image/png' }) })]);
          // The browser re-encodes images: remember what it holds now, so focus does not offer it back.
          for (const item of (await clip.read?.()) ?? []) {
            if (item.types.includes('image/png')) this.lastPageSeen = `image/png:${(await item.getType('image/png')).size}`;
          }
        }
      }
    } catch {
      // Not allowed now (no focus or permission) or the guest changed its mind: kept for the next copy event.
    }
  }

  private async writePage(text: string): Promise<void> {
    const clip = this.clipboard;
    if (!clip || !document.hasFocus()) return;
    await clip.writeText(text);
    this.lastPageSeen = text;
  }

  private readonly onFocus = (): void => {
    if (!allowsToGuest(this.options.policy()) || !this.options.engine.api) return;
    void this.pushFromPage();
  };

  /** Reads the page's clipboard when the page may, and offers it to the guest if it changed. */
  private async pushFromPage(): Promise<void> {
    const clip = this.clipboard;
    if (!clip) return;
    try {
      const perm = await navigator.permissions?.query({ name: 'clipboard-read' as PermissionName });
      if (perm && perm.state !== 'granted') return;
      const items: { mime: string; data: Uint8Array }[] = [];
      let text: string | null = null;
      if (clip.read) {
        for (const item of await clip.read()) {
          for (const type of item.types) {
            if (type !== 'text/plain' && type !== 'image/png') continue;
            const data = new Uint8Array(await (await item.getType(type)).arrayBuffer());
            if (type === 'text/plain') text = new TextDecoder().decode(data);
            items.push({ mime: type, data });
          }
        }
      } else {
        text = await clip.readText();
        items.push({ mime: 'text/plain', data: new TextEncoder().encode(text) });
      }
      const key = text ?? items.map((i) => `${i.mime}:${i.data.byteLength}`).join(',');
      const changed = key !== this.lastPageSeen;
      this.lastPageSeen = key;
      if (items.length === 0 || !changed || (text !== null && text === this.lastSynced)) return;
      const api = this.options.engine.api;
      if (!api) return;
      const r = await api.offerClipboard(items);
      if (r.ok && text !== null) this.lastSynced = text;
    } catch {
      // No permission, no focus, or nothing readable: the paste event and sendClipboardText() remain.
    }
  }

  private readonly onPaste = (e: ClipboardEvent): void => {
    // The keys of a paste shortcut go on once this offer was made, or at once when there is nothing to offer.
    const wait = this.pasteWait;
    const done = (): void => wait?.settle();
    if (!allowsToGuest(this.options.policy()) || !e.clipboardData) return done();
    const items: Promise<{ mime: string; data: Uint8Array }>[] = [];
    const text = e.clipboardData.getData('text/plain');
    if (text) items.push(Promise.resolve({ mime: 'text/plain', data: new TextEncoder().encode(text) }));
    for (const file of Array.from(e.clipboardData.files)) {
      if (file.type === 'image/png') items.push(file.arrayBuffer().then((b) => ({ mime: 'image/png', data: new Uint8Array(b) })));
    }
    if (items.length === 0) return done();
    e.preventDefault();
    if (wait) {
      // The event came: the keys now wait for the offer (bounded, in case the engine does not answer).
      clearTimeout(wait.timer);
      wait.timer = setTimeout(done, PASTE_OFFER_WAIT_MS);
    }
    void Promise.all(items)
      .then(async (list) => {
        const r = await this.options.engine.api?.offerClipboard(list);
        if (r?.ok && text) this.lastSynced = text;
      })
      .catch(() => {})
      .finally(done);
  };

  private readonly onCopy = (e: ClipboardEvent): void => {
    if (this.guestText === null || !allowsFromGuest(this.options.policy()) || !e.clipboardData) return;
    e.clipboardData.setData('text/plain', this.guestText);
    e.preventDefault();
  };
}
