/**
 * How the host talks to a WebUSB device: the mapping of WebUSB results and errors to usbredir statuses, and
 * `DeviceGate`, which serialises the calls that change the device's state (reset, selectConfiguration,
 * selectAlternateInterface, claim/release fail while another one runs) and makes transfers wait for the one
 * in progress.
 *
 * The facts it rests on: results map ok → success, stall → stall, babble → babble; AbortError (transfers
 * killed by reset or close) → cancelled; TimeoutError → timeout; anything else → ioerror. Device loss shows
 * as NotFoundError with the device no longer opened; NotFoundError on an opened device is an ordinary error
 * (Chrome also uses it for "endpoint not in a claimed interface").
 */
import { UsbredirStatus } from '../usbredir/index.js';
import type { UsbDeviceLike, UsbTransferStatusLike } from '../webusb-types.js';

export const EMPTY = new Uint8Array(0);

export function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e) ? String((e as { message: unknown }).message) : String(e);
}

/** usbredir status of a WebUSB transfer status. */
export function mapStatus(status: UsbTransferStatusLike | undefined): number {
  switch (status) {
    case 'ok':
      return UsbredirStatus.Success;
    case 'stall':
      return UsbredirStatus.Stall;
    case 'babble':
      return UsbredirStatus.Babble;
    default:
      return UsbredirStatus.Ioerror;
  }
}

/** usbredir status of a rejected WebUSB call (device loss is the caller's business, see isDeviceLoss). */
export function statusOfError(e: unknown): number {
  switch (errorName(e)) {
    case 'AbortError':
      return UsbredirStatus.Cancelled;
    case 'TimeoutError':
      return UsbredirStatus.Timeout;
    default:
      return UsbredirStatus.Ioerror;
  }
}

/** Whether a rejected call means the device is gone. */
export function isDeviceLoss(device: UsbDeviceLike, e: unknown): boolean {
  if (errorName(e) !== 'NotFoundError') return false;
  return !device.opened || /disconnect/i.test(errorMessage(e));
}

export function hex(v: number, width = 2): string {
  return '0x' + v.toString(16).padStart(width, '0');
}

/**
 * Orders state-changing device calls one after another, and transfers after the one in progress. A transfer
 * issued while nothing is in progress or waiting starts at once (no promise hop: this is the per-transfer
 * path), so transfers still start in the order they were issued.
 */
export class DeviceGate {
  private barrier: Promise<void> = Promise.resolve();
  /** State-changing calls queued or running. */
  private exclusives = 0;
  /** Transfers waiting behind the barrier. */
  private waiting = 0;

  /** Runs a state-changing device call after the previous one finished; `fn` must not reject. */
  exclusive(fn: () => Promise<void>): Promise<void> {
    this.exclusives++;
    const run = this.barrier.then(fn);
    this.barrier = run.then(
      () => void this.exclusives--,
      () => void this.exclusives--,
    );
    return run;
  }

  /** Runs a transfer once no state-changing call is in progress. */
  io<T>(fn: () => Promise<T>): Promise<T> {
    if (this.exclusives === 0 && this.waiting === 0) {
      try {
        return fn();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    this.waiting++;
    return this.barrier.then(() => {
      this.waiting--;
      return fn();
    });
  }

  /** Settles once the state-changing calls queued so far have finished. */
  idle(): Promise<void> {
    return this.barrier;
  }
}
