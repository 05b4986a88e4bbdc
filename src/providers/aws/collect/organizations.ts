/**
 * AWS Organizations: the root → OU → account tree and the service control policies attached to
 * it. The organization scope stands for the root (SCPs attached to the root attach to it), OUs map
 * to the model's `folder` kind, and every account in the organization becomes a scope, marked
 * `collected: false` when its IAM data was not read.
 */
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { CollectionGap, Evidence, Policy, Scope } from "../../../model/inventory.js";
import type { AwsCallRunner } from "../calls.js";
import { organizationsReads } from "../reads.js";
import { decodePolicyDocument, normalizeStatements } from "./policy-document.js";
import { mapWithConcurrency } from "../../../connectors/common/pool.js";
import { describeError, isRetryable } from "../errors.js";

export interface OrganizationParts {
  organizationId: string | undefined;
  scopes: Scope[];
  /** Account id → scope id of its parent (OU or organization). */
  accountParents: Map<string, string>;
  accountNames: Map<string, string>;
  policies: Policy[];
  gaps: CollectionGap[];
  transientFailure: boolean;
}

export interface CollectOrganizationOptions {
  client: OrganizationsClient;
  runner: AwsCallRunner;
  /** The account the client reads from (the organization role's account); undefined with base credentials. */
  callerScopeId: string | undefined;
  observedAt: string;
  signal?: AbortSignal | undefined;
}

const CONCURRENCY = 4;

async function allTokens<T>(fetch: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (;;) {
    const page = await fetch(token);
    items.push(...page.items);
    if (!page.next) return items;
    if (seen.has(page.next)) throw new Error("Organizations returned the same NextToken twice");
    seen.add(page.next);
    token = page.next;
  }
}

export async function collectOrganization(options: CollectOrganizationOptions): Promise<OrganizationParts> {
  const { client, runner, callerScopeId, signal } = options;
  const parts: OrganizationParts = {
    organizationId: undefined,
    scopes: [],
    accountParents: new Map(),
    accountNames: new Map(),
    policies: [],
    gaps: [],
    transientFailure: false,
  };

  function gap(source: string, error: unknown, what: string): void {
    signal?.throwIfAborted();
    const scopeId = parts.organizationId ? `aws:organization/${parts.organizationId}` : callerScopeId;
    parts.gaps.push({ provider: "aws", ...(scopeId ? { scopeId } : {}), source, reason: `${what}${describeError(error)}` });
    if (isRetryable(error)) parts.transientFailure = true;
  }

  let roots;
  try {
    roots = await allTokens(async (token) => {
      const page = await runner.call(organizationsReads.listRoots, client, token ? { NextToken: token } : {}, callerScopeId);
      return { items: page.Roots ?? [], next: page.NextToken };
    });
  } catch (error) {
    gap(organizationsReads.listRoots.api, error, "");
    return parts;
  }

  // Organization id from the root ARN: arn:aws:organizations::<management>:root/o-xxxx/r-xxxx
  const nodeToScope = new Map<string, string>();
  for (const root of roots) {
    if (!root.Id) continue;
    const organizationId = /:root\/(o-[a-z0-9]+)\//.exec(root.Arn ?? "")?.[1] ?? root.Id;
    parts.organizationId ??= organizationId;
    const scopeId = `aws:organization/${organizationId}`;
    nodeToScope.set(root.Id, scopeId);
    parts.scopes.push({
      id: scopeId,
      provider: "aws",
      kind: "organization",
      name: root.Name ? `${organizationId} (${root.Name})` : organizationId,
      attributes: { rootId: root.Id },
      evidence: { source: organizationsReads.listRoots.api, observedAt: options.observedAt },
    });
  }

  const ouEvidence: Evidence = { source: organizationsReads.listOrganizationalUnitsForParent.api, observedAt: options.observedAt };
  const accountEvidence: Evidence = { source: organizationsReads.listAccountsForParent.api, observedAt: options.observedAt };
  let level = roots.flatMap((root) => (root.Id ? [root.Id] : []));
  while (level.length > 0) {
    const children = await mapWithConcurrency(level, CONCURRENCY, async (parentId) => {
      const parentScope = nodeToScope.get(parentId) ?? parentId;
      const [units, accounts] = await Promise.all([
        allTokens(async (token) => {
          const page = await runner.call(
            organizationsReads.listOrganizationalUnitsForParent,
            client,
            { ParentId: parentId, ...(token ? { NextToken: token } : {}) },
            callerScopeId,
          );
          return { items: page.OrganizationalUnits ?? [], next: page.NextToken };
        }).catch((error: unknown) => {
          gap(organizationsReads.listOrganizationalUnitsForParent.api, error, `children of ${parentId}: `);
          return [];
        }),
        allTokens(async (token) => {
          const page = await runner.call(
            organizationsReads.listAccountsForParent,
            client,
            { ParentId: parentId, ...(token ? { NextToken: token } : {}) },
            callerScopeId,
          );
          return { items: page.Accounts ?? [], next: page.NextToken };
        }).catch((error: unknown) => {
          gap(organizationsReads.listAccountsForParent.api, error, `accounts of ${parentId}: `);
          return [];
        }),
      ]);
      for (const account of accounts) {
        if (!account.Id) continue;
        parts.accountParents.set(account.Id, parentScope);
        if (account.Name) parts.accountNames.set(account.Id, account.Name);
        const state = account.State ?? account.Status;
        parts.scopes.push({
          id: `aws:account/${account.Id}`,
          provider: "aws",
          kind: "account",
          name: account.Name ?? account.Id,
          parentId: parentScope,
          attributes: { collected: false, ...(state ? { state: String(state) } : {}) },
          evidence: accountEvidence,
        });
      }
      const next: string[] = [];
      for (const unit of units) {
        if (!unit.Id) continue;
        const scopeId = `aws:ou/${unit.Id}`;
        nodeToScope.set(unit.Id, scopeId);
        parts.scopes.push({ id: scopeId, provider: "aws", kind: "folder", name: unit.Name ?? unit.Id, parentId: parentScope, evidence: ouEvidence });
        next.push(unit.Id);
      }
      return next;
    });
    level = children.flat();
  }

  // SCPs limit the principals of the accounts below them, RCPs the resources.
  await collectOrganizationPolicies(nodeToScope, "SERVICE_CONTROL_POLICY", "scp");
  await collectOrganizationPolicies(nodeToScope, "RESOURCE_CONTROL_POLICY", "rcp");
  return parts;

  async function collectOrganizationPolicies(scopeOfNode: ReadonlyMap<string, string>, filter: "SERVICE_CONTROL_POLICY" | "RESOURCE_CONTROL_POLICY", kind: "scp" | "rcp"): Promise<void> {
    const label = kind.toUpperCase();
    let summaries;
    try {
      summaries = await allTokens(async (token) => {
        const page = await runner.call(
          organizationsReads.listPolicies,
          client,
          { Filter: filter, ...(token ? { NextToken: token } : {}) },
          callerScopeId,
        );
        return { items: page.Policies ?? [], next: page.NextToken };
      });
    } catch (error) {
      gap(organizationsReads.listPolicies.api, error, "");
      return;
    }
    const evidence: Evidence = { source: organizationsReads.describePolicy.api, observedAt: options.observedAt };
    const organizationScope = parts.organizationId ? `aws:organization/${parts.organizationId}` : undefined;
    const policies = await mapWithConcurrency(summaries, CONCURRENCY, async (summary): Promise<Policy | undefined> => {
      const policyId = summary.Id;
      if (!policyId) return undefined;
      try {
        const [described, targets] = await Promise.all([
          runner.call(organizationsReads.describePolicy, client, { PolicyId: policyId }, callerScopeId),
          allTokens(async (token) => {
            const page = await runner.call(
              organizationsReads.listTargetsForPolicy,
              client,
              { PolicyId: policyId, ...(token ? { NextToken: token } : {}) },
              callerScopeId,
            );
            return { items: page.Targets ?? [], next: page.NextToken };
          }),
        ]);
        const content = described.Policy?.Content;
        if (!content) throw new Error("DescribePolicy returned no content");
        const partition = summary.Arn?.split(":")[1] ?? "aws";
        const { statements, skipped } = normalizeStatements(decodePolicyDocument(content), partition);
        for (const problem of skipped) gap(organizationsReads.describePolicy.api, new Error(problem), `${label} ${policyId}: `);
        const attachedTo = targets.flatMap((target) => {
          if (!target.TargetId) return [];
          if (target.Type === "ACCOUNT") return [`aws:account/${target.TargetId}`];
          return [scopeOfNode.get(target.TargetId) ?? (target.Type === "ROOT" ? (organizationScope ?? target.TargetId) : `aws:ou/${target.TargetId}`)];
        });
        const policy: Policy = {
          id: summary.Arn ?? policyId,
          provider: "aws",
          kind,
          name: summary.Name ?? policyId,
          attachedTo,
          statements,
          evidence,
        };
        if (organizationScope) policy.scopeId = organizationScope;
        if (summary.Description) policy.description = summary.Description;
        return policy;
      } catch (error) {
        gap(organizationsReads.describePolicy.api, error, `${label} ${policyId}: `);
        return undefined;
      }
    });
    for (const policy of policies) if (policy) parts.policies.push(policy);
  }
}
