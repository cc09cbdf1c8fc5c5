/**
 * `<spice-console>`: a SPICE session on a page. The element captures nothing and decodes nothing itself:
 * it hands one canvas per guest monitor to the engine worker (a <spice-monitor> each, MonitorManager) and
 * turns engine events into DOM events.
 */
import { LitElement, html, type PropertyValues } from 'lit';
import type { DisplayStats, EngineEvent, EngineStats } from '../../api/engine-api.js';
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
import { updateWhenLocaleChanges } from '@lit/localize';
import { ReconnectController, type ReconnectPlan } from '../../controllers/reconnect-controller.js';
import { strings } from '../../l10n/strings.js';
import { hotkeyBindings, readHotkeys, type HotkeyBinding } from '../../vv/hotkey.js';
import type { VvHotkeys } from '../../vv/vv-file.js';

/** What a kiosk console shows while disconnected: a message with a countdown, nothing, or a page reload. */
export type KioskDisconnectedPolicy = 'overlay' | 'blank' | 'reload';
/** `state` of the element: the session's state, `idle` before the first connect(), `reconnecting` between attempts. */
export type ConsoleState = SessionState | 'idle' | 'reconnecting';

import type { AgentEngineEvent, ClipboardPolicy, ColorDepth, DisplayEffect, WanOptions } from '../../api/agent.js';
import { parseColorDepth, parseDisableEffects, wanOptionsOffer } from '../../agent/display-config.js';
import { parseClipboardPolicy } from '../../agent/clipboard.js';
import { ClipboardController } from '../../controllers/clipboard-controller.js';
import { FileTransferController } from '../../controllers/file-transfer-controller.js';
import type { MonitorInfo } from '../../api/monitors.js';
import type { MonitorLayout } from '../../settings/settings-record.js';
import type { SpiceMonitor } from '../spice-monitor/spice-monitor.js';
import { MonitorManager, MONITOR_LAYOUTS, type MonitorLayoutMode } from './monitor-manager.js';

/** `disable-effects`: words separated by commas or spaces; unknown words are dropped. */
const effectsConverter = {
  fromAttribute: (value: string | null): DisplayEffect[] => parseDisableEffects(value).effects,
  toAttribute: (value: DisplayEffect[]): string => value.join(','),
};
/** `color-depth`: 16 or 32; anything else keeps oVirt's default, 16. */
const depthConverter = {
  fromAttribute: (value: string | null): ColorDepth => parseColorDepth(value) ?? 16,
  toAttribute: (value: ColorDepth): string => String(value),
};

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
 * @fires spice-state - Every state change: `connecting`, `connected`, `disconnected`, `reconnecting` (waiting for the
 *   next attempt). `detail`: `{ state }`.
 * @fires spice-reconnecting - With `reconnect` (or `kiosk`) on, the session ended by itself and a new attempt is
 *   scheduled (`delay` in ms; `maxAttempts` 0: no limit). Follows the `spice-disconnected` of the session that ended.
 *   `detail`: `{ attempt, delay, maxAttempts, code, reason }`.
 * @fires spice-reconnect-failed - Reconnecting gave up after `attempts` attempts; `code` and `reason` are the last
 *   attempt's. `detail`: `{ attempts, code, reason }`.
 * @fires spice-resize - A guest monitor appeared or changed size, in guest pixels (`key` is `<channelId>:<monitorId>`).
 *   `detail`: `{ key, channelId, displayId, monitorId, width, height }`.
 * @fires spice-monitors - The guest's monitors changed (a display channel's surface or MONITORS_CONFIG, a channel
 *   closed): every monitor in display order, and how many the VM allows. `detail`: `{ monitors: [{ key, channelId,
 *   displayId, monitorId, x, y, width, height, surfaceX, surfaceY }], maxAllowed }`.
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
 *   imageCompression?, clipboard?, usbAutoRedirectFilter?, monitorLayout?: { mode, monitor, heads? } } }`.
 * @fires spice-agent - The guest agent came, announced its capabilities, or went. `caps` by name (`display-config`,
 *   `clipboard-by-demand`, `file-xfer-disabled`, ...); `fileTransferAvailable`: it takes files. `detail`: `{ connected,
 *   caps, fileTransferAvailable }`.
 * @fires spice-display-config - The WAN options as DISPLAY_CONFIG (flags: 1 wallpaper, 2 font smoothing, 4 animation
 *   off, 8 set `depth`); `sent` false with the `reason` while no agent announced DISPLAY_CONFIG, or a note (e.g.
 *   unknown OS). `detail`: `{ flags, depth, effects, sent, reason? }`.
 * @fires spice-clipboard - Clipboard traffic with the guest: `kind` `grab` (new content of `types` announced), `data`
 *   (`size` bytes went across) or `release`, `direction` `to-guest` or `from-guest`. `detail`: `{ direction, types,
 *   size, kind }`.
 * @fires spice-file-transfer - A file sent into the guest: progress and result. States `waiting`, `sending`, `success`,
 *   `cancelled`, `error`; `status` names the agent's answer (`not-enough-space`, `session-locked`,
 *   `vdagent-not-connected`, `disabled`, `error`) or `agent-disconnected`, `read-failed`, or why it could not start (id
 *   0). `detail`: `{ id, name, size, sent, state, status?, error? }`.
 * @fires spice-hotkey - A local hotkey (see `hotkeys`) was pressed; its main key did not go to the guest (the modifiers
 *   did, and a modifiers-only hotkey fires on their release). `action`: `release-cursor`, `secure-attention`,
 *   `toggle-fullscreen`, `zoom-in`, `zoom-out`, `zoom-reset`, `smartcard-insert`, `smartcard-remove`,
 *   `usb-device-reset`; `hotkey` as it was given (`shift+f12`). Cancelable: `preventDefault()` stops the console's own
 *   action (leave Pointer and Keyboard Lock, send Ctrl+Alt+Del, toggle fullscreen); the others are the page's to do.
 *   `detail`: `{ action, hotkey }`.
 *
 * @slot toolbar - Controls shown over the top right corner of the screen, e.g. a `<spice-usb-menu>`.
 *
 * @csspart base - The wrapper around the screen.
 * @csspart screen - The canvas of each monitor (inside its `<spice-monitor>`).
 * @csspart status - The status line shown while not connected (in kiosk mode: the disconnected overlay).
 * @csspart announce - The visually hidden live region that tells screen readers about state changes.
 * @csspart kiosk-button - Kiosk mode's `Enter full screen` / `Reconnect` button.
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
    layout: { type: String, reflect: true },
    monitor: { type: Number, reflect: true },
    resizeGuest: { type: Boolean, reflect: true, attribute: 'resize-guest' },
    viewOnly: { type: Boolean, reflect: true, attribute: 'view-only' },
    mouseMode: { type: String, attribute: 'mouse-mode' },
    state: { type: String, reflect: true },
    statusText: { state: true },
    usb: { type: String, reflect: true },
    usbFilter: { type: String, attribute: 'usb-filter' },
    usbAutoRedirectFilter: { type: String, attribute: 'usb-auto-redirect-filter' },
    usbAvailable: { type: Boolean, reflect: true, attribute: 'usb-available' },
    vmId: { type: String, reflect: true, attribute: 'vm-id' },
    wanOptions: { type: Boolean, attribute: 'wan-options' },
    colorDepth: { attribute: 'color-depth', converter: depthConverter },
    disableEffects: { attribute: 'disable-effects', converter: effectsConverter },
    osType: { type: String, attribute: 'os-type' },
    clipboard: { type: String, attribute: 'clipboard' },
    agentConnected: { type: Boolean, reflect: true, attribute: 'agent-connected' },
    fileTransferAvailable: { state: true },
    reconnect: { type: Boolean, reflect: true },
    kiosk: { type: Boolean, reflect: true },
    kioskDisconnected: { type: String, reflect: true, attribute: 'kiosk-disconnected' },
    announcement: { state: true },
    kioskButton: { state: true },
    hotkeys: { attribute: 'hotkeys', noAccessor: true },
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
  /**
   * Where the monitors are shown: `guest` (default; all of them in the console, arranged as the guest places
   * them), `single` (only the one whose display id is `monitor`) or `windows` (one browser window per
   * monitor, on the user's screens where the browser grants the Window Management API; closing a window
   * puts its monitor back into the console).
   */
  declare layout: MonitorLayoutMode;
  /** `single` layout: the display id of the monitor shown (default 0). */
  declare monitor: number;
  /**
   * Resize the guest's monitors to the room the console gives them (needs the guest agent): sent 1 s after
   * the last size change. Off by default: a console embedded in a page should not change the VM's
   * resolution by being shown; switch it on for a console that is the user's screen.
   */
  declare resizeGuest: boolean;
  /** Show the guest but send it no keyboard, mouse or touch input. */
  declare viewOnly: boolean;
  /**
   * The mouse mode to ask the server for: `client` (default: absolute pointer, the local cursor is the
   * guest's shape) or `server` (relative motion under Pointer Lock). The current mode is `session.mouseMode`.
   */
  declare mouseMode: MouseModeName;
  /** `idle` until the first connect(), then the session state. Read-only for pages. */
  declare state: ConsoleState;
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
  /**
   * Open the session again, with exponential backoff and jitter, when it ends by itself (network drop,
   * server restart, a migration the client cannot follow); never after `client`, `auth-failed` or
   * `unsupported`. USB devices that were redirected are redirected again. Tune with `reconnectPolicy`.
   */
  declare reconnect: boolean;
  /**
   * Kiosk mode: full screen on start (or on the first click where the browser wants a user gesture),
   * Keyboard Lock so system keys reach the guest, no toolbar, and `reconnect` on.
   */
  declare kiosk: boolean;
  /** What a kiosk console shows while disconnected: `overlay` (default; message and countdown), `blank`, `reload`. */
  declare kioskDisconnected: KioskDisconnectedPolicy;
  /** The status line's text, rendered in the active locale. */
  declare private statusText: () => string;
  /** The live region's last announcement. */
  declare private announcement: string;
  declare private kioskButton: 'fullscreen' | 'reconnect' | null;
  /**
   * oVirt's "Enable WAN options": send the guest agent `colorDepth` and `disableEffects` (DISPLAY_CONFIG).
   * Offered for Windows guests (and an unknown `osType`, with a note); see `wanOptionsOffered`.
   */
  declare wanOptions: boolean;
  /** WAN colour depth, 16 (oVirt's default) or 32. */
  declare colorDepth: ColorDepth;
  /** WAN effects to disable: `wallpaper`, `font-smooth`, `animation` or `all` (oVirt's default: animation). */
  declare disableEffects: DisplayEffect[];
  /** The guest OS as the portal knows it (`windows`, `windows_10x64`, `linux`, ...); empty = unknown. */
  declare osType: string;
  /** Clipboard sharing: `both` (default), `to-guest`, `from-guest` or `off`. */
  declare clipboard: ClipboardPolicy;
  /** A guest agent is connected. Read-only for pages. */
  declare agentConnected: boolean;
  /** The agent takes files (connected, announced, not FILE_XFER_DISABLED). Read-only for pages. */
  declare fileTransferAvailable: boolean;
  /** The agent's capabilities by name, once it announced them. */
  agentCaps: string[] = [];

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
  private readonly clipboardControl: ClipboardController;
  private readonly fileTransfers: FileTransferController;
  private readonly monitorsMgr: MonitorManager;
  private readonly reconnectControl: ReconnectController;
  private ended = true;
  private countdown: ReturnType<typeof setInterval> | null = null;
  /** The aria-label the element gave itself (replaced when the locale changes; a page's own label is kept). */
  private ownLabel: string | null = null;
  /** Keys of USB devices the user redirected into this session (and did not release). */
  private usbWanted = new Set<string>();
  /** Keys of USB devices in the VM when the session dropped: redirected again after the reconnect. */
  private usbToRestore: string[] = [];
  private hotkeySet: VvHotkeys = {};
  private hotkeyList: HotkeyBinding[] = [];

  constructor(workerFactory?: WorkerFactory) {
    super();
    this.url = '';
    this.autoconnect = false;
    this.imageCompression = '';
    this.state = 'idle';
    this.statusText = strings.notConnected;
    this.announcement = '';
    this.kioskButton = null;
    this.reconnect = false;
    this.kiosk = false;
    this.kioskDisconnected = 'overlay';
    this.scale = 'fit';
    this.layout = 'guest';
    this.monitor = 0;
    this.resizeGuest = false;
    this.viewOnly = false;
    this.mouseMode = 'client';
    this.usb = 'disabled';
    this.usbFilter = '';
    this.usbAutoRedirectFilter = '';
    this.usbAvailable = false;
    this.vmId = '';
    this.wanOptions = false;
    this.colorDepth = 16;
    this.disableEffects = ['animation'];
    this.osType = '';
    this.clipboard = 'both';
    this.agentConnected = false;
    this.fileTransferAvailable = false;
    this.engine = new EngineController(this, (e) => this.onEngineEvent(e), workerFactory);
    this.interaction = new InteractionController(this, {
      engine: this.engine,
      monitors: () => this.monitorsMgr.consoleMonitors(),
      allMonitors: () => this.monitorsMgr.allMonitors(),
      screen: () => this.renderRoot.querySelector<HTMLElement>('#screen'),
      container: () => this.renderRoot.querySelector<HTMLElement>('[part="base"]'),
      emit: (name, detail) => this.emit(name, detail),
      hotkeys: () => this.hotkeyList,
      hotkey: (detail) => this.emit('spice-hotkey', detail, true),
      awaitPaste: (doc) => this.clipboardControl.expectPaste(doc),
      arranged: (_layout, w, h) => {
        if (w > 0 && h > 0) this.style.setProperty('--spice-console-aspect', `${w} / ${h}`);
        this.monitorsMgr.containerResized();
      },
    });
    this.monitorsMgr = new MonitorManager({
      engine: this.engine,
      screen: () => this.renderRoot.querySelector<HTMLElement>('#screen'),
      container: () => this.renderRoot.querySelector<HTMLElement>('[part="base"]'),
      layout: () => (MONITOR_LAYOUTS.includes(this.layout) ? this.layout : 'guest'),
      selected: () => (Number.isInteger(this.monitor) ? this.monitor : 0),
      scale: () => this.scale,
      resizeGuest: () => this.resizeGuest && this.state === 'connected',
      attachWindow: (el) => {
        this.interaction.attachWindowMonitor(el);
        this.clipboardControl.watch(el);
      },
      changed: () => {
        this.interaction.refresh();
        this.requestUpdate();
      },
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
        for (const d of status.devices) if (d.state === 'lost') this.usbWanted.delete(d.key);
        if (status.available && this.usbToRestore.length) queueMicrotask(() => this.restoreUsb());
      },
    });
    this.reconnectControl = new ReconnectController(this, {
      enabled: () => this.reconnect || this.kiosk,
      reconnect: (plan) => this.attemptReconnect(plan),
    });
    updateWhenLocaleChanges(this);
    this.clipboardControl = new ClipboardController(this, {
      engine: this.engine,
      policy: () => parseClipboardPolicy(this.clipboard),
      target: () => this,
      agentClipboard: () => this.agentConnected && this.agentCaps.includes('clipboard-by-demand'),
      emit: (detail) => this.emit('spice-clipboard', detail),
    });
    this.fileTransfers = new FileTransferController(this, {
      engine: this.engine,
      target: () => this,
      available: () => this.fileTransferAvailable,
      emit: (detail) => this.emit('spice-file-transfer', detail),
    });
    // Last: the property defaults above are the built-in layer of the settings' precedence order.
    this.settingsControl = new SettingsController(this);
  }

  /**
   * Local hotkeys, as remote-viewer's: key presses on this computer that the console acts on instead of
   * sending them to the guest. Set the attribute (or the property) in remote-viewer's `--hotkeys` form,
   * `toggle-fullscreen=shift+f11,release-cursor=shift+f12,secure-attention=ctrl+alt+end`, or the property
   * to a `VvHotkeys` object (`el.hotkeys = parseVvFile(text).hotkeys`). Actions: `release-cursor`,
   * `secure-attention`, `toggle-fullscreen`, `zoom-in`, `zoom-out`, `zoom-reset`, `smartcard-insert`,
   * `smartcard-remove`, `usb-device-reset`; each press fires `spice-hotkey`. What cannot be read is named
   * in a console warning and left out; the rest is kept. Reads back as a `VvHotkeys` object. Default: none.
   */
  get hotkeys(): VvHotkeys {
    return this.hotkeySet;
  }
  set hotkeys(value: VvHotkeys | string | null | undefined) {
    const old = this.hotkeySet;
    const { hotkeys, errors } = readHotkeys(value);
    if (errors.length) console.warn(`spice-console: hotkeys: ${errors.join('; ')}`);
    this.hotkeySet = hotkeys;
    this.hotkeyList = hotkeyBindings(hotkeys);
    this.requestUpdate('hotkeys', old);
  }

  /** Where this console's settings stand: the VM id they are kept under, whether they are kept, and why not. */
  get settingsStatus(): SettingsStatus {
    return this.settingsControl.status;
  }

  /**
   * Gives settings as the portal's after the console is on the page (e.g. a `.vv` file's `color-depth` and
   * `disable-effects`, read when the user opens it): unlike setting the properties, which is the user's
   * choice and stored for the VM, these rank where attributes do, below what the user stored for the VM,
   * and are not stored. Invalid values are ignored.
   */
  setPortalSettings(settings: Partial<ConsoleSettings>): void {
    this.settingsControl.setPortalSettings(settings);
  }

  /** The reconnect backoff: `{ baseDelayMs, maxDelayMs, maxAttempts, factor, jitter }`; assign a part to change it. */
  get reconnectPolicy(): Readonly<ReconnectController['policy']> {
    return this.reconnectControl.policy;
  }
  set reconnectPolicy(policy: Partial<ReconnectController['policy']>) {
    this.reconnectControl.policy = { ...this.reconnectControl.policy, ...policy };
  }

  /** Whether WAN options apply to this guest (oVirt: Windows guests; an unknown OS too, with a note). */
  get wanOptionsOffered(): boolean {
    return wanOptionsOffer(this.osType ?? '').offered;
  }

  /** Why WAN options are not offered, or the note for an unknown OS; empty otherwise. */
  get wanOptionsReason(): string {
    return wanOptionsOffer(this.osType ?? '').reason ?? '';
  }

  /** The WAN options as the engine takes them, from the current properties. */
  private wanValue(): WanOptions {
    const depth = parseColorDepth(this.colorDepth) ?? 16;
    const effects = Array.isArray(this.disableEffects) ? this.disableEffects : parseDisableEffects(String(this.disableEffects ?? '')).effects;
    return { wanOptions: !!this.wanOptions, colorDepth: depth, disableEffects: effects, osType: this.osType ?? '' };
  }

  /**
   * Offers `text` to the guest as its clipboard (the guest pastes it). For portals with their own clipboard
   * UI. Rejects with an error whose `code` is `agent-not-connected`, `clipboard-unavailable` or `clipboard-policy`.
   */
  sendClipboardText(text: string): Promise<void> {
    return this.clipboardControl.sendText(text);
  }

  /**
   * The guest's clipboard text (LF line ends). Rejects with an error whose `code` is `agent-not-connected`,
   * `clipboard-policy`, `clipboard-empty` (nothing copied in the guest) or `agent-timeout`.
   */
  readGuestClipboard(): Promise<string> {
    return this.clipboardControl.readGuestText();
  }

  /**
   * Sends files into the guest (the agent saves them, e.g. in the user's Downloads or Desktop folder);
   * resolves with their transfer ids. Progress and result: `spice-file-transfer` events. Rejects with an error
   * whose `code` is `agent-not-connected` or `file-transfer-disabled`. Dropping files on the console does the same.
   */
  sendFiles(files: File[]): Promise<number[]> {
    return this.fileTransfers.send(files);
  }

  /** Cancels the transfer `id`; false if it is not running. */
  cancelFileTransfer(id: number): Promise<boolean> {
    return this.fileTransfers.cancel(id);
  }

  /** Opens the session to `url`. Resolves when connected or ended; the events tell which. */
  async connect(): Promise<void> {
    this.reconnectControl.reset();
    this.usbToRestore = [];
    this.usbWanted.clear();
    await this.open();
  }

  private async open(): Promise<void> {
    if (!this.url) throw new Error('spice-console: set url before connect()');
    if (!this.ended) await this.disconnect();
    this.stopCountdown();
    this.ended = false;
    this.session = null;
    const url = this.url;
    this.setState('connecting', () => strings.connecting(url));
    await this.updateComplete;
    await this.settingsControl.settled();
    this.monitorsMgr.reset();
    this.usbControl.sessionStarting();
    await this.engine.connect({
      url: this.url,
      password: this.password,
      usb: this.usbControl.engineOptions(),
      agent: { wan: this.wanValue(), clipboard: parseClipboardPolicy(this.clipboard) },
      ...(this.imageCompression ? { preferredCompression: this.imageCompression } : {}),
    });
  }

  /** Closes the session; `spice-disconnected` follows with code `client` (unless it had ended already). */
  async disconnect(): Promise<void> {
    if (this.reconnectControl.scheduled) {
      this.reconnectControl.reset();
      this.stopCountdown();
      this.setState('disconnected', strings.disconnected);
    }
    if (this.ended) return;
    await this.engine.disconnect();
    if (!this.ended) this.end({ code: 'client', reason: 'disconnected by the client', clean: true });
  }

  /**
   * The layout and chosen monitor as one value (`{ mode, monitor }`), the per-VM setting the settings
   * controller keeps; setting it sets `layout` and `monitor`. An invalid value is ignored.
   */
  get monitorLayout(): MonitorLayout {
    return {
      mode: MONITOR_LAYOUTS.includes(this.layout) ? this.layout : 'guest',
      monitor: Number.isInteger(this.monitor) && this.monitor >= 0 && this.monitor < 16 ? this.monitor : 0,
    };
  }

  set monitorLayout(value: MonitorLayout) {
    if (!value || !MONITOR_LAYOUTS.includes(value.mode)) return;
    this.layout = value.mode;
    this.monitor = Number.isInteger(value.monitor) ? value.monitor : 0;
  }

  /** The guest's monitors now, in display order (see `spice-monitors`). */
  get monitors(): MonitorInfo[] {
    return this.monitorsMgr.monitors;
  }

  /** How many monitors the VM allows (display channels × heads each; 0 before the first surface). */
  get maxMonitors(): number {
    return this.monitorsMgr.maxAllowed;
  }

  /**
   * Asks the guest for one more monitor, up to what the VM allows; needs `resize-guest` and the guest agent.
   * False when there is no room.
   */
  addMonitor(): boolean {
    return this.resizeGuest && this.monitorsMgr.addMonitor();
  }

  /** Asks the guest for one monitor less (never below one); needs `resize-guest` and the agent. */
  removeMonitor(): boolean {
    return this.resizeGuest && this.monitorsMgr.removeMonitor();
  }

  /** The last guest resize asked for (resize-guest) and whether the agent took it, or null. */
  get monitorsRequest(): { request: ({ x: number; y: number; width: number; height: number } | null)[]; sent: boolean; reason?: string } | null {
    return this.monitorsMgr.lastResize;
  }

  /** The `<spice-monitor>` showing monitor `key` (in the console or in its window), or null. */
  monitorElement(key: string): SpiceMonitor | null {
    return this.monitorsMgr.allMonitors().find((m) => m.info?.key === key) ?? null;
  }

  /** The window showing monitor `key` in the `windows` layout, or null. */
  monitorWindow(key: string): Window | null {
    return this.monitorsMgr.windowOf(key);
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
   * Session totals for statistics: bytes received and sent, frames presented, time spent decoding and
   * drawing display messages, and the round trip of the inputs channel's motion acknowledgement (null until
   * the pointer moved). Null while not connected. Rates come from the difference of two samples.
   */
  async stats(): Promise<EngineStats | null> {
    return (await this.engine.api?.stats()) ?? null;
  }

  /**
   * The guest screen of display channel `displayId` as it is drawn now: RGBA pixels, rows top-down.
   * Null before the first frame.
   */
  async screenshot(displayId = 0, monitor?: number): Promise<{ width: number; height: number; rgba: Uint8Array } | null> {
    return (await this.engine.api?.screenshot(displayId, monitor)) ?? null;
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
  async redirectUsb(key: string): Promise<UsbDeviceInfo> {
    const info = await this.usbControl.redirect(key);
    this.usbWanted.add(key);
    return info;
  }

  /** Gives the device `key` back to this computer (the VM sees it unplugged). */
  releaseUsb(key: string): Promise<void> {
    this.usbWanted.delete(key);
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
    if (this.kiosk) void this.enterKiosk();
  }

  /**
   * Kiosk mode's start: full screen and Keyboard Lock. Browsers allow full screen only from a user gesture
   * (or with a kiosk browser flag); without one, a full-screen button covers the console until clicked.
   */
  async enterKiosk(): Promise<void> {
    if (document.fullscreenElement !== this) {
      try {
        await this.requestFullscreen({ navigationUI: 'hide' });
      } catch {
        this.kioskButton = 'fullscreen';
        return;
      }
    }
    if (this.kioskButton === 'fullscreen') this.kioskButton = null;
    await this.grabKeyboard();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopCountdown();
    if (!this.ended) this.end({ code: 'client', reason: 'the element was removed from the page', clean: true });
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Keys go to the guest, so screen readers should pass them through: an application with a name
    // (in the active locale), unless the page named it itself.
    if (!this.hasAttribute('role')) this.setAttribute('role', 'application');
    if (!this.hasAttribute('aria-label') || this.getAttribute('aria-label') === this.ownLabel) {
      this.ownLabel = strings.consoleLabel();
      this.setAttribute('aria-label', this.ownLabel);
    }
    if (changed.has('viewOnly') && this.viewOnly) this.interaction.inputDisabled();
    if (changed.has('layout') || changed.has('monitor')) {
      this.monitorsMgr.relayout();
      if (this.layout === 'windows' && changed.has('layout')) void this.monitorsMgr.learnScreens();
    }
    if (changed.has('scale')) {
      this.monitorsMgr.scaleChanged();
      this.interaction.refresh();
    }
    if (changed.has('resizeGuest') && this.resizeGuest) this.monitorsMgr.scheduleResize();
    if (changed.has('mouseMode')) this.interaction.requestPreferredMode();
    if (changed.has('kiosk') && this.kiosk && !changed.get('kiosk') && this.isConnected) void this.enterKiosk();
    if ((changed.has('reconnect') || changed.has('kiosk')) && !this.reconnect && !this.kiosk && this.reconnectControl.scheduled) {
      this.reconnectControl.reset();
      this.stopCountdown();
      this.setState('disconnected', strings.disconnected);
    }
    if ((['wanOptions', 'colorDepth', 'disableEffects', 'osType'] as const).some((k) => changed.has(k)) && !this.ended) {
      void this.engine.api?.setWanOptions(this.wanValue());
    }
    if (changed.has('clipboard') && !this.ended) void this.engine.api?.setClipboardPolicy(parseClipboardPolicy(this.clipboard));
    if ((changed.has('url') || changed.has('autoconnect')) && this.autoconnect && this.url && this.ended && this.isConnected) {
      void this.connect();
    }
  }

  protected override render() {
    const blank = this.kiosk && this.kioskDisconnected === 'blank' && this.state !== 'connected';
    return html`<div part="base" aria-label=${strings.consoleLabel()} class=${blank ? 'blank' : ''}>
      <div id="screen"></div>
      ${this.interaction.overlay()}
      <div part="toolbar" ?hidden=${this.kiosk}><slot name="toolbar"></slot></div>
      <div part="status" class=${this.kiosk ? 'kiosk' : ''} ?hidden=${this.state === 'connected' || blank}>
        <span>${this.statusText()}</span>
        ${this.kioskButton === 'reconnect' ? this.renderKioskButton() : null}
      </div>
      ${this.kioskButton === 'fullscreen' ? html`<div class="kiosk-prompt">${this.renderKioskButton()}</div>` : null}
      <div part="announce" role="status" aria-live="polite" aria-atomic="true">${this.announcement}</div>
    </div>`;
  }

  private renderKioskButton() {
    const fullscreen = this.kioskButton === 'fullscreen';
    // Its pointer events stay here: the console would take them as guest input and capture the pointer.
    return html`<button
      part="kiosk-button"
      type="button"
      @pointerdown=${(e: Event) => e.stopPropagation()}
      @click=${() => (fullscreen ? void this.enterKiosk() : void this.connect())}
    >
      ${fullscreen ? strings.fullscreenButton() : strings.reconnectButton()}
    </button>`;
  }

  private onEngineEvent(e: EngineEvent): void {
    this.interaction.handle(e);
    this.usbControl.handle(e);
    this.clipboardControl.handle(e);
    this.fileTransfers.handle(e);
    switch (e.type) {
      case 'monitors':
        this.monitorsMgr.update(e.monitors, e.maxAllowed);
        return;
      case 'connected':
        this.session = e.session;
        this.reconnectControl.connected();
        this.setState('connected', () => '');
        this.announce(e.session.name ? strings.connected(e.session.name) : strings.connectedUnnamed());
        this.emit('spice-connected', e.session);
        this.monitorsMgr.scheduleResize();
        return;
      case 'channels':
        if (this.session) this.session = { ...this.session, channels: e.channels };
        this.emit('spice-channels', { channels: e.channels });
        return;
      case 'agent':
      case 'display-config':
        return this.onAgentEvent(e);
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

  private onAgentEvent(e: Extract<AgentEngineEvent, { type: 'agent' | 'display-config' }>): void {
    if (e.type === 'display-config') {
      const { type: _t, ...detail } = e;
      this.emit('spice-display-config', detail);
      return;
    }
    if (this.session) this.session = { ...this.session, agentConnected: e.connected };
    if (e.connected && !this.agentConnected) this.monitorsMgr.scheduleResize();
    this.agentConnected = e.connected;
    this.agentCaps = e.caps;
    this.fileTransferAvailable = e.fileTransferAvailable;
    this.emit('spice-agent', { connected: e.connected, caps: e.caps, fileTransferAvailable: e.fileTransferAvailable });
  }

  private end(detail: DisconnectDetail): void {
    this.ended = true;
    this.session = null;
    this.agentConnected = false;
    this.agentCaps = [];
    this.fileTransferAvailable = false;
    this.clipboardControl.sessionEnded();
    // The engine ends the session (usbredir channels first, each after its device_disconnect) while the
    // device ports stay open; they close once it is done.
    const engineDone = this.engine.disconnect();
    this.usbControl.sessionEnded(engineDone);
    this.interaction.sessionEnded();
    // The monitors in the console keep their last frame; windows close.
    this.monitorsMgr.sessionEnded();
    const reason = detail.reason;
    this.setState('disconnected', detail.clean ? strings.disconnected : () => strings.disconnectedBecause(reason));
    this.announce(detail.clean ? strings.disconnected() : strings.disconnectedBecause(reason));
    this.emit('spice-disconnected', detail);
    const decision = this.reconnectControl.ended(detail.code);
    if (decision.kind === 'scheduled') {
      // Devices to bring back: those the user redirected into the session that dropped.
      this.usbToRestore = [...this.usbWanted];
      const { attempt, delayMs, at } = decision.plan;
      const of = this.reconnectControl.policy.maxAttempts;
      const text = () => strings.reconnectingIn(Math.max(0, Math.ceil((at - Date.now()) / 1000)), attempt, of);
      this.setState('reconnecting', text);
      this.startCountdown();
      this.announce(text());
      this.emit('spice-reconnecting', { attempt, delay: delayMs, maxAttempts: of, code: detail.code, reason });
    } else {
      this.usbToRestore = [];
      this.usbWanted.clear();
      if (decision.why === 'gave-up') {
        this.setState('disconnected', () => strings.gaveUp(reason));
        this.announce(strings.gaveUp(reason));
        this.emit('spice-reconnect-failed', { attempts: this.reconnectControl.policy.maxAttempts, code: detail.code, reason });
      }
      if (this.kiosk && !detail.clean) this.kioskButton = 'reconnect';
    }
  }

  private attemptReconnect(plan: ReconnectPlan): void {
    this.stopCountdown();
    if (!this.url || !this.isConnected) return;
    if (this.kiosk && this.kioskDisconnected === 'reload') {
      location.reload();
      return;
    }
    void this.open().then(() => {
      if (this.state === 'connecting') this.statusText = () => strings.reconnectingNow(plan.attempt);
    });
  }

  /** Redirects again the devices that were in the VM when the session dropped (once USB is back). */
  private restoreUsb(): void {
    const keys = this.usbToRestore;
    this.usbToRestore = [];
    for (const key of keys) {
      if (!this.usbControl.status.devices.some((d) => d.key === key && d.state === 'available')) continue;
      this.redirectUsb(key).catch((e: Error) => console.warn(`spice-console: could not redirect USB device ${key} again: ${e.message}`));
    }
  }

  private startCountdown(): void {
    this.stopCountdown();
    this.countdown = setInterval(() => this.requestUpdate(), 1000);
  }

  private stopCountdown(): void {
    if (this.countdown !== null) clearInterval(this.countdown);
    this.countdown = null;
  }

  private announce(text: string): void {
    this.announcement = text;
  }

  private setState(state: ConsoleState, text: () => string): void {
    if (state !== 'reconnecting' && state !== 'disconnected') this.kioskButton = this.kioskButton === 'fullscreen' ? 'fullscreen' : null;
    this.state = state;
    this.statusText = text;
    this.emit('spice-state', { state });
  }

  /**
   * Sends one of the events of src/api/events.ts, its detail checked against the declared type; false if
   * the event is `cancelable` and a listener called preventDefault().
   */
  private emit<K extends SpiceConsoleEventName>(name: K, detail: SpiceConsoleEventDetail[K], cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable }));
  }
}
