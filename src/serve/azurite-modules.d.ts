// Type declarations for the Azurite internals that `start-azurite.ts` (beside this file) deep-imports. Azurite ships
// no `.d.ts` and no `exports` map, so these CommonJS paths resolve but are untyped. The constructors are declared as returning
// `unknown` on purpose: `start-azurite.ts` narrows the servers to the few members it calls. The argument lists are
// Azurite 3.35.0's (pinned exactly in package.json); they change between versions.
//
// This file must not be named `azurite.d.ts`: next to a module named `azurite.ts`, tsc would take it for that module's
// declaration output and ignore it (TS7016).

declare module "azurite/dist/src/table/TableServer" {
  const TableServer: new (configuration: unknown) => unknown;
  export default TableServer;
}

declare module "azurite/dist/src/table/TableConfiguration" {
  const TableConfiguration: new (...args: unknown[]) => unknown;
  export default TableConfiguration;
}

declare module "azurite/dist/src/queue/QueueServer" {
  const QueueServer: new (configuration: unknown) => unknown;
  export default QueueServer;
}

declare module "azurite/dist/src/queue/QueueConfiguration" {
  const QueueConfiguration: new (...args: unknown[]) => unknown;
  export default QueueConfiguration;
}
