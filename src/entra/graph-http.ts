import { setTimeout as sleep } from "node:timers/promises";
import {
  AuthenticationHandler,
  type AuthenticationProvider,
  Client,
  type Context,
  GraphError,
  HTTPMessageHandler,
  type Middleware,
  type MiddlewareOptions,
  RedirectHandler,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
import { z } from "zod";
import { ServiceError, SyncError } from "../errors/sync-error.js";
import type { Logger } from "../logging/logger.js";
import type { EntraEndpoints } from "./entra-endpoints.js";
import type { GraphFailure } from "./map-graph-failure.js";
import { mapNetworkFailure } from "./map-network-failure.js";

/** The answer to one Graph request: its JSON body, or the failure Graph answered with (after retries). */
export type GraphOutcome = { ok: true; body: unknown } | { ok: false; failure: GraphFailure };

/** The writes `GraphHttp.write` sends (subscriptions). */
export type GraphWriteMethod = "POST" | "PATCH" | "DELETE";

/** One request of a `$batch`: a GET of a URL relative to the version root (`/groups/{id}/members?...`). */
export interface BatchGet {
  id: string;
  url: string;
}

export interface GraphHttpOptions {
  endpoints: EntraEndpoints;
  tokenProvider: AuthenticationProvider;
  /** Retries of a throttled or unavailable request (429/503/504), at most 10. */
  maxRetries: number;
  /**
   * How long a request keeps obeying Graph's 429 `Retry-After` before `maxRetries` counts those too. Default 5
   * minutes: under a quota the client is told exactly when to come back, and a large reconcile waits out several
   * windows; counting each short wait as a failure gave groups up as unreadable half way through.
   */
  throttlePatienceMs?: number;
  /** The time throttling is judged and waited by. Default: the system clock and real timers. */
  clock?: GraphClock;
  logger: Logger;
}

/** What waiting out Graph's `Retry-After` needs of time: tests give one they move themselves. */
export interface GraphClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` (rejects when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const systemClock: GraphClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

/** Default of `throttlePatienceMs`. */
const THROTTLE_PATIENCE_MS = 5 * 60_000;

/** Per-request holder for the original error thrown inside the middleware chain (graph-client keeps only its text). */
class FailureCapture implements MiddlewareOptions {
  error: unknown;
}

/** First link of the chain: remembers what the rest of the chain threw (token errors, fetch's socket error). */
class CaptureHandler implements Middleware {
  private next: Middleware | undefined;
  async execute(context: Context): Promise<void> {
    try {
      await this.next?.execute(context);
    } catch (error) {
      const capture = context.middlewareControl?.getMiddlewareOptions(FailureCapture);
      if (capture instanceof FailureCapture) capture.error = error;
      throw error;
    }
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * Graph's throttle is one budget per app and tenant (contract §5): once it answers 429 with a `Retry-After`, every
 * other request of this client would be refused too, and refused requests still count against the budget. So no
 * request goes out until that moment has passed: the client waits once instead of each request finding out alone.
 * Then it starts slowly, as TCP does after a loss: one request at a time, twice as many after each success, all of
 * them again once 32 went through; a budget that frees bit by bit would refuse a rush of everything that waited.
 * It sits after the RetryHandler, so the retries of a throttled request wait here too.
 */
class ThrottleGate implements Middleware {
  constructor(
    private readonly patienceMs: number,
    private readonly clock: GraphClock,
  ) {}

  private next: Middleware | undefined;
  private closedUntil = 0;
  /** Requests allowed in flight: unlimited until a 429, then 1, doubling with each success. */
  private limit = Number.POSITIVE_INFINITY;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  /** No request leaves before `seconds` from now (or a later moment already set); then it starts slowly. */
  close(seconds: number): void {
    this.closedUntil = Math.max(this.closedUntil, this.clock.now() + seconds * 1000);
    this.limit = 1;
  }

  async wait(signal?: AbortSignal): Promise<void> {
    for (let left = this.closedUntil - this.clock.now(); left > 0; left = this.closedUntil - this.clock.now()) {
      await this.clock.sleep(left, signal);
    }
  }

  /** Whether a request first sent at `since` may still wait out a 429 here rather than count as a retry. */
  patient(since: number): boolean {
    return this.closedUntil - since < this.patienceMs;
  }

  async execute(context: Context): Promise<void> {
    const signal = context.options?.signal ?? undefined;
    const since = this.clock.now();
    for (;;) {
      for (;;) {
        await this.wait(signal);
        if (this.inFlight < this.limit) break;
        await new Promise<void>((resolve) => this.waiting.push(resolve));
      }
      this.inFlight++;
      let told = false;
      try {
        await this.next?.execute(context);
      } finally {
        this.inFlight--;
        told = this.settle(context.response);
      }
      // A 429 that says when to come back is waited out here, within the patience (the RetryHandler's count is for
      // 503/504, 429s without a Retry-After, and beyond the patience).
      if (!told || !this.patient(since)) return;
    }
  }

  /** Takes in an answer; true when it was a 429 that said when to come back. */
  private settle(response: Response | undefined): boolean {
    let told = false;
    if (response?.status === 429) {
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        headers[key] = value;
      });
      told = hasRetryAfter(headers);
      this.close(retryAfterSeconds(headers, 0));
    } else if (response?.ok && Number.isFinite(this.limit)) {
      this.limit = this.limit >= 32 ? Number.POSITIVE_INFINITY : this.limit * 2;
    }
    // Everyone waiting looks again: at the moment, or at the gate's new time.
    for (const wake of this.waiting.splice(0)) wake();
    return told;
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

const STATUSES_RETRIED = new Set([429, 503, 504]);
/** Answers that say Graph did not carry the request out (throttled, unavailable): safe to repeat any write. */
const STATUSES_REFUSED = new Set([429, 503]);
/** Graph accepts at most 20 requests in one `$batch` (contract §4). */
export const MAX_BATCH = 20;

const batchResponseSchema = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});

const errorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string().optional(),
    innerError: z.object({ "request-id": z.string().optional() }).optional(),
  }),
});

/**
 * Microsoft Graph over graph-client 3 with our own middleware chain: capture → Authentication → Retry → Redirect →
 * Telemetry → HTTP (global fetch, so a proxy set with `configureProxy` applies). The RetryHandler retries
 * 429/503/504 and honours `Retry-After` (also fractional seconds); inner `$batch` answers are retried here.
 */
export class GraphHttp {
  private readonly client: Client;
  private readonly retryOptions: RetryHandlerOptions;
  /** Retries 429/503 only: for writes that must not be repeated after a gateway timeout. */
  private readonly refusalRetryOptions: RetryHandlerOptions;
  private readonly gate: ThrottleGate;
  private readonly clock: GraphClock;

  constructor(private readonly options: GraphHttpOptions) {
    const maxRetries = Math.min(Math.max(options.maxRetries, 0), 10);
    this.clock = options.clock ?? systemClock;
    this.gate = new ThrottleGate(options.throttlePatienceMs ?? THROTTLE_PATIENCE_MS, this.clock);
    this.retryOptions = new RetryHandlerOptions(1, maxRetries);
    this.refusalRetryOptions = new RetryHandlerOptions(
      1,
      maxRetries,
      (_delay, _attempt, _request, _options, response) => STATUSES_REFUSED.has(response.status),
    );
    const chain: Middleware[] = [
      new CaptureHandler(),
      new AuthenticationHandler(options.tokenProvider),
      new RetryHandler(this.retryOptions),
      this.gate,
      new RedirectHandler(),
      new TelemetryHandler(),
      new HTTPMessageHandler(),
    ];
    const { graphEndpoint, graphCustomHost } = options.endpoints;
    // graph-client reads `customHosts` from the client options on every request (GraphRequest.send puts it in the
    // middleware context) whether the client was built with `init` or `initWithMiddleware`; hosts only, no port.
    this.client = Client.initWithMiddleware({
      middleware: chain,
      baseUrl: graphEndpoint,
      defaultVersion: "v1.0",
      ...(graphCustomHost === undefined ? {} : { customHosts: new Set([graphCustomHost]) }),
    });
  }

  /**
   * GETs a path relative to the version root, or an absolute `@odata.nextLink` (followed whole). Resolves with Graph's
   * answer; throws a typed error only when there was no answer (network, TLS, token).
   */
  async get(pathOrUrl: string, signal?: AbortSignal): Promise<GraphOutcome> {
    return this.send(pathOrUrl, "GET", undefined, signal);
  }

  /**
   * Sends one write (POST, PATCH or DELETE) of a JSON body to a path relative to the version root. Resolves with
   * Graph's answer (`body` undefined for 204); throws a typed error only when there was no answer.
   *
   * Retries: like reads, 429/503/504 are retried with `Retry-After` (Graph refused the request, so repeating it is
   * safe). A 504 is a gateway timeout: the write may have reached Graph behind it, so `noGatewayTimeoutRetry` keeps
   * writes that must not happen twice (creating a subscription) from retrying 504.
   */
  async write(
    method: GraphWriteMethod,
    path: string,
    body: unknown,
    options: { signal?: AbortSignal; noGatewayTimeoutRetry?: boolean } = {},
  ): Promise<GraphOutcome> {
    return this.send(path, method, body, options.signal, options.noGatewayTimeoutRetry === true);
  }

  /**
   * Sends up to 20 GETs as one `$batch`. Inner 429/503/504 answers are re-posted (only those) after the longest
   * `Retry-After`, up to `maxRetries` times. Resolves with one outcome per request id.
   */
  async batch(requests: readonly BatchGet[], signal?: AbortSignal): Promise<Map<string, GraphOutcome>> {
    if (requests.length > MAX_BATCH) throw new RangeError(`a $batch holds at most ${MAX_BATCH} requests`);
    const outcomes = new Map<string, GraphOutcome>();
    let pending = [...requests];
    const since = this.clock.now();
    for (let attempt = 0; pending.length > 0; attempt++) {
      const outer = await this.send(
        "/$batch",
        "POST",
        { requests: pending.map((r) => ({ id: r.id, method: "GET", url: r.url })) },
        signal,
      );
      if (!outer.ok) {
        for (const r of pending) outcomes.set(r.id, outer);
        return outcomes;
      }
      const parsed = batchResponseSchema.safeParse(outer.body);
      if (!parsed.success) {
        throw new ServiceError(
          "entra",
          "entra.protocol",
          "Microsoft Graph answered a $batch with an unreadable body.",
          200,
          {
            cause: parsed.error,
          },
        );
      }
      const retry: BatchGet[] = [];
      let throttled = false;
      let waitSeconds = 0;
      for (const response of parsed.data.responses) {
        const request = pending.find((r) => r.id === response.id);
        if (request === undefined) continue;
        if (response.status >= 200 && response.status < 300) {
          outcomes.set(response.id, { ok: true, body: response.body });
        } else if (
          STATUSES_RETRIED.has(response.status) &&
          (attempt < this.retryOptions.maxRetries ||
            (response.status === 429 && hasRetryAfter(response.headers) && this.gate.patient(since)))
        ) {
          retry.push(request);
          if (response.status === 429) throttled = true;
          waitSeconds = Math.max(waitSeconds, retryAfterSeconds(response.headers, attempt));
        } else {
          outcomes.set(response.id, { ok: false, failure: failureOf(response.status, response.body) });
        }
      }
      for (const r of pending) {
        if (!outcomes.has(r.id) && !retry.includes(r)) {
          throw new ServiceError(
            "entra",
            "entra.protocol",
            `Microsoft Graph's $batch answer lacks request ${r.id}.`,
            200,
          );
        }
      }
      if (retry.length > 0) {
        this.options.logger.debug(
          `Graph throttled ${retry.length} request(s) inside a $batch; re-posting them in ${waitSeconds.toFixed(1)} s`,
        );
        if (throttled) this.gate.close(waitSeconds);
        else await this.clock.sleep(waitSeconds * 1000, signal);
        await this.gate.wait(signal);
      }
      pending = retry;
    }
    return outcomes;
  }

  private async send(
    path: string,
    method: "GET" | GraphWriteMethod,
    body: unknown,
    signal?: AbortSignal,
    noGatewayTimeoutRetry = false,
  ): Promise<GraphOutcome> {
    const capture = new FailureCapture();
    const retryOptions = noGatewayTimeoutRetry ? this.refusalRetryOptions : this.retryOptions;
    let request = this.client.api(path).middlewareOptions([retryOptions, capture]);
    if (signal !== undefined) request = request.option("signal", signal);
    try {
      const result: unknown =
        method === "GET"
          ? await request.get()
          : method === "POST"
            ? await request.post(body)
            : method === "PATCH"
              ? await request.patch(body)
              : await request.delete();
      return { ok: true, body: result };
    } catch (error) {
      if (error instanceof GraphError && error.statusCode > 0) {
        const location = error.headers?.get("Location") ?? undefined;
        return {
          ok: false,
          failure: {
            status: error.statusCode,
            ...(error.code ? { code: error.code } : {}),
            ...(error.requestId ? { requestId: error.requestId } : {}),
            ...(location ? { location } : {}),
          },
        };
      }
      const original = capture.error ?? error;
      if (original instanceof SyncError) throw original;
      if (signal?.aborted) {
        throw new ServiceError("entra", "entra.aborted", "Reading from Entra was cancelled.", undefined, {
          cause: signal.reason,
        });
      }
      throw mapNetworkFailure(original, "Microsoft Graph", this.options.endpoints.graphEndpoint, "--graph-endpoint");
    }
  }
}

/** The `Retry-After` header's value, whatever its case; undefined when Graph sent none. */
function retryAfterOf(headers: Record<string, string> | undefined): string | undefined {
  if (headers === undefined) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === "retry-after");
  return key === undefined ? undefined : headers[key];
}

function hasRetryAfter(headers: Record<string, string> | undefined): boolean {
  return retryAfterOf(headers) !== undefined;
}

/** Seconds to wait before re-posting a throttled inner request: its `Retry-After`, else exponential from 1 s. */
function retryAfterSeconds(headers: Record<string, string> | undefined, attempt: number): number {
  const fallback = Math.min(2 ** attempt, 30);
  const value = retryAfterOf(headers);
  if (value === undefined) return fallback;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(Math.max(seconds, 0), 180);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return fallback;
  return Math.min(Math.max((date - Date.now()) / 1000, 0), 180);
}

function failureOf(status: number, body: unknown): GraphFailure {
  const envelope = errorEnvelopeSchema.safeParse(body);
  if (!envelope.success) return { status };
  const { code, innerError } = envelope.data.error;
  const requestId = innerError?.["request-id"];
  return { status, ...(code ? { code } : {}), ...(requestId ? { requestId } : {}) };
}
