/**
 * IAM policy documents → model statements. IAM returns documents URL-encoded (RFC 3986) inside
 * XML; Organizations returns plain JSON. Single values and arrays are both legal everywhere, so
 * everything is normalized to arrays; bare account ids in principals become root ARNs.
 */
import type { Condition, Statement } from "../../../model/inventory.js";

export class PolicyDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyDocumentError";
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function tryDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Parses a policy document that may be URL-encoded (possibly twice, or with `+` for spaces) or plain JSON. */
export function decodePolicyDocument(raw: string): unknown {
  let text = raw.trim();
  for (let round = 0; round < 3; round++) {
    const parsed = text.startsWith("{") ? tryParse(text) : undefined;
    if (parsed !== undefined) return parsed;
    const decoded = tryDecode(text);
    if (decoded !== undefined && decoded !== text) {
      text = decoded.trim();
      continue;
    }
    // Form encoding writes spaces as "+", which RFC 3986 decoding leaves in place.
    const plusDecoded = tryDecode(text.replace(/\+/g, "%20"))?.trim();
    const viaPlus = plusDecoded?.startsWith("{") ? tryParse(plusDecoded) : undefined;
    if (viaPlus !== undefined) return viaPlus;
    break;
  }
  throw new PolicyDocumentError("not a JSON policy document (neither plain nor URL-encoded JSON)");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  return items.filter((item) => item !== null && item !== undefined).map((item) => String(item));
}

const BARE_ACCOUNT = /^\d{12}$/;

/** A trust or resource policy principal in the model's `from` form. */
export function normalizePrincipal(type: string, value: string, partition: string): string {
  if (value === "*") return "*";
  switch (type) {
    case "AWS":
      return BARE_ACCOUNT.test(value) ? `arn:${partition}:iam::${value}:root` : value;
    case "Service":
      return `service:${value}`;
    case "Federated":
      return `federated:${value}`;
    case "CanonicalUser":
      return `canonical:${value}`;
    default:
      return `${type.toLowerCase()}:${value}`;
  }
}

export function normalizePrincipalBlock(block: unknown, partition: string): string[] | undefined {
  if (block === undefined || block === null) return undefined;
  if (typeof block === "string") return [normalizePrincipal("AWS", block, partition)];
  if (!isRecord(block)) return undefined;
  const principals: string[] = [];
  for (const [type, values] of Object.entries(block)) {
    for (const value of stringList(values) ?? []) principals.push(normalizePrincipal(type, value, partition));
  }
  return principals;
}

function describeValues(values: unknown): string {
  const list = Array.isArray(values) ? values.map(String) : [String(values)];
  return list.length === 1 ? (list[0] as string) : JSON.stringify(list);
}

/** `{ "StringEquals": { "sts:ExternalId": "x" } }` → one condition per (operator, key). */
export function normalizeConditions(block: unknown): Condition[] | undefined {
  if (!isRecord(block)) return undefined;
  const conditions: Condition[] = [];
  for (const [operator, entries] of Object.entries(block)) {
    if (!isRecord(entries)) continue;
    for (const [key, values] of Object.entries(entries)) {
      const written = (Array.isArray(values) ? values : [values]).filter((v) => v !== null && v !== undefined).map(String);
      conditions.push({ expression: `${key} ${operator} ${describeValues(values)}`, keys: [key], operator, values: written });
    }
  }
  return conditions.length > 0 ? conditions : undefined;
}

export interface NormalizedDocument {
  statements: Statement[];
  /** Statements that could not be read (bad Effect, not an object); reported as gaps. */
  skipped: string[];
}

/** Document → statements, ids from Sid (made unique) or the statement's index. */
export function normalizeStatements(document: unknown, partition: string): NormalizedDocument {
  const statements: Statement[] = [];
  const skipped: string[] = [];
  if (!isRecord(document)) return { statements, skipped: ["document is not a JSON object"] };
  const raw = document.Statement;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const usedIds = new Set<string>();
  list.forEach((entry: unknown, index) => {
    if (!isRecord(entry)) {
      skipped.push(`statement ${index} is not an object`);
      return;
    }
    const effect = entry.Effect;
    if (effect !== "Allow" && effect !== "Deny") {
      skipped.push(`statement ${index} has effect ${String(effect)}`);
      return;
    }
    const sid = typeof entry.Sid === "string" && entry.Sid.length > 0 ? entry.Sid : undefined;
    let id = sid ?? String(index);
    if (usedIds.has(id)) id = `${id}#${index}`;
    usedIds.add(id);
    const statement: Statement = { id, effect };
    const actions = stringList(entry.Action);
    const notActions = stringList(entry.NotAction);
    const resources = stringList(entry.Resource);
    const notResources = stringList(entry.NotResource);
    const principals = normalizePrincipalBlock(entry.Principal, partition);
    const exceptPrincipals = normalizePrincipalBlock(entry.NotPrincipal, partition);
    const conditions = normalizeConditions(entry.Condition);
    if (actions) statement.actions = actions;
    if (notActions) statement.notActions = notActions;
    if (resources) statement.resources = resources;
    if (notResources) statement.notResources = notResources;
    if (principals) statement.principals = principals;
    if (exceptPrincipals) statement.exceptPrincipals = exceptPrincipals;
    if (conditions) statement.conditions = conditions;
    statements.push(statement);
  });
  return { statements, skipped };
}
