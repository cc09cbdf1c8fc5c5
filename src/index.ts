/**
 * Public exports of spice-console: the element classes (import `spice-console/define` to register them),
 * and the types of their events and options.
 */
export { SpiceConsole, type ConsoleState, type KioskDisconnectedPolicy } from './elements/spice-console/spice-console.js';
export type { SpiceConsoleEventDetail, SpiceConsoleEventMap, SpiceConsoleEventName } from './api/events.js';
export { SpiceMonitor, type MonitorPoint } from './elements/spice-monitor/spice-monitor.js';
export type { MonitorInfo, MonitorsDetail } from './api/monitors.js';
export type { MonitorLayoutMode } from './elements/spice-console/monitor-manager.js';
export { defaultReconnectPolicy, reconnectDelay, type ReconnectPolicy } from './controllers/reconnect-controller.js';
export { setConsoleLocale, consoleLocale, sourceLocale, targetLocales } from './l10n/localization.js';
export { SpiceUsbMenu } from './elements/spice-usb-menu/spice-usb-menu.js';
export { SpiceConsoleOptions, wanNote, type OptionsChangeDetail } from './elements/spice-console-options/spice-console-options.js';
export type { ConsoleSettingsTarget, SettingsEventDetail, SettingsStatus } from './controllers/settings-controller.js';
export { setSiteDefaults, getSiteDefaults, OVIRT_WAN_DEFAULTS } from './settings/site-defaults.js';
export { SETTINGS_VERSION, parseSettingsRecord, type ConsoleSettings, type MonitorLayout, type SettingsRecord } from './settings/settings-record.js';
export { SETTINGS_DB, SETTINGS_STORE } from './settings/settings-storage.js';
export { defineSpiceElements } from './register.js';
export { UsbErrorCode, type UsbDeviceInfo, type UsbDeviceState, type UsbMode, type UsbStatus } from './api/usb.js';
export type { UsbError } from './controllers/usb-controller.js';
export { parseUsbFilter, serializeUsbFilter, checkDevice as checkUsbFilter, type UsbFilterRule } from './usb/usbredir-filter.js';
export type { UsbDeviceLike } from './usb/webusb-types.js';
export type { DisplayStats, EngineEvent, EngineStats } from './api/engine-api.js';
export type { CursorShape, InputEvent, KeyboardLocks, PointerButton } from './api/input.js';
export { COMBOS, type ComboName } from './input/keys.js';
export type { ScaleMode } from './input/viewport.js';
export {
  DisconnectCode,
  HOTKEY_ACTIONS,
  type HotkeyAction,
  imageCompressionName,
  imageCompressionValue,
  type ImageCompressionName,
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
export {
  parseHotkey,
  matchesHotkey,
  parseHotkeyList,
  readHotkeys,
  hotkeyBindings,
  formatHotkeyList,
  type VvHotkey,
  type HotkeyEventLike,
  type HotkeyBinding,
  type HotkeyList,
} from './vv/hotkey.js';
export {
  AgentErrorCode,
  type AgentStatus,
  type ClipboardDetail,
  type ClipboardPolicy,
  type ColorDepth,
  type DisplayConfigDetail,
  type DisplayEffect,
  type FileTransferDetail,
  type FileTransferState,
} from './api/agent.js';
export type { AgentCallError } from './controllers/clipboard-controller.js';
export { DISPLAY_EFFECTS, parseDisableEffects, wanOptionsOffer } from './agent/display-config.js';
export { CLIPBOARD_POLICIES } from './agent/clipboard.js';
