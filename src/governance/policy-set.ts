/**
 * Loads a Cedar policy file: parses it, names each policy by its @id annotation, reads the
 * @approval / @reason annotations, and type-checks the set against our schema. Any problem is an
 * error naming the file, the line and the policy, so a broken file never replaces a good one.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { UserFacingError } from "../errors.js";
import { readAdminFile } from "../util/read-admin-file.js";
import { cedarSchemaText } from "./cedar-schema.js";

export interface PolicyInfo {
  id: string;
  effect: "permit" | "forbid";
  /** A forbid with @approval("required"): it asks a person instead of refusing. */
  approval: boolean;
  /** The @reason annotation, shown to the approver and in denials. */
  reason: string | null;
}

/**
 * Which parts of a request the policies can look at. Passing values into Cedar costs more than
 * evaluating small policies, so requests carry only these. Leaving out something a policy reads
 * fails closed: the policy errors, and an error denies.
 */
export interface PolicyInputs {
  /** Words the policies mention; a context key or attribute is passed when its name appears. */
  words: ReadonlySet<string>;
  /** hasTag/getTag appear: pass scope tags. */
  tags: boolean;
  /** An entity literal of this type appears (e.g. `resource in Wiam::Scope::"..."`): pass the hierarchy. */
  scopeHierarchy: boolean;
  callerGroups: boolean;
}

function policyInputs(byId: Readonly<Record<string, string>>): PolicyInputs {
  const text = Object.values(byId).join("\n");
  return {
    words: new Set(text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []),
    tags: /\b(hasTag|getTag)\b/.test(text),
    scopeHierarchy: /Scope::/.test(text),
    callerGroups: /CallerGroup::/.test(text),
  };
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

let loads = 0;

/** Parses and validates policy text; throws a config_invalid error naming `source` on any problem. */
export function compilePolicySet(text: string, source: string, toolNames: readonly string[]): CompiledPolicySet {
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
    if (approvalValue !== undefined && approvalValue !== "required") fail(`policy ${id}: @approval must be "required"`);
    if (approvalValue !== undefined && json.json.effect !== "forbid") fail(`policy ${id}: @approval only applies to forbid policies`);
    policies.set(id, { id, effect: json.json.effect, approval: approvalValue === "required", reason: annotations.reason ?? null });
    byId[id] = policyText;
  });
  if (![...policies.values()].some((p) => p.effect === "permit")) fail("no permit policy: every call would be refused");

  const schema = cedarSchemaText(toolNames);
  const validation = cedar.validate({ schema, policies: { staticPolicies: byId }, validationSettings: { mode: "strict" } });
  if (validation.type === "failure") fail(`schema: ${describeCedarErrors(validation.errors, text)}`);
  if (validation.type === "success" && validation.validationErrors.length > 0) {
    fail(validation.validationErrors.slice(0, 3).map((e) => `policy ${e.policyId}: ${e.error.message}`).join("; "));
  }

  const preparsedId = `wiam-${process.pid}-${++loads}`;
  const preparsed = cedar.preparsePolicySet(preparsedId, { staticPolicies: byId });
  if (preparsed.type === "failure") fail(describeCedarErrors(preparsed.errors, text));
  return { source, text, policies, byId, preparsedId, inputs: policyInputs(byId) };
}

/** Reads and compiles `path`, or the built-in default when no file is configured. */
export function loadPolicySet(path: string | undefined, toolNames: readonly string[]): CompiledPolicySet {
  if (path === undefined) return compilePolicySet(defaultPolicyText(), BUILT_IN_POLICY_SOURCE, toolNames);
  return compilePolicySet(readAdminFile(path, "policy"), path, toolNames);
}
