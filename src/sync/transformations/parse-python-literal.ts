/** A value of the Python literal subset `parsePythonLiteral` reads: strings, lists and dicts with string keys. */
export type PythonLiteral = string | PythonLiteral[] | { [key: string]: PythonLiteral };

export type PythonLiteralResult = { ok: true; value: PythonLiteral } | { ok: false; error: string };

/**
 * Reads the subset of Python literal syntax the original script's rule lists use: `[...]` lists, `{...}` dicts whose
 * keys are strings, and `'...'` or `"..."` strings. Whitespace (newlines included) may appear between tokens and a
 * trailing comma is allowed in lists and dicts. Inside a string only `\\`, `\'` and `\"` are escapes; every other
 * backslash is kept as written (`'\d'` is `\d`), so regexes need no doubling. A raw newline inside a string, numbers,
 * `True`/`False`/`None`, string prefixes (`r''`) and triple quotes are not accepted. A duplicated dict key is an
 * error. Never throws: a syntax error comes back as `{ ok: false, error }` with a line and column.
 */
export function parsePythonLiteral(text: string): PythonLiteralResult {
  const reader = new Reader(text);
  try {
    const value = reader.value();
    reader.skipSpace();
    if (!reader.atEnd()) reader.fail("unexpected text after the end of the list");
    return { ok: true, value };
  } catch (error) {
    if (error instanceof LiteralSyntaxError) return { ok: false, error: error.message };
    throw error;
  }
}

class LiteralSyntaxError extends Error {}

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  fail(message: string, at = this.pos): never {
    const before = this.text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - before.lastIndexOf("\n");
    throw new LiteralSyntaxError(`${message} at line ${line}, column ${column}`);
  }

  value(): PythonLiteral {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === "[") return this.list();
    if (c === "{") return this.dict();
    if (c === "'" || c === '"') return this.string();
    if (c === undefined) this.fail("unexpected end of input; expected a string, list or dict");
    this.fail(`unexpected '${c}'; expected a quoted string, list or dict`);
  }

  /** Reads `open item (, item)* ,? close`, calling `item` for each element. */
  private sequence(close: "]" | "}", item: () => void): void {
    this.pos++; // the opening bracket
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return;
      }
      item();
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ",") this.pos++;
      else if (c !== close)
        this.fail(
          c === undefined
            ? `unexpected end of input; expected ',' or '${close}'`
            : `unexpected '${c}'; expected ',' or '${close}'`,
        );
    }
  }

  private list(): PythonLiteral[] {
    const items: PythonLiteral[] = [];
    this.sequence("]", () => items.push(this.value()));
    return items;
  }

  private dict(): { [key: string]: PythonLiteral } {
    // A Map, then Object.fromEntries: a key such as '__proto__' stays an own, visible key.
    const entries = new Map<string, PythonLiteral>();
    this.sequence("}", () => {
      const keyAt = this.pos;
      const c = this.text[this.pos];
      if (c !== "'" && c !== '"') this.fail("expected a quoted dict key");
      const key = this.string();
      if (entries.has(key)) this.fail(`duplicate key '${key}'`, keyAt);
      this.skipSpace();
      if (this.text[this.pos] !== ":") this.fail(`expected ':' after key '${key}'`);
      this.pos++;
      entries.set(key, this.value());
    });
    return Object.fromEntries(entries);
  }

  private string(): string {
    const start = this.pos;
    const quote = this.text[this.pos++];
    let out = "";
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === "\n" || c === "\r") this.fail("unterminated string", start);
      this.pos++;
      if (c === quote) return out;
      const next = this.text[this.pos];
      if (c === "\\" && (next === "\\" || next === "'" || next === '"')) {
        out += next;
        this.pos++;
      } else {
        out += c;
      }
    }
  }
}
