/**
 * `defineSpiceElements()`: registers every spice-* element under its tag, skipping tags already defined.
 */
import { SpiceConsole } from './elements/spice-console/spice-console.js';
import { SpiceUsbMenu } from './elements/spice-usb-menu/spice-usb-menu.js';
import { SpiceMonitor } from './elements/spice-monitor/spice-monitor.js';
import { SpiceConsoleOptions } from './elements/spice-console-options/spice-console-options.js';

export function defineSpiceElements(registry: CustomElementRegistry = customElements): void {
  if (!registry.get('spice-console')) registry.define('spice-console', SpiceConsole);
  if (!registry.get('spice-usb-menu')) registry.define('spice-usb-menu', SpiceUsbMenu);
  if (!registry.get('spice-monitor')) registry.define('spice-monitor', SpiceMonitor);
  if (!registry.get('spice-console-options')) registry.define('spice-console-options', SpiceConsoleOptions);
}
