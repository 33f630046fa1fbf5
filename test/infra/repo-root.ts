import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The repository's root, from test/infra (tsx) and dist/test/infra (compiled) alike. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "infra", "main.bicep"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("test/infra: cannot find infra/main.bicep above the test");
    dir = parent;
  }
  return dir;
}
