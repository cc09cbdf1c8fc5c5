/**
 * Transport: the byte pipe of one SPICE channel. In the worker it is a WebSocket (binary frames, the
 * `binary` subprotocol that spice-server and websockify accept); unit tests inject scripted transports.
 */

export interface TransportHandlers {
  onOpen(): void;
  onData(bytes: Uint8Array): void;
  /** Called once, whether the peer closed, the network failed or close() was called. */
  onClose(info: { opened: boolean; reason: string }): void;
}

export interface Transport {
  send(bytes: Uint8Array): void;
  close(): void;
  /** Bytes queued but not yet sent (WebSocket.bufferedAmount). */
  readonly buffered: number;
  /**
   * Resolves once the connection is really gone (after close(): when the server answered the close frame or
   * the connection dropped), not when close() was called. Optional: scripted transports may leave it out.
   */
  readonly ended?: Promise<void>;
}

export type TransportFactory = (url: string, handlers: TransportHandlers) => Transport;

/** Opens a WebSocket to `url`. */
export const webSocketTransport: TransportFactory = (url, handlers) => {
  let opened = false;
  let closed = false;
  let ws: WebSocket;
  try {
    ws = new WebSocket(url, ['binary']);
  } catch (e) {
    // A malformed URL or a port the browser blocks throws synchronously: report it like a failed open.
    queueMicrotask(() => handlers.onClose({ opened: false, reason: `invalid WebSocket URL ${url}: ${(e as Error).message}` }));
    return { send() {}, close() {}, buffered: 0, ended: Promise.resolve() };
  }
  ws.binaryType = 'arraybuffer';
  // Its own listener: finish() detaches the handlers at close(), the socket itself ends later.
  const ended = new Promise<void>((resolve) => ws.addEventListener('close', () => resolve(), { once: true }));
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    handlers.onClose({ opened, reason });
  };
  ws.onopen = () => {
    opened = true;
    handlers.onOpen();
  };
  ws.onmessage = (e: MessageEvent) => {
    if (!closed && e.data instanceof ArrayBuffer) handlers.onData(new Uint8Array(e.data));
  };
  ws.onerror = () => finish(opened ? 'WebSocket error' : 'could not open the WebSocket');
  ws.onclose = (e: CloseEvent) => finish(`WebSocket closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`);
  return {
    send(bytes) {
      if (!closed && ws.readyState === WebSocket.OPEN) ws.send(bytes);
    },
    close() {
      if (closed) return;
      ws.close();
      finish('closed by client');
    },
    get buffered() {
      return ws.bufferedAmount;
    },
    ended,
  };
};
