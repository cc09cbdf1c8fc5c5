/**
 * `defineSpiceElements()`: registers every spice-* element under its tag, skipping tags already defined.
 * `spiceElements` is the one list of tags and classes; the custom-elements manifest reads it too
 * (custom-elements-manifest.config.mjs).
 */
import { SpiceConsole } from './elements/spice-console/spice-console.js';
import { SpiceUsbMenu } from './elements/spice-usb-menu/spice-usb-menu.js';
import { SpiceConsoleOptions } from './elements/spice-console-options/spice-console-options.js';

/** Every spice-* element class by its tag. */
export const spiceElements = {
  'spice-console': SpiceConsole,
  'spice-usb-menu': SpiceUsbMenu,
  'spice-console-options': SpiceConsoleOptions,
} as const;

export function defineSpiceElements(registry: CustomElementRegistry = customElements): void {
  for (const [tag, elementClass] of Object.entries(spiceElements)) if (!registry.get(tag)) registry.define(tag, elementClass);
}
