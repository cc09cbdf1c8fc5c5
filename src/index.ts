/**
 * Public exports of spice-console: the element classes (import `spice-console/define` to register them),
 * and the types of their events and options.
 */
export { SpiceConsole, type SpiceConsoleEventMap } from './elements/spice-console/spice-console.js';
export { defineSpiceElements } from './register.js';
export type { EngineEvent } from './api/engine-api.js';
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
