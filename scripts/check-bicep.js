#!/usr/bin/env node
// The strongest Bicep check this machine can run. No Bicep compiler can be installed here (see
// ../shared/notes/toolchain.md), so this parses every file with the tree-sitter Bicep grammar (WASM, no native build)
// and then checks what a parse tree can show:
//   1. syntax: every ERROR or MISSING node, as file:line:col;
//   2. modules: every local `module` path points to an existing file; every `params` key it passes is a `param` of
//      that module; every module `param` without a default is passed; every `<module>.outputs.<name>` it reads is an
//      `output` of that module;
//   3. parameters: for a `main.bicep`, the example parameters file beside it (main.parameters.example.json) names
//      every `param` without a default, names no `param` that does not exist, and holds no value for a @secure() one;
//   4. secrets: no string literal (nor example parameter value) looks like a secret (private key, storage account
//      key, SAS signature, Entra client secret, function key, long base64 run), and no @secure() param has a
//      non-empty default.
// It does not type-check, resolve resource schemas or produce ARM JSON: `az bicep build` in the deploy pipeline does.
//
// Usage: node scripts/check-bicep.js [file.bicep ...]    (no arguments: every .bicep under infra/)
// Prints `file: OK` or `file:line:col: message` lines; exits 1 when any check fails.

const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const EXAMPLE_PARAMETERS = "main.parameters.example.json";

/** Creates a parser for Bicep (web-tree-sitter 0.22.x: `hasError` and `isMissing` are properties). */
async function createParser() {
  const Parser = require("web-tree-sitter");
  await Parser.init();
  const bicep = await Parser.Language.load(require.resolve("tree-sitter-bicep/tree-sitter-bicep.wasm"));
  const parser = new Parser();
  parser.setLanguage(bicep);
  return parser;
}

const flag = (value, node) => (typeof value === "function" ? value.call(node) : Boolean(value));

/** Every ERROR or MISSING node, outermost first. */
function syntaxErrors(root) {
  const found = [];
  const walk = (node) => {
    if (node.type === "ERROR") {
      found.push({ node, message: "syntax error" });
      return;
    }
    if (flag(node.isMissing, node)) {
      found.push({ node, message: `syntax error (missing ${node.type})` });
      return;
    }
    if (flag(node.hasError, node)) for (const child of node.children) walk(child);
  };
  walk(root);
  return found;
}

/** The text of a string node with every interpolation replaced by NUL, or undefined if the node is not a string. */
function stringValue(node) {
  if (node?.type !== "string") return undefined;
  const text = node.text;
  if (text.startsWith("'''")) return text.slice(3, -3);
  let value = "";
  for (const child of node.namedChildren) {
    if (child.type === "interpolation") value += "\u0000";
    else if (child.type === "escape_sequence") value += child.text.slice(1);
    else value += child.text;
  }
  return value;
}

function decoratorNames(decoratorsNode) {
  if (!decoratorsNode) return [];
  return decoratorsNode.namedChildren
    .filter((d) => d.type === "decorator")
    .map((d) => {
      const call = d.namedChildren[0];
      const fn = call?.childForFieldName?.("function") ?? call?.namedChildren[0];
      return (fn?.text ?? "").replace(/^sys\./, "");
    });
}

/** The top-level declarations this checker needs: params, outputs and modules. */
function declarations(root) {
  const params = [];
  const outputs = [];
  const modules = [];
  let decorators;
  for (const node of root.namedChildren) {
    if (node.type === "comment" || node.type === "diagnostic_comment") continue;
    if (node.type === "decorators") {
      decorators = node;
      continue;
    }
    const names = decoratorNames(decorators);
    decorators = undefined;
    const named = node.namedChildren.filter((c) => c.type !== "comment");
    if (node.type === "parameter_declaration") {
      // param <identifier> <type> [= <default>]
      const value = named[2];
      params.push({ name: named[0]?.text, node, secure: names.includes("secure"), defaultNode: value });
    } else if (node.type === "output_declaration") {
      outputs.push({ name: named[0]?.text, node });
    } else if (node.type === "module_declaration") {
      const body = named.slice(2).find((c) => c.type === "object" || c.type === "if_statement");
      const object = body?.type === "if_statement" ? body.namedChildren.find((c) => c.type === "object") : body;
      const paramsProperty = object?.namedChildren.find(
        (p) => p.type === "object_property" && p.namedChildren[0]?.text === "params",
      );
      const passed = (paramsProperty?.namedChildren[1]?.namedChildren ?? [])
        .filter((p) => p.type === "object_property")
        .map((p) => ({ name: p.namedChildren[0]?.text.replace(/^'|'$/g, ""), node: p }));
      modules.push({ symbol: named[0]?.text, pathNode: named[1], path: stringValue(named[1]), passed, node });
    }
  }
  return { params, outputs, modules };
}

/** Every string node in the tree. */
function strings(root) {
  const found = [];
  const walk = (node) => {
    if (node.type === "string") found.push(node);
    for (const child of node.namedChildren) walk(child);
  };
  walk(root);
  return found;
}

/** Every `<symbol>.outputs.<name>` member access, as { symbol, name, node }. */
function outputReads(root) {
  const found = [];
  const walk = (node) => {
    if (node.type === "member_expression") {
      const object = node.childForFieldName("object");
      const property = node.childForFieldName("property");
      if (object?.type === "member_expression") {
        const inner = object.childForFieldName("object");
        const middle = object.childForFieldName("property");
        if (inner?.type === "identifier" && middle?.text === "outputs" && property) {
          found.push({ symbol: inner.text, name: property.text, node });
        }
      }
    }
    for (const child of node.namedChildren) walk(child);
  };
  walk(root);
  return found;
}

const SECRET_PATTERNS = [
  { re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, what: "a PEM private key" },
  { re: /-----BEGIN CERTIFICATE-----/, what: "a PEM certificate" },
  { re: /AccountKey=[A-Za-z0-9+/]{16,}/, what: "a storage account key" },
  { re: /SharedAccessSignature=|[?&]sig=[A-Za-z0-9%+/=]{16,}/, what: "a SAS signature" },
  { re: /(^|[^A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{30,}/, what: "an Entra client secret" },
  { re: /[?&]code=[A-Za-z0-9_\-=]{20,}/, what: "a function key" },
  { re: /InstrumentationKey=[0-9a-fA-F-]{36}/, what: "an Application Insights key" },
];

/** Why a literal looks like a secret, or undefined. Interpolations (NUL) never count as secret text. */
function secretReason(value) {
  for (const { re, what } of SECRET_PATTERNS) if (re.test(value)) return what;
  for (const run of value.match(/[A-Za-z0-9+/]{40,}={0,2}/g) ?? []) {
    if (/[0-9]/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run)) return "a long base64 value (a key?)";
  }
  return undefined;
}

function position(node) {
  return `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
}

function relative(file) {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}

/** Finds the line:col of `"key"` in JSON text, for messages; 1:1 when not found. */
function jsonPosition(text, key) {
  const index = text.indexOf(`"${key}"`);
  if (index < 0) return "1:1";
  const before = text.slice(0, index).split("\n");
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** Parses a file (cached), returning { tree, decls } or { error }. */
function makeLoader(parser) {
  const cache = new Map();
  return (file) => {
    if (!cache.has(file)) {
      let entry;
      try {
        const tree = parser.parse(fs.readFileSync(file, "utf8"));
        entry = { tree, decls: declarations(tree.rootNode) };
      } catch (error) {
        entry = { error: error.code === "ENOENT" ? "file not found" : `cannot read (${error.message})` };
      }
      cache.set(file, entry);
    }
    return cache.get(file);
  };
}

function checkModules(file, decls, tree, load, report) {
  const bySymbol = new Map();
  for (const mod of decls.modules) {
    if (mod.path === undefined || mod.path.includes("\u0000")) {
      report(mod.node, "module path must be a literal string");
      continue;
    }
    // Registry (br:, br/) and template spec (ts:, ts/) references cannot be checked offline.
    if (/^(br|ts)[:/]/.test(mod.path)) continue;
    const target = path.resolve(path.dirname(file), mod.path);
    if (!fs.existsSync(target)) {
      report(mod.pathNode, `module path '${mod.path}' does not exist`);
      continue;
    }
    const loaded = load(target);
    if (loaded.error) {
      report(mod.pathNode, `module '${mod.path}': ${loaded.error}`);
      continue;
    }
    if (syntaxErrors(loaded.tree.rootNode).length > 0) continue; // reported when that file is checked
    bySymbol.set(mod.symbol, { mod, decls: loaded.decls });
    const declared = new Set(loaded.decls.params.map((p) => p.name));
    const passed = new Set(mod.passed.map((p) => p.name));
    for (const p of mod.passed) {
      if (!declared.has(p.name)) report(p.node, `module '${mod.path}' has no param '${p.name}'`);
    }
    for (const p of loaded.decls.params) {
      if (p.defaultNode === undefined && !passed.has(p.name)) {
        report(mod.node, `module '${mod.path}': required param '${p.name}' is not passed`);
      }
    }
  }
  for (const read of outputReads(tree.rootNode)) {
    const entry = bySymbol.get(read.symbol);
    if (entry && !entry.decls.outputs.some((o) => o.name === read.name)) {
      report(read.node, `module '${entry.mod.path}' has no output '${read.name}'`);
    }
  }
}

function checkSecrets(decls, tree, report) {
  for (const node of strings(tree.rootNode)) {
    const value = stringValue(node);
    const reason = value === undefined ? undefined : secretReason(value);
    if (reason) report(node, `string literal looks like ${reason}; pass secrets as @secure() params`);
  }
  for (const p of decls.params) {
    if (!p.secure || p.defaultNode === undefined) continue;
    const value = stringValue(p.defaultNode);
    if (value !== "") report(p.defaultNode, `@secure() param '${p.name}' must not have a non-empty default`);
  }
}

function checkExampleParameters(file, decls, out) {
  const example = path.join(path.dirname(file), EXAMPLE_PARAMETERS);
  const shown = relative(example);
  let text;
  let json;
  try {
    text = fs.readFileSync(example, "utf8");
    json = JSON.parse(text);
  } catch (error) {
    out.push(`${shown}:1:1: ${error.code === "ENOENT" ? "missing" : `not valid JSON (${error.message})`}`);
    return;
  }
  const given = json && typeof json.parameters === "object" && json.parameters !== null ? json.parameters : {};
  const declared = new Map(decls.params.map((p) => [p.name, p]));
  for (const p of decls.params) {
    if (p.defaultNode === undefined && !(p.name in given)) {
      out.push(
        `${shown}:${jsonPosition(text, "parameters")}: param '${p.name}' of ${relative(file)} has no default and is missing here`,
      );
    }
  }
  for (const [name, entry] of Object.entries(given)) {
    const p = declared.get(name);
    if (!p) {
      out.push(`${shown}:${jsonPosition(text, name)}: '${name}' is not a param of ${relative(file)}`);
      continue;
    }
    const value = entry && typeof entry === "object" && "value" in entry ? entry.value : undefined;
    if (p.secure && value !== undefined && value !== "") {
      out.push(
        `${shown}:${jsonPosition(text, name)}: @secure() param '${name}' must not have a value in an example file`,
      );
    }
    for (const literal of JSON.stringify(value ?? null).match(/"(?:[^"\\]|\\.)*"/g) ?? []) {
      const reason = secretReason(JSON.parse(literal));
      if (reason) out.push(`${shown}:${jsonPosition(text, name)}: value of '${name}' looks like ${reason}`);
    }
  }
}

function findBicepFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return findBicepFiles(full);
      return entry.name.endsWith(".bicep") ? [full] : [];
    })
    .sort();
}

/** Checks the files; returns { lines, failed }. */
async function checkFiles(files) {
  const parser = await createParser();
  const load = makeLoader(parser);
  const lines = [];
  let failed = 0;
  for (const file of files) {
    const shown = relative(file);
    const loaded = load(file);
    if (loaded.error) {
      lines.push(`${shown}: ${loaded.error}`);
      failed++;
      continue;
    }
    const problems = [];
    const report = (node, message) => problems.push(`${shown}:${position(node)}: ${message}`);
    const errors = syntaxErrors(loaded.tree.rootNode);
    for (const e of errors) report(e.node, e.message);
    if (errors.length === 0) {
      checkModules(file, loaded.decls, loaded.tree, load, report);
      checkSecrets(loaded.decls, loaded.tree, report);
      if (path.basename(file) === "main.bicep") checkExampleParameters(file, loaded.decls, problems);
    }
    if (problems.length > 0) {
      failed++;
      lines.push(...problems);
    } else {
      lines.push(`${shown}: OK`);
    }
  }
  return { lines, failed };
}

async function main() {
  const args = process.argv.slice(2);
  const files = args.length > 0 ? args.map((a) => path.resolve(a)) : findBicepFiles(path.join(ROOT, "infra"));
  if (files.length === 0) {
    console.error("check-bicep: no .bicep files given or found under infra/");
    process.exit(1);
  }
  const { lines, failed } = await checkFiles(files);
  for (const line of lines) console.log(line);
  if (failed > 0) console.log(`check-bicep: ${failed} of ${files.length} file(s) failed`);
  process.exit(failed > 0 ? 1 : 0);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`check-bicep: ${error?.stack ?? error}`);
    process.exit(1);
  });
}

module.exports = { checkFiles, secretReason };
