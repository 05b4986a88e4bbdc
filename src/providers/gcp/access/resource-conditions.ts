/**
 * IAM conditions on the resource (`resource.name`, `resource.type`, `resource.service`), decided
 * when the question names a resource. Google documents the attributes
 * (https://cloud.google.com/iam/docs/conditions-attribute-reference#resource): `resource.name` is
 * the service's full name for the resource, which for Secret Manager and others uses the project
 * NUMBER (`projects/123/secrets/db`), so both the id and the number form are compared; Cloud
 * Storage's has no project (`projects/_/buckets/b`), while the inventory places a bucket under its
 * project (`projects/<id>/buckets/b`). Only plain
 * comparisons and startsWith/endsWith joined by all-`&&` or all-`||` are decided; anything else
 * (request time, other attributes, negation, mixed operators) stays open.
 */
import type { Condition } from "../../../model/inventory.js";

export type Decision = "yes" | "no" | "maybe";

/** The resource types of names this server places (the rest stay undecided). */
const RESOURCE_TYPES: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/, "secretmanager.googleapis.com/SecretVersion", "secretmanager.googleapis.com"],
  [/^projects\/[^/]+\/secrets\/[^/]+$/, "secretmanager.googleapis.com/Secret", "secretmanager.googleapis.com"],
  // Regional secrets are secrets too, named with their location.
  [/^projects\/[^/]+\/locations\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/, "secretmanager.googleapis.com/SecretVersion", "secretmanager.googleapis.com"],
  [/^projects\/[^/]+\/locations\/[^/]+\/secrets\/[^/]+$/, "secretmanager.googleapis.com/Secret", "secretmanager.googleapis.com"],
  [/^projects\/[^/]+\/serviceAccounts\/[^/]+$/, "iam.googleapis.com/ServiceAccount", "iam.googleapis.com"],
  [/^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/, "cloudkms.googleapis.com/CryptoKey", "cloudkms.googleapis.com"],
  [/^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+$/, "cloudkms.googleapis.com/KeyRing", "cloudkms.googleapis.com"],
  [/^projects\/[^/]+\/buckets\/[^/]+\/objects\/.+$/, "storage.googleapis.com/Object", "storage.googleapis.com"],
  [/^projects\/[^/]+\/buckets\/[^/]+$/, "storage.googleapis.com/Bucket", "storage.googleapis.com"],
  [/^projects\/[^/]+$/, "cloudresourcemanager.googleapis.com/Project", "cloudresourcemanager.googleapis.com"],
];

export interface NamedResource {
  /** The names `resource.name` may take for it: the id form, and the project-number form when known. */
  names: string[];
  /** True when every form is known, so a failed comparison means "no". */
  complete: boolean;
  type: string | undefined;
  service: string | undefined;
}

/** The forms of a resource name, given the number of its project if the inventory knows it. */
export function namedResource(resource: string, projectNumber: string | undefined): NamedResource {
  const typed = RESOURCE_TYPES.find(([pattern]) => pattern.test(resource));
  // Cloud Storage names buckets and objects without their project: `projects/_/buckets/<b>`.
  const bucket = /^projects\/[^/]+(\/buckets\/.+)$/.exec(resource);
  if (bucket?.[1]) return { names: [`projects/_${bucket[1]}`], complete: true, type: typed?.[1], service: typed?.[2] };
  const project = /^projects\/([^/]+)(\/.*)?$/.exec(resource);
  const names = [resource];
  let complete = true;
  if (project && project[1] !== "_" && !/^\d+$/.test(project[1] ?? "")) {
    if (projectNumber) names.push(`projects/${projectNumber}${project[2] ?? ""}`);
    else complete = false;
  }
  return { names, complete, type: typed?.[1], service: typed?.[2] };
}

function atom(clause: string, target: NamedResource): Decision {
  const call = /^resource\.name\.(startsWith|endsWith)\((['"])(.*)\2\)$/.exec(clause);
  if (call) {
    const value = call[3] ?? "";
    const hit = target.names.some((name) => (call[1] === "startsWith" ? name.startsWith(value) : name.endsWith(value)));
    return hit ? "yes" : target.complete ? "no" : "maybe";
  }
  const compare = /^resource\.(name|type|service)\s*(==|!=)\s*(['"])(.*)\3$/.exec(clause);
  if (!compare) return "maybe";
  const value = compare[4] ?? "";
  const equal = compare[2] === "==";
  if (compare[1] === "name") {
    const hit = target.names.includes(value);
    if (hit) return equal ? "yes" : "no";
    return target.complete ? (equal ? "no" : "yes") : "maybe";
  }
  const actual = compare[1] === "type" ? target.type : target.service;
  if (actual === undefined) return "maybe";
  return (actual === value) === equal ? "yes" : "no";
}

export function decideResourceExpression(expression: string, target: NamedResource): Decision {
  const hasAnd = expression.includes("&&");
  const hasOr = expression.includes("||");
  if (hasAnd && hasOr) return "maybe";
  const clauses = expression.split(hasOr ? "||" : "&&").map((clause) => clause.trim().replace(/^\((.*)\)$/, "$1").trim());
  const results = clauses.map((clause) => atom(clause, target));
  if (hasOr) return results.includes("yes") ? "yes" : results.includes("maybe") ? "maybe" : "no";
  return results.includes("no") ? "no" : results.includes("maybe") ? "maybe" : "yes";
}

/** A binding's conditions left open for a named resource; undefined when one of them fails. */
export function remainingResourceConditions(conditions: readonly Condition[] | undefined, target: NamedResource): Condition[] | undefined {
  const left: Condition[] = [];
  for (const condition of conditions ?? []) {
    const decision = condition.expression.includes("resource.") ? decideResourceExpression(condition.expression, target) : "maybe";
    if (decision === "no") return undefined;
    if (decision === "maybe") left.push(condition);
  }
  return left;
}
