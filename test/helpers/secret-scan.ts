import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { QueueServiceClient } from "@azure/storage-queue";

// Helpers of the secret scan (test/security/no-secret-anywhere.test.ts): what was written, what counts as a secret
// showing, and where to find bytes the product wrote without printing them (MI session tokens, storage).

/** Everything written, by where it was written. */
export class Written {
  readonly parts: { where: string; text: string }[] = [];
  add(where: string, text: unknown): void {
    this.parts.push({ where, text: typeof text === "string" ? text : JSON.stringify(text) });
  }
}

/** A secret and the fragments of it that must not appear either (a PEM key line is as bad as the whole key). */
export interface Secret {
  name: string;
  fragments: string[];
}

export const plain = (name: string, value: string): Secret => ({ name, fragments: [value] });

export function pemSecret(name: string, pem: string): Secret {
  const lines = pem.split(/\r?\n/).filter((l) => l.length >= 40 && !l.startsWith("-----"));
  return { name, fragments: [pem.trim(), ...lines] };
}

export function leaks(written: Written, secrets: Secret[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const { where, text } of written.parts) {
      if (secret.fragments.some((f) => text.includes(f))) found.push(`${secret.name} in ${where}`);
    }
  }
  return [...new Set(found)];
}

/** A base64 PKCS#12 of the certificate, as a Key Vault certificate reference hands it to an app setting. */
export function pfxBase64(certPem: string, keyPem: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mi-pfx-"));
  writeFileSync(join(dir, "cert.pem"), `${certPem}\n${keyPem}`);
  const made = spawnSync("openssl", ["pkcs12", "-export", "-in", join(dir, "cert.pem"), "-passout", "pass:"], {
    maxBuffer: 1 << 20,
  });
  // Without openssl, random bytes of a PFX's size stand in: the app reads neither, it must only never echo them.
  return made.status === 0 && made.stdout.length > 0
    ? made.stdout.toString("base64")
    : randomBytes(2_500).toString("base64");
}

/** An http forwarder in front of the MI simulator that keeps every session token `get_token` hands out. */
export async function recordSessionTokens(
  target: string,
  tokens: Set<string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          const token = /"token"\s*:\s*"([^"]+)"/.exec(body.toString("utf8"))?.[1];
          if (token) tokens.add(token);
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(body);
        });
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every row of every table, and every message waiting in every queue, of a storage account. */
export async function storageContents(connectionString: string, written: Written): Promise<void> {
  const options = { allowInsecureConnection: true };
  const service = TableServiceClient.fromConnectionString(connectionString, options);
  for await (const table of service.listTables()) {
    const client = TableClient.fromConnectionString(connectionString, table.name ?? "", options);
    for await (const row of client.listEntities()) written.add(`table ${table.name}`, row);
  }
  const queues = QueueServiceClient.fromConnectionString(connectionString);
  for await (const queue of queues.listQueues()) {
    const peeked = await queues.getQueueClient(queue.name).peekMessages({ numberOfMessages: 32 });
    for (const m of peeked.peekedMessageItems) written.add(`queue ${queue.name}`, m.messageText);
  }
}
