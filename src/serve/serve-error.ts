/** The exit statuses of contracts/serve.md, by name. */
export const ServeExitStatus = {
  stopped: 0,
  failed: 1,
  usage: 2,
  storageUnreachable: 5,
} as const;

export type ServeExitStatus = (typeof ServeExitStatus)[keyof typeof ServeExitStatus];

/**
 * Why `serve` cannot start. `message` is one line for the admin that names the option, setting or file to fix; it
 * never holds a secret (connection strings and keys are never quoted).
 */
export class ServeError extends Error {
  override readonly name = "ServeError";
  constructor(
    readonly exitStatus: ServeExitStatus,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
