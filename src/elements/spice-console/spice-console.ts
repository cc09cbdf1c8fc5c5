/**
 * `<spice-console>`: a SPICE session on a page. The element captures nothing and decodes nothing itself:
 * it hands its canvas to the engine worker (EngineController) and turns engine events into DOM events.
 */
import { LitElement, html, type PropertyValues } from 'lit';
import type { DisplayStats, EngineEvent } from '../../api/engine-api.js';
import type { SpiceConsoleEventDetail, SpiceConsoleEventName } from '../../api/events.js';
import type { DisconnectDetail, ImageCompressionName, SessionInfo, SessionState } from '../../api/types.js';
import { EngineController, type WorkerFactory } from '../../controllers/engine-controller.js';
import type { KeyboardLocks } from '../../api/input.js';
import type { MouseModeName } from '../../api/types.js';
import { InteractionController } from '../../controllers/interaction-controller.js';
import { UsbController } from '../../controllers/usb-controller.js';
import { SettingsController, type SettingsStatus } from '../../controllers/settings-controller.js';
import { getSiteDefaults, setSiteDefaults } from '../../settings/site-defaults.js';
import type { ConsoleSettings } from '../../settings/settings-record.js';
import type { UsbDeviceInfo, UsbMode, UsbStatus } from '../../api/usb.js';
import type { UsbDeviceLike } from '../../usb/webusb-types.js';
import type { ComboName } from '../../input/keys.js';
import type { ScaleMode } from '../../input/viewport.js';
import { styles } from './spice-console.styles.js';

export type { SpiceConsoleEventMap } from '../../api/events.js';

/**
 * @summary A SPICE remote console: a virtual machine's display, keyboard, mouse and devices.
 *
 * The `@fires` lines are generated from src/api/events.ts (`npm run gen:docs`).
 * @fires spice-connected - The session is up: sent once every channel the server listed linked or failed. `detail`: `{
 *   sessionId, channels: [{ type, typeId, id, state, error? }], displayChannelsHint, mouseModes, mouseMode,
 *   agentConnected, name?, uuid? }`.
 * @fires spice-disconnected - The session ended; sent exactly once per `connect()`. Codes: `client` (the only clean
 *   one), `auth-failed`, `link-refused`, `transport-closed`, `protocol`, `unreachable`, `timeout`, `unsupported`.
 *   `detail`: `{ code, reason, clean }`.
 * @fires spice-channels - A channel was announced later, linked, failed or closed after `spice-connected`. `detail`: `{
 *   channels: [{ type, typeId, id, state, error? }] }`.
 * @fires spice-state - Every state change: `connecting`, `connected`, `disconnected`. `detail`: `{ state }`.
 * @fires spice-resize - A guest display changed size, in guest pixels. `detail`: `{ displayId, width, height }`.
 * @fires spice-mouse-mode - The server switched mouse mode (`client` or `server`). `detail`: `{ mode, supported }`.
 * @fires spice-pointer-lock - Pointer Lock (server mouse mode) was taken or left. `detail`: `{ locked }`.
 * @fires spice-keyboard-locks - The guest's lock keys changed, as it reported them. `detail`: `{ capsLock, numLock,
 *   scrollLock }`.
 * @fires spice-usb - USB redirection changed. Device states: `available`, `redirecting`, `redirected`, `refused`,
 *   `lost`. `migrationWarning` is set once a device was redirected (the VM cannot be live-migrated then). `detail`: `{
 *   devices: [{ vendorId, productId, deviceClass, productName?, manufacturerName?, serialNumber?, key, state, reason?,
 *   channelId?, via? }], available, reason?, channels: { total, free }, migrationWarning?, guestFilter? }`.
 * @fires spice-settings - The VM's stored settings were `loaded` and applied, a change was `saved`, a corrupt or
 *   foreign record was `ignored` (`reason` says why), or storage is `unavailable` (the console works; settings are not
 *   kept). `detail`: `{ state, vmId, reason?, stored?: { wanOptions?, colorDepth?, disableEffects?, scale?,
 *   imageCompression?, clipboard?, usbAutoRedirectFilter?, monitorLayout?: [{ x, y, width, height }] } }`.
 *
 * @slot toolbar - Controls shown over the top right corner of the screen, e.g. a `<spice-usb-menu>`.
 *
 * @csspart base - The wrapper around the screen.
 * @csspart screen - The canvas of display channel 0.
 * @csspart status - The status line shown while not connected.
 * @csspart hint - How to take or leave the pointer, shown in server mouse mode.
 * @csspart cursor - The guest cursor drawn while the pointer is locked (server mouse mode).
 * @cssproperty --spice-console-focus-ring - Outline shown while the console has the keyboard.
 * @cssproperty --spice-console-background - Colour around the screen.
 */
export class SpiceConsole extends LitElement {
  static override styles = styles;
  static override properties = {
    url: { type: String, reflect: true },
    autoconnect: { type: Boolean, reflect: true },
    imageCompression: { type: String, attribute: 'image-compression' },
    scale: { type: String, reflect: true },
    viewOnly: { type: Boolean, reflect: true, attribute: 'view-only' },
    mouseMode: { type: String, attribute: 'mouse-mode' },
    state: { type: String, reflect: true },
    statusText: { state: true },
    usb: { type: String, reflect: true },
    usbFilter: { type: String, attribute: 'usb-filter' },
    usbAutoRedirectFilter: { type: String, attribute: 'usb-auto-redirect-filter' },
    usbAvailable: { type: Boolean, reflect: true, attribute: 'usb-available' },
    vmId: { type: String, reflect: true, attribute: 'vm-id' },
  };

  /**
   * Defaults for every console on the page, below each console's attributes and the user's stored choices
   * (see README "Settings"). Starts as oVirt's WAN defaults (`colorDepth` 16, `disableEffects`
   * `['animation']`); what is assigned is checked (TypeError on a bad setting) and merged over those.
   */
  static get siteDefaults(): Readonly<Partial<ConsoleSettings>> {
    return getSiteDefaults();
  }
  static set siteDefaults(defaults: Partial<ConsoleSettings>) {
    setSiteDefaults(defaults);
  }

  /** ws:// or wss:// URL of the SPICE server port or of a websockify-style proxy. */
  declare url: string;
  /** Connect as soon as the element is on the page and has a url. */
  declare autoconnect: boolean;
  /**
   * Image compression to ask the server for (`off`, `auto-glz`, `auto-lz`, `quic`, `glz`, `lz`, `lz4`);
   * empty keeps the server's own setting. Read at connect().
   */
  declare imageCompression: ImageCompressionName | '';
  /**
   * How the guest screen fits the element: `fit` (default; largest size that fits, aspect kept), `fill`
   * (stretched to the element) or `none` (one guest pixel per device pixel, scrolling if larger).
   */
  declare scale: ScaleMode;
  /** Show the guest but send it no keyboard, mouse or touch input. */
  declare viewOnly: boolean;
  /**
   * The mouse mode to ask the server for: `client` (default: absolute pointer, the local cursor is the
   * guest's shape) or `server` (relative motion under Pointer Lock). The current mode is `session.mouseMode`.
   */
  declare mouseMode: MouseModeName;
  /** `idle` until the first connect(), then the session state. Read-only for pages. */
  declare state: SessionState | 'idle';
  /**
   * USB redirection, as oVirt's USB policy: `native` (WebUSB devices into the VM over SPICE usbredir
   * channels), `disabled` (default) or `legacy` (reported unsupported: a browser cannot run that client).
   * Read at connect().
   */
  declare usb: UsbMode;
  /**
   * Which devices may be redirected, as usbredir filter rules `class,vendor,product,version,allow|...`
   * (numbers decimal or 0x-hex, -1 for any; the first matching rule decides). Empty: any device the VM
   * takes. Also narrows the browser's device chooser.
   */
  declare usbFilter: string;
  /** Devices to redirect by themselves (same syntax) once USB is available and when they appear. Empty: none. */
  declare usbAutoRedirectFilter: string;
  /** Whether USB redirection can be used now (see `usbStatus.reason` when not). Read-only for pages. */
  declare usbAvailable: boolean;
  /**
   * The VM's id, as the portal knows it: the user's settings for this console are kept under it. Empty:
   * they are kept under the UUID the server sends once connected.
   */
  declare vmId: string;
  declare private statusText: string;

  /**
   * The SPICE password. A property only: never an attribute, never stored, never logged; handed to the
   * worker at connect() for the session's channel links and dropped there when the session ends.
   */
  password = '';

  /** Facts about the current session once connected, else null. */
  session: SessionInfo | null = null;

  private readonly engine: EngineController;
  private readonly interaction: InteractionController;
  private readonly usbControl: UsbController;
  private readonly settingsControl: SettingsController;
  private canvas: HTMLCanvasElement | null = null;
  private ended = true;

  constructor(workerFactory?: WorkerFactory) {
    super();
    this.url = '';
    this.autoconnect = false;
    this.imageCompression = '';
    this.state = 'idle';
    this.statusText = 'Not connected';
    this.scale = 'fit';
    this.viewOnly = false;
    this.mouseMode = 'client';
    this.usb = 'disabled';
    this.usbFilter = '';
    this.usbAutoRedirectFilter = '';
    this.usbAvailable = false;
    this.vmId = '';
    this.engine = new EngineController(this, (e) => this.onEngineEvent(e), workerFactory);
    this.interaction = new InteractionController(this, {
      engine: this.engine,
      canvas: () => this.canvas,
      container: () => this.renderRoot.querySelector<HTMLElement>('[part="base"]'),
      emit: (name, detail) => this.emit(name, detail),
    });
    this.usbControl = new UsbController(this, {
      engine: this.engine,
      mode: () => this.usb,
      filter: () => this.usbFilter,
      autoRedirectFilter: () => this.usbAutoRedirectFilter,
      changed: (status) => {
        this.usbAvailable = status.available;
        this.emit('spice-usb', status);
      },
    });
    // Last: the property defaults above are the built-in layer of the settings' precedence order.
    this.settingsControl = new SettingsController(this);
  }

  /** Where this console's settings stand: the VM id they are kept under, whether they are kept, and why not. */
  get settingsStatus(): SettingsStatus {
    return this.settingsControl.status;
  }

  /** Opens the session to `url`. Resolves when connected or ended; the events tell which. */
  async connect(): Promise<void> {
    if (!this.url) throw new Error('spice-console: set url before connect()');
    if (!this.ended) await this.disconnect();
    this.ended = false;
    this.session = null;
    this.setState('connecting', `Connecting to ${this.url}…`);
    await this.updateComplete;
    await this.settingsControl.settled();
    const canvas = this.freshCanvas();
    const offscreen = canvas?.transferControlToOffscreen();
    this.usbControl.sessionStarting();
    await this.engine.connect(
      {
        url: this.url,
        password: this.password,
        usb: this.usbControl.engineOptions(),
        ...(this.imageCompression ? { preferredCompression: this.imageCompression } : {}),
      },
      offscreen,
    );
  }

  /** Closes the session; `spice-disconnected` follows with code `client` (unless it had ended already). */
  async disconnect(): Promise<void> {
    if (this.ended) return;
    await this.engine.disconnect();
    if (!this.ended) this.end({ code: 'client', reason: 'disconnected by the client', clean: true });
  }

  /** Number of sockets the engine holds open (0 once disconnected). For diagnostics and tests. */
  openSockets(): Promise<number> {
    return this.engine.openSockets();
  }

  /** Diagnostics per display channel: image types decoded, frames presented, messages received by type. */
  async displayStats(): Promise<DisplayStats[]> {
    return (await this.engine.api?.displayStats()) ?? [];
  }

  /**
   * The guest screen of display channel `displayId` as it is drawn now: RGBA pixels, rows top-down.
   * Null before the first frame.
   */
  async screenshot(displayId = 0): Promise<{ width: number; height: number; rgba: Uint8Array } | null> {
    return (await this.engine.api?.screenshot(displayId)) ?? null;
  }

  /**
   * Presses keys in order and releases them in reverse, by `KeyboardEvent.code` name (e.g.
   * `['ControlLeft', 'AltLeft', 'Delete']`). Rejects with a RangeError for an unknown code. Nothing is sent
   * when not connected or view-only.
   */
  sendKeys(codes: readonly string[]): Promise<void> {
    return this.interaction.sendKeys(codes);
  }

  /**
   * Sends a ready combo: `ctrl-alt-del`, `ctrl-alt-backspace`, `ctrl-alt-f1` … `ctrl-alt-f12`, `alt-tab`,
   * `print-screen`.
   */
  sendCombo(name: ComboName): Promise<void> {
    return this.interaction.sendCombo(name);
  }

  /** Releases every key and button held down in the guest. */
  releaseInput(): void {
    this.interaction.keyboard.releaseAll();
  }

  /**
   * Focuses the console and, where the browser allows (Chromium, in fullscreen), locks the keyboard so
   * system shortcuts (Alt+Tab, Ctrl+W, Esc) reach the guest. Fullscreen takes the lock by itself.
   */
  grabKeyboard(): Promise<void> {
    return this.interaction.grabKeyboard();
  }

  /** Undoes grabKeyboard(). */
  releaseKeyboard(): void {
    this.interaction.releaseKeyboard();
  }

  /** Whether grabKeyboard() is in effect. */
  get keyboardGrabbed(): boolean {
    return this.interaction.keyboardGrabbed;
  }

  /** Leaves Pointer Lock (server mouse mode); Esc and Ctrl+Alt do the same. */
  releasePointer(): void {
    this.interaction.pointer.unlock();
  }

  /** Whether the pointer is locked to the console (server mouse mode). */
  get pointerLocked(): boolean {
    return this.interaction.pointer.locked;
  }

  /** The guest's Caps/Num/Scroll Lock state as it last reported it, or null. */
  get keyboardLocks(): KeyboardLocks | null {
    return this.interaction.guestLocks;
  }

  /** USB redirection now: availability (and why not), channels, every known device and its state. */
  get usbStatus(): UsbStatus {
    return this.usbControl.status;
  }

  /**
   * Opens the browser's USB device chooser, offering what `usb-filter` allows, and adds the chosen device
   * to the console's list. Needs a user gesture (call it from a click). Rejects with an error whose `code`
   * is `usb-unavailable`, `usb-cancelled` (nothing chosen) or `usb-failed`.
   */
  requestUsbDevice(): Promise<UsbDeviceInfo> {
    return this.usbControl.requestDevice();
  }

  /**
   * Redirects the device `key` (from `usbStatus.devices`) into the VM on a free usbredir channel. Resolves
   * once the VM was told about it; rejects with an error whose `code` is `usb-unavailable`,
   * `usb-no-free-channel`, `usb-refused` (a filter said no; `message` says which), `usb-not-found` or
   * `usb-failed`.
   */
  redirectUsb(key: string): Promise<UsbDeviceInfo> {
    return this.usbControl.redirect(key);
  }

  /** Gives the device `key` back to this computer (the VM sees it unplugged). */
  releaseUsb(key: string): Promise<void> {
    return this.usbControl.release(key);
  }

  /**
   * Adds a device the page already has to the console's list: a WebUSB `USBDevice` obtained elsewhere, or
   * a stand-in object implementing the same calls (tests, emulated devices). A stand-in that is an
   * EventTarget may fire `disconnect` on itself when it goes away.
   */
  addUsbDevice(device: UsbDeviceLike): UsbDeviceInfo {
    return this.usbControl.addDevice(device);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.autoconnect && this.url && this.ended) void this.connect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (!this.ended) this.end({ code: 'client', reason: 'the element was removed from the page', clean: true });
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('viewOnly') && this.viewOnly) this.interaction.inputDisabled();
    if (changed.has('mouseMode')) this.interaction.requestPreferredMode();
    if ((changed.has('url') || changed.has('autoconnect')) && this.autoconnect && this.url && this.ended && this.isConnected) {
      void this.connect();
    }
  }

  protected override render() {
    return html`<div part="base">
      <div id="screen"></div>
      ${this.interaction.overlay()}
      <div part="toolbar"><slot name="toolbar"></slot></div>
      <div part="status" role="status" ?hidden=${this.state === 'connected'}>${this.statusText}</div>
    </div>`;
  }

  /** A canvas can be transferred to a worker once, so every session gets a new one. */
  private freshCanvas(): HTMLCanvasElement | null {
    const holder = this.renderRoot.querySelector('#screen');
    if (!holder) return null;
    this.canvas?.remove();
    const canvas = document.createElement('canvas');
    canvas.setAttribute('part', 'screen');
    canvas.width = 0;
    canvas.height = 0;
    holder.append(canvas);
    this.canvas = canvas;
    this.interaction.refresh();
    return canvas;
  }

  private onEngineEvent(e: EngineEvent): void {
    this.interaction.handle(e);
    this.usbControl.handle(e);
    switch (e.type) {
      case 'connected':
        this.session = e.session;
        this.setState('connected', '');
        this.emit('spice-connected', e.session);
        return;
      case 'channels':
        if (this.session) this.session = { ...this.session, channels: e.channels };
        this.emit('spice-channels', { channels: e.channels });
        return;
      case 'agent':
        if (this.session) this.session = { ...this.session, agentConnected: e.connected };
        return;
      case 'mouse-mode':
        if (this.session) this.session = { ...this.session, mouseMode: e.mode, mouseModes: e.supported };
        return;
      case 'disconnected':
        if (!this.ended) this.end({ code: e.code, reason: e.reason, clean: e.clean });
        return;
      default:
        return;
    }
  }

  private end(detail: DisconnectDetail): void {
    this.ended = true;
    this.session = null;
    this.usbControl.sessionEnded();
    this.interaction.sessionEnded();
    this.setState('disconnected', detail.clean ? 'Disconnected' : `Disconnected: ${detail.reason}`);
    this.emit('spice-disconnected', detail);
    void this.engine.disconnect();
  }

  private setState(state: SessionState, text: string): void {
    this.state = state;
    this.statusText = text;
    this.emit('spice-state', { state });
  }

  /** Sends one of the events of src/api/events.ts, its detail checked against the declared type. */
  private emit<K extends SpiceConsoleEventName>(name: K, detail: SpiceConsoleEventDetail[K]): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}
