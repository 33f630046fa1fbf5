import assert from "node:assert/strict";
import { test } from "node:test";
import { compileRoute } from "../../src/serve/match-route.js";

test("compileRoute: literal segments case-insensitively, under the prefix, parameters decoded", () => {
  const cases: [string, string, string, Record<string, string> | undefined][] = [
    ["api", "graph/notifications", "/api/graph/notifications", {}],
    ["api", "graph/notifications", "/API/Graph/Notifications/", {}],
    ["api", "graph/notifications", "/graph/notifications", undefined],
    ["", "status", "/status", {}],
    ["api", "items/{id}", "/api/items/a%20b", { id: "a b" }],
    ["api", "items/{id:int}", "/api/items/7", { id: "7" }],
    ["api", "items/{id?}", "/api/items", {}],
    ["api", "files/{*path}", "/api/files/a/b/c", { path: "a/b/c" }],
    ["api", "items/{id}", "/api/items/1/extra", undefined],
  ];
  for (const [prefix, route, path, expected] of cases) {
    assert.deepEqual(compileRoute(prefix, route)(path), expected, `${prefix} ${route} ${path}`);
  }
});
