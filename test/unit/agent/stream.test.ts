// AGENT_DATA chunking, reassembly cut at every offset, hostile sizes, and token pacing.
import { describe, expect, it } from 'vitest';
import { agentMessage, writeDisplayConfig } from '../../../src/agent/messages.js';
import { AgentSendQueue } from '../../../src/agent/send-queue.js';
import { AgentReassembler, chunkAgentMessage } from '../../../src/agent/stream.js';
import { ProtocolError } from '../../../src/protocol/errors.js';

const concat = (parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255);

describe('chunkAgentMessage', () => {
  it('cuts into bodies of at most 2048 bytes that join back to the message', () => {
    for (const size of [0, 1, 2028, 2029, 4096, 5000]) {
      const msg = agentMessage(4, pattern(size));
      const chunks = chunkAgentMessage(msg);
      expect(chunks.every((c) => c.byteLength <= 2048 && c.byteLength > 0)).toBe(true);
      expect(chunks.length).toBe(Math.ceil((size + 20) / 2048));
      expect(Buffer.from(concat(chunks)).equals(Buffer.from(msg))).toBe(true);
    }
  });
});

describe('AgentReassembler', () => {
  const a = agentMessage(4, pattern(300));
  const b = writeDisplayConfig(15, 16);
  const c = agentMessage(13);
  const stream = concat([a, b, c]);

  it('holds memory for the bytes that arrived, not for the size a header declares, and still joins a large message whole', () => {
    const big = pattern(3 * 1024 * 1024 + 5);
    const msg = agentMessage(4, big);
    const r = new AgentReassembler();
    r.push(msg.subarray(0, 20 + 100));
    expect(r.capacity).toBeLessThanOrEqual(64 * 1024);
    let got: ReturnType<AgentReassembler['push']> = [];
    for (let at = 120; at < msg.byteLength; at += 2048) {
      got = r.push(msg.subarray(at, Math.min(at + 2048, msg.byteLength)));
      if (!got.length) expect(r.capacity).toBeLessThanOrEqual(Math.max(64 * 1024, 2 * (at + 2048)));
    }
    expect(got).toHaveLength(1);
    expect(got[0]!.payload.byteLength).toBe(big.byteLength);
    expect(Buffer.from(got[0]!.payload).equals(Buffer.from(big))).toBe(true);
    expect(r.capacity).toBe(0);
  });

  it('gives back every message whatever the cut, at every pair of offsets', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j += 19) {
        const r = new AgentReassembler();
        const got = [...r.push(stream.subarray(0, i)), ...r.push(stream.subarray(i, j)), ...r.push(stream.subarray(j))];
        expect(got.map((m) => m.header.type)).toEqual([4, 5, 13]);
        expect(Buffer.from(got[0]!.payload).equals(Buffer.from(pattern(300)))).toBe(true);
        expect([...got[1]!.payload]).toEqual([...b.subarray(20)]);
        expect(got[2]!.payload.byteLength).toBe(0);
        expect(r.partial).toBe(false);
      }
    }
  });

  it('one byte at a time', () => {
    const r = new AgentReassembler();
    const got = [];
    for (let i = 0; i < stream.length; i++) got.push(...r.push(stream.subarray(i, i + 1)));
    expect(got.map((m) => m.header.type)).toEqual([4, 5, 13]);
  });

  it('a declared size above the limit is a protocol error naming the limit, before any buffering', () => {
    const r = new AgentReassembler(1000);
    const head = agentMessage(4, new Uint8Array(1001)).subarray(0, 20);
    expect(() => r.push(head)).toThrow(ProtocolError);
    expect(() => new AgentReassembler(1000).push(head)).toThrow(/1001 bytes exceeds the limit of 1000 bytes \(MAX_AGENT_MESSAGE_SIZE\)/);
    const huge = Uint8Array.from(Buffer.from('01000000' + '04000000' + '0000000000000000' + 'ffffffff', 'hex'));
    expect(() => new AgentReassembler().push(huge)).toThrow(/exceeds the limit of 104861696 bytes \(MAX_AGENT_MESSAGE_SIZE\)/);
    expect(new AgentReassembler(1000).push(agentMessage(4, new Uint8Array(1000)))).toHaveLength(1);
  });

  it('a wrong protocol number is a protocol error', () => {
    const bad = agentMessage(4);
    bad[0] = 9;
    expect(() => new AgentReassembler().push(bad)).toThrow(/protocol 9/);
  });

  it('reset drops a partial message', () => {
    const r = new AgentReassembler();
    r.push(a.subarray(0, 50));
    expect(r.partial).toBe(true);
    r.reset();
    expect(r.push(b).map((m) => m.header.type)).toEqual([5]);
  });
});

describe('AgentSendQueue', () => {
  it('spends one token per AGENT_DATA body and never more than it has', () => {
    const sent: Uint8Array[] = [];
    const q = new AgentSendQueue((body) => sent.push(body));
    const msg = agentMessage(4, pattern(10000)); // 5 bodies
    q.push(msg);
    expect(sent).toHaveLength(0);
    q.setTokens(2);
    expect(sent).toHaveLength(2);
    expect(q.available).toBe(0);
    q.push(writeDisplayConfig(0, 0));
    expect(sent).toHaveLength(2);
    q.grant(1);
    expect(sent).toHaveLength(3);
    q.grant(10);
    expect(sent).toHaveLength(6);
    expect(q.available).toBe(7);
    expect(Buffer.from(concat(sent)).equals(Buffer.from(concat([msg, writeDisplayConfig(0, 0)])))).toBe(true);
  });

  it('under random grants and pushes, sent bodies never exceed tokens granted, and order is kept', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    for (let round = 0; round < 50; round++) {
      const sent: Uint8Array[] = [];
      const q = new AgentSendQueue((body) => sent.push(body));
      let granted = 0;
      const pushed: Uint8Array[] = [];
      for (let step = 0; step < 40; step++) {
        if (rand(2)) {
          const m = agentMessage(4, pattern(rand(6000)));
          pushed.push(m);
          q.push(m);
        } else {
          const n = rand(4);
          granted += n;
          q.grant(n);
        }
        expect(sent.length).toBeLessThanOrEqual(granted);
        expect(sent.length).toBe(
          Math.min(
            granted,
            pushed.reduce((n, m) => n + chunkAgentMessage(m).length, 0),
          ),
        );
      }
      q.grant(1e6);
      expect(Buffer.from(concat(sent)).equals(Buffer.from(concat(pushed)))).toBe(true);
    }
  });

  it('asks a producer for more when the queue runs low, and stops when it adds nothing', () => {
    const sent: Uint8Array[] = [];
    let left = 3;
    const q: AgentSendQueue = new AgentSendQueue(
      (body) => sent.push(body),
      () => {
        if (left-- > 0) q.push(agentMessage(12, pattern(100)));
      },
      0,
    );
    q.setTokens(100);
    expect(sent).toHaveLength(3);
    expect(q.queued).toBe(0);
  });

  it('reset drops what waits', () => {
    const sent: Uint8Array[] = [];
    const q = new AgentSendQueue((body) => sent.push(body));
    q.push(agentMessage(4, pattern(5000)));
    q.reset();
    q.setTokens(10);
    expect(sent).toHaveLength(0);
  });
});
