/**
 * Field visibility: admins hide fields (descriptions, tags, ...) per tool and per scope, so the
 * assistant sees only what the question needs. Applied by the pipeline to every structured result
 * before redaction; a hidden value is replaced by an empty value of the same JSON type, so the
 * result still matches the tool's advertised output schema.
 */

import type { HideableField } from "../config/schema.js";

export { HIDEABLE_FIELDS, type HideableField } from "../config/schema.js";

export interface FieldVisibilityRule {
  tools: string[];
  scopes: string[];
  hide: HideableField[];
}

export const HIDDEN_TEXT = "[hidden by admin policy]";

/**
 * Fields made from a hideable field, hidden with it: the kind of client is read from the user
 * agent, the country from the source address. Hiding the source and showing what it gave away
 * would hide nothing.
 */
export const DERIVED_FIELDS: Readonly<Partial<Record<HideableField, readonly string[]>>> = {
  userAgent: ["clientKind"],
  sourceNetwork: ["country", "normalCountries"],
};

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

interface CompiledRule {
  scopes: RegExp[];
  anyScope: boolean;
  hide: ReadonlySet<string>;
}

export interface VisibilityResult {
  value: Record<string, unknown>;
  /** Field names that were hidden somewhere in the result (sorted), for the text and the audit. */
  hidden: string[];
}

/** The scope an object is about, when it says: `scopeId: "..."` or `scope: { id: "..." }`. */
function ownScope(record: Record<string, unknown>): string | undefined {
  if (typeof record.scopeId === "string") return record.scopeId;
  const scope = record.scope;
  if (typeof scope === "object" && scope !== null && typeof (scope as { id?: unknown }).id === "string") return (scope as { id: string }).id;
  return undefined;
}

function emptyLike(value: unknown): unknown {
  if (typeof value === "string") return HIDDEN_TEXT;
  if (Array.isArray(value)) return [];
  if (typeof value === "object" && value !== null) return {};
  return null;
}

/**
 * Hides fields in `value` as the rules for the tool say. `toolNames` are the tool's name and the
 * name of the tool it stands for, if any: a rule naming either applies. `scopeChain(id)` lists a scope and its
 * ancestors, so a rule on a subscription also covers its vaults. `requestedScope` is the scope the
 * call asked for: it applies to objects that do not name their own scope.
 */
export function applyFieldVisibility(
  value: Record<string, unknown>,
  toolNames: readonly string[],
  rules: readonly FieldVisibilityRule[],
  scopeChain: (scopeId: string) => readonly string[],
  requestedScope: string | undefined,
): VisibilityResult {
  const compiled: CompiledRule[] = rules
    .filter((rule) => rule.tools.some((pattern) => toolNames.some((name) => globToRegExp(pattern).test(name))))
    .map((rule) => ({
      scopes: rule.scopes.map(globToRegExp),
      anyScope: rule.scopes.includes("*"),
      hide: new Set<string>(rule.hide.flatMap((field) => [field, ...(DERIVED_FIELDS[field] ?? [])])),
    }));
  if (compiled.length === 0) return { value, hidden: [] };

  const hidden = new Set<string>();
  const byScope = new Map<string | undefined, ReadonlySet<string>>();
  const hiddenFor = (scopeId: string | undefined): ReadonlySet<string> => {
    const known = byScope.get(scopeId);
    if (known) return known;
    const fields = new Set<string>();
    const chain = scopeId === undefined ? [] : [scopeId, ...scopeChain(scopeId)];
    for (const rule of compiled) {
      if (rule.anyScope || chain.some((id) => rule.scopes.some((pattern) => pattern.test(id)))) for (const f of rule.hide) fields.add(f);
    }
    byScope.set(scopeId, fields);
    return fields;
  };

  const walk = (node: unknown, scopeId: string | undefined): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, scopeId));
    if (typeof node !== "object" || node === null) return node;
    const record = node as Record<string, unknown>;
    const scope = ownScope(record) ?? scopeId;
    const hide = hiddenFor(scope);
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(record)) {
      if (hide.has(key) && child !== null && child !== undefined) {
        out[key] = emptyLike(child);
        hidden.add(key);
      } else {
        out[key] = walk(child, scope);
      }
    }
    return out;
  };
  return { value: walk(value, requestedScope) as Record<string, unknown>, hidden: [...hidden].sort() };
}
