/**
 * Every user-facing string of `<spice-usb-menu>` (the toggle, the panel, device names and states), as
 * @lit/localize `msg()` calls with stable `usb.*` ids. English is the source; translations live in
 * src/locales/<locale>.ts. Each function is called at render time, so the text follows the active locale.
 * Reasons passed in (why USB is unavailable, why a device was refused) and error messages come from the
 * console's USB controller and stay English; the live-migration warning, a fixed text, is translated.
 */
import { msg, str } from '@lit/localize';

export const usbStrings = {
  noConsole: () => msg('This menu is not attached to a <spice-console> (set its for attribute to the console id)', { id: 'usb.no-console' }),
  toggleTitle: () => msg('USB devices', { id: 'usb.toggle-title' }),
  unavailable: (reason: string) => msg(str`USB redirection is unavailable: ${reason}`, { id: 'usb.unavailable' }),
  toggle: () => msg('USB', { id: 'usb.toggle' }),
  toggleActive: (active: number) => msg(str`USB (${active})`, { id: 'usb.toggle-active' }),
  empty: () => msg('No USB device yet.', { id: 'usb.empty' }),
  add: () => msg('Redirect a USB device…', { id: 'usb.add' }),
  dismiss: () => msg('Dismiss', { id: 'usb.dismiss' }),
  redirect: () => msg('Redirect', { id: 'usb.redirect' }),
  release: () => msg('Release', { id: 'usb.release' }),
  migrationWarning: () =>
    msg('A virtual machine with redirected USB devices cannot be live-migrated: release the devices before a migration.', {
      id: 'usb.migration-warning',
    }),
  unnamedDevice: () => msg('USB device', { id: 'usb.unnamed-device' }),
  stateRedirecting: () => msg('Connecting to the VM…', { id: 'usb.state-redirecting' }),
  stateRedirectedOn: (channel: number) => msg(str`Redirected (USB channel ${channel})`, { id: 'usb.state-redirected-on' }),
  stateRedirected: () => msg('Redirected', { id: 'usb.state-redirected' }),
  stateRefused: (reason: string) => msg(str`Refused: ${reason}`, { id: 'usb.state-refused' }),
  refusedByVm: () => msg('the VM did not take it', { id: 'usb.refused-by-vm' }),
  stateLost: () => msg('Unplugged', { id: 'usb.state-lost' }),
  stateAvailable: () => msg('Available', { id: 'usb.state-available' }),
  stateAvailableBecause: (reason: string) => msg(str`Available (${reason})`, { id: 'usb.state-available-because' }),
};
