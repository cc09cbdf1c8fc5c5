/**
 * Files into the guest (VD_AGENT_FILE_XFER_*): one `FileTransfer` per file. START announces name and size;
 * the agent answers STATUS CAN_SEND_DATA (or a refusal); DATA messages follow, read from the source piece by
 * piece only when the send queue runs low (so a large file is never held in memory whole); the agent's final
 * STATUS (SUCCESS or an error) ends it. A cancel from this side is a STATUS CANCELLED to the agent.
 */
import { AgentFileXferStatus } from '../protocol/constants.js';
import type { FileXferStatus } from './messages.js';

/** What a file is to this module: its name, size and a way to read a piece of it. */
export interface FileSource {
  name: string;
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type FileTransferState = 'waiting' | 'sending' | 'success' | 'cancelled' | 'error';

/** Names of VD_AGENT_FILE_XFER_STATUS_* (index = value). */
export const FILE_XFER_STATUS_NAMES = [
  'can-send-data',
  'cancelled',
  'error',
  'success',
  'not-enough-space',
  'session-locked',
  'vdagent-not-connected',
  'disabled',
] as const;
export type FileXferStatusName = (typeof FILE_XFER_STATUS_NAMES)[number];

export function fileXferStatusName(result: number): string {
  return FILE_XFER_STATUS_NAMES[result] ?? `status-${result}`;
}

export interface FileTransferInfo {
  id: number;
  name: string;
  size: number;
  /** Bytes handed to the server so far. */
  sent: number;
  state: FileTransferState;
  /** The agent's status name that ended it (`not-enough-space`, `session-locked`, ...), or this side's reason. */
  status?: string;
  error?: string;
}

/** What the agent's STATUS means for a transfer, in words for the page. */
export function describeFileXferStatus(status: FileXferStatus): string {
  switch (status.result) {
    case AgentFileXferStatus.Cancelled:
      return 'the guest cancelled the transfer';
    case AgentFileXferStatus.Error:
      return status.error ? `the guest could not write the file (GIO error ${status.error.errorCode})` : 'the guest could not write the file';
    case AgentFileXferStatus.NotEnoughSpace:
      return status.diskFreeSpace !== undefined ? `not enough space in the guest (${status.diskFreeSpace} bytes free)` : 'not enough space in the guest';
    case AgentFileXferStatus.SessionLocked:
      return 'the guest session is locked';
    case AgentFileXferStatus.VdagentNotConnected:
      return 'no agent runs in the guest session';
    case AgentFileXferStatus.Disabled:
      return 'file transfer is disabled in the guest';
    default:
      return `the guest answered ${fileXferStatusName(status.result)}`;
  }
}

/** Bytes per FILE_XFER_DATA message (cut further into 2048-byte AGENT_DATA bodies), as spice-gtk uses. */
export const FILE_XFER_DATA_SIZE = 64 * 1024;

export class FileTransfer {
  sent = 0;
  state: FileTransferState = 'waiting';
  status?: string;
  error?: string;
  /** A read of the next piece is in flight. */
  reading = false;

  constructor(
    readonly id: number,
    readonly source: FileSource,
  ) {}

  get done(): boolean {
    return this.state === 'success' || this.state === 'cancelled' || this.state === 'error';
  }

  /** A DATA message went out (an empty file still sends one, which is what completes it in the agent). */
  private anySent = false;

  /** Every byte has been handed over (the agent's SUCCESS is still to come). */
  get allSent(): boolean {
    return this.sent >= this.source.size && this.anySent;
  }

  /** The next piece to read, or null when all has been read (or it is not sending). */
  nextPiece(): { offset: number; length: number } | null {
    if (this.state !== 'sending' || this.reading || this.allSent) return null;
    return { offset: this.sent, length: Math.min(FILE_XFER_DATA_SIZE, this.source.size - this.sent) };
  }

  pieceSent(length: number): void {
    this.sent += length;
    this.anySent = true;
  }

  finish(state: 'success' | 'cancelled' | 'error', status?: string, error?: string): void {
    if (this.done) return;
    this.state = state;
    if (status) this.status = status;
    if (error) this.error = error;
  }

  info(): FileTransferInfo {
    const out: FileTransferInfo = { id: this.id, name: this.source.name, size: this.source.size, sent: this.sent, state: this.state };
    if (this.status) out.status = this.status;
    if (this.error) out.error = this.error;
    return out;
  }
}
