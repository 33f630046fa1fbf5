/** A compiled HTTP trigger route: the parameters a path fills in, or undefined when it does not match. */
export type RouteMatcher = (path: string) => Record<string, string> | undefined;

/**
 * Compiles a Functions route template (ASP.NET style): literal segments match case-insensitively; `{name}` is one
 * segment, `{name?}` an optional last one, `{*name}` the rest of the path; `{name:constraint}` is taken as `{name}`
 * (constraints are not checked). `prefix` is host.json's routePrefix.
 */
export function compileRoute(prefix: string, route: string): RouteMatcher {
  const segments = [...prefix.split("/"), ...route.split("/")].filter((s) => s !== "");
  const names: string[] = [];
  let source = "";
  for (const segment of segments) {
    const parameter = /^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?(\?)?\}$/.exec(segment);
    if (!parameter) {
      source += `/${escapeRegExp(segment)}`;
      continue;
    }
    const [, rest, name = "", optional] = parameter;
    names.push(name);
    if (rest) source += "(?:/(.*))?";
    else if (optional) source += "(?:/([^/]+))?";
    else source += "/([^/]+)";
  }
  const regex = new RegExp(`^${source || "/"}/?$`, "i");
  return (path) => {
    const match = regex.exec(path);
    if (!match) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      const value = match[i + 1];
      if (value !== undefined) params[name] = decodeURIComponent(value);
    });
    return params;
  };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
