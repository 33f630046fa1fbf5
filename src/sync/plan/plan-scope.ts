/**
 * What a snapshot covers, and so what a plan may conclude from what it does not hold.
 *
 * - `full`: every synced group, read whole (the CLI, the timer reconcile). Every rule applies, `deprovision` and the
 *   mirroring of attribute groups included.
 * - `groups`: some synced MI groups, each read whole together with every Entra group that feeds it (a resync of a
 *   delta chain, of a group on demand). Members absent from those groups leave them; attribute groups only gain
 *   members (users outside the snapshot may be the ones that name them); nobody is disabled.
 * - `users`: some users, each read whole: the Entra user, its membership in every synced group, and the MI users it
 *   may be with all their rows; the caller guarantees that every other Entra user claiming one of their usernames or
 *   emails is in the snapshot too (the live path's user ledger). Only those users' memberships change; the guard's
 *   base is unknown; attribute groups only gain; nobody is disabled.
 *
 * Whatever the scope, the same rules decide each user's outcome: a scope only says which users and rows are known.
 */
export type PlanScope = "full" | "groups" | "users";
