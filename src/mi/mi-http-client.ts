/**
 * The axios instance every MI request goes through: the undici adapter (`mi-undici-adapter.ts`; the process-wide
 * undici dispatcher the CLI installs for `--proxy` applies to MI traffic too), a per-attempt timeout, request
 * counters, and axios-retry for transient failures (429, 5xx, MI's MySQL deadlock, no answer at all) with `Retry-After` or exponential backoff.
 * Every method is retried: MI's writes are made idempotent one level up (`create…` resolves "already exists").
 * Tokens are not handled here (`mi-auth.ts`); a 412 is not transient.
 */
import axios, { type AxiosInstance } from "axios";
import axiosRetry from "axios-retry";
import type { Logger } from "../logging/logger.js";
import { classifyMiFailure, isTransientMiFailure } from "./mi-errors.js";
import { miRetryDelayMs } from "./mi-retry-delay.js";
import { undiciAdapter } from "./mi-undici-adapter.js";

/** Requests sent to MI, counting every attempt (retries included). */
export interface MiRequestCounts {
  /** GET requests other than `get_token`. */
  reads: number;
  /** POST, PUT and DELETE requests other than `get_token`. */
  writes: number;
  /** Requests to `/api/get_token`. */
  tokenRequests: number;
}

export interface MiHttpClientOptions {
  baseUrl: string;
  /** Retries after the first attempt of a request that keeps failing transiently. */
  maxRetries: number;
  /** Timeout of each attempt. */
  requestTimeoutMs: number;
  /** Waits between retries (a test seam; production uses a timer). */
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  /** Incremented in place. */
  counts: MiRequestCounts;
}

export function createMiHttpClient(options: MiHttpClientOptions): AxiosInstance {
  const http = axios.create({
    baseURL: options.baseUrl.replace(/\/+$/, ""),
    adapter: undiciAdapter,
    timeout: options.requestTimeoutMs,
    headers: { Accept: "application/json" },
  });
  http.interceptors.request.use((config) => {
    const method = (config.method ?? "get").toUpperCase();
    if ((config.url ?? "").startsWith("/api/get_token")) options.counts.tokenRequests += 1;
    else if (method === "GET") options.counts.reads += 1;
    else options.counts.writes += 1;
    return config;
  });
  axiosRetry(http, {
    retries: options.maxRetries,
    shouldResetTimeout: true,
    retryCondition: (error) => isTransientMiFailure(classifyMiFailure(error)),
    // axios-retry's own timer is bypassed (delay 0) so that the wait goes through the injectable `sleep`.
    retryDelay: () => 0,
    onRetry: async (retryNumber, error, config) => {
      const failure = classifyMiFailure(error);
      const delayMs = miRetryDelayMs(retryNumber, failure.retryAfter, Date.now());
      const what = `${(config.method ?? "get").toUpperCase()} ${config.url ?? ""}`;
      const why =
        failure.status === undefined ? (failure.systemCode ?? failure.code) : `${failure.status} ${failure.code}`;
      options.logger.debug(`MI ${what}: ${why}; retry ${retryNumber}/${options.maxRetries} in ${delayMs} ms`);
      await options.sleep(delayMs);
    },
  });
  return http;
}
