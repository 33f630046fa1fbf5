import type { TableClient } from "@azure/data-tables";

/** A held singleton: whose, and the ETag that proves it is still ours. */
export interface HeldLock {
  name: string;
  owner: string;
  etag: string;
}

/** A timer's schedule status, shared by every instance (the host keeps it in storage too). */
export interface ScheduleStatus {
  last: string;
  next: string;
  lastUpdated: string;
}

/** The table `serve` keeps its singletons and timer schedule status in. */
export const HOST_LOCKS_TABLE = "ServeHostLocks";

/**
 * Singletons across processes sharing one storage account: a table row per lock, taken and renewed with ETag
 * optimistic concurrency, expiring `durationMs` after its last renewal by the holder's clock (instances of one app
 * run on clocks kept in step). A killed holder blocks others for at most `durationMs`. Rows are partitioned by host
 * id, so apps sharing an account do not collide.
 */
export class HostLocks {
  constructor(
    private readonly table: TableClient,
    private readonly hostId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Takes the lock if it is free, expired or already ours; undefined when another holder has it. */
  async tryAcquire(name: string, owner: string, durationMs: number): Promise<HeldLock | undefined> {
    const rowKey = `${name}.lock`;
    const current = await this.read(rowKey);
    const entity = { partitionKey: this.hostId, rowKey, owner, expiresAt: this.expiry(durationMs) };
    try {
      if (!current) {
        const created = await this.table.createEntity(entity);
        return { name, owner, etag: created.etag ?? "" };
      }
      if (current.owner !== owner && Date.parse(String(current.expiresAt)) > this.now().getTime()) return undefined;
      const updated = await this.table.updateEntity(entity, "Replace", { etag: current.etag });
      return { name, owner, etag: updated.etag ?? "" };
    } catch (error) {
      if (statusOf(error) === 409 || statusOf(error) === 412) return undefined;
      throw error;
    }
  }

  /** Extends a held lock; undefined when it was lost (expired and taken by another). */
  async renew(lock: HeldLock, durationMs: number): Promise<HeldLock | undefined> {
    const entity = { partitionKey: this.hostId, rowKey: `${lock.name}.lock`, owner: lock.owner };
    try {
      const updated = await this.table.updateEntity({ ...entity, expiresAt: this.expiry(durationMs) }, "Replace", {
        etag: lock.etag,
      });
      return { ...lock, etag: updated.etag ?? "" };
    } catch (error) {
      if (statusOf(error) === 412 || statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Frees a held lock at once. Already lost or gone is fine. */
  async release(lock: HeldLock): Promise<void> {
    try {
      await this.table.deleteEntity(this.hostId, `${lock.name}.lock`, { etag: lock.etag });
    } catch (error) {
      if (statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
    }
  }

  async readStatus(name: string): Promise<ScheduleStatus | undefined> {
    const row = await this.read(`${name}.status`);
    if (!row) return undefined;
    return { last: String(row.last ?? ""), next: String(row.next ?? ""), lastUpdated: String(row.lastUpdated ?? "") };
  }

  async writeStatus(name: string, status: ScheduleStatus): Promise<void> {
    await this.table.upsertEntity({ partitionKey: this.hostId, rowKey: `${name}.status`, ...status }, "Replace");
  }

  private async read(rowKey: string): Promise<(Record<string, unknown> & { etag: string }) | undefined> {
    try {
      return await this.table.getEntity<Record<string, unknown>>(this.hostId, rowKey);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  private expiry(durationMs: number): string {
    return new Date(this.now().getTime() + durationMs).toISOString();
  }
}

const statusOf = (error: unknown): number | undefined =>
  typeof error === "object" && error !== null && "statusCode" in error ? Number(error.statusCode) : undefined;
