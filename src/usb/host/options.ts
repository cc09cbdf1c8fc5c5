/**
 * The host's contract with whoever runs it: the sink it writes usbredir bytes to, its states and events,
 * its options, and the capabilities and version text it says hello with.
 */
import { UsbredirCap, type UsbredirSpeed } from '../usbredir/index.js';

/** Where the host writes usbredir bytes (a spicevmc channel, a TCP socket in tests). */
export interface UsbredirSink {
  send(bytes: Uint8Array): void;
  /**
   * Bytes accepted by send() but not yet on the wire (the channel's queue and WebSocket.bufferedAmount):
   * while this is high, iso IN data is dropped and no other IN transfer starts (see InGate).
   */
  backlog?(): number;
}

export type UsbHostState = 'idle' | 'connecting' | 'connected' | 'refused' | 'released' | 'lost';

export type UsbHostEvent =
  | { type: 'state'; state: UsbHostState; reason?: string }
  /**
   * The guest sent its first request for the device after device_connect: the VM took it. (QEMU checks its
   * filter and the device speed when device_connect arrives and answers filter_reject at once instead.)
   */
  | { type: 'in-use' }
  | { type: 'warning'; message: string };

export interface UsbHostOptions {
  /** Version text of our hello. */
  version?: string;
  /** State changes and warnings. Called synchronously; must not throw (errors are swallowed). */
  onEvent?: (event: UsbHostEvent) => void;
  /** The speed announced in device_connect; inferred from the descriptors when absent. */
  speed?: UsbredirSpeed;
  /** Reset the device when the guest asks (default true; back-to-back resets are folded into one). */
  resetDevice?: boolean;
  /** Largest usbredir packet accepted from the guest (see UsbredirStream). */
  maxPacketLength?: number;
  /** Guest requests that may wait on the device at once (default 1024). */
  maxPendingRequests?: number;
  /** OUT data that may wait on the device at once, in bytes (default 16 MiB). */
  maxPendingOutBytes?: number;
  /** Sink backlog in bytes above which iso IN packets are dropped (default 1 MiB). */
  maxIsoBacklog?: number;
  /**
   * Sink backlog in bytes above which no new bulk IN, interrupt receiving or bulk receiving transfer starts
   * until it drained (default 1 MiB; needs `later`, which polls the backlog while held back).
   */
  maxInBacklog?: number;
  /** How long ending the host waits for the device to release its interfaces and close (default 3000 ms). */
  closeTimeoutMs?: number;
  /** setTimeout (this module compiles without timer globals); without it closing the device is not bounded. */
  later?: (fn: () => void, ms: number) => void;
}

/** Our capabilities: everything but bulk streams, which WebUSB cannot do (and which would grow ep_info). */
export const USB_HOST_CAPS: readonly number[] = [
  UsbredirCap.ConnectDeviceVersion,
  UsbredirCap.Filter,
  UsbredirCap.DeviceDisconnectAck,
  UsbredirCap.EpInfoMaxPacketSize,
  UsbredirCap.Ids64bits,
  UsbredirCap.BulkLength32bits,
  UsbredirCap.BulkReceiving,
];

export const DEFAULT_USB_HOST_VERSION = 'spice-console usbredir host';
