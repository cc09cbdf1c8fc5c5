/**
 * `<spice-usb-menu>`: the USB devices of a <spice-console>, to redirect into the VM and give back. It works
 * for the console named by its `for` attribute (an element id), else for the console it sits in (e.g.
 * `<spice-usb-menu slot="toolbar">` as a child of the console). It owns no USB state: it shows the
 * console's `usbStatus`, follows its `spice-usb` events and calls its USB methods.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { updateWhenLocaleChanges } from '@lit/localize';
import { ConsoleLinkController } from '../../controllers/console-link-controller.js';
import { USB_MIGRATION_WARNING, type UsbDeviceInfo, type UsbStatus } from '../../api/usb.js';
import { usbStrings } from '../../l10n/usb-strings.js';
import { styles } from './spice-usb-menu.styles.js';

/** What the menu needs of its console (a SpiceConsole). */
interface UsbConsole extends HTMLElement {
  readonly usbStatus: UsbStatus;
  requestUsbDevice(): Promise<UsbDeviceInfo>;
  redirectUsb(key: string): Promise<UsbDeviceInfo>;
  releaseUsb(key: string): Promise<void>;
}

function isUsbConsole(el: Element | null | undefined): el is UsbConsole {
  return !!el && 'usbStatus' in el && typeof (el as Partial<UsbConsole>).redirectUsb === 'function';
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

/** How a device is named in the list. */
export function usbDeviceLabel(d: UsbDeviceInfo): string {
  return `${d.productName || usbStrings.unnamedDevice()} (${hex4(d.vendorId)}:${hex4(d.productId)})`;
}

/** A device's state in words, in the active locale (a reason from the console stays as given). */
export function usbDeviceStateText(d: UsbDeviceInfo): string {
  switch (d.state) {
    case 'redirecting':
      return usbStrings.stateRedirecting();
    case 'redirected':
      return d.channelId !== undefined ? usbStrings.stateRedirectedOn(d.channelId) : usbStrings.stateRedirected();
    case 'refused':
      return usbStrings.stateRefused(d.reason ?? usbStrings.refusedByVm());
    case 'lost':
      return usbStrings.stateLost();
    default:
      return d.reason ? usbStrings.stateAvailableBecause(d.reason) : usbStrings.stateAvailable();
  }
}

/** The engine's fixed live-migration warning is shown translated; any other text as given. */
function noticeText(warning: string): string {
  return warning === USB_MIGRATION_WARNING ? usbStrings.migrationWarning() : warning;
}

/**
 * @summary USB redirection controls for a <spice-console>: the devices of this computer the console knows,
 *   their state, and buttons to redirect them into the VM, give them back, and pick another device.
 *
 * @csspart base - The wrapper.
 * @csspart toggle - The button that opens and closes the panel; `data-unavailable` while USB is unavailable.
 * @csspart panel - The panel with the device list.
 * @csspart reason - Why USB is unavailable (the controls are disabled then).
 * @csspart list - The device list; each item is `device` with `data-key` and `data-state`.
 * @csspart device - One device: `device-name`, `device-state`, `device-action` (Redirect / Release).
 * @csspart empty - Shown when the console knows no device yet.
 * @csspart add - Opens the browser's device chooser and redirects the chosen device.
 * @csspart error - The last failed action, in words.
 * @csspart notice - The live-migration warning shown after the first redirect; `dismiss` hides it.
 * @cssproperty --spice-usb-menu-background - Panel and button background.
 * @cssproperty --spice-usb-menu-color - Text colour.
 * @cssproperty --spice-usb-menu-error-color - Colour of refusals and errors.
 * @cssproperty --spice-usb-menu-notice-background - Background of the migration warning.
 * @cssproperty --spice-usb-menu-notice-color - Text colour of the migration warning.
 * @cssproperty --spice-usb-menu-font - Font.
 */
export class SpiceUsbMenu extends LitElement {
  static override styles = styles;
  static override properties = {
    for: { type: String, reflect: true },
    open: { type: Boolean, reflect: true },
    status: { state: true },
    error: { state: true },
    noticeDismissed: { state: true },
    busy: { state: true },
  };

  /** The id of the <spice-console> this menu works for; empty: the console it is placed in. */
  declare for: string;
  /** Whether the device panel is shown. */
  declare open: boolean;
  declare private status: UsbStatus | null;
  declare private error: string;
  declare private noticeDismissed: boolean;
  declare private busy: ReadonlySet<string>;

  private readonly link = new ConsoleLinkController<UsbConsole>(this, {
    event: 'spice-usb',
    accepts: isUsbConsole,
    found: (target) => (this.status = target ? target.usbStatus : null),
    changed: (e) => {
      const status = (e as CustomEvent<UsbStatus>).detail;
      if (!status.migrationWarning) this.noticeDismissed = false;
      this.status = status;
    },
  });

  private get target(): UsbConsole | null {
    return this.link.target;
  }

  constructor() {
    super();
    this.for = '';
    this.open = false;
    this.status = null;
    this.error = '';
    this.noticeDismissed = false;
    this.busy = new Set();
    updateWhenLocaleChanges(this);
  }

  /** The console this menu works for, if found. */
  get console(): HTMLElement | null {
    return this.target;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('for') && this.isConnected) this.link.resolve();
  }

  protected override render() {
    const s = this.status;
    const reason = s ? s.reason : usbStrings.noConsole();
    const available = !!s?.available;
    const devices = s?.devices ?? [];
    const active = devices.filter((d) => d.state === 'redirecting' || d.state === 'redirected').length;
    const notice = s?.migrationWarning && !this.noticeDismissed ? noticeText(s.migrationWarning) : '';
    return html`<div part="base">
      <button
        part="toggle"
        type="button"
        aria-haspopup="true"
        aria-expanded=${this.open ? 'true' : 'false'}
        ?data-unavailable=${!available}
        title=${available ? usbStrings.toggleTitle() : usbStrings.unavailable(reason ?? '')}
        @click=${() => this.toggle()}
      >
        ${active ? usbStrings.toggleActive(active) : usbStrings.toggle()}
      </button>
      ${notice && !this.open ? this.renderNotice(notice, true) : nothing}
      <div part="panel" ?hidden=${!this.open}>
        ${notice ? this.renderNotice(notice, false) : nothing} ${available ? nothing : html`<p part="reason">${usbStrings.unavailable(reason ?? '')}</p>`}
        <ul part="list">
          ${devices.map((d) => this.renderDevice(d, available))}
        </ul>
        ${devices.length === 0 ? html`<p part="empty">${usbStrings.empty()}</p>` : nothing}
        <button part="add" type="button" ?disabled=${!available} @click=${() => this.add()}>${usbStrings.add()}</button>
        ${this.error ? html`<p part="error" role="alert">${this.error}</p>` : nothing}
      </div>
    </div>`;
  }

  /** The migration warning: in the panel when it is open, else floating under the button. */
  private renderNotice(text: string, floating: boolean) {
    return html`<div part="notice" role="alert" ?data-floating=${floating}>
      ${text}
      <button part="dismiss" type="button" @click=${() => this.dismiss()}>${usbStrings.dismiss()}</button>
    </div>`;
  }

  private renderDevice(d: UsbDeviceInfo, available: boolean) {
    const engaged = d.state === 'redirecting' || d.state === 'redirected';
    const disabled = !available || d.state === 'lost' || this.busy.has(d.key);
    return html`<li part="device" data-key=${d.key} data-state=${d.state}>
      <span part="device-name">${usbDeviceLabel(d)}</span>
      <span part="device-state">${usbDeviceStateText(d)}</span>
      <button part="device-action" type="button" ?disabled=${disabled} @click=${() => this.act(d, engaged)}>
        ${engaged ? usbStrings.release() : usbStrings.redirect()}
      </button>
    </li>`;
  }

  private toggle(): void {
    if (!this.target) this.link.resolve();
    this.open = !this.open;
    if (this.open) this.error = '';
  }

  private dismiss(): void {
    this.noticeDismissed = true;
  }

  private async act(d: UsbDeviceInfo, engaged: boolean): Promise<void> {
    const target = this.target;
    if (!target) return;
    this.error = '';
    this.busy = new Set([...this.busy, d.key]);
    try {
      if (engaged) await target.releaseUsb(d.key);
      else await target.redirectUsb(d.key);
    } catch (e) {
      this.error = `${usbDeviceLabel(d)}: ${(e as Error).message}`;
    } finally {
      const busy = new Set(this.busy);
      busy.delete(d.key);
      this.busy = busy;
    }
  }

  /** The chooser needs this click's user activation: requestUsbDevice() runs before any await. */
  private async add(): Promise<void> {
    const target = this.target;
    if (!target) return;
    this.error = '';
    let info: UsbDeviceInfo;
    try {
      info = await target.requestUsbDevice();
    } catch (e) {
      if ((e as { code?: string }).code !== 'usb-cancelled') this.error = (e as Error).message;
      return;
    }
    await this.act(info, false);
  }
}
