/**
 * What a `.vv` connection file says that the demo page can act on, beyond the address and the password:
 * the console's local hotkeys (`hotkeys`, listed in the log), the window title (`document.title`, kept
 * over the server's name), the WAN options `color-depth` and `disable-effects` (given as the portal's
 * settings: a choice the user stored for the VM wins over them, and they are not stored), and
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
    this.applyWan(vv);
    if (vv.fullscreen && !document.fullscreenElement) this.showOffer(true);
  }

  /** The page connects to `url` by its own form: the file's hotkeys and title go unless it is the file's address. */
  connecting(url: string): void {
    if (this.url !== null && url !== this.url) this.forget();
  }

  private forget(): void {
    this.url = null;
    this.title = null;
    this.consoleEl.hotkeys = {};
    this.showOffer(false);
  }

  /**
   * The file's WAN options are the portal's for this console (`setPortalSettings`): they rank below a choice
   * the user stored for the VM, which wins once the VM's record loads, and they are not stored as the user's.
   */
  private applyWan(vv: VvSettings): void {
    const depth: ColorDepth | undefined = vv.colorDepth === 16 || vv.colorDepth === 32 ? vv.colorDepth : undefined;
    if (vv.colorDepth !== undefined && depth === undefined) this.log(`connection file: color-depth ${vv.colorDepth} is not 16 or 32: ignored`, true);
    if (depth === undefined && vv.disableEffects === undefined) return;
    this.consoleEl.setPortalSettings({
      wanOptions: true,
      ...(depth !== undefined ? { colorDepth: depth } : {}),
      ...(vv.disableEffects !== undefined ? { disableEffects: [...vv.disableEffects] } : {}),
    });
    this.log(
      `connection file: WAN options on, colour depth ${depth ?? 'unchanged'}, effects off: ${vv.disableEffects?.join(', ') || 'none'} (a choice stored for the VM wins)`,
    );
  }

  private showOffer(show: boolean): void {
    this.offer.hidden = !show;
  }
}
