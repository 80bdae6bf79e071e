// Where a queue lives: a redis:// (or rediss:// for TLS) URL as users write it, read once
// here into the connection settings every queue client uses. Every connection waits out a
// Redis that went away (restart, failover, network) instead of failing the run: commands
// queue up until it is back (BullMQ needs maxRetriesPerRequest null for that), and
// reconnects are tried every few hundred milliseconds, backing off to two seconds.

import { hostname } from 'node:os';
import type { RedisOptions } from 'bullmq';
import { RunError } from '../../runtime/executor';

export interface QueueAddress {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** The URL without its password, for messages and logs. */
  readonly shown: string;
}

/** Reads `redis://[user:password@]host[:port][/db]` (rediss:// for TLS); throws RunError naming what is wrong. */
export function parseQueueAddress(text: string, what = '--queue'): QueueAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RunError(`${what} must be a Redis URL such as redis://127.0.0.1:6379/0, got '${text}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new RunError(`${what} must start with redis:// (or rediss:// for TLS), got '${url.protocol}//'`);
  if (!url.hostname) throw new RunError(`${what} names no host: '${text}'`);
  const port = url.port ? Number(url.port) : 6379;
  const path = url.pathname.replace(/^\/+/, '');
  if (!/^\d{0,2}$/.test(path)) throw new RunError(`${what}: the database after the port must be a number (0-15 by default), got '/${path}'`);
  if (url.search || url.hash) throw new RunError(`${what}: a queue URL takes no ?options or #fragment, got '${url.search}${url.hash}'`);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const shown = `${url.protocol}//${username ? `${encodeURIComponent(username)}${password ? ':***' : ''}@` : password ? ':***@' : ''}${url.host}${path ? `/${path}` : ''}`;
  return { host, port, db: path ? Number(path) : 0, username, password, tls: url.protocol === 'rediss:', shown };
}

/** Milliseconds before reconnect attempt `times`: quick at first, then every two seconds, for ever. */
export const reconnectDelay = (times: number): number => Math.min(250 * times, 2000);

/** Connection settings for BullMQ and plain ioredis clients; `role` names the client in CLIENT LIST. */
export function connectionOptions(address: QueueAddress, role: string): RedisOptions {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username ? { username: address.username } : {}),
    ...(address.password ? { password: address.password } : {}),
    ...(address.tls ? { tls: { servername: address.host } } : {}),
    connectionName: `modulargan:${role}:${hostname()}:${process.pid}`.replace(/\s+/g, '_'),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: reconnectDelay,
    // A dropped connection is noticed within seconds, not when the kernel gives up on it.
    keepAlive: 5000,
  };
}
