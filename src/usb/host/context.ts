/**
 * What the parts of the usbredir host (bulk, control, streams) get from `UsbHost`, which owns the device's
 * life: the device, whether it is announced to the guest, the way out to the guest, the gate device calls
 * go through, the pending requests, and the endpoint facts of the current ep_info.
 */
import type { UsbredirPacket } from '../usbredir/index.js';
import type { UsbDeviceLike } from '../webusb-types.js';
import type { PendingRequests } from './pending.js';

export interface HostContext {
  readonly device: UsbDeviceLike;
  /** device_connect was sent and the device has not gone away since. */
  readonly attached: boolean;
  /** The host has ended (refused, released or lost). */
  readonly terminal: boolean;
  readonly pending: PendingRequests;
  /** Largest usbredir packet the guest may send (limits bulk IN request sizes). */
  readonly maxPacketLength: number;
  /** Ids are 64-bit (both hellos advertised 64bits_ids). */
  readonly ids64: boolean;
  send(packet: UsbredirPacket): void;
  warn(message: string): void;
  /** Runs a transfer once no state-changing device call is in progress. */
  io<T>(fn: () => Promise<T>): Promise<T>;
  /** Status for a failed device call; starts the 'lost' teardown when the device is gone. */
  failure(e: unknown): number;
  /** A transfer or configuration change happened: the next reset is not redundant. */
  touched(): void;
  /** usbredir endpoint type of `endpoint` in the current ep_info (Invalid when unknown). */
  epType(endpoint: number): number;
  /** wMaxPacketSize of `endpoint` in the current ep_info (0 when unknown). */
  epMaxPacket(endpoint: number): number;
  /** Bytes the sink has accepted but not yet put on the wire. */
  backlog(): number;
  /**
   * Whether an IN transfer may start now (the sink is not backed up); if not, `resume` runs (keyed per queue
   * or stream) once it drained. See InGate.
   */
  mayStartIn(key: string, resume: () => void): boolean;
}
