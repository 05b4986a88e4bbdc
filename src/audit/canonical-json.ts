/**
 * Canonical JSON: object keys sorted by UTF-16 code unit, no whitespace, `undefined` members
 * dropped, non-finite numbers written as null (as JSON.stringify does). Two equal values always
 * serialize to the same text, so the text can be hashed and the hash re-checked after a round trip
 * through SQLite.
 */
export function canonicalJson(value: unknown): string {
  const out = write(value);
  return out ?? "null";
}

function write(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return JSON.stringify(value.toString());
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "object":
      break;
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === "function") return write(withToJson.toJSON());
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (const item of value) parts.push(write(item) ?? "null");
    return `[${parts.join(",")}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const member = write(record[key]);
    if (member !== undefined) parts.push(`${JSON.stringify(key)}:${member}`);
  }
  return `{${parts.join(",")}}`;
}
