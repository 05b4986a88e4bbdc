/**
 * Grants are most of a large estate (about a million at 100k identities), and each grant's id
 * mostly repeats its own fields: `<principal>#attachment/<policy>` for AWS, `<resource>#<role>#<member>`
 * for Google Cloud. Held as written, those ids are more than half of the estate's memory.
 *
 * A compact grant keeps its id as a template over its fields (`{principal}#attachment/{policy}`),
 * one template object shared by every grant of the same shape, and spells the id out when it is
 * read. A unique last segment (an Azure role assignment's GUID) is kept on its own after the
 * template; an id with no short shape at all is kept as written.
 * Connectors build grants through `compactGrant` as they collect, so a connector's grants do not
 * hold spelled-out ids (merging several sources still spells each id once, to find duplicates);
 * snapshot files are compacted after parsing.
 *
 * A compact grant reads like any other grant (`grant.id`), serializes to the same JSON, and
 * `toJSON` gives the plain object for anything that copies it.
 */
import type { Condition, Evidence, Grant, Provider } from "./inventory.js";

const PRINCIPAL = 0;
const POLICY = 1;
const RESOURCE = 2;
/** A piece of an id template: literal text, or 0, 1, 2 for the grant's principal, policy, resource. */
export type Piece = string | typeof PRINCIPAL | typeof POLICY | typeof RESOURCE;

/** One id shape: literal text and references to the grant's own fields, in order. */
class IdTemplate {
  constructor(
    readonly pieces: readonly Piece[],
    readonly key: string,
  ) {}
}

/** Templates with more literal text than this are unlikely to repeat (they hold GUIDs or hashes). */
const MAX_SHARED_LITERAL = 64;
/** Bound what a long-running server keeps across reloads: when full, the caches start over. */
const MAX_SHARED_TEMPLATES = 4096;
const MAX_SHARED_SHAPES = 16384;
const sharedTemplates = new Map<string, IdTemplate>();
const sharedShapes = new Map<string, GrantShape>();

/**
 * What grants collected together have in common: provider, kind, evidence and id template. A grant
 * points at one shared shape instead of holding four values of its own.
 */
export class GrantShape {
  constructor(
    readonly provider: Provider,
    readonly kind: Grant["kind"],
    readonly evidence: Evidence,
    readonly template: IdTemplate | undefined,
  ) {}
}

/** A grant's own id text: the unique tail after its template (an Azure role assignment's GUID), or the whole id. */
class OwnId {
  constructor(
    readonly shape: GrantShape,
    readonly text: string,
  ) {}
}

/**
 * A slice of a longer string keeps all of it alive: the tail of an id is copied out so the
 * spelled-out id can be collected.
 */
function ownCopy(text: string): string {
  // Through JSON rather than an encoding: every UTF-16 unit, lone surrogates included, survives.
  return text.length < 13 ? text : (JSON.parse(JSON.stringify(text)) as string);
}

type IdFields = Pick<Grant, "principalId" | "policyId" | "resource">;

/** A grant's id from its shape, its own text and its fields. */
export function spellId(shape: GrantShape, own: string | undefined, fields: IdFields): string {
  if (!shape.template) return own ?? "";
  return own === undefined ? spell(shape.template, fields) : spell(shape.template, fields) + own;
}

function spell(template: IdTemplate, fields: IdFields): string {
  let id = "";
  for (const piece of template.pieces) {
    id += typeof piece === "string" ? piece : piece === PRINCIPAL ? fields.principalId : piece === POLICY ? fields.policyId : (fields.resource ?? "");
  }
  return id;
}

/** Splits `id` around its own field values (longest first, so a field inside another is not split). */
function piecesOf(id: string, grant: IdFields): Piece[] {
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

/** The shared template of these pieces, or undefined when they are too long (or too many) to share. */
function sharedTemplate(pieces: readonly Piece[], literal: number): IdTemplate | undefined {
  if (literal > MAX_SHARED_LITERAL) return undefined;
  // Literal pieces never contain NUL in practice; an id that does is simply not shared.
  if (pieces.some((piece) => typeof piece === "string" && piece.includes("\u0000"))) return undefined;
  const key = pieces.map((piece) => (typeof piece === "string" ? piece : `\u0000${piece}`)).join("\u0000\u0000");
  const shared = sharedTemplates.get(key);
  if (shared) return shared;
  // Full: start over. Grants made before keep their templates; later ones share new ones.
  if (sharedTemplates.size >= MAX_SHARED_TEMPLATES) sharedTemplates.clear();
  const template = new IdTemplate(pieces, key);
  sharedTemplates.set(key, template);
  return template;
}

/**
 * Where `id` stops matching the template spelled with these fields: the length of the spelled
 * template when `id` starts with it, else -1. Compares in place, making no string.
 */
function spelledPrefixEnd(template: IdTemplate, fields: IdFields, id: string): number {
  let offset = 0;
  for (const piece of template.pieces) {
    const text = typeof piece === "string" ? piece : piece === PRINCIPAL ? fields.principalId : piece === POLICY ? fields.policyId : fields.resource;
    if (text === undefined || !id.startsWith(text, offset)) return -1;
    offset += text.length;
  }
  return offset;
}

/**
 * A shape as a stored inventory wrote it (src/history/columnar-codec.ts): the template is rebuilt
 * from its pieces exactly, whatever its length, so every grant spells the id it was stored with.
 */
export function storedGrantShape(provider: Provider, kind: Grant["kind"], evidence: Evidence, pieces: readonly Piece[] | null): GrantShape {
  if (pieces === null) return new GrantShape(provider, kind, evidence, undefined);
  const key = pieces.map((piece) => (typeof piece === "string" ? piece : `\u0000${piece}`)).join("\u0000\u0000");
  return new GrantShape(provider, kind, evidence, sharedTemplates.get(key) ?? new IdTemplate(pieces, key));
}

/** The last template that fitted, per provider and kind: most grants in a row share a shape. */
const recentTemplates = new Map<string, IdTemplate>();

/** The template of `id` and the tail left after it ("" when the template spells the whole id). */
function templateOf(id: string, grant: IdFields, recentKey: string): { template: IdTemplate; tail: string } | undefined {
  const recent = recentTemplates.get(recentKey);
  if (recent) {
    const end = spelledPrefixEnd(recent, grant, id);
    if (end === id.length) return { template: recent, tail: "" };
    if (end > 0 && (id[end - 1] === "/" || id[end - 1] === "#") && !/[/#]/.test(id.slice(end))) {
      return { template: recent, tail: ownCopy(id.slice(end)) };
    }
  }
  const pieces = piecesOf(id, grant);
  const literal = literalLength(pieces);
  if (literal === id.length) return undefined;
  let found: { template: IdTemplate; tail: string } | undefined;
  const whole = sharedTemplate(pieces, literal);
  if (whole) found = { template: whole, tail: "" };
  else {
    // `<resource>/providers/Microsoft.Authorization/roleAssignments/<guid>`: the text up to the
    // last `/` or `#` is the shape, what follows is this grant's own.
    const last = pieces[pieces.length - 1];
    if (typeof last === "string") {
      const cut = Math.max(last.lastIndexOf("/"), last.lastIndexOf("#")) + 1;
      if (cut > 0 && cut < last.length) {
        const head = sharedTemplate([...pieces.slice(0, -1), last.slice(0, cut)], literal - (last.length - cut));
        if (head) found = { template: head, tail: ownCopy(last.slice(cut)) };
      }
    }
  }
  if (found) recentTemplates.set(recentKey, found.template);
  return found;
}

/** The last shape made or found: grants collected together usually share it (no key to build). */
let recentShape: GrantShape | undefined;

function shapeFor(provider: Provider, kind: Grant["kind"], evidence: Evidence, template: IdTemplate | undefined): GrantShape {
  const recent = recentShape;
  // Connectors often make a new evidence object per grant: equal content is the same evidence.
  if (
    recent &&
    recent.template === template &&
    recent.provider === provider &&
    recent.kind === kind &&
    (recent.evidence === evidence || (recent.evidence.source === evidence.source && recent.evidence.observedAt === evidence.observedAt))
  ) {
    return recent;
  }
  recentShape = shapeByKey(provider, kind, evidence, template);
  return recentShape;
}

function shapeByKey(provider: Provider, kind: Grant["kind"], evidence: Evidence, template: IdTemplate | undefined): GrantShape {
  const key = `${template?.key ?? ""}\u0001${provider}\u0001${kind}\u0001${evidence.source}\u0001${evidence.observedAt}`;
  const shared = sharedShapes.get(key);
  if (shared) return shared;
  const shape = new GrantShape(provider, kind, evidence, template);
  // Every collection has its own read times, so old shapes stop repeating: when full, start over.
  if (sharedShapes.size >= MAX_SHARED_SHAPES) sharedShapes.clear();
  sharedShapes.set(key, shape);
  return shape;
}

export class CompactGrant implements Grant {
  principalId: string;
  policyId: string;
  declare resource?: string;
  declare conditions?: Condition[];
  /** Provider, kind, evidence and id template, shared; with the grant's own id text when it has some. */
  private readonly shape: GrantShape | OwnId;

  constructor(grant: Grant) {
    this.principalId = grant.principalId;
    this.policyId = grant.policyId;
    // Absent stays absent (not an own `undefined`), as in a parsed file.
    if (grant.resource !== undefined) this.resource = grant.resource;
    if (grant.conditions !== undefined) this.conditions = grant.conditions;
    const found = templateOf(grant.id, grant, `${grant.provider}/${grant.kind}`);
    const shape = shapeFor(grant.provider, grant.kind, grant.evidence, found?.template);
    this.shape = found === undefined ? new OwnId(shape, grant.id) : found.tail === "" ? shape : new OwnId(shape, found.tail);
  }

  private get shared(): GrantShape {
    const shape = this.shape;
    return shape instanceof OwnId ? shape.shape : shape;
  }

  get provider(): Provider {
    return this.shared.provider;
  }

  get kind(): Grant["kind"] {
    return this.shared.kind;
  }

  get evidence(): Evidence {
    return this.shared.evidence;
  }

  get id(): string {
    const shape = this.shape;
    return shape instanceof OwnId ? spellId(shape.shape, shape.text, this) : spellId(shape, undefined, this);
  }

  /** The shared shape (for the grant table). */
  get sharedShape(): GrantShape {
    return this.shared;
  }

  /** The grant's own id text, when its shape does not spell all of it (for the grant table). */
  get ownIdText(): string | undefined {
    const shape = this.shape;
    return shape instanceof OwnId ? shape.text : undefined;
  }

  toJSON(): Grant {
    return plainGrant(this);
  }
}

/** A grant whose id is held as a template over its fields when it has one: see the module comment. */
export function compactGrant(grant: Grant): CompactGrant {
  return grant instanceof CompactGrant ? grant : new CompactGrant(grant);
}

/** The plain grant, with the keys (and key order) of a parsed snapshot file: for JSON and copies. */
export function plainGrant(grant: Grant): Grant {
  const { resource, conditions } = grant;
  return {
    id: grant.id,
    provider: grant.provider,
    kind: grant.kind,
    principalId: grant.principalId,
    policyId: grant.policyId,
    ...(resource !== undefined ? { resource } : {}),
    ...(conditions !== undefined ? { conditions } : {}),
    evidence: grant.evidence,
  };
}
