/**
 * SettingsController: a console's per-VM settings. When the console first renders it settles each setting
 * by precedence (built-in < site-wide defaults < what the portal set < the user's stored choice, with the
 * clipboard policy only narrowed; see settings/precedence.ts). Once the VM is known, by the `vm-id` the
 * portal gives or else by the UUID the server sends, it loads that VM's record and applies it. From then on
 * every change of a setting (from `<spice-console-options>` or a property the page sets) is the user's
 * choice and is stored for the VM. It reports each outcome as a `spice-settings` event on the console:
 * `loaded`, `saved`, `ignored` (a corrupt or foreign record, with the reason) or `unavailable` (storage
 * cannot be used: the console keeps working, the settings are just not kept).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ScaleMode } from '../input/viewport.js';
import { clipboardWithin, resolveSettings } from '../settings/precedence.js';
import {
  SETTING_ATTRIBUTES,
  SETTING_CHECKS,
  SETTING_NAMES,
  buildSettingsRecord,
  copySetting,
  isValidVmId,
  parseSettingsRecord,
  recordSettings,
  sameSetting,
  type ClipboardPolicy,
  type ColorDepth,
  type ConsoleSettings,
  type DisableEffect,
  type ImageCompressionChoice,
  type MonitorLayout,
  type SettingName,
  type SettingsEventDetail,
} from '../settings/settings-record.js';

export type { SettingsEventDetail };
import { getSiteDefaults } from '../settings/site-defaults.js';
import { idbSettingsStorage, type SettingsStorage } from '../settings/settings-storage.js';

/**
 * What the controller reads and writes on its console. The settings marked optional are managed when the
 * console has them (the WAN options, clipboard policy and monitor layout come with other features).
 */
export interface ConsoleSettingsTarget extends ReactiveControllerHost, HTMLElement {
  /** The VM id the portal gives (attribute `vm-id`); empty: use the server's UUID once connected. */
  vmId: string;
  readonly session: { readonly uuid?: string } | null;
  scale: ScaleMode;
  imageCompression: ImageCompressionChoice;
  usbAutoRedirectFilter: string;
  wanOptions?: boolean;
  colorDepth?: ColorDepth;
  disableEffects?: DisableEffect[];
  osType?: string;
  clipboard?: ClipboardPolicy;
  monitorLayout?: MonitorLayout;
}

/** The controller's state for pages and `<spice-console-options>`. */
export interface SettingsStatus {
  /** The id settings are kept under; empty until a `vm-id` is set or the server sent its UUID. */
  vmId: string;
  /** `none` while no VM id is known, `loading` while its record is read, else the last event's state. */
  state: 'none' | 'loading' | SettingsEventDetail['state'];
  /** Whether changes are being kept for this VM. */
  kept: boolean;
  reason?: string;
  /** The widest clipboard policy the user may choose (the portal's `clipboard`, else the site default). */
  clipboardLimit: ClipboardPolicy;
  /** The user's choices for this VM. */
  stored: Partial<ConsoleSettings>;
}

const NIL_UUID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const NO_VM_ID = 'no VM id yet: set vm-id, or connect so the server tells its UUID';

export class SettingsController implements ReactiveController {
  /** The host's values when the controller was made: its built-in defaults. */
  private readonly builtIn: Partial<ConsoleSettings> = {};
  /** The settings this host has. */
  private names: SettingName[] = [];
  private started = false;
  /** Values before the user's choices (portal, else site default, else built-in). */
  private baseline: Partial<ConsoleSettings> = {};
  private limit: ClipboardPolicy = 'both';
  /** The values last seen on the host, to tell the user's changes. */
  private readonly seen: Partial<ConsoleSettings> = {};
  private key = '';
  private uuidKey = '';
  /** The user's choices for `key`: the stored record plus changes. */
  private stored: Partial<ConsoleSettings> = {};
  /** Choices not yet written (made before the VM id was known, or while its record was loading). */
  private readonly unsaved = new Set<SettingName>();
  private loading: Promise<void> | null = null;
  private generation = 0;
  private saveQueued = false;
  private current: SettingsStatus = { vmId: '', state: 'none', kept: false, reason: NO_VM_ID, clipboardLimit: 'both', stored: {} };
  private readonly onConnected = () => this.checkKey();

  /**
   * Create it at the end of the host's constructor, once the host has given every property its default:
   * those values are the built-in layer of the precedence order.
   */
  constructor(
    private readonly host: ConsoleSettingsTarget,
    private readonly storage: SettingsStorage = idbSettingsStorage,
  ) {
    for (const name of SETTING_NAMES) {
      const v = (host as unknown as Partial<ConsoleSettings>)[name];
      if (v !== undefined && !SETTING_CHECKS[name](v)) (this.builtIn as Record<string, unknown>)[name] = copySetting(name, v as never);
    }
    host.addController(this);
  }

  /** Where the settings stand: VM id, whether they are kept, the clipboard limit, the stored choices. */
  get status(): SettingsStatus {
    return { ...this.current, clipboardLimit: this.limit, stored: { ...this.stored } };
  }

  /** Resolves once no record is being loaded (storage calls are bounded in time, so this never hangs). */
  async settled(): Promise<void> {
    while (this.loading) await this.loading;
  }

  hostConnected(): void {
    this.host.addEventListener('spice-connected', this.onConnected);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('spice-connected', this.onConnected);
  }

  /**
   * The first update settles the defaults: attributes in markup and properties the portal set right after
   * creating the console (in the same task) count as the portal's; later changes are the user's.
   */
  hostUpdate(): void {
    if (this.started) {
      // Before the host renders: what is set here (a narrowed clipboard, another VM's values) joins this update.
      // The key first: a setting changed together with the vm-id is a choice for the new VM.
      this.checkKey();
      this.takeChanges();
      return;
    }
    this.started = true;
    this.names = SETTING_NAMES.filter((name) => name in this.host);
    const portal: Partial<ConsoleSettings> = {};
    for (const name of this.names) {
      const v = this.get(name);
      const attribute = SETTING_ATTRIBUTES[name];
      const fromPortal = (attribute !== null && this.host.hasAttribute(attribute)) || (v !== undefined && !sameSetting(name, v, this.builtIn[name]));
      if (fromPortal && v !== undefined && !SETTING_CHECKS[name](v)) (portal as Record<string, unknown>)[name] = copySetting(name, v as never);
    }
    const resolved = resolveSettings({ builtIn: this.only(this.builtIn), site: this.only(getSiteDefaults()), portal, stored: {} });
    this.baseline = resolved.baseline;
    this.limit = resolved.clipboardLimit;
    this.apply(resolved.effective);
    for (const name of this.names) (this.seen as Record<string, unknown>)[name] = this.copyOf(name, this.get(name));
    this.checkKey();
  }

  /**
   * Settings the portal gives after the console's first update (a connection file read later, another VM
   * picked in the same page): they take the portal's place in the precedence order, so a choice the user
   * stored for the VM still wins when its record loads, and they are not stored as the user's. Values a
   * setting may not have are ignored. The clipboard policy stays the widest the user may choose.
   */
  setPortalSettings(settings: Readonly<Partial<ConsoleSettings>>): void {
    if (!this.started) {
      // Before the first update everything set on the console is the portal's anyway.
      for (const name of SETTING_NAMES) {
        const v = settings[name];
        if (v !== undefined && name in this.host && !SETTING_CHECKS[name](v)) this.set(name, copySetting(name, v as never));
      }
      return;
    }
    this.takeChanges(); // what the user changed before this stays theirs
    for (const name of this.names) {
      const v = settings[name];
      if (v === undefined || SETTING_CHECKS[name](v)) continue;
      (this.baseline as Record<string, unknown>)[name] = copySetting(name, v as never);
    }
    const resolved = resolveSettings({ builtIn: {}, site: {}, portal: this.baseline, stored: this.only(this.stored) });
    this.limit = resolved.clipboardLimit;
    this.apply(resolved.effective);
  }

  /** The id settings are kept under: the portal's vm-id, else the server's UUID (kept after disconnect). */
  private checkKey(): void {
    const uuid = this.host.session?.uuid;
    if (isValidVmId(uuid) && !NIL_UUID.test(uuid)) this.uuidKey = uuid;
    const key = isValidVmId(this.host.vmId) ? this.host.vmId : this.uuidKey;
    if (key !== this.key) this.switchTo(key);
  }

  private switchTo(key: string): void {
    const previous = this.key;
    this.key = key;
    this.generation++;
    this.loading = null;
    if (previous) {
      // Another VM: the previous one's choices go, the console starts again from its defaults (except for a
      // setting the page changed in this same update, which takeChanges then keeps for the new VM).
      this.stored = {};
      this.unsaved.clear();
      const unchanged = this.names.filter((name) => sameSetting(name, this.get(name), this.seen[name]));
      this.apply(Object.fromEntries(unchanged.filter((name) => this.baseline[name] !== undefined).map((name) => [name, this.baseline[name]])));
    }
    if (!key) {
      this.current = { ...this.current, vmId: '', state: 'none', kept: false, reason: NO_VM_ID };
      return;
    }
    this.current = { ...this.current, vmId: key, state: 'loading', kept: true, reason: undefined };
    this.load(key, this.generation);
  }

  private load(key: string, generation: number): void {
    const stale = () => generation !== this.generation;
    const loading = (async () => {
      let raw: unknown;
      try {
        raw = await this.storage.read(key);
      } catch (e) {
        if (!stale()) this.report({ state: 'unavailable', vmId: key, reason: (e as Error).message });
        return;
      }
      if (stale()) return;
      if (raw === undefined) {
        this.report({ state: 'loaded', vmId: key, reason: 'nothing stored for this VM yet', stored: { ...this.stored } });
      } else {
        const parsed = parseSettingsRecord(raw);
        if (!parsed.ok) {
          this.report({ state: 'ignored', vmId: key, reason: parsed.reason });
        } else {
          const choices = recordSettings(parsed.record);
          for (const name of Object.keys(choices) as SettingName[]) {
            // A change the user made while this was loading is newer than the record.
            if (!this.unsaved.has(name)) (this.stored as Record<string, unknown>)[name] = choices[name];
          }
          const resolved = resolveSettings({ builtIn: {}, site: {}, portal: this.baseline, stored: this.only(this.stored) });
          this.apply(resolved.effective);
          this.report({ state: 'loaded', vmId: key, stored: { ...this.stored } });
        }
      }
    })().catch((e: unknown) => {
      if (!stale()) this.report({ state: 'ignored', vmId: key, reason: `the stored record could not be applied: ${(e as Error).message}` });
    });
    this.loading = loading;
    void loading.finally(() => {
      if (this.loading === loading) this.loading = null;
      if (!stale() && this.unsaved.size > 0) this.scheduleSave();
    });
  }

  /** Every setting that changed on the host since last seen is the user's choice for this VM. */
  private takeChanges(): void {
    let changed = false;
    for (const name of this.names) {
      let v = this.get(name);
      if (sameSetting(name, v, this.seen[name])) continue;
      if (name === 'clipboard' && typeof v === 'string' && !SETTING_CHECKS.clipboard(v)) {
        const narrowed = clipboardWithin(this.limit, v as ClipboardPolicy);
        if (narrowed !== v) {
          this.set('clipboard', narrowed);
          v = narrowed;
        }
      }
      (this.seen as Record<string, unknown>)[name] = this.copyOf(name, v);
      // A value the setting may not have is the console's business, not a choice to keep.
      if (v === undefined || SETTING_CHECKS[name](v)) continue;
      (this.stored as Record<string, unknown>)[name] = copySetting(name, v as never);
      this.unsaved.add(name);
      changed = true;
    }
    if (changed) this.scheduleSave();
  }

  private scheduleSave(): void {
    if (!this.key || this.loading || this.saveQueued) return;
    this.saveQueued = true;
    queueMicrotask(() => {
      this.saveQueued = false;
      void this.save();
    });
  }

  private async save(): Promise<void> {
    const key = this.key;
    const generation = this.generation;
    if (!key || this.unsaved.size === 0) return;
    const record = buildSettingsRecord(this.stored);
    this.unsaved.clear();
    try {
      await this.storage.write(key, record);
    } catch (e) {
      if (generation === this.generation) this.report({ state: 'unavailable', vmId: key, reason: (e as Error).message });
      return;
    }
    if (generation === this.generation) this.report({ state: 'saved', vmId: key, stored: recordSettings(record) });
  }

  private report(detail: SettingsEventDetail): void {
    this.current = {
      ...this.current,
      vmId: detail.vmId,
      state: detail.state,
      kept: detail.state !== 'unavailable',
      reason: detail.reason,
    };
    this.host.dispatchEvent(new CustomEvent<SettingsEventDetail>('spice-settings', { detail, bubbles: true, composed: true }));
  }

  /** Sets the host's settings to `values` (those it has), remembering them as seen, not as choices. */
  private apply(values: Partial<ConsoleSettings>): void {
    for (const name of this.names) {
      const v = values[name];
      if (v === undefined) continue;
      if (!sameSetting(name, this.get(name), v)) this.set(name, copySetting(name, v as never));
      (this.seen as Record<string, unknown>)[name] = copySetting(name, v as never);
    }
  }

  /** The settings of `values` this host has. */
  private only(values: Readonly<Partial<ConsoleSettings>>): Partial<ConsoleSettings> {
    const out: Partial<ConsoleSettings> = {};
    for (const name of this.names) if (values[name] !== undefined) (out as Record<string, unknown>)[name] = values[name];
    return out;
  }

  private get(name: SettingName): unknown {
    return (this.host as unknown as Record<string, unknown>)[name];
  }

  private set(name: SettingName, value: unknown): void {
    (this.host as unknown as Record<string, unknown>)[name] = value;
    (this.seen as Record<string, unknown>)[name] = this.copyOf(name, value);
  }

  private copyOf(name: SettingName, value: unknown): unknown {
    return value === undefined || SETTING_CHECKS[name](value) ? value : copySetting(name, value as never);
  }
}
