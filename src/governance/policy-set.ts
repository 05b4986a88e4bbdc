/**
 * Loads a Cedar policy file: parses it, names each policy by its @id annotation, reads the
 * @approval / @approvers / @reason annotations, and type-checks the set against our schema. Any problem is an
 * error naming the file, the line and the policy, so a broken file never replaces a good one.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as cedar from "./cedar.js";
import { UserFacingError } from "../errors.js";
import { readAdminFile } from "../util/read-admin-file.js";
import { cedarSchemaText, type ToolAction } from "./cedar-schema.js";

export interface PolicyInfo {
  id: string;
  effect: "permit" | "forbid";
  /** A forbid with @approval("required") or @approval("second-person"): it asks a person instead of refusing. */
  approval: boolean;
  /**
   * @approval("second-person"): someone other than the caller, from one of these groups (@approvers),
   * decides through `wiam approvals` or the HTTP admin endpoint. Null for the caller's own
   * confirmation (@approval("required")) and for policies that ask nobody.
   */
  approvers: readonly string[] | null;
  /** The @reason annotation, shown to the approver and in denials. */
  reason: string | null;
}

/**
 * Which parts of a request the policies can look at. Passing values into Cedar costs more than
 * evaluating small policies, so requests carry only the attributes and context keys the policies
 * read, found in their syntax trees (so spelling, spacing and escapes cannot hide one). Scope
 * ancestors and caller groups always go along. Leaving out something a policy reads fails closed:
 * the policy errors, and an error denies.
 */
export interface PolicyInputs {
  /** Attribute and context key names the policies read (`x.name`, `x has name`). */
  words: ReadonlySet<string>;
  /** hasTag/getTag appear: pass scope tags. */
  tags: boolean;
}

function collectInputs(node: unknown, words: Set<string>, flags: { tags: boolean; wholeRecords: boolean }): void {
  if (Array.isArray(node)) {
    for (const child of node) collectInputs(child, words, flags);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (key === "." || key === "has") {
      const attr = (value as { attr?: unknown }).attr;
      for (const name of Array.isArray(attr) ? attr : [attr]) if (typeof name === "string") words.add(name);
      // A bare variable under `.`/`has` is fine; anywhere else it compares whole records.
      const inner = { tags: false, wholeRecords: false };
      collectInputs((value as { left?: unknown }).left, words, inner);
      flags.tags ||= inner.tags;
      continue;
    }
    if (key === "getTag" || key === "hasTag") flags.tags = true;
    if (key === "Var" && (value === "context" || value === "resource" || value === "principal")) flags.wholeRecords = true;
    collectInputs(value, words, flags);
  }
}

const ALL_INPUTS = ["provider", "kind", "environment", "estateWide", "containsProduction", "name", "client", "transport", "intent", "taskId", "hourUtc", "weekdayUtc", "scope", "principal", "target", "limit", "demo", "dataAgeMinutes", "task", "caller", "calls", "callsLastMinute", "itemsReturned", "distinctScopes", "budgetExceeded", "approved", "approver"];

function policyInputs(byId: Readonly<Record<string, string>>): PolicyInputs {
  const words = new Set<string>();
  const flags = { tags: false, wholeRecords: false };
  for (const text of Object.values(byId)) {
    const json = cedar.policyToJson(text);
    if (json.type === "success") collectInputs(json.json.conditions, words, flags);
    else flags.wholeRecords = true;
  }
  // A policy comparing a whole record (`context == {...}`) needs every key: pass everything.
  if (flags.wholeRecords) {
    for (const name of ALL_INPUTS) words.add(name);
    flags.tags = true;
  }
  return { words, tags: flags.tags };
}

export interface CompiledPolicySet {
  /** Where the text came from: a file path or "(built-in default)". */
  source: string;
  text: string;
  policies: ReadonlyMap<string, PolicyInfo>;
  /** Policy text by id, as Cedar takes it. */
  byId: Record<string, string>;
  /** Id under which the set is preparsed in the Cedar engine; new with every load. */
  preparsedId: string;
  inputs: PolicyInputs;
  /** Each tool's action group, as its definition declares. */
  actionGroups: ReadonlyMap<string, string>;
}

export const BUILT_IN_POLICY_SOURCE = "(built-in default)";

/** The shipped default policy (policies/default.cedar), found beside src/ or dist/src/. */
export function defaultPolicyText(): string {
  for (const relative of ["../../policies/default.cedar", "../../../policies/default.cedar"]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return readFileSync(path, "utf8");
  }
  throw new Error("policies/default.cedar is missing from the installation");
}

function lineOf(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}:${column}`;
}

function describeCedarErrors(errors: readonly cedar.DetailedError[], text: string): string {
  return errors
    .slice(0, 3)
    .map((error) => {
      const location = error.sourceLocations?.[0];
      const where = location ? `${lineOf(text, location.start)}: ` : "";
      const label = location?.label ? ` (${location.label})` : "";
      return `${where}${error.message}${label}`;
    })
    .join("; ");
}


/** A group an approver may come from: a config group, or `token:<name>` for a group the access token names. */
const APPROVER_GROUP = /^(token:)?[\w.-]{1,64}$/;

/** The @approvers groups of a second-person policy; refused when missing, malformed, or on any other policy. */
function approverGroupsOf(id: string, approval: string | undefined, annotation: string | undefined, fail: (problem: string) => never): string[] | null {
  if (approval !== "second-person") {
    if (annotation !== undefined) fail(`policy ${id}: @approvers only applies with @approval("second-person")`);
    return null;
  }
  const groups = (annotation ?? "").split(",").map((group) => group.trim()).filter((group) => group.length > 0);
  if (groups.length === 0) {
    fail(`policy ${id}: @approval("second-person") needs @approvers("<group>") naming who may approve (a governance.callerGroups group, or token:<name> for a group from the access token)`);
  }
  const malformed = groups.find((group) => !APPROVER_GROUP.test(group));
  if (malformed !== undefined) fail(`policy ${id}: @approvers group ${JSON.stringify(malformed)} is not a group name (letters, digits, . _ -, optionally prefixed token:)`);
  return [...new Set(groups)];
}

/** Parses and validates policy text; throws a config_invalid error naming `source` on any problem. */
export function compilePolicySet(text: string, source: string, tools: readonly ToolAction[]): CompiledPolicySet {
  const fail = (problem: string): never => {
    throw new UserFacingError("config_invalid", `policy ${source}: ${problem}`);
  };
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === "failure") fail(describeCedarErrors(parts.errors, text));
  if (parts.type !== "success") throw new Error("unreachable");
  if (parts.policy_templates.length > 0) fail("templates are not supported; write static policies");

  const policies = new Map<string, PolicyInfo>();
  const byId: Record<string, string> = {};
  parts.policies.forEach((policyText, index) => {
    const json = cedar.policyToJson(policyText);
    if (json.type === "failure") fail(describeCedarErrors(json.errors, policyText));
    if (json.type !== "success") return;
    const annotations = json.json.annotations ?? {};
    const id = annotations.id ?? `policy${index + 1}`;
    if (policies.has(id)) fail(`two policies have @id("${id}")`);
    const approvalValue = annotations.approval;
    if (approvalValue !== undefined && approvalValue !== "required" && approvalValue !== "second-person") {
      fail(`policy ${id}: @approval must be "required" (the caller confirms) or "second-person" (an approver from @approvers decides)`);
    }
    if (approvalValue !== undefined && json.json.effect !== "forbid") fail(`policy ${id}: @approval only applies to forbid policies`);
    const approvers = approverGroupsOf(id, approvalValue, annotations.approvers, fail);
    policies.set(id, { id, effect: json.json.effect, approval: approvalValue !== undefined, approvers, reason: annotations.reason ?? null });
    byId[id] = policyText;
  });
  if (![...policies.values()].some((p) => p.effect === "permit")) fail("no permit policy: every call would be refused");

  const schema = cedarSchemaText(tools);
  const validation = cedar.validate({ schema, policies: { staticPolicies: byId }, validationSettings: { mode: "strict" } });
  if (validation.type === "failure") fail(`schema: ${describeCedarErrors(validation.errors, text)}`);
  if (validation.type === "success" && validation.validationErrors.length > 0) {
    fail(validation.validationErrors.slice(0, 3).map((e) => `policy ${e.policyId}: ${e.error.message}`).join("; "));
  }

  // Cedar keeps preparsed sets for the life of the process: the same policies reuse one entry.
  const preparsedId = `wiam-${createHash("sha256").update(JSON.stringify(byId)).digest("hex").slice(0, 32)}`;
  const preparsed = cedar.preparsePolicySet(preparsedId, { staticPolicies: byId });
  if (preparsed.type === "failure") fail(describeCedarErrors(preparsed.errors, text));
  return { source, text, policies, byId, preparsedId, inputs: policyInputs(byId), actionGroups: new Map(tools.map((tool) => [tool.name, tool.actionGroup])) };
}

/** Reads and compiles `path`, or the built-in default when no file is configured. */
export function loadPolicySet(path: string | undefined, tools: readonly ToolAction[]): CompiledPolicySet {
  if (path === undefined) return compilePolicySet(defaultPolicyText(), BUILT_IN_POLICY_SOURCE, tools);
  return compilePolicySet(readAdminFile(path, "policy"), path, tools);
}
