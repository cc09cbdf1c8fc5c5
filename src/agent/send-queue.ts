/**
 * Client → agent flow control. Every AGENT_DATA message the client sends costs one token; the server grants
 * tokens in INIT / AGENT_CONNECTED_TOKENS and later AGENT_TOKEN messages. The queue holds whole agent
 * messages, cuts them into AGENT_DATA bodies, sends one body per token and waits when none is left. It
 * never spends a token it does not have. `onLow` fires when few bodies are left queued, so a producer (the
 * file transfer) can add its next message without filling memory with a whole file.
 */
import { chunkAgentMessage } from './stream.js';

export class AgentSendQueue {
  private readonly chunks: Uint8Array[] = [];
  private head = 0;
  private tokens = 0;
  /** AGENT_DATA bodies sent since the last reset (diagnostics and tests). */
  sent = 0;

  constructor(
    private readonly sendData: (body: Uint8Array) => void,
    /** Called (once per flush) when no more than `lowWater` bodies wait. */
    private readonly onLow: () => void = () => {},
    readonly lowWater = 8,
  ) {}

  /** Tokens granted and not yet spent. */
  get available(): number {
    return this.tokens;
  }

  /** AGENT_DATA bodies waiting for tokens. */
  get queued(): number {
    return this.chunks.length - this.head;
  }

  /** Queues one whole agent message (header included) and sends what the tokens allow. */
  push(message: Uint8Array): void {
    for (const c of chunkAgentMessage(message)) this.chunks.push(c);
    this.flush();
  }

  /** Sets the token count (AGENT_CONNECTED_TOKENS, INIT.agent_tokens). */
  setTokens(n: number): void {
    this.tokens = n;
    this.flush();
  }

  /** AGENT_TOKEN: `n` more tokens. */
  grant(n: number): void {
    this.tokens = Math.min(this.tokens + n, 0xffffffff);
    this.flush();
  }

  /** Drops everything queued (agent gone: the server discards AGENT_DATA until the next AGENT_START). */
  reset(): void {
    this.chunks.length = 0;
    this.head = 0;
  }

  private flushing = false;
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        while (this.tokens > 0 && this.head < this.chunks.length) {
          const body = this.chunks[this.head]!;
          this.chunks[this.head++] = EMPTY;
          this.tokens--;
          this.sent++;
          this.sendData(body);
        }
        if (this.head === this.chunks.length) this.reset();
        else if (this.head > 1024) this.compact();
        if (this.queued > this.lowWater) break;
        const before = this.chunks.length - this.head;
        this.onLow();
        // A producer that added nothing (or that cannot be sent now) ends the loop.
        if (this.chunks.length - this.head === before || this.tokens === 0) break;
      }
    } finally {
      this.flushing = false;
    }
  }

  private compact(): void {
    this.chunks.splice(0, this.head);
    this.head = 0;
  }
}

const EMPTY = new Uint8Array(0);
