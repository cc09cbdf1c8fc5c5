/**
 * Clipboard rules that do not depend on the browser: line endings (the browser's text uses LF; a guest
 * announcing VD_AGENT_CAP_GUEST_LINEEND_CRLF gets CRLF and its CRLF comes back as LF), the clipboard policy
 * (`both`, `to-guest`, `from-guest`, `off`), the MIME types a VD_AGENT_CLIPBOARD_* type stands for, and the
 * per-selection grab serial of VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL (both sides count grabs; a grab whose
 * serial is not the expected one lost a race and is dropped).
 */
import { AgentClipboardType } from '../protocol/constants.js';

export type ClipboardPolicy = 'both' | 'to-guest' | 'from-guest' | 'off';
export const CLIPBOARD_POLICIES: readonly ClipboardPolicy[] = ['both', 'to-guest', 'from-guest', 'off'];

export function parseClipboardPolicy(value: string | null | undefined): ClipboardPolicy {
  const v = (value ?? '').trim().toLowerCase();
  return (CLIPBOARD_POLICIES as readonly string[]).includes(v) ? (v as ClipboardPolicy) : 'both';
}
export function allowsToGuest(policy: ClipboardPolicy): boolean {
  return policy === 'both' || policy === 'to-guest';
}
export function allowsFromGuest(policy: ClipboardPolicy): boolean {
  return policy === 'both' || policy === 'from-guest';
}

export type GuestLineEnd = 'crlf' | 'lf';

/** Text as the guest wants it: CRLF for a CRLF guest, LF otherwise. */
export function textToGuest(text: string, lineEnd: GuestLineEnd): string {
  const lf = text.replace(/\r\n?/g, '\n');
  return lineEnd === 'crlf' ? lf.replace(/\n/g, '\r\n') : lf;
}
/** Guest text as the page uses it: LF line ends. */
export function textFromGuest(text: string, lineEnd: GuestLineEnd): string {
  return lineEnd === 'crlf' ? text.replace(/\r\n/g, '\n') : text;
}

/** MIME type of a VD_AGENT_CLIPBOARD_* type the page can handle; other types are not offered. */
export const CLIPBOARD_MIME: Partial<Record<number, string>> = {
  [AgentClipboardType.Utf8Text]: 'text/plain',
  [AgentClipboardType.ImagePng]: 'image/png',
};
export function clipboardTypeForMime(mime: string): number | undefined {
  for (const [type, m] of Object.entries(CLIPBOARD_MIME)) if (m === mime) return Number(type);
  return undefined;
}
export function clipboardTypeName(type: number): string {
  return CLIPBOARD_MIME[type] ?? `agent-type-${type}`;
}

/** Grab serials, one counter per selection (VD_AGENT_CLIPBOARD_SELECTION_*), reset with the agent. */
export class GrabSerials {
  private readonly serials = new Map<number, number>();

  /** The serial for our next grab of `selection`; the counter moves on. */
  next(selection: number): number {
    const s = this.serials.get(selection) ?? 0;
    this.serials.set(selection, (s + 1) >>> 0);
    return s;
  }

  /** An agent grab: accepted (and counted) only with the expected serial. */
  accept(selection: number, serial: number): boolean {
    const s = this.serials.get(selection) ?? 0;
    if (serial !== s) return false;
    this.serials.set(selection, (s + 1) >>> 0);
    return true;
  }

  reset(): void {
    this.serials.clear();
  }
}
