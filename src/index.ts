/**
 * Public exports of spice-console: the element classes (import `spice-console/define` to register them),
 * and the types of their events and options.
 */
export { SpiceConsole } from './elements/spice-console/spice-console.js';
export type { SpiceConsoleEventDetail, SpiceConsoleEventMap, SpiceConsoleEventName } from './api/events.js';
export { SpiceUsbMenu } from './elements/spice-usb-menu/spice-usb-menu.js';
export { SpiceConsoleOptions, wanNote, type OptionsChangeDetail } from './elements/spice-console-options/spice-console-options.js';
export type { ConsoleSettingsTarget, SettingsEventDetail, SettingsStatus } from './controllers/settings-controller.js';
export { setSiteDefaults, getSiteDefaults, OVIRT_WAN_DEFAULTS } from './settings/site-defaults.js';
export {
  SETTINGS_VERSION,
  parseSettingsRecord,
  type ConsoleSettings,
  type MonitorLayout,
  type SettingsRecord,
} from './settings/settings-record.js';
export { SETTINGS_DB, SETTINGS_STORE } from './settings/settings-storage.js';
export { defineSpiceElements } from './register.js';
export {
  UsbErrorCode,
  type UsbDeviceInfo,
  type UsbDeviceState,
  type UsbMode,
  type UsbStatus,
} from './api/usb.js';
export type { UsbError } from './controllers/usb-controller.js';
export { parseUsbFilter, serializeUsbFilter, checkDevice as checkUsbFilter, type UsbFilterRule } from './usb/usbredir-filter.js';
export type { UsbDeviceLike } from './usb/webusb-types.js';
export type { EngineEvent } from './api/engine-api.js';
export type { CursorShape, InputEvent, KeyboardLocks, PointerButton } from './api/input.js';
export { COMBOS, type ComboName } from './input/keys.js';
export type { ScaleMode } from './input/viewport.js';
export {
  DisconnectCode,
  type ChannelInfo,
  type ChannelState,
  type ConnectOptions,
  type DisconnectDetail,
  type MouseModeName,
  type SessionInfo,
  type SessionState,
} from './api/types.js';
export {
  parseVvFile,
  VvFileError,
  VvErrorCode,
  SPICE_GTK_AUTO_CONNECT_FILTER,
  type VvSettings,
  type VvParseOptions,
  type VvHotkeys,
  type VvOvirtInfo,
  type VvDisabledEffect,
} from './vv/vv-file.js';
export { parseHotkey, matchesHotkey, type VvHotkey, type HotkeyEventLike } from './vv/hotkey.js';
