/**
 * Redis URLs and connections: `redis://[:PASSWORD@]HOST[:PORT][/DB]` or `rediss://` for TLS
 * (a self-signed server certificate is trusted through Node's NODE_EXTRA_CA_CERTS). Errors are
 * turned into one line that says what is wrong: nothing listening, a wrong password, TLS.
 */
import { Redis } from "ioredis";
import { RedisConnectionError } from "./errors";

/** A checked Redis URL and the same URL with its password hidden, for messages. */
export interface RedisTarget {
  readonly url: string;
  readonly display: string;
}

/** Checks a Redis URL. */
export function redisTarget(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisConnectionError(
      `--redis ${JSON.stringify(url)} is not a URL; write redis://HOST:PORT, redis://:PASSWORD@HOST:PORT or rediss://... for TLS.`,
      true,
    );
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new RedisConnectionError(
      `--redis must start with redis:// or rediss:// (TLS), got ${parsed.protocol}//...`,
      true,
    );
  }
  if (parsed.hostname === "")
    throw new RedisConnectionError(
      `--redis ${JSON.stringify(url)} names no host; write redis://HOST:PORT.`,
      true,
    );
  const hidden = new URL(url);
  if (hidden.password !== "") hidden.password = "***";
  return { url, display: hidden.toString() };
}

/** Backoff between reconnection attempts: 0.5 s, 1 s, 2 s, ... at most 15 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(500 * 2 ** Math.max(0, attempt - 1), 15_000);
}

/**
 * Connection options for BullMQ: reconnects forever with backoff (a restarted Redis is waited
 * for), and reports each retry through `onRetry`.
 */
export function connectionOptions(
  target: RedisTarget,
  onRetry?: (attempt: number, delayMs: number) => void,
): { url: string; retryStrategy: (times: number) => number; connectTimeout: number } {
  return {
    url: target.url,
    connectTimeout: 10_000,
    retryStrategy: (times: number) => {
      const delay = reconnectDelayMs(times);
      onRetry?.(times, delay);
      return delay;
    },
  };
}

/** Node's codes for a TLS certificate that does not chain to a trusted CA. */
const UNTRUSTED_CERTIFICATE = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);

/** One line for a connection error of `target`, and whether retrying may help. */
export function describeRedisError(target: RedisTarget, error: unknown): RedisConnectionError {
  if (error instanceof RedisConnectionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | undefined)?.code;
  const where = `Redis at ${target.display}`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return new RedisConnectionError(
      `${where} refused the password (${message.split("\n")[0]}); check the password in --redis (redis://:PASSWORD@HOST:PORT, or redis://USER:PASSWORD@... with an ACL user).`,
      true,
    );
  }
  if (/NOAUTH|Authentication required/i.test(message)) {
    return new RedisConnectionError(
      `${where} needs a password; give it in the URL: redis://:PASSWORD@HOST:PORT.`,
      true,
    );
  }
  if (code === "ECONNREFUSED")
    return new RedisConnectionError(
      `cannot reach ${where}: connection refused; is redis-server running and listening on that host and port?`,
      false,
    );
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return new RedisConnectionError(
      `cannot reach ${where}: unknown host; check the host name in --redis.`,
      code === "ENOTFOUND",
    );
  if (code === "ETIMEDOUT" || /timed? ?out/i.test(message))
    return new RedisConnectionError(
      `cannot reach ${where}: the connection timed out; check the host, the port and the firewall${target.url.startsWith("rediss:") ? ", and that the port speaks TLS (rediss://)" : ""}.`,
      false,
    );
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return new RedisConnectionError(
      `TLS with ${where} failed: the server's certificate is not for that host (${message}); connect to a host name or IP address that its subjectAltName lists.`,
      true,
    );
  if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code))
    return new RedisConnectionError(
      `TLS with ${where} failed: the server's certificate is not trusted (${message}); trust a self-signed certificate, or its CA, by starting snn with NODE_EXTRA_CA_CERTS=ca.pem (the PEM file).`,
      true,
    );
  if (/certificate|SSL|TLS|wrong version number|self.signed/i.test(message)) {
    return new RedisConnectionError(
      `TLS with ${where} failed (${message}); use rediss:// only for a TLS port, and trust a self-signed certificate with NODE_EXTRA_CA_CERTS=ca.pem.`,
      true,
    );
  }
  if (code === "ECONNRESET" || code === "EPIPE" || /Connection is closed/i.test(message))
    return new RedisConnectionError(
      `cannot use ${where}: the server closed the connection (${code ?? message.replace(/\.$/, "")})${target.url.startsWith("redis:") ? "; if that port serves TLS, write rediss:// instead of redis://" : ""}.`,
      false,
    );
  return new RedisConnectionError(
    `cannot use ${where}: ${message}${code ? ` (${code})` : ""}.`,
    false,
  );
}

/** Connects once and pings; throws a {@link RedisConnectionError} that says what went wrong. */
export async function checkRedis(target: RedisTarget, timeoutMs = 5000): Promise<void> {
  let lastError: unknown;
  const client = new Redis(target.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on("error", (error: unknown) => {
    lastError = error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    // ioredis often rejects with "Connection is closed"; the 'error' event has the cause.
    throw describeRedisError(target, lastError ?? error);
  } finally {
    client.disconnect();
  }
}

/**
 * Waits until Redis answers: retries with {@link reconnectDelayMs} backoff, reporting each
 * failure through `onRetry`; a permanent error (wrong password, bad URL, TLS) is thrown.
 */
export async function waitForRedis(
  target: RedisTarget,
  onRetry: (error: RedisConnectionError, delayMs: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const aborted = (): boolean => signal?.aborted === true;
  for (let attempt = 1; ; attempt++) {
    try {
      await checkRedis(target);
      return;
    } catch (error) {
      const e = describeRedisError(target, error);
      if (e.permanent || aborted()) throw e;
      const delay = reconnectDelayMs(attempt);
      onRetry(e, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (aborted()) throw e;
    }
  }
}
