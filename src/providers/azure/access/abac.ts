/**
 * Azure ABAC conditions on role assignments (the `condition` of a version 2.0 assignment), decided
 * as far as the question decides them: `ActionMatches{'...'}` against the asked action, and
 * `@Resource[<type>:name]` / `@Resource[<type>/blobs:path]` against the names the asked resource id
 * spells (a container in `.../containers/<name>`, a blob path after `/blobs/`, a secret in
 * `.../secrets/<name>`). Everything else (`@Request`, `@Principal`, `@Environment`,
 * `SubOperationMatches`, tags) is a request-time or unknown fact and stays open.
 * https://learn.microsoft.com/azure/role-based-access-control/conditions-format
 *
 * Evaluation is three-valued (Kleene): a condition that is false whatever stays open means the
 * assignment grants nothing for this request; one that is true needs nothing more; else it stays
 * on the path as written.
 */
import { wildcardMatch } from "../../../analysis/entitlements/matching.js";

export type Truth = "true" | "false" | "open";

export interface AbacFacts {
  /** The asked action, when literal. */
  action: string | undefined;
  /** The asked resource id (RBAC id or data-plane URL), when literal. */
  resource: string | undefined;
}

type Token = { kind: "lparen" | "rparen" | "not" | "and" | "or" } | { kind: "word"; text: string } | { kind: "string"; text: string } | { kind: "set"; values: string[] } | { kind: "matcher"; name: string; values: string[] } | { kind: "attribute"; source: string; name: string };

class AbacSyntaxError extends Error {}

function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (ch === "'" && text[i + 1] === "'") {
      value += "'";
      i += 2;
      continue;
    }
    if (ch === "'") return { value, end: i + 1 };
    value += ch;
    i++;
  }
  throw new AbacSyntaxError("unterminated string");
}

function readSet(text: string, start: number): { values: string[]; end: number } {
  const values: string[] = [];
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (ch === "}") return { values, end: i + 1 };
    if (ch === "'") {
      const quoted = readQuoted(text, i);
      values.push(quoted.value);
      i = quoted.end;
      continue;
    }
    i++;
  }
  throw new AbacSyntaxError("unterminated set");
}

const SINGLE_TOKENS: Record<string, "lparen" | "rparen" | "not"> = { "(": "lparen", ")": "rparen", "!": "not" };
const DOUBLE_TOKENS: Record<string, "and" | "or"> = { "&&": "and", "||": "or" };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? "";
    const single = SINGLE_TOKENS[ch];
    const double = DOUBLE_TOKENS[text.slice(i, i + 2)];
    if (/\s/.test(ch)) i++;
    else if (single) {
      tokens.push({ kind: single });
      i++;
    } else if (double) {
      tokens.push({ kind: double });
      i += 2;
    } else if (ch === "'") {
      const quoted = readQuoted(text, i);
      tokens.push({ kind: "string", text: quoted.value });
      i = quoted.end;
    } else if (ch === "{") {
      const set = readSet(text, i);
      tokens.push({ kind: "set", values: set.values });
      i = set.end;
    } else if (ch === "@") {
      const close = text.indexOf("]", i);
      const open = text.indexOf("[", i);
      if (open < 0 || close < open) throw new AbacSyntaxError("bad attribute");
      tokens.push({ kind: "attribute", source: text.slice(i + 1, open), name: text.slice(open + 1, close) });
      i = close + 1;
    } else {
      const word = /^[A-Za-z][A-Za-z0-9:]*/.exec(text.slice(i))?.[0];
      if (!word) throw new AbacSyntaxError(`unexpected ${ch}`);
      i += word.length;
      const upper = word.toUpperCase();
      if (upper === "AND") tokens.push({ kind: "and" });
      else if (upper === "OR") tokens.push({ kind: "or" });
      else if (upper === "NOT") tokens.push({ kind: "not" });
      else if ((word === "ActionMatches" || word === "SubOperationMatches") && text[i] === "{") {
        const set = readSet(text, i);
        tokens.push({ kind: "matcher", name: word, values: set.values });
        i = set.end;
      } else tokens.push({ kind: "word", text: word });
    }
  }
  return tokens;
}

const not = (a: Truth): Truth => (a === "open" ? "open" : a === "true" ? "false" : "true");
const and = (a: Truth, b: Truth): Truth => (a === "false" || b === "false" ? "false" : a === "true" && b === "true" ? "true" : "open");
const or = (a: Truth, b: Truth): Truth => (a === "true" || b === "true" ? "true" : a === "false" && b === "false" ? "false" : "open");

/** The value a `@Resource[...]` attribute has for the asked resource, when its id spells it. */
function resourceAttribute(name: string, resource: string | undefined): string | undefined {
  if (resource === undefined) return undefined;
  const colon = name.lastIndexOf(":");
  if (colon < 0) return undefined;
  const type = name.slice(0, colon);
  const property = name.slice(colon + 1).toLowerCase();
  const collection = type.slice(type.lastIndexOf("/") + 1).toLowerCase();
  const segments = resource.split("/");
  const at = segments.findIndex((s, i) => s.toLowerCase() === collection && i + 1 < segments.length);
  if (at < 0) return undefined;
  if (property === "name") return segments[at + 1];
  if (property === "path" && collection === "blobs") return segments.slice(at + 1).join("/");
  return undefined;
}

function compare(operator: string, actual: string, values: readonly string[]): Truth {
  const op = operator.toLowerCase().replace(/^foranyofanyvalues:/, "");
  const negated = op.includes("not");
  const base = op.replace("not", "");
  let hit: boolean;
  if (base === "stringequals") hit = values.includes(actual);
  else if (base === "stringequalsignorecase") hit = values.some((v) => v.toLowerCase() === actual.toLowerCase());
  else if (base === "stringlike") hit = values.some((v) => wildcardMatch(v, actual, false));
  else if (base === "stringstartswith") hit = values.some((v) => actual.startsWith(v));
  else if (base === "stringstartswithignorecase") hit = values.some((v) => actual.toLowerCase().startsWith(v.toLowerCase()));
  else return "open";
  return hit !== negated ? "true" : "false";
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly facts: AbacFacts,
  ) {}

  parse(): Truth {
    const value = this.or();
    if (this.at !== this.tokens.length) throw new AbacSyntaxError("trailing input");
    return value;
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private or(): Truth {
    let value = this.and();
    while (this.peek()?.kind === "or") {
      this.at++;
      value = or(value, this.and());
    }
    return value;
  }

  private and(): Truth {
    let value = this.unary();
    while (this.peek()?.kind === "and") {
      this.at++;
      value = and(value, this.unary());
    }
    return value;
  }

  private unary(): Truth {
    const token = this.tokens[this.at++];
    if (!token) throw new AbacSyntaxError("unexpected end");
    if (token.kind === "not") return not(this.unary());
    if (token.kind === "lparen") {
      const value = this.or();
      if (this.tokens[this.at++]?.kind !== "rparen") throw new AbacSyntaxError("missing )");
      return value;
    }
    if (token.kind === "matcher") {
      if (token.name !== "ActionMatches" || this.facts.action === undefined) return "open";
      const action = this.facts.action;
      return token.values.some((v) => wildcardMatch(v, action, true)) ? "true" : "false";
    }
    if (token.kind === "attribute") {
      const operator = this.tokens[this.at++];
      if (operator?.kind === "word" && /^(not)?exists$/i.test(operator.text)) {
        // Presence of an attribute: a resource name the id spells exists; anything else is open.
        const present = token.source.toLowerCase() === "resource" && resourceAttribute(token.name, this.facts.resource) !== undefined;
        return present ? (operator.text.toLowerCase() === "exists" ? "true" : "false") : "open";
      }
      const operand = this.tokens[this.at++];
      if (operator?.kind !== "word" || !operand || (operand.kind !== "string" && operand.kind !== "set")) throw new AbacSyntaxError("bad comparison");
      if (token.source.toLowerCase() !== "resource") return "open";
      const actual = resourceAttribute(token.name, this.facts.resource);
      if (actual === undefined) return "open";
      return compare(operator.text, actual, operand.kind === "string" ? [operand.text] : operand.values);
    }
    throw new AbacSyntaxError("unexpected token");
  }
}

/** Decides an ABAC condition for one request; a condition it cannot read stays open. */
export function decideAbacCondition(expression: string, facts: AbacFacts): Truth {
  try {
    return new Parser(tokenize(expression), facts).parse();
  } catch (error) {
    if (error instanceof AbacSyntaxError) return "open";
    throw error;
  }
}
