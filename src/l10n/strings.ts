/**
 * Every user-facing string of `<spice-console>` (status line, screen-reader announcements, kiosk overlay,
 * the pointer hint, monitor names) in one place, as @lit/localize `msg()` calls with stable ids. English is the source; translations live in
 * src/locales/<locale>.ts and are switched at run time with setConsoleLocale() (src/l10n/localization.ts).
 * Each function is called at render time, so the text follows the active locale.
 */
import { msg, str } from '@lit/localize';

export const strings = {
  notConnected: () => msg('Not connected', { id: 'status.not-connected' }),
  connecting: (url: string) => msg(str`Connecting to ${url}…`, { id: 'status.connecting' }),
  connected: (name: string) => msg(str`Connected to ${name}`, { id: 'status.connected' }),
  connectedUnnamed: () => msg('Connected', { id: 'status.connected-unnamed' }),
  disconnected: () => msg('Disconnected', { id: 'status.disconnected' }),
  disconnectedBecause: (reason: string) => msg(str`Disconnected: ${reason}`, { id: 'status.disconnected-because' }),
  reconnectingIn: (seconds: number, attempt: number, of: number) =>
    of > 0
      ? msg(str`Connection lost. Reconnecting in ${seconds} s (attempt ${attempt} of ${of})…`, { id: 'status.reconnecting-in' })
      : msg(str`Connection lost. Reconnecting in ${seconds} s (attempt ${attempt})…`, { id: 'status.reconnecting-in-unlimited' }),
  reconnectingNow: (attempt: number) => msg(str`Reconnecting (attempt ${attempt})…`, { id: 'status.reconnecting-now' }),
  gaveUp: (reason: string) => msg(str`Could not reconnect: ${reason}`, { id: 'status.gave-up' }),
  reconnectButton: () => msg('Reconnect', { id: 'kiosk.reconnect' }),
  fullscreenButton: () => msg('Enter full screen', { id: 'kiosk.fullscreen' }),
  consoleLabel: () => msg('Remote console', { id: 'console.label' }),
  pointerHintClick: () => msg('Click to control the pointer', { id: 'hint.click-to-control' }),
  pointerHintRelease: () => msg('Ctrl+Alt or Esc releases the pointer', { id: 'hint.release' }),
  pointerHintReleaseWith: (hotkey: string) => msg(str`${hotkey}, Ctrl+Alt or Esc releases the pointer`, { id: 'hint.release-with' }),
  monitorLabel: (n: number, width: number, height: number) => msg(str`Monitor ${n} (${width}×${height})`, { id: 'monitor.label' }),
  monitorWindowTitle: (n: number) => msg(str`Monitor ${n}`, { id: 'monitor.window-title' }),
};
