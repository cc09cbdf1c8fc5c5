/**
 * `<spice-console-options>`: oVirt's "Console Options" for a <spice-console>: the WAN options (switch, colour
 * depth, effects to disable), scale, image compression and clipboard policy. It works for the console named
 * by its `for` attribute (an element id), else for the console it sits in (`slot="toolbar"`). It keeps no
 * settings itself: each control reads and sets a console property, and the console's settings controller
 * stores the change for the VM. Controls for settings the console does not have are left out.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { updateWhenLocaleChanges } from '@lit/localize';
import { ConsoleLinkController } from '../../controllers/console-link-controller.js';
import { live } from 'lit/directives/live.js';
import type { SettingsStatus } from '../../controllers/settings-controller.js';
import type { ScaleMode } from '../../input/viewport.js';
import { clipboardAllows } from '../../settings/precedence.js';
import {
  CLIPBOARD_POLICIES,
  DISABLE_EFFECTS,
  IMAGE_COMPRESSIONS,
  SCALES,
  type ClipboardPolicy,
  type ColorDepth,
  type DisableEffect,
  type ImageCompressionChoice,
} from '../../settings/settings-record.js';
import { clipboardLabel, compressionLabel, effectLabel, optionsStrings, scaleLabel } from '../../l10n/options-strings.js';
import { styles } from './spice-console-options.styles.js';

/** What the dialog needs of its console (a SpiceConsole). */
interface OptionsConsole extends HTMLElement {
  scale: ScaleMode;
  imageCompression: ImageCompressionChoice;
  wanOptions?: boolean;
  colorDepth?: ColorDepth;
  disableEffects?: DisableEffect[];
  osType?: string;
  clipboard?: ClipboardPolicy;
  readonly settingsStatus?: SettingsStatus;
}

/** The `spice-options-change` detail: which console property a control set, and to what. */
export interface OptionsChangeDetail {
  name: 'wanOptions' | 'colorDepth' | 'disableEffects' | 'scale' | 'imageCompression' | 'clipboard';
  value: unknown;
}

function isOptionsConsole(el: Element | null | undefined): el is OptionsConsole {
  return !!el && 'scale' in el && 'imageCompression' in el;
}

const stopAtHost = (e: Event) => e.stopPropagation();

/**
 * The note shown beside the WAN switch: the guest agent applies WAN options on Windows guests (oVirt offers
 * them for Windows VMs only), in the active locale. Empty for Windows.
 */
export function wanNote(osType: string | undefined): string {
  const os = (osType ?? '').trim();
  if (/^win/i.test(os)) return '';
  if (!os) return optionsStrings.wanNoteUnknownOs();
  return optionsStrings.wanNoteOs(os);
}

/**
 * @summary Console options for a <spice-console>, as oVirt's "Console Options" dialog: Enable WAN options,
 *   color depth, effects to disable, scale, image compression and clipboard policy, kept for the VM.
 *
 * @fires spice-options-change - A control set a console property: `{ name, value }` (the console then stores
 *   it for the VM and fires `spice-settings`).
 *
 * @csspart base - The wrapper.
 * @csspart toggle - The button that opens the dialog (not in `inline` mode).
 * @csspart dialog - The native `<dialog>` (not in `inline` mode).
 * @csspart title - The dialog's heading.
 * @csspart form - The controls.
 * @csspart wan - The WAN group: `wan-switch`, `note`, `color-depth`, `effects`.
 * @csspart wan-switch - The "Enable WAN options" checkbox (`role="switch"`).
 * @csspart note - Why WAN options may not take effect (non-Windows or unknown OS).
 * @csspart color-depth - The color depth radios (16 / 32 bits).
 * @csspart effects - The disable-effects checkboxes.
 * @csspart scale - The scale select.
 * @csspart image-compression - The image compression select.
 * @csspart clipboard - The clipboard policy select (choices wider than the portal allows are disabled).
 * @csspart kept - Whether the settings are kept for this VM, and why not.
 * @csspart reason - Shown when no console is attached.
 * @csspart close - The dialog's Close button.
 * @cssproperty --spice-console-options-background - Dialog and button background.
 * @cssproperty --spice-console-options-color - Text colour.
 * @cssproperty --spice-console-options-font - Font.
 * @cssproperty --spice-console-options-focus-ring - Outline of the focused control.
 * @cssproperty --spice-console-options-warning-color - Colour of "settings are not kept".
 */
export class SpiceConsoleOptions extends LitElement {
  static override styles = styles;
  static override properties = {
    for: { type: String, reflect: true },
    inline: { type: Boolean, reflect: true },
    open: { type: Boolean, reflect: true },
    revision: { state: true },
  };

  /** The id of the <spice-console> these options are for; empty: the console they are placed in. */
  declare for: string;
  /** Render the controls in place (a form) instead of a button that opens a dialog. */
  declare inline: boolean;
  /** Whether the dialog is open (not used in `inline` mode). */
  declare open: boolean;
  /** Bumped when the console's settings change, to render them again. */
  declare private revision: number;

  private readonly link = new ConsoleLinkController<OptionsConsole>(this, {
    event: 'spice-settings',
    accepts: isOptionsConsole,
    found: () => this.revision++,
    changed: () => this.revision++,
  });

  private get target(): OptionsConsole | null {
    return this.link.target;
  }

  constructor() {
    super();
    this.for = '';
    this.inline = false;
    this.open = false;
    this.revision = 0;
    updateWhenLocaleChanges(this);
    // Keys typed here are for the controls: placed in a connected console's toolbar, they would otherwise
    // bubble to the console, which sends keys to the guest and cancels their default action (Space, Tab, Esc).
    for (const type of ['keydown', 'keyup', 'keypress'] as const) this.addEventListener(type, stopAtHost);
  }

  /** The console these options work for, if found. */
  get console(): HTMLElement | null {
    return this.target;
  }

  /** Opens the dialog (reading the console's settings afresh). */
  show(): void {
    this.link.resolve();
    this.open = true;
  }

  /** Closes the dialog. */
  hide(): void {
    this.open = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('for') && this.isConnected) this.link.resolve();
  }

  protected override updated(): void {
    this.syncSelects();
    const dialog = this.renderRoot.querySelector('dialog');
    if (!dialog) return;
    if (this.open && !dialog.open) {
      dialog.showModal();
      // Start on the first control (not the heading), so Tab order runs through the options.
      dialog.querySelector<HTMLElement>('input:not(:disabled), select:not(:disabled), button:not(:disabled)')?.focus();
    } else if (!this.open && dialog.open) dialog.close();
  }

  protected override render() {
    const form = this.renderForm();
    if (this.inline) return html`<div part="base">${form}</div>`;
    return html`<div part="base">
      <button part="toggle" type="button" aria-haspopup="dialog" aria-expanded=${this.open ? 'true' : 'false'} @click=${() => this.show()}>
        ${optionsStrings.title()}
      </button>
      <dialog part="dialog" aria-labelledby="title" @close=${this.onDialogClose}>
        <h2 part="title" id="title">${optionsStrings.title()}</h2>
        ${form}
        <div part="footer"><button part="close" type="button" @click=${() => this.hide()}>${optionsStrings.close()}</button></div>
      </dialog>
    </div>`;
  }

  private renderForm() {
    const c = this.target;
    if (!c) return html`<form part="form" @submit=${this.noSubmit}><p part="reason">${optionsStrings.noConsole()}</p></form>`;
    const status = c.settingsStatus;
    const limit = status?.clipboardLimit ?? 'both';
    return html`<form part="form" aria-label=${optionsStrings.title()} @submit=${this.noSubmit} @keydown=${this.onKeydown}>
      ${'wanOptions' in c ? this.renderWan(c) : nothing}
      <div class="field">
        <label for="scale">${optionsStrings.scale()}</label>
        <select part="scale" id="scale" @change=${(e: Event) => this.set('scale', (e.target as HTMLSelectElement).value)}>
          ${SCALES.map((s) => html`<option value=${s} ?selected=${c.scale === s}>${scaleLabel(s)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="image-compression">${optionsStrings.imageCompression()}</label>
        <select
          part="image-compression"
          id="image-compression"
          aria-describedby="compression-note"
          @change=${(e: Event) => this.set('imageCompression', (e.target as HTMLSelectElement).value)}
        >
          ${IMAGE_COMPRESSIONS.map((s) => html`<option value=${s} ?selected=${c.imageCompression === s}>${compressionLabel(s)}</option>`)}
        </select>
      </div>
      <p part="note" id="compression-note">${optionsStrings.compressionNote()}</p>
      ${
        'clipboard' in c
          ? html`<div class="field">
              <label for="clipboard">${optionsStrings.clipboard()}</label>
              <select part="clipboard" id="clipboard" @change=${(e: Event) => this.set('clipboard', (e.target as HTMLSelectElement).value)}>
                ${CLIPBOARD_POLICIES.map(
                  (p) => html`<option value=${p} ?selected=${c.clipboard === p} ?disabled=${!clipboardAllows(limit, p)}>${clipboardLabel(p)}</option>`,
                )}
              </select>
            </div>`
          : nothing
      }
      ${this.renderKept(status)}
    </form>`;
  }

  private renderWan(c: OptionsConsole) {
    const on = !!c.wanOptions;
    const note = wanNote(c.osType);
    const effects = c.disableEffects ?? [];
    return html`<fieldset part="wan">
      <legend>${optionsStrings.wan()}</legend>
      <label>
        <input
          part="wan-switch"
          id="wan-options"
          type="checkbox"
          role="switch"
          aria-describedby=${note ? 'wan-note' : nothing}
          .checked=${live(on)}
          @change=${(e: Event) => this.set('wanOptions', (e.target as HTMLInputElement).checked)}
        />
        ${optionsStrings.enableWan()}
      </label>
      ${note ? html`<p part="note" id="wan-note">${note}</p>` : nothing}
      <fieldset part="color-depth" ?disabled=${!on}>
        <legend>${optionsStrings.colorDepth()}</legend>
        <div class="choices">
          ${([16, 32] as const).map(
            (d) =>
              html`<label>
                <input type="radio" name="color-depth" value=${String(d)} .checked=${live(c.colorDepth === d)} @change=${() => this.set('colorDepth', d)} />
                ${optionsStrings.bits(d)}
              </label>`,
          )}
        </div>
      </fieldset>
      <fieldset part="effects" ?disabled=${!on}>
        <legend>${optionsStrings.disableEffects()}</legend>
        <div class="choices">
          ${DISABLE_EFFECTS.map(
            (fx) =>
              html`<label>
                <input type="checkbox" name="effect" value=${fx} .checked=${live(effects.includes(fx))} @change=${this.effectsChanged} />
                ${effectLabel(fx)}
              </label>`,
          )}
        </div>
      </fieldset>
    </fieldset>`;
  }

  /**
   * A select's value follows `selected` attributes only until the user picks something, so the console's
   * value is set on each select after every render.
   */
  private syncSelects(): void {
    const c = this.target;
    if (!c) return;
    for (const name of ['scale', 'imageCompression', 'clipboard'] as const) {
      const select = this.renderRoot.querySelector<HTMLSelectElement>(`select[part="${name === 'imageCompression' ? 'image-compression' : name}"]`);
      const value = c[name];
      if (select && typeof value === 'string' && select.value !== value) select.value = value;
    }
  }

  private renderKept(status: SettingsStatus | undefined) {
    if (!status) return nothing;
    const text = status.kept
      ? status.vmId
        ? optionsStrings.keptForVm()
        : optionsStrings.keptOnceKnown()
      : status.reason
        ? optionsStrings.notKeptBecause(status.reason)
        : optionsStrings.notKept();
    return html`<p part="kept" role="status" data-kept=${status.kept ? 'true' : 'false'}>${text}</p>`;
  }

  private readonly effectsChanged = () => {
    const boxes = Array.from(this.renderRoot.querySelectorAll<HTMLInputElement>('input[name="effect"]'));
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value as DisableEffect);
    this.set(
      'disableEffects',
      DISABLE_EFFECTS.filter((fx) => chosen.includes(fx)),
    );
  };

  /** Sets a console property; the console's settings controller stores it for the VM. */
  private set(name: OptionsChangeDetail['name'], value: unknown): void {
    const c = this.target;
    if (!c) return;
    (c as unknown as Record<string, unknown>)[name] = value;
    this.revision++;
    this.dispatchEvent(new CustomEvent<OptionsChangeDetail>('spice-options-change', { detail: { name, value }, bubbles: true, composed: true }));
  }

  /** Enter works on checkboxes and radios as Space does (a form has no submit here). */
  private readonly onKeydown = (e: KeyboardEvent) => {
    const t = e.composedPath()[0];
    if (e.key !== 'Enter' || !(t instanceof HTMLInputElement)) return;
    if (t.type === 'checkbox' || t.type === 'radio') {
      e.preventDefault();
      t.click();
    }
  };

  private readonly noSubmit = (e: Event) => e.preventDefault();

  private readonly onDialogClose = () => {
    // Esc (the dialog's cancel) or Close: the browser gives the focus back to where it was.
    this.open = false;
  };
}
