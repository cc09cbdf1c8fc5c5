/**
 * Agent capabilities (VD_AGENT_CAP_*): what this client announces, the names reported to the page, and the
 * negotiated view of both sides. A feature that needs both sides (clipboard selection, grab serial,
 * detailed file-transfer errors) is on only when the agent announced it too.
 */
import { AgentCap } from '../protocol/constants.js';
import { capsToWords, hasCap, wordsToCaps } from '../protocol/caps.js';

/** What this client announces (the set spice-gtk announces, which this client implements). */
export const CLIENT_AGENT_CAPS: readonly number[] = [
  AgentCap.MouseState,
  AgentCap.MonitorsConfig,
  AgentCap.Reply,
  AgentCap.DisplayConfig,
  AgentCap.ClipboardByDemand,
  AgentCap.ClipboardSelection,
  AgentCap.MonitorsConfigPosition,
  AgentCap.FileXferDetailedErrors,
  AgentCap.ClipboardNoReleaseOnRegrab,
  AgentCap.ClipboardGrabSerial,
];

export function clientAgentCapWords(): number[] {
  return capsToWords(CLIENT_AGENT_CAPS);
}

const NAMES = new Map<number, string>(Object.entries(AgentCap).map(([k, v]) => [v, k.replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase())]));

/** `clipboard-by-demand`, `display-config`, ...; an unknown bit N is `cap-N`. */
export function agentCapName(cap: number): string {
  return NAMES.get(cap) ?? `cap-${cap}`;
}

export function agentCapNames(words: readonly number[]): string[] {
  return wordsToCaps(words).map(agentCapName);
}

/** The agent's announced capabilities, tested against ours for the two-sided features. */
export class AgentCaps {
  constructor(readonly words: readonly number[] = []) {}

  /** The agent announced `cap`. */
  has(cap: number): boolean {
    return hasCap(this.words, cap);
  }

  /** Both the agent and this client announced `cap`. */
  both(cap: number): boolean {
    return this.has(cap) && CLIENT_AGENT_CAPS.includes(cap);
  }

  get names(): string[] {
    return agentCapNames(this.words);
  }
}
