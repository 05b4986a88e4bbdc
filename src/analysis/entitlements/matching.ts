/**
 * IAM-style wildcard patterns (`*` any run of characters, `?` exactly one), compared the way the
 * providers do: actions case-insensitively, AWS ARNs and GCP names case-sensitively, Azure ids
 * case-insensitively. Besides "does a pattern match a value" the engine needs pattern-to-pattern
 * answers, because queries and deny statements carry wildcards too (`s3:*` against `s3:Get*`).
 */

const regexCaches = { sensitive: new Map<string, RegExp>(), insensitive: new Map<string, RegExp>() };
const REGEX_CACHE_LIMIT = 50_000;

export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

function compileWildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const cache = caseInsensitive ? regexCaches.insensitive : regexCaches.sensitive;
  const cached = cache.get(pattern);
  if (cached) return cached;
  if (cache.size >= REGEX_CACHE_LIMIT) cache.clear();
  const regex = new RegExp(`^${wildcardBody(pattern)}$`, caseInsensitive ? "is" : "s");
  cache.set(pattern, regex);
  return regex;
}

function wildcardBody(pattern: string): string {
  return pattern.replace(/[.+^${}()|[\]\\*?]/g, (ch) => (ch === "*" ? ".*" : ch === "?" ? "." : `\\${ch}`));
}

/** One anchored RegExp matching any of the patterns (undefined for none). */
export function anyWildcardRegex(patterns: readonly string[], caseInsensitive: boolean): RegExp | undefined {
  if (patterns.length === 0) return undefined;
  return new RegExp(`^(?:${patterns.map(wildcardBody).join("|")})$`, caseInsensitive ? "is" : "s");
}

function equal(a: string, b: string, caseInsensitive: boolean): boolean {
  if (a.length !== b.length) return false;
  return caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** Does `pattern` match the literal `value`? */
export function wildcardMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  if (!hasWildcard(pattern)) return equal(pattern, value, caseInsensitive);
  return compileWildcard(pattern, caseInsensitive).test(value);
}

/** Can some string match both patterns? (product of the two automata, memoized) */
function intersectPatterns(a: string, b: string): boolean {
  const n = a.length;
  const m = b.length;
  const memo = new Uint8Array((n + 1) * (m + 1)); // 0 unknown, 1 false, 2 true
  const visit = (i: number, j: number): boolean => {
    const slot = i * (m + 1) + j;
    const known = memo[slot];
    if (known) return known === 2;
    let result: boolean;
    const ca = a[i];
    const cb = b[j];
    if (i === n && j === m) result = true;
    else if (ca === "*") result = visit(i + 1, j) || (j < m && visit(i, j + 1));
    else if (cb === "*") result = visit(i, j + 1) || (i < n && visit(i + 1, j));
    else if (i === n || j === m) result = false;
    else result = (ca === "?" || cb === "?" || ca === cb) && visit(i + 1, j + 1);
    memo[slot] = result ? 2 : 1;
    return result;
  };
  return visit(0, 0);
}

/**
 * Does every string matched by `b` also match `a`? Sound (never claims coverage that is not
 * there); a `*` in `b` is only covered by a `*` in `a`, which is exact for the patterns IAM uses.
 */
function coverPatterns(a: string, b: string): boolean {
  const n = a.length;
  const m = b.length;
  const memo = new Uint8Array((n + 1) * (m + 1));
  const visit = (i: number, j: number): boolean => {
    const slot = i * (m + 1) + j;
    const known = memo[slot];
    if (known) return known === 2;
    let result: boolean;
    const ca = a[i];
    const cb = b[j];
    if (i === n) result = j === m;
    else if (ca === "*") result = visit(i + 1, j) || (j < m && visit(i, j + 1));
    else if (j === m || cb === "*") result = false;
    else if (ca === "?") result = visit(i + 1, j + 1);
    else result = cb !== "?" && ca === cb && visit(i + 1, j + 1);
    memo[slot] = result ? 2 : 1;
    return result;
  };
  return visit(0, 0);
}

export function patternsIntersect(a: string, b: string, caseInsensitive: boolean): boolean {
  if (!hasWildcard(b)) return wildcardMatch(a, b, caseInsensitive);
  if (!hasWildcard(a)) return wildcardMatch(b, a, caseInsensitive);
  return caseInsensitive ? intersectPatterns(a.toLowerCase(), b.toLowerCase()) : intersectPatterns(a, b);
}

/** Does pattern `a` match everything pattern `b` matches? */
export function patternCovers(a: string, b: string, caseInsensitive: boolean): boolean {
  if (!hasWildcard(b)) return wildcardMatch(a, b, caseInsensitive);
  if (!hasWildcard(a)) return false;
  return caseInsensitive ? coverPatterns(a.toLowerCase(), b.toLowerCase()) : coverPatterns(a, b);
}

/** The narrower of two intersecting patterns; the requested one when neither contains the other. */
export function narrowerPattern(granted: string, requested: string, caseInsensitive: boolean): string {
  if (patternCovers(granted, requested, caseInsensitive)) return requested;
  if (patternCovers(requested, granted, caseInsensitive)) return granted;
  return requested;
}

export type Relation = "none" | "partial" | "full";

export interface SetRelation {
  relation: Relation;
  /** Excluded patterns that cut into the value without covering it. */
  exceptions: string[];
}

/**
 * How a value (literal or pattern; undefined = anything) relates to "matches one of `include`
 * and none of `exclude`". An absent include list means "everything" when there is an exclude
 * list (AWS NotAction) and otherwise `emptyMeans`.
 */
export function relateToSet(
  value: string | undefined,
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
  caseInsensitive: boolean,
  emptyMeans: "all" | "none",
): SetRelation {
  const requested = value ?? "*";
  let relation: Relation;
  if (include === undefined) {
    relation = exclude === undefined && emptyMeans === "none" ? "none" : "full";
  } else if (include.some((p) => patternCovers(p, requested, caseInsensitive))) {
    relation = "full";
  } else if (include.some((p) => patternsIntersect(p, requested, caseInsensitive))) {
    relation = "partial";
  } else {
    relation = "none";
  }
  const exceptions: string[] = [];
  if (relation !== "none" && exclude) {
    for (const excluded of exclude) {
      if (patternCovers(excluded, requested, caseInsensitive)) return { relation: "none", exceptions: [] };
      if (patternsIntersect(excluded, requested, caseInsensitive)) exceptions.push(excluded);
    }
    if (exceptions.length > 0 && relation === "full") relation = "partial";
  }
  return { relation, exceptions };
}

export function combineRelations(a: Relation, b: Relation): Relation {
  if (a === "none" || b === "none") return "none";
  if (a === "partial" || b === "partial") return "partial";
  return "full";
}

export interface GrantedShape {
  pattern: string;
  /** Excluded patterns that carve into this shape (AWS NotAction / NotResource, Azure notActions). */
  exceptions: string[];
}

/**
 * What an allow list grants for a request: the requested pattern narrowed by each listed pattern
 * it intersects, or every listed pattern when nothing was requested. Shapes fully excluded are
 * dropped; shapes covered by another shape in the answer are folded into it.
 */
export function grantedShapes(
  requested: string | undefined,
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
  caseInsensitive: boolean,
  emptyMeans: "all" | "none",
): GrantedShape[] {
  let base: string[];
  if (include === undefined) {
    if (exclude === undefined && emptyMeans === "none") return [];
    base = [requested ?? "*"];
  } else if (requested === undefined) {
    base = [...include];
  } else if (!hasWildcard(requested)) {
    base = include.some((p) => wildcardMatch(p, requested, caseInsensitive)) ? [requested] : [];
  } else {
    base = include
      .filter((p) => patternsIntersect(p, requested, caseInsensitive))
      .map((p) => narrowerPattern(p, requested, caseInsensitive));
  }
  base = foldCovered(unique(base, caseInsensitive), caseInsensitive);
  const shapes: GrantedShape[] = [];
  for (const pattern of base) {
    if (!exclude) {
      shapes.push({ pattern, exceptions: [] });
      continue;
    }
    if (exclude.some((x) => patternCovers(x, pattern, caseInsensitive))) continue;
    shapes.push({ pattern, exceptions: exclude.filter((x) => patternsIntersect(x, pattern, caseInsensitive)) });
  }
  return shapes;
}

function unique(values: readonly string[], caseInsensitive: boolean): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const value of values) {
    const key = caseInsensitive ? value.toLowerCase() : value;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(value);
  }
  return out;
}

/** Drops patterns that another (wildcard) pattern in the list already covers. */
function foldCovered(values: string[], caseInsensitive: boolean): string[] {
  const wildcards = values.filter(hasWildcard);
  if (wildcards.length === 0) return values;
  return values.filter(
    (value) => !wildcards.some((w) => w !== value && patternCovers(w, value, caseInsensitive) && !patternCovers(value, w, caseInsensitive)),
  );
}
