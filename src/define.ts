/**
 * Side-effect entry: registers every spice-* element. Idempotent: importing it twice, or next to another
 * copy of the library, is harmless.
 */
import type { SpiceConsole } from './elements/spice-console/spice-console.js';
import type { SpiceUsbMenu } from './elements/spice-usb-menu/spice-usb-menu.js';
import type { SpiceConsoleOptions } from './elements/spice-console-options/spice-console-options.js';
import { defineSpiceElements } from './register.js';

defineSpiceElements();

declare global {
  interface HTMLElementTagNameMap {
    'spice-console': SpiceConsole;
    'spice-usb-menu': SpiceUsbMenu;
    'spice-console-options': SpiceConsoleOptions;
  }
}
