/**
 * Shapes shared by the engine and the per-provider evaluators (not part of the public answer).
 */
import type { Principal, Provider, Scope } from "../../model/inventory.js";
import type { BlockedBy, Hop } from "./types.js";
import type { Verdict } from "./verdict.js";

/**
 * Who acts: a principal of the inventory, or a member string the inventory only names
 * (allUsers, domain:example.com, an account root outside the inventory, a federated subject).
 */
export interface Subject {
  id: string;
  provider: Provider;
  principal: Principal | undefined;
  label: string;
}

/** The resource of a query, placed in one provider's terms. */
export interface ResourceTarget {
  /** As the caller wrote it; paths report this when they reach exactly the target. */
  input: string;
  provider: Provider;
  /** Canonical id: an ARN, a GCP resource name, an Azure RBAC id. */
  id: string;
  /** The scope the resource lives in and its ancestors, nearest first; empty when it cannot be placed. */
  chain: Scope[];
  /** True when the target itself is a scope, so grants below it count as reaching into it. */
  isScope: boolean;
  /** Set when the target names a principal (an AWS role or user, a GCP service account). */
  principalId?: string;
  /** AWS only: ARN patterns standing for the target (an account scope stands for all its ARNs). */
  awsPatterns?: string[];
}

export interface AccessRequest {
  action?: string;
  target?: ResourceTarget;
}

/** One way a subject reaches an action on a resource, without pivots. */
export interface Finding {
  action: string;
  resource: string;
  /** Hops after the subject's own principal hop: groups, grant, policy, statement/binding, resource. */
  hops: Hop[];
  verdict: Verdict;
  privilegeEscalation: boolean;
}

/** A pivot: `from` can act as `to` (assume role, impersonation, federation, escalation). */
export interface PivotEdge {
  from: Subject;
  to: Subject;
  hop: Hop;
  /** The permission or mechanism used, e.g. sts:AssumeRole. */
  action: string;
  /** The resource the pivot acts on (role ARN, service account resource). */
  resource: string;
  verdict: Verdict;
  privilegeEscalation: boolean;
  /**
   * True for pivots granted by trust (a trust policy, a federation mapping): no statement
   * enumeration shows them, so they are reported as paths of their own.
   */
  standalone: boolean;
}

export interface ProviderEvaluator {
  /** Places a resource in this provider's terms; undefined when it is not this provider's. */
  resolveTarget(resource: string): ResourceTarget | undefined;
  /** Direct access (no pivots) of a subject, narrowed by the request. */
  findAccess(subject: Subject, request: AccessRequest): Finding[];
  /** Access a subject can grant itself (self-attach a policy, assign itself a role). */
  selfEscalations(subject: Subject, request: AccessRequest): Finding[];
  /** Pivots leaving a subject. */
  edgesFrom(subject: Subject): PivotEdge[];
  /** Pivots arriving at a principal; callers for which `skip` is true are not evaluated. */
  edgesTo(target: Subject, skip?: (callerId: string) => boolean): PivotEdge[];
  /**
   * Why a principal cannot act on its own today (an AWS user with no active key and no password):
   * every path that starts with it ends there. Pivots into it that give it a credential still work.
   */
  cannotAct?(subject: Subject): BlockedBy | undefined;
  /** Reverse queries: subjects that may hold the requested access directly or by self-escalation. */
  holders(request: AccessRequest): Subject[];
  /**
   * The same holders, in the same order, without listing them all: the first `limit`, and how
   * many there are. For providers whose candidates run to tens of thousands.
   */
  holdersPage?(request: AccessRequest, limit: number): CandidatePage;
}

export interface CandidatePage {
  subjects: Subject[];
  total: number;
}

/** Part of a reverse query's candidates: principals (with their ids as a set, when known), or subjects. */
export type CandidatePart = { principals: readonly Principal[]; members?: ReadonlySet<string> } | { subjects: readonly Subject[] };

/** Every candidate of the parts, each once (the first occurrence wins): the reference listing. */
export function candidatesOf(parts: readonly CandidatePart[], subjectFor: (principal: Principal) => Subject): Subject[] {
  return uniqueSubjects(...parts.map((part) => ("subjects" in part ? [...part.subjects] : part.principals.map(subjectFor))));
}

/**
 * The first `limit` candidates of `candidatesOf`, and how many it lists, without listing them:
 * the largest part whose ids are a set is counted by its size, the others one by one.
 */
export function candidatePage(parts: readonly CandidatePart[], limit: number, subjectFor: (principal: Principal) => Subject): CandidatePage {
  const subjects: Subject[] = [];
  const seen = new Set<string>();
  const take = (id: string, subject: () => Subject): boolean => {
    if (subjects.length >= limit) return false;
    if (!seen.has(id)) {
      seen.add(id);
      subjects.push(subject());
    }
    return true;
  };
  page: for (const part of parts) {
    if ("subjects" in part) {
      for (const subject of part.subjects) if (!take(subject.id, () => subject)) break page;
    } else {
      for (const principal of part.principals) if (!take(principal.id, () => subjectFor(principal))) break page;
    }
  }
  let largest: { principals: readonly Principal[]; members: ReadonlySet<string> } | undefined;
  for (const part of parts) {
    if ("subjects" in part || part.members === undefined) continue;
    if (!largest || part.members.size > largest.members.size) largest = { principals: part.principals, members: part.members };
  }
  const counted = new Set<string>();
  for (const part of parts) {
    if (!("subjects" in part) && part.principals === largest?.principals) continue;
    const list: readonly (Principal | Subject)[] = "subjects" in part ? part.subjects : part.principals;
    for (const item of list) if (!largest?.members.has(item.id)) counted.add(item.id);
  }
  return { subjects, total: (largest?.members.size ?? 0) + counted.size };
}

/** Subjects of several lists, each once (the first occurrence wins). */
export function uniqueSubjects(...lists: Subject[][]): Subject[] {
  const byId = new Map<string, Subject>();
  for (const list of lists) for (const subject of list) if (!byId.has(subject.id)) byId.set(subject.id, subject);
  return [...byId.values()];
}

/** The parts most providers' evaluators are made of: direct access, and pivots with escalation rules. */
export interface AccessParts {
  findAccess(subject: Subject, request: AccessRequest): Finding[];
  holdersOf(request: AccessRequest): Subject[];
}

export interface PivotParts {
  selfEscalations(subject: Subject, request: AccessRequest): Finding[];
  edgesFrom(subject: Subject): PivotEdge[];
  edgesTo(target: Subject, skip?: (callerId: string) => boolean): PivotEdge[];
  selfEscalationHolders(request: AccessRequest): Subject[];
}

/** An evaluator from its parts: holders are direct holders, then who could grant itself the access. */
export function evaluatorOf(resolveTarget: (resource: string) => ResourceTarget | undefined, access: AccessParts, pivots: PivotParts): ProviderEvaluator {
  return {
    resolveTarget,
    findAccess: (subject, request) => access.findAccess(subject, request),
    selfEscalations: (subject, request) => pivots.selfEscalations(subject, request),
    edgesFrom: (subject) => pivots.edgesFrom(subject),
    edgesTo: (target, skip) => pivots.edgesTo(target, skip),
    holders: (request) => uniqueSubjects(access.holdersOf(request), pivots.selfEscalationHolders(request)),
  };
}
