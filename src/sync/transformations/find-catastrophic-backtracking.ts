import { type Features, parse, type Quantifier, type RootNode } from "regjsparser";

const FEATURES = { namedGroups: true, lookbehind: true } as const satisfies Features;
type Node = RootNode<typeof FEATURES>;

/**
 * Finds what could make a pattern backtrack exponentially: a repeat (`*`, `+`, `{n,}`, `{n,m}` with m > 1) around a
 * part that can match the same text in more than one way, namely another repeat of variable length (`(a+)+`,
 * `(\w+\s?)*`, `(.*a){12}`) or an alternation (`(a|aa)+`); alternatives of literal text that start with different
 * characters (`(a|b)+`, `(ab|cd)*`) are allowed. Without those shapes, JavaScript's backtracking is polynomial in the value's length, and
 * Entra bounds every attribute value (at most 1,024 characters), so no rule can stall a sync. Returns the reason,
 * or undefined when the pattern is bounded. Parsed as the rules are compiled: JavaScript syntax without the `u` flag.
 */
export function findCatastrophicBacktracking(pattern: string): string | undefined {
  let root: Node;
  try {
    root = parse(pattern, "", FEATURES);
  } catch {
    return "its backtracking cannot be checked (the checker does not read this syntax); write it more plainly";
  }
  const culprit = visit(root, undefined);
  if (culprit === undefined) return undefined;
  return `'${culprit.raw}' repeats a part that can match the same text in several ways, which can take exponential time on some values; rewrite it without a repeat or alternation inside a repeat (alternatives of single characters can be one class such as [ab])`;
}

/** The outermost repeat that holds an ambiguous part, or undefined. `repeat` is the nearest enclosing repeat. */
function visit(node: Node, repeat: Quantifier<typeof FEATURES> | undefined): Quantifier<typeof FEATURES> | undefined {
  switch (node.type) {
    case "quantifier": {
      if (repeat !== undefined && node.min !== node.max) return repeat;
      const repeats = node.max === undefined || node.max > 1;
      return first(node.body, repeats ? node : repeat);
    }
    case "disjunction":
      if (repeat !== undefined && !distinctLiterals(node.body)) return repeat;
      return first(node.body, repeat);
    case "alternative":
    case "group":
      return first(node.body, repeat);
    default:
      return undefined;
  }
}

function first(
  nodes: Node[],
  repeat: Quantifier<typeof FEATURES> | undefined,
): Quantifier<typeof FEATURES> | undefined {
  for (const node of nodes) {
    const found = visit(node, repeat);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Every alternative is literal text and no two start with the same character, so at most one of them can match at any
 * point (`(a|b)+`, `(ab|cd)*`).
 */
function distinctLiterals(alternatives: Node[]): boolean {
  const seen = new Set<number>();
  for (const alternative of alternatives) {
    const start = literalStart(alternative);
    if (start === undefined || seen.has(start)) return false;
    seen.add(start);
  }
  return true;
}

/** The first character of an alternative made only of literal characters, else undefined. */
function literalStart(node: Node): number | undefined {
  if (node.type === "value") return node.codePoint;
  if (node.type !== "alternative" || !node.body.every((part) => part.type === "value")) return undefined;
  const [head] = node.body;
  return head?.type === "value" ? head.codePoint : undefined;
}
