/**
 * One `--attributes-transformation` rule as plain, JSON-serialisable data. Rules run in the order given; several may
 * name the same attribute. Build them with `parseTransformationRules`, which has already proved every field valid.
 */
export interface TransformationRule {
  /** The MI-side field: one of `STANDARD_ATTRIBUTES`, or a custom attribute name (its External ID). Never empty. */
  attribute: string;
  /**
   * `match`: the value becomes the first capture group (the whole match when the pattern has none); no match leaves
   * it unchanged. `sub`: every match of `pattern` is replaced by `replacement`.
   */
  method: "match" | "sub";
  /** A JavaScript regular expression source, without flags. `match` is unanchored unless it says `^`. Never empty. */
  pattern: string;
  /**
   * Present exactly when `method` is `sub`: a JavaScript `String.prototype.replace` template. Group references are
   * `$1`..`$99` or `$<name>` and each names a group the pattern has; `$$` is a literal dollar. `$&`, `` $` ``, `$'`
   * never appear (a dollar the user wrote as text is stored as `$$`).
   */
  replacement?: string;
}

/** The five standard MI user fields a rule may name; anything else is a custom attribute. */
export const STANDARD_ATTRIBUTES = ["username", "first_name", "last_name", "email", "trusted_server_username"] as const;

export type StandardAttribute = (typeof STANDARD_ATTRIBUTES)[number];
