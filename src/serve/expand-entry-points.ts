import { readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * The files a package.json `main` names, relative to `root`, sorted: a plain path, or a glob whose segments may use
 * `*` and `?` (within a segment) and `**` (any depth), as the Functions worker accepts (it uses globby). Dot files
 * and `node_modules` are never matched by a wildcard.
 */
export function expandEntryPoints(root: string, pattern: string): string[] {
  const segments = pattern.replace(/^\.\//, "").split("/").filter(Boolean);
  const found: string[] = [];
  const walk = (dir: string, relative: string[], rest: string[]): void => {
    const [segment, ...tail] = rest;
    if (segment === undefined) return;
    const entries = listDir(join(root, ...relative, dir));
    if (segment === "**") {
      walk(dir, relative, tail);
      for (const entry of entries) {
        if (entry.directory && isWildcardVisible(entry.name)) walk("", [...relative, dir, entry.name], rest);
      }
      return;
    }
    const matcher = segmentMatcher(segment);
    for (const entry of entries) {
      if (!matcher(entry.name)) continue;
      const path = [...relative, dir, entry.name].filter(Boolean);
      if (tail.length === 0) {
        if (!entry.directory) found.push(path.join("/"));
      } else if (entry.directory) {
        walk("", path, tail);
      }
    }
  };
  walk("", [], segments);
  return [...new Set(found)].sort();
}

function listDir(dir: string): { name: string; directory: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((d) => ({ name: d.name, directory: d.isDirectory() }));
  } catch {
    return [];
  }
}

const isWildcardVisible = (name: string): boolean => !name.startsWith(".") && name !== "node_modules";

function segmentMatcher(segment: string): (name: string) => boolean {
  if (!/[*?]/.test(segment)) return (name) => name === segment;
  const source = segment
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, "[^/]");
  const regex = new RegExp(`^${source}$`);
  return (name) => isWildcardVisible(name) && regex.test(name);
}
