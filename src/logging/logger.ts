/**
 * The one logging surface adapters and the engine write to. The CLI renders it on stderr (debug lines only with -v);
 * the Functions app will route it to the invocation context. Messages never hold a secret: callers log ids, names and
 * counts, never tokens, keys or request bodies that carry credentials.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };
