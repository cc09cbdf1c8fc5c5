/**
 * Monitors as the page sees them: every head of every display channel is one monitor with its own canvas.
 * Plain data shared by the page and the worker (structured clone). The display id is what SPICE uses for
 * the monitor in MOUSE_POSITION and in the agent's MONITORS_CONFIG: the head's monitor id on display
 * channel 0, else the display channel id [protocol.md §4.6].
 */

export interface MonitorInfo {
  /** Stable name of the monitor for the session: `<channelId>:<monitorId>`. */
  key: string;
  /** The display channel that draws it. */
  channelId: number;
  /** MOUSE_POSITION / agent MONITORS_CONFIG index. */
  displayId: number;
  /** The head's id in its channel's MONITORS_CONFIG (0 without one). */
  monitorId: number;
  /** Where the guest places it, in guest pixels of the arranged desktop. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Where it sits on its channel's primary surface. */
  surfaceX: number;
  surfaceY: number;
}

export function monitorKey(channelId: number, monitorId: number): string {
  return `${channelId}:${monitorId}`;
}

/** `spice-monitors` detail: every monitor now and how many the VM allows (display channels × heads). */
export interface MonitorsDetail {
  monitors: MonitorInfo[];
  maxAllowed: number;
}
