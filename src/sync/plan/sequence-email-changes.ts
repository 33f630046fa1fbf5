import type { MiIndex } from "./plan-context.js";
import { lower } from "./plan-context.js";
import type { PlanOperation } from "./plan-model.js";

type UpdateUser = Extract<PlanOperation, { op: "updateUser" }>;

/** Where an email is parked while two MI users swap theirs (RFC 2606 reserves `.invalid`; it never delivers). */
export function parkedEmail(miUserId: string): string {
  return `mi-o365-usersync.parked.${miUserId}@swap.invalid`;
}

/**
 * MI keeps emails unique, so an update that takes an email another MI user is giving up in the same plan must wait
 * for that user's update: each such update gets a later `wave` (apply runs the waves of a kind in order). Where the
 * takers form a cycle (two users swapping emails), the cycle's member with the lowest MI id first parks its email at
 * `parkedEmail` (an extra update in wave 0), which frees it for the next one. Mutates and appends to `operations`.
 */
export function sequenceEmailChanges(operations: PlanOperation[], index: MiIndex): void {
  const changes = operations.filter(
    (o): o is UpdateUser =>
      o.op === "updateUser" && o.after.email !== undefined && lower(o.after.email) !== lower(o.before.email ?? ""),
  );
  if (changes.length < 2) return;
  const byUser = new Map(changes.map((o) => [o.miUserId, o]));
  /** The update that must run first: the one of the MI user holding the email this one takes. */
  const holderOf = (o: UpdateUser): UpdateUser | undefined => {
    const holder = index.byEmail.get(lower(o.after.email ?? ""));
    return holder && holder.id !== o.miUserId ? byUser.get(holder.id) : undefined;
  };
  const parked = new Set<string>();
  for (const start of changes) {
    const path: UpdateUser[] = [];
    let at: UpdateUser | undefined = start;
    while (at && !path.includes(at) && !parked.has(at.miUserId)) {
      path.push(at);
      at = holderOf(at);
    }
    if (at && path.includes(at)) {
      const cycle = path.slice(path.indexOf(at));
      const first = cycle.reduce((a, b) =>
        Number(a.miUserId) <= Number(b.miUserId) && a.miUserId <= b.miUserId ? a : b,
      );
      parked.add(first.miUserId);
    }
  }
  const waves = new Map<UpdateUser, number>();
  const waveOf = (o: UpdateUser): number => {
    const known = waves.get(o);
    if (known !== undefined) return known;
    const holder = holderOf(o);
    const wave = holder === undefined ? 0 : parked.has(holder.miUserId) ? 1 : 1 + waveOf(holder);
    waves.set(o, wave);
    return wave;
  };
  for (const o of changes) {
    const wave = waveOf(o);
    if (wave > 0) o.wave = wave;
  }
  for (const id of parked) {
    const final = byUser.get(id) as UpdateUser;
    operations.push({
      op: "updateUser",
      miUserId: id,
      username: final.username,
      entraUserId: final.entraUserId,
      before: { email: final.before.email ?? "" },
      after: { email: parkedEmail(id) },
      reason: `email swap: '${final.before.email}' parked so that another user can take it`,
    });
  }
}
