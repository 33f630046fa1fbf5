/** An OData string literal: single-quoted, a `'` inside doubled (`O'Brien` → `'O''Brien'`). Not URL-encoded. */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
