/**
 * What a `.vv` connection file says that the demo page can act on, beyond the address and the password:
 * the console's local hotkeys (`hotkeys`, listed in the log), the window title (`document.title`, kept
 * over the server's name), the WAN options `color-depth` and `disable-effects` (set on the console as the
 * options dialog sets them, once the session is up, so the file's values win for that VM's session), and
 * `fullscreen=1`, which a page can only offer: fullscreen needs a user gesture, so a one-click button below
 * the status line enters it. The file's hotkeys and title hold until another file is opened or the page
 * connects somewhere else.
 */
import { formatHotkeyList, type ColorDepth, type SpiceConsole, type VvSettings } from '../src/index.js';

export class VvSession {
  /** The file's title (`%d`, remote-viewer's monitor number, as 1), or null without a file or a title. */
  title: string | null = null;
  /** The URL the file named. */
  private url: string | null = null;
  /** Undoes the pending wait for the file's session (its WAN options). */
  private pending: AbortController | null = null;

  constructor(
    private readonly consoleEl: SpiceConsole,
    /** The line that offers fullscreen; its button enters it. */
    private readonly offer: HTMLElement,
    private readonly log: (text: string, error?: boolean) => void,
  ) {
    offer.querySelector('button')!.addEventListener('click', () => {
      this.showOffer(false);
      void consoleEl.requestFullscreen({ navigationUI: 'hide' }).then(
        () => consoleEl.grabKeyboard(),
        (e: Error) => log(`full screen refused: ${e.message}`, true),
      );
    });
    // Entered some other way (the toolbar button, a hotkey): nothing left to offer.
    document.addEventListener('fullscreenchange', () => {
      if (document.fullscreenElement) this.showOffer(false);
    });
  }

  /** Applies a file just read, before its connection starts. */
  apply(vv: VvSettings, fileName: string): void {
    this.forget();
    this.url = vv.url;
    this.title = vv.title ? vv.title.replaceAll('%d', '1') : null;
    if (this.title) document.title = this.title;
    this.consoleEl.hotkeys = vv.hotkeys;
    const hotkeys = formatHotkeyList(this.consoleEl.hotkeys);
    this.log(`connection file ${fileName}: ${hotkeys ? `hotkeys ${hotkeys.replaceAll(',', ', ')}` : 'no hotkeys'}`);
    this.applyWanOnConnect(vv);
    if (vv.fullscreen && !document.fullscreenElement) this.showOffer(true);
  }

  /** The page connects to `url` by its own form: the file's hotkeys and title go unless it is the file's address. */
  connecting(url: string): void {
    if (this.url !== null && url !== this.url) this.forget();
  }

  private forget(): void {
    this.pending?.abort();
    this.pending = null;
    this.url = null;
    this.title = null;
    this.consoleEl.hotkeys = {};
    this.showOffer(false);
  }

  /**
   * The WAN options go on the console once this file's session is up: then the VM's stored settings are
   * the ones being loaded, and a change in that same moment is a choice for it that wins over the record.
   */
  private applyWanOnConnect(vv: VvSettings): void {
    const depth: ColorDepth | undefined = vv.colorDepth === 16 || vv.colorDepth === 32 ? vv.colorDepth : undefined;
    if (vv.colorDepth !== undefined && depth === undefined) this.log(`connection file: color-depth ${vv.colorDepth} is not 16 or 32: ignored`, true);
    if (depth === undefined && vv.disableEffects === undefined) return;
    const pending = new AbortController();
    this.pending = pending;
    const done = () => {
      pending.abort();
      if (this.pending === pending) this.pending = null;
    };
    this.consoleEl.addEventListener(
      'spice-connected',
      () => {
        done();
        this.consoleEl.wanOptions = true;
        if (depth !== undefined) this.consoleEl.colorDepth = depth;
        if (vv.disableEffects !== undefined) this.consoleEl.disableEffects = [...vv.disableEffects];
        this.log(`connection file: WAN options on, colour depth ${this.consoleEl.colorDepth}, effects off: ${this.consoleEl.disableEffects.join(', ') || 'none'}`);
      },
      { signal: pending.signal },
    );
    this.consoleEl.addEventListener('spice-disconnected', done, { signal: pending.signal });
  }

  private showOffer(show: boolean): void {
    this.offer.hidden = !show;
  }
}
