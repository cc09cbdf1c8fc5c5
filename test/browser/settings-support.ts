/**
 * Shared pieces of the settings browser tests: a console stand-in that has every setting the settings
 * controller manages (the WAN options and clipboard policy come to <spice-console> with the agent work), and
 * raw IndexedDB access to the settings store that goes around the code under test.
 */
import { LitElement, html } from 'lit';
import { SettingsController, type ConsoleSettingsTarget, type SettingsEventDetail, type SettingsStatus } from '../../src/controllers/settings-controller.js';
import type { ScaleMode } from '../../src/input/viewport.js';
import type { ClipboardPolicy, ColorDepth, DisableEffect, ImageCompressionChoice } from '../../src/settings/settings-record.js';
import { SETTINGS_DB, SETTINGS_STORE } from '../../src/settings/settings-storage.js';

/** A console with all the settings, as <spice-console> has them once the agent work is in. */
export class TestSettingsConsole extends LitElement implements ConsoleSettingsTarget {
  static override properties = {
    vmId: { type: String, attribute: 'vm-id' },
    scale: { type: String },
    imageCompression: { type: String, attribute: 'image-compression' },
    usbAutoRedirectFilter: { type: String, attribute: 'usb-auto-redirect-filter' },
    wanOptions: { type: Boolean, attribute: 'wan-options' },
    colorDepth: { type: Number, attribute: 'color-depth' },
    disableEffects: {
      attribute: 'disable-effects',
      converter: { fromAttribute: (v: string | null) => (v ?? '').split(/[\s,]+/).filter(Boolean) },
    },
    osType: { type: String, attribute: 'os-type' },
    clipboard: { type: String },
    session: { attribute: false },
  };
  declare vmId: string;
  declare scale: ScaleMode;
  declare imageCompression: ImageCompressionChoice;
  declare usbAutoRedirectFilter: string;
  declare wanOptions: boolean;
  declare colorDepth: ColorDepth;
  declare disableEffects: DisableEffect[];
  declare osType: string;
  declare clipboard: ClipboardPolicy;
  declare session: { uuid?: string } | null;
  password = '';
  private readonly settings: SettingsController;

  constructor() {
    super();
    this.vmId = '';
    this.scale = 'fit';
    this.imageCompression = '';
    this.usbAutoRedirectFilter = '';
    this.wanOptions = false;
    this.colorDepth = 32;
    this.disableEffects = [];
    this.osType = '';
    this.clipboard = 'both';
    this.session = null;
    this.settings = new SettingsController(this);
  }

  get settingsStatus(): SettingsStatus {
    return this.settings.status;
  }

  settled(): Promise<void> {
    return this.settings.settled();
  }

  setPortalSettings(settings: Parameters<SettingsController['setPortalSettings']>[0]): void {
    this.settings.setPortalSettings(settings);
  }

  protected override render() {
    return html`<slot name="toolbar"></slot>`;
  }
}
if (!customElements.get('test-settings-console')) customElements.define('test-settings-console', TestSettingsConsole);

export function uniqueVmId(label: string): string {
  return `${label}-${crypto.randomUUID()}`;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

async function openRaw(): Promise<IDBDatabase> {
  const open = indexedDB.open(SETTINGS_DB);
  open.onupgradeneeded = () => open.result.createObjectStore(SETTINGS_STORE);
  return request(open);
}

/** The record stored for `vmId`, read with plain IndexedDB. */
export async function readRaw(vmId: string): Promise<unknown> {
  const db = await openRaw();
  try {
    return await request(db.transaction(SETTINGS_STORE, 'readonly').objectStore(SETTINGS_STORE).get(vmId));
  } finally {
    db.close();
  }
}

/** Stores `value` for `vmId` with plain IndexedDB (to plant a record, a corrupt one included). */
export async function writeRaw(vmId: string, value: unknown): Promise<void> {
  const db = await openRaw();
  try {
    const tx = db.transaction(SETTINGS_STORE, 'readwrite');
    tx.objectStore(SETTINGS_STORE).put(value, vmId);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
  } finally {
    db.close();
  }
}

/** Collects the spice-settings events of `target`; `next(state)` waits for the next one in that state. */
export function settingsEvents(target: EventTarget): {
  all: SettingsEventDetail[];
  next(state: SettingsEventDetail['state'], ms?: number): Promise<SettingsEventDetail>;
} {
  const all: SettingsEventDetail[] = [];
  const waiters: { state: string; resolve: (d: SettingsEventDetail) => void }[] = [];
  let seen = 0;
  target.addEventListener('spice-settings', (e) => {
    const d = (e as CustomEvent<SettingsEventDetail>).detail;
    all.push(d);
    const i = waiters.findIndex((w) => w.state === d.state);
    if (i >= 0) {
      seen = all.length;
      waiters.splice(i, 1)[0]!.resolve(d);
    }
  });
  return {
    all,
    next(state, ms = 8000) {
      const pending = all.slice(seen).find((d) => d.state === state);
      if (pending) {
        seen = all.indexOf(pending) + 1;
        return Promise.resolve(pending);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no spice-settings "${state}" within ${ms} ms (got ${JSON.stringify(all)})`)), ms);
        waiters.push({
          state,
          resolve: (d) => {
            clearTimeout(timer);
            resolve(d);
          },
        });
      });
    },
  };
}
