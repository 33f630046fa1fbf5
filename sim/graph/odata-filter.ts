import { badRequest } from "./graph-response.js";

/** A literal in a `$filter`. */
export type FilterLiteral = string | number | boolean | null;

/** Parsed `$filter` expression (the subset Entra supports for users and groups). */
export type FilterExpr =
  | { kind: "and" | "or"; left: FilterExpr; right: FilterExpr }
  | { kind: "not"; operand: FilterExpr }
  | { kind: "compare"; op: "eq" | "ne" | "ge" | "le" | "gt" | "lt"; property: string; value: FilterLiteral }
  | { kind: "in"; property: string; values: FilterLiteral[] }
  | { kind: "function"; name: "startswith" | "endswith"; property: string; value: string };

type Token =
  | { type: "word"; text: string }
  | { type: "string"; text: string }
  | { type: "punct"; text: "(" | ")" | "," };

/** Parses `$filter` text; a syntax error is a 400 `BadRequest` like Graph's OData layer gives. */
export function parseFilter(text: string): FilterExpr {
  const parser = new Parser(tokenize(text));
  const expr = parser.parseOr();
  if (!parser.atEnd()) throw invalidFilter();
  return expr;
}

function invalidFilter(): Error {
  return badRequest("Invalid filter clause", "BadRequest");
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ type: "punct", text: ch });
      i += 1;
    } else if (ch === "'") {
      // OData escapes a quote inside a string literal by doubling it: 'O''Brien' (contract §1.1).
      let value = "";
      i += 1;
      for (;;) {
        if (i >= text.length) throw invalidFilter();
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += text[i];
        i += 1;
      }
      tokens.push({ type: "string", text: value });
    } else {
      const match = /^[^\s(),']+/.exec(text.slice(i));
      if (!match) throw invalidFilter();
      tokens.push({ type: "word", text: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  atEnd(): boolean {
    return this.position >= this.tokens.length;
  }

  parseOr(): FilterExpr {
    let left = this.parseAnd();
    while (this.peekWord("or")) {
      this.position += 1;
      left = { kind: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterExpr {
    let left = this.parseUnary();
    while (this.peekWord("and")) {
      this.position += 1;
      left = { kind: "and", left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterExpr {
    if (this.peekWord("not")) {
      this.position += 1;
      return { kind: "not", operand: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterExpr {
    const token = this.next();
    if (token.type === "punct" && token.text === "(") {
      const inner = this.parseOr();
      this.expectPunct(")");
      return inner;
    }
    if (token.type !== "word") throw invalidFilter();
    const name = token.text.toLowerCase();
    if ((name === "startswith" || name === "endswith") && this.peekPunct("(")) {
      this.position += 1;
      const property = this.expectWord();
      this.expectPunct(",");
      const value = this.parseLiteral();
      this.expectPunct(")");
      if (typeof value !== "string") throw invalidFilter();
      return { kind: "function", name, property, value };
    }
    const property = token.text;
    const op = this.expectWord().toLowerCase();
    if (op === "in") {
      this.expectPunct("(");
      const values: FilterLiteral[] = [this.parseLiteral()];
      while (this.peekPunct(",")) {
        this.position += 1;
        values.push(this.parseLiteral());
      }
      this.expectPunct(")");
      return { kind: "in", property, values };
    }
    if (op === "eq" || op === "ne" || op === "ge" || op === "le" || op === "gt" || op === "lt") {
      return { kind: "compare", op, property, value: this.parseLiteral() };
    }
    throw invalidFilter();
  }

  private parseLiteral(): FilterLiteral {
    const token = this.next();
    if (token.type === "string") return token.text;
    if (token.type !== "word") throw invalidFilter();
    const lower = token.text.toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
    if (lower === "null") return null;
    if (/^-?\d+(\.\d+)?$/.test(token.text)) return Number(token.text);
    throw invalidFilter();
  }

  private next(): Token {
    const token = this.tokens[this.position];
    if (!token) throw invalidFilter();
    this.position += 1;
    return token;
  }

  private expectWord(): string {
    const token = this.next();
    if (token.type !== "word") throw invalidFilter();
    return token.text;
  }

  private expectPunct(text: "(" | ")" | ","): void {
    const token = this.next();
    if (token.type !== "punct" || token.text !== text) throw invalidFilter();
  }

  private peekWord(word: string): boolean {
    const token = this.tokens[this.position];
    return token?.type === "word" && token.text.toLowerCase() === word;
  }

  private peekPunct(text: string): boolean {
    const token = this.tokens[this.position];
    return token?.type === "punct" && token.text === text;
  }
}

/** Operators that need `ConsistencyLevel: eventual` + `$count=true` (contract §1.1, aad-advanced-queries). */
export function advancedOperatorIn(expr: FilterExpr): string | undefined {
  switch (expr.kind) {
    case "and":
    case "or":
      return advancedOperatorIn(expr.left) ?? advancedOperatorIn(expr.right);
    case "not":
      return "not";
    case "compare":
      return expr.op === "ne" ? "ne" : undefined;
    case "function":
      return expr.name === "endswith" ? "endsWith" : undefined;
    case "in":
      return undefined;
  }
}

/** Property names a filter references, for validation against the entity type. */
export function filterProperties(expr: FilterExpr): string[] {
  switch (expr.kind) {
    case "and":
    case "or":
      return [...filterProperties(expr.left), ...filterProperties(expr.right)];
    case "not":
      return filterProperties(expr.operand);
    default:
      return [expr.property];
  }
}

/**
 * Evaluates a filter against a plain object; property names match case-insensitively and strings compare
 * case-insensitively ([Inference] contract §1.1: Entra compares filter strings that way).
 */
export function evaluateFilter(expr: FilterExpr, item: object): boolean {
  switch (expr.kind) {
    case "and":
      return evaluateFilter(expr.left, item) && evaluateFilter(expr.right, item);
    case "or":
      return evaluateFilter(expr.left, item) || evaluateFilter(expr.right, item);
    case "not":
      return !evaluateFilter(expr.operand, item);
    case "in": {
      const actual = normalise(readProperty(item, expr.property));
      return expr.values.some((value) => normalise(value) === actual);
    }
    case "function": {
      const actual = readProperty(item, expr.property);
      if (typeof actual !== "string") return false;
      const [haystack, needle] = [actual.toLowerCase(), expr.value.toLowerCase()];
      return expr.name === "startswith" ? haystack.startsWith(needle) : haystack.endsWith(needle);
    }
    case "compare":
      return compare(expr.op, normalise(readProperty(item, expr.property)), normalise(expr.value));
  }
}

function compare(op: string, actual: FilterLiteral, expected: FilterLiteral): boolean {
  if (op === "eq") return actual === expected;
  if (op === "ne") return actual !== expected;
  if (actual === null || expected === null) return false;
  if (op === "ge") return actual >= expected;
  if (op === "le") return actual <= expected;
  if (op === "gt") return actual > expected;
  return actual < expected;
}

/** Reads `a` or `a/b` (e.g. `onPremisesExtensionAttributes/extensionAttribute1`), names case-insensitive. */
export function readProperty(item: unknown, property: string): unknown {
  let current: unknown = item;
  for (const segment of property.toLowerCase().split("/")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = Object.entries(current).find(([key]) => key.toLowerCase() === segment)?.[1];
  }
  return current;
}

function normalise(value: unknown): FilterLiteral {
  if (typeof value === "string") return value.toLowerCase();
  if (typeof value === "number" || typeof value === "boolean") return value;
  return null;
}
