/**
 * FileTransferController: files into the guest for one <spice-console>. Files dropped on the console (while
 * the agent takes files) or given to `sendFiles()` go to the engine, which sends them to the agent paced by
 * its tokens; progress and the agent's final status come back as `file-transfer` events, re-emitted as
 * `spice-file-transfer`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { EngineEvent } from '../api/engine-api.js';
import type { AgentResult, FileTransferDetail } from '../api/agent.js';
import { unwrap } from './clipboard-controller.js';
import type { EngineController } from './engine-controller.js';

export interface FileTransferControllerOptions {
  engine: EngineController;
  /** The element files are dropped on. */
  target(): HTMLElement;
  available(): boolean;
  emit(detail: FileTransferDetail): void;
}

export class FileTransferController implements ReactiveController {
  private readonly listened: HTMLElement[] = [];

  constructor(
    host: ReactiveControllerHost,
    private readonly options: FileTransferControllerOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const t = this.options.target();
    t.addEventListener('dragover', this.onDragOver);
    t.addEventListener('drop', this.onDrop);
    this.listened.push(t);
  }

  hostDisconnected(): void {
    for (const t of this.listened.splice(0)) {
      t.removeEventListener('dragover', this.onDragOver);
      t.removeEventListener('drop', this.onDrop);
    }
  }

  handle(e: EngineEvent): void {
    if (e.type !== 'file-transfer') return;
    const { type: _type, ...detail } = e;
    this.options.emit(detail);
  }

  /** Starts sending each file; resolves with their transfer ids (in order). */
  async send(files: readonly File[]): Promise<number[]> {
    const api = this.options.engine.api;
    const ids: number[] = [];
    for (const file of files) {
      const r: AgentResult<number> = api ? await api.sendFile(file) : { ok: false, code: 'agent-not-connected', message: 'not connected' };
      if (!r.ok) {
        // A file that could not even start is reported like a failed transfer (id 0), then the call fails.
        this.options.emit({ id: 0, name: file.name, size: file.size, sent: 0, state: 'error', status: r.code, error: r.message });
      }
      ids.push(unwrap(r));
    }
    return ids;
  }

  async cancel(id: number): Promise<boolean> {
    return (await this.options.engine.api?.cancelFileTransfer(id)) ?? false;
  }

  // Files dropped on the console never make the browser open them (leaving the portal): without an agent
  // that takes files the drop is refused with a spice-file-transfer error.
  private readonly onDragOver = (e: DragEvent): void => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = this.options.available() ? 'copy' : 'none';
  };

  private readonly onDrop = (e: DragEvent): void => {
    const files = e.dataTransfer?.files;
    if (!files || files.length === 0) return;
    e.preventDefault();
    this.send(Array.from(files)).catch(() => {
      // Already reported as a spice-file-transfer event with state `error`.
    });
  };
}
