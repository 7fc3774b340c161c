import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { backoffCapMs, fullJitterDelay } from '../src/backoff.ts';
import { AgentConnection } from '../src/connection.ts';
import { testLogger } from './helpers/agent-harness.ts';
import { waitFor } from './helpers/fake-control-plane.ts';

describe('fullJitterDelay', () => {
  it('stays within [0, min(cap, base * 2^attempt))', () => {
    for (const attempt of [0, 1, 2, 5, 10, 100]) {
      const ceiling = Math.min(10_000, 250 * 2 ** attempt);
      expect(fullJitterDelay(attempt, 250, 10_000, () => 0)).toBe(0);
      expect(fullJitterDelay(attempt, 250, 10_000, () => 0.999999)).toBe(Math.floor(0.999999 * ceiling));
    }
  });

  it('takes its cap from PRESSLUFT_AGENT_BACKOFF_MAX_MS', () => {
    expect(backoffCapMs({})).toBe(10_000);
    expect(backoffCapMs({ PRESSLUFT_AGENT_BACKOFF_MAX_MS: '500' })).toBe(500);
    expect(backoffCapMs({ PRESSLUFT_AGENT_BACKOFF_MAX_MS: 'nonsense' })).toBe(10_000);
  });
});

describe('AgentConnection', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  it('gives up on a connection whose hello is never acknowledged and connects again', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    let connections = 0;
    wss.on('connection', (ws) => {
      const n = ++connections;
      ws.on('message', () => {
        // The first connection never answers the hello.
        if (n > 1) ws.send(JSON.stringify({ type: 'hello_ack', node_id: 'n', heartbeat_interval_ms: 5000, abandon: [] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((resolve) => server.close(resolve));
    };
    const ready: number[] = [];
    const connection = new AgentConnection({
      wsUrl: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      authorization: 'Bearer n:c',
      log: testLogger(),
      hello: () => ({ type: 'heartbeat', at: '' }),
      onReady: () => ready.push(connections),
      onMessage: () => undefined,
      onDown: () => undefined,
      helloTimeoutMs: 300,
      backoffCapMs: 100,
    });
    await connection.connected;
    expect(ready).toEqual([2]);
    await connection.stop();
    await connection.done;
  });

  it('does not throw when sending without a socket', async () => {
    const connection = new AgentConnection({
      wsUrl: 'ws://127.0.0.1:1/',
      authorization: 'Bearer n:c',
      log: testLogger(),
      hello: () => ({ type: 'heartbeat', at: '' }),
      onReady: () => undefined,
      onMessage: () => undefined,
      onDown: () => undefined,
      backoffCapMs: 50,
    });
    expect(connection.send({ type: 'heartbeat', at: '' })).toBe(false);
    await waitFor(() => true, 'a tick');
    await connection.stop();
    await expect(connection.connected).rejects.toThrow(/stopped before it connected/);
  });
});
