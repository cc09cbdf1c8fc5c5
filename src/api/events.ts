/**
 * The DOM events of `<spice-console>`, each written once: its name, its `detail` type and what it means.
 * The element's `emit` is checked against `SpiceConsoleEventDetail`; `SpiceConsoleEventMap` types listeners;
 * the element's `@fires` JSDoc and the events table of README.md are generated from the doc comments below
 * (`npm run gen:docs`, scripts/gen-event-docs.mjs; a unit test fails when they are stale). A new event is
 * one entry here, then `npm run gen:docs`.
 */
import type { KeyboardLocks } from './input.js';
import type { ChannelInfo, DisconnectDetail, MouseModeName, SessionInfo, SessionState } from './types.js';
import type { UsbStatus } from './usb.js';
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
  /** Every state change: `connecting`, `connected`, `disconnected`. */
  'spice-state': { state: SessionState | 'idle' };
  /** A guest display changed size, in guest pixels. */
  'spice-resize': { displayId: number; width: number; height: number };
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
}

export type SpiceConsoleEventName = keyof SpiceConsoleEventDetail;

/** Listener types: `el.addEventListener('spice-connected', (e: SpiceConsoleEventMap['spice-connected']) => …)`. */
export type SpiceConsoleEventMap = { [K in SpiceConsoleEventName]: CustomEvent<SpiceConsoleEventDetail[K]> };

/** Sends one of the element's events (bubbling, composed) with a detail of the declared type. */
export type SpiceConsoleEmit = <K extends SpiceConsoleEventName>(name: K, detail: SpiceConsoleEventDetail[K]) => void;
