/**
 * Side-effect entry: registers every spice-* element. Idempotent: importing it twice, or next to another
 * copy of the library, is harmless.
 */
import type { SpiceConsole } from './elements/spice-console/spice-console.js';
import { defineSpiceElements } from './register.js';

defineSpiceElements();

declare global {
  interface HTMLElementTagNameMap {
    'spice-console': SpiceConsole;
  }
}
