/**
 * `spice-console/react`: React components for the spice-* elements, made with @lit/react. Importing this
 * module registers the elements. Props set the elements' properties (so `password` stays a property, never
 * an attribute); every event of the console's event map has a typed `on…` prop (`spice-connected` →
 * `onSpiceConnected`), checked at compile time to cover the whole map. A `ref` gives the element itself for
 * its methods (`connect()`, `sendCombo()`…).
 */
import * as React from 'react';
import { createComponent, type EventName } from '@lit/react';
import { SpiceConsole as SpiceConsoleElement, type SpiceConsoleEventMap } from '../elements/spice-console/spice-console.js';
import { SpiceUsbMenu as SpiceUsbMenuElement } from '../elements/spice-usb-menu/spice-usb-menu.js';
import { SpiceConsoleOptions as SpiceConsoleOptionsElement } from '../elements/spice-console-options/spice-console-options.js';
import { defineSpiceElements } from '../register.js';

// Server-side rendering (Next.js and the like) has no registry; the client registers on import.
if (typeof customElements !== 'undefined') defineSpiceElements();

type Pascal<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Capitalize<Head>}${Pascal<Tail>}` : Capitalize<S>;
/** The React prop of a DOM event: `spice-connected` → `onSpiceConnected`. */
export type EventPropName<E extends string> = `on${Pascal<E>}`;
type ConsoleEventName = Extract<keyof SpiceConsoleEventMap, string>;

/**
 * Event props of `<SpiceConsole>` and the events they listen to. The `satisfies` clause makes a missing,
 * extra or misspelt entry a compile error whenever the element's event map changes.
 */
export const SPICE_CONSOLE_EVENT_PROPS = {
  onSpiceConnected: 'spice-connected',
  onSpiceDisconnected: 'spice-disconnected',
  onSpiceChannels: 'spice-channels',
  onSpiceState: 'spice-state',
  onSpiceResize: 'spice-resize',
  onSpiceMonitors: 'spice-monitors',
  onSpiceMouseMode: 'spice-mouse-mode',
  onSpicePointerLock: 'spice-pointer-lock',
  onSpiceKeyboardLocks: 'spice-keyboard-locks',
  onSpiceUsb: 'spice-usb',
  onSpiceSettings: 'spice-settings',
  onSpiceAgent: 'spice-agent',
  onSpiceDisplayConfig: 'spice-display-config',
  onSpiceClipboard: 'spice-clipboard',
  onSpiceFileTransfer: 'spice-file-transfer',
  onSpiceReconnecting: 'spice-reconnecting',
  onSpiceReconnectFailed: 'spice-reconnect-failed',
  onSpiceHotkey: 'spice-hotkey',
} as const satisfies { [K in ConsoleEventName as EventPropName<K>]: K };

type ConsoleEventProps = { [K in ConsoleEventName as EventPropName<K>]: EventName<SpiceConsoleEventMap[K]> };

/** `<spice-console>` for React: element properties as props, `onSpice…` event props, `ref` to the element. */
export const SpiceConsole = createComponent({
  react: React,
  tagName: 'spice-console',
  elementClass: SpiceConsoleElement,
  events: SPICE_CONSOLE_EVENT_PROPS as unknown as ConsoleEventProps,
  displayName: 'SpiceConsole',
});

/** `<spice-usb-menu>` for React (`for` names the console's id). */
export const SpiceUsbMenu = createComponent({
  react: React,
  tagName: 'spice-usb-menu',
  elementClass: SpiceUsbMenuElement,
  displayName: 'SpiceUsbMenu',
});

/** `<spice-console-options>` for React (`for` names the console's id, or place it in the console's toolbar slot). */
export const SpiceConsoleOptions = createComponent({
  react: React,
  tagName: 'spice-console-options',
  elementClass: SpiceConsoleOptionsElement,
  displayName: 'SpiceConsoleOptions',
});

export type { SpiceConsoleElement, SpiceUsbMenuElement, SpiceConsoleOptionsElement, SpiceConsoleEventMap };
