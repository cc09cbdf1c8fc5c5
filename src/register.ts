/**
 * `defineSpiceElements()`: registers every spice-* element under its tag, skipping tags already defined.
 */
import { SpiceConsole } from './elements/spice-console/spice-console.js';

export function defineSpiceElements(registry: CustomElementRegistry = customElements): void {
  if (!registry.get('spice-console')) registry.define('spice-console', SpiceConsole);
}
