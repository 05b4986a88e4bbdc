/**
 * Grants are most of a large estate (about a million at 100k identities), and each grant's id
 * mostly repeats its own fields: `<principal>#attachment/<policy>` for AWS, `<resource>#<role>#<member>`
 * for Google Cloud. Held as written, those ids are more than half of the estate's memory.
 *
 * A compact grant keeps its id as a template over its fields (`{principal}#attachment/{policy}`),
 * one template object shared by every grant of the same shape, and spells the id out when it is
 * read. Ids that do not follow a short shape (an Azure role assignment's GUID) are kept as written.
 * Connectors build grants through `compactGrant` as they collect, so the spelled-out ids of a
 * million grants never exist at once; snapshot files are compacted after parsing.
 *
 * A compact grant reads like any other grant (`grant.id`), serializes to the same JSON, and
 * `toJSON` gives the plain object for anything that copies it.
 */
import type { Condition, Evidence, Grant, Provider } from "./inventory.js";

const PRINCIPAL = 0;
const POLICY = 1;
const RESOURCE = 2;
type Piece = string | typeof PRINCIPAL | typeof POLICY | typeof RESOURCE;

/** One id shape: literal text and references to the grant's own fields, in order. */
class IdTemplate {
  constructor(readonly pieces: readonly Piece[]) {}
}

/** Shapes longer than this are unlikely to repeat (they hold GUIDs or hashes): kept as written. */
const MAX_SHARED_LITERAL = 64;
/** Bounds the shared shapes a long-running server keeps across reloads. */
const MAX_SHARED_TEMPLATES = 4096;
const sharedTemplates = new Map<string, IdTemplate>();

/** An id whose shape repeats except for a unique last segment (an Azure role assignment's GUID). */
class TailedId {
  constructor(
    readonly template: IdTemplate,
    readonly tail: string,
  ) {}
}

/**
 * A slice of a longer string keeps all of it alive: the tail of an id is copied out so the
 * spelled-out id can be collected.
 */
function ownCopy(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, "utf8").toString("utf8");
}

/** Splits `id` around its own field values (longest first, so a field inside another is not split). */
function piecesOf(id: string, grant: Pick<Grant, "principalId" | "policyId" | "resource">): Piece[] {
  const fields: [typeof PRINCIPAL | typeof POLICY | typeof RESOURCE, string][] = [
    [PRINCIPAL, grant.principalId],
    [POLICY, grant.policyId],
  ];
  if (grant.resource !== undefined) fields.push([RESOURCE, grant.resource]);
  fields.sort((a, b) => b[1].length - a[1].length);
  let pieces: Piece[] = [id];
  for (const [field, value] of fields) {
    if (value.length === 0) continue;
    const next: Piece[] = [];
    for (const piece of pieces) {
      if (typeof piece !== "string" || !piece.includes(value)) {
        next.push(piece);
        continue;
      }
      piece.split(value).forEach((text, i) => {
        if (i > 0) next.push(field);
        if (text.length > 0) next.push(text);
      });
    }
    pieces = next;
  }
  return pieces;
}

function literalLength(pieces: readonly Piece[]): number {
  let length = 0;
  for (const piece of pieces) if (typeof piece === "string") length += piece.length;
  return length;
}

function shapeOf(id: string, grant: Pick<Grant, "principalId" | "policyId" | "resource">): IdTemplate | TailedId | string {
  const pieces = piecesOf(id, grant);
  const literal = literalLength(pieces);
  if (literal === id.length) return id;
  const shared = sharedTemplate(pieces, literal);
  if (shared) return shared;
  // `<resource>/providers/Microsoft.Authorization/roleAssignments/<guid>`: the text up to the last
  // `/` or `#` is the shape, what follows is this grant's own.
  const last = pieces[pieces.length - 1];
  if (typeof last === "string") {
    const cut = Math.max(last.lastIndexOf("/"), last.lastIndexOf("#")) + 1;
    if (cut > 0 && cut < last.length) {
      const head = [...pieces.slice(0, -1), last.slice(0, cut)];
      const template = sharedTemplate(head, literal - (last.length - cut));
      // Copied out so the tail does not keep the whole id alive as a slice of it.
      if (template) return new TailedId(template, ownCopy(last.slice(cut)));
    }
  }
  return id;
}

/** The shared template of these pieces, or undefined when they are too long (or too many) to share. */
function sharedTemplate(pieces: readonly Piece[], literal: number): IdTemplate | undefined {
  if (literal > MAX_SHARED_LITERAL) return undefined;
  // Literal pieces never contain NUL in practice; an id that does is simply not shared.
  if (pieces.some((piece) => typeof piece === "string" && piece.includes("\u0000"))) return undefined;
  const key = pieces.map((piece) => (typeof piece === "string" ? piece : `\u0000${piece}`)).join("\u0000\u0000");
  const shared = sharedTemplates.get(key);
  if (shared) return shared;
  if (sharedTemplates.size >= MAX_SHARED_TEMPLATES) return undefined;
  const template = new IdTemplate(pieces);
  sharedTemplates.set(key, template);
  return template;
}

export class CompactGrant implements Grant {
  provider: Provider;
  kind: Grant["kind"];
  principalId: string;
  policyId: string;
  declare resource?: string;
  declare conditions?: Condition[];
  evidence: Evidence;
  /** The id: a shared template, a template with its own tail, or as written. */
  private readonly shape: IdTemplate | TailedId | string;

  constructor(grant: Grant) {
    this.provider = grant.provider;
    this.kind = grant.kind;
    this.principalId = grant.principalId;
    this.policyId = grant.policyId;
    // Absent stays absent (not an own `undefined`), as in a parsed file.
    if (grant.resource !== undefined) this.resource = grant.resource;
    if (grant.conditions !== undefined) this.conditions = grant.conditions;
    this.evidence = grant.evidence;
    this.shape = shapeOf(grant.id, grant);
  }

  get id(): string {
    const shape = this.shape;
    if (typeof shape === "string") return shape;
    if (shape instanceof TailedId) return this.spell(shape.template) + shape.tail;
    return this.spell(shape);
  }

  private spell(template: IdTemplate): string {
    let id = "";
    for (const piece of template.pieces) {
      id += typeof piece === "string" ? piece : piece === PRINCIPAL ? this.principalId : piece === POLICY ? this.policyId : (this.resource ?? "");
    }
    return id;
  }

  /** The plain grant, with the same keys (and key order) a parsed snapshot file has. */
  toJSON(): Grant {
    return {
      id: this.id,
      provider: this.provider,
      kind: this.kind,
      principalId: this.principalId,
      policyId: this.policyId,
      ...(this.resource !== undefined ? { resource: this.resource } : {}),
      ...(this.conditions !== undefined ? { conditions: this.conditions } : {}),
      evidence: this.evidence,
    };
  }
}

/** A grant whose id is held as a template over its fields when it has one: see the module comment. */
export function compactGrant(grant: Grant): Grant {
  return grant instanceof CompactGrant ? grant : new CompactGrant(grant);
}
