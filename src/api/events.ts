/**
 * The DOM events of `<spice-console>`, each written once: its name, its `detail` type and what it means.
 * The element's `emit` is checked against `SpiceConsoleEventDetail`; `SpiceConsoleEventMap` types listeners;
 * the element's `@fires` JSDoc and the events table of README.md are generated from the doc comments below
 * (`npm run gen:docs`, scripts/gen-event-docs.mjs; a unit test fails when they are stale). A new event is
 * one entry here, then `npm run gen:docs`.
 */
import type { KeyboardLocks } from './input.js';
import type { ChannelInfo, DisconnectCode, DisconnectDetail, HotkeyAction, MouseModeName, SessionInfo, SessionState } from './types.js';
import type { UsbStatus } from './usb.js';
import type { MonitorsDetail } from './monitors.js';
import type { AgentStatus, ClipboardDetail, DisplayConfigDetail, FileTransferDetail } from './agent.js';
import type { SettingsEventDetail } from '../settings/settings-record.js';

export interface SpiceConsoleEventDetail {
  /** The session is up: sent once every channel the server listed linked or failed. */
  'spice-connected': SessionInfo;
  /**
   * The session ended; sent exactly once per `connect()`. Codes: `client` (the only clean one), `auth-failed`,
   * `link-refused`, `transport-closed`, `protocol`, `unreachable`, `timeout`, `unsupported`.
   */
  'spice-disconnected': DisconnectDetail;
  /** A channel was announced later, linked, failed or closed after `spice-connected`. */
  'spice-channels': { channels: ChannelInfo[] };
  /** Every state change: `connecting`, `connected`, `disconnected`, `reconnecting` (waiting for the next attempt). */
  'spice-state': { state: SessionState | 'idle' | 'reconnecting' };
  /**
   * With `reconnect` (or `kiosk`) on, the session ended by itself and a new attempt is scheduled (`delay` in ms;
   * `maxAttempts` 0: no limit). Follows the `spice-disconnected` of the session that ended.
   */
  'spice-reconnecting': { attempt: number; delay: number; maxAttempts: number; code: DisconnectCode; reason: string };
  /** Reconnecting gave up after `attempts` attempts; `code` and `reason` are the last attempt's. */
  'spice-reconnect-failed': { attempts: number; code: DisconnectCode; reason: string };
  /** A guest monitor appeared or changed size, in guest pixels (`key` is `<channelId>:<monitorId>`). */
  'spice-resize': { key: string; channelId: number; displayId: number; monitorId: number; width: number; height: number };
  /**
   * The guest's monitors changed (a display channel's surface or MONITORS_CONFIG, a channel closed): every
   * monitor in display order, and how many the VM allows.
   */
  'spice-monitors': MonitorsDetail;
  /** The server switched mouse mode (`client` or `server`). */
  'spice-mouse-mode': { mode: MouseModeName; supported: MouseModeName[] };
  /** Pointer Lock (server mouse mode) was taken or left. */
  'spice-pointer-lock': { locked: boolean };
  /** The guest's lock keys changed, as it reported them. */
  'spice-keyboard-locks': KeyboardLocks;
  /**
   * USB redirection changed. Device states: `available`, `redirecting`, `redirected`, `refused`, `lost`.
   * `migrationWarning` is set once a device was redirected (the VM cannot be live-migrated then).
   */
  'spice-usb': UsbStatus;
  /**
   * The VM's stored settings were `loaded` and applied, a change was `saved`, a corrupt or foreign record was
   * `ignored` (`reason` says why), or storage is `unavailable` (the console works; settings are not kept).
   */
  'spice-settings': SettingsEventDetail;
  /**
   * The guest agent came, announced its capabilities, or went. `caps` by name (`display-config`,
   * `clipboard-by-demand`, `file-xfer-disabled`, ...); `fileTransferAvailable`: it takes files.
   */
  'spice-agent': AgentStatus;
  /**
   * The WAN options as DISPLAY_CONFIG (flags: 1 wallpaper, 2 font smoothing, 4 animation off, 8 set `depth`);
   * `sent` false with the `reason` while no agent announced DISPLAY_CONFIG, or a note (e.g. unknown OS).
   */
  'spice-display-config': DisplayConfigDetail;
  /**
   * Clipboard traffic with the guest: `kind` `grab` (new content of `types` announced), `data` (`size` bytes
   * went across) or `release`, `direction` `to-guest` or `from-guest`.
   */
  'spice-clipboard': ClipboardDetail;
  /**
   * A file sent into the guest: progress and result. States `waiting`, `sending`, `success`, `cancelled`,
   * `error`; `status` names the agent's answer (`not-enough-space`, `session-locked`, `vdagent-not-connected`,
   * `disabled`, `error`) or `agent-disconnected`, `read-failed`, or why it could not start (id 0).
   */
  'spice-file-transfer': FileTransferDetail;
  /**
   * A local hotkey (see `hotkeys`) was pressed; its main key did not go to the guest (the modifiers did, and a
   * modifiers-only hotkey fires on their release). `action`: `release-cursor`,
   * `secure-attention`, `toggle-fullscreen`, `zoom-in`, `zoom-out`, `zoom-reset`, `smartcard-insert`,
   * `smartcard-remove`, `usb-device-reset`; `hotkey` as it was given (`shift+f12`). Cancelable:
   * `preventDefault()` stops the console's own action (leave Pointer and Keyboard Lock, send Ctrl+Alt+Del,
   * toggle fullscreen); the others are the page's to do.
   */
  'spice-hotkey': { action: HotkeyAction; hotkey: string };
}

export type SpiceConsoleEventName = keyof SpiceConsoleEventDetail;

/** Listener types: `el.addEventListener('spice-connected', (e: SpiceConsoleEventMap['spice-connected']) => …)`. */
export type SpiceConsoleEventMap = { [K in SpiceConsoleEventName]: CustomEvent<SpiceConsoleEventDetail[K]> };

/** Sends one of the element's events (bubbling, composed) with a detail of the declared type. */
export type SpiceConsoleEmit = <K extends SpiceConsoleEventName>(name: K, detail: SpiceConsoleEventDetail[K]) => void;
