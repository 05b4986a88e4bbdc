/**
 * Two decisions on one call (a part asked as the tool it stands for and as its own) become one:
 * the stricter kind wins, and when both ask for approval every policy of both is asked, each with
 * its own reason (review 2, #6: a second person's policy must never be dropped from the merge).
 */
import { describe, expect, it } from "vitest";
import { stricterOf } from "../src/governance/governor.js";

const secondPerson = { kind: "approval" as const, policyIds: ["identity-answers-need-auditors"], reasons: ["an auditor releases identity answers"] };
const confirmation = { kind: "approval" as const, policyIds: ["activity-needs-confirmation", "production-reach"], reasons: ["activity needs the caller to confirm", "production reach"] };

describe("stricterOf", () => {
  it("keeps every policy of two approvals, each beside its own reason, sorted by policy id", () => {
    expect(stricterOf(secondPerson, confirmation)).toEqual({
      kind: "approval",
      policyIds: ["activity-needs-confirmation", "identity-answers-need-auditors", "production-reach"],
      reasons: ["activity needs the caller to confirm", "an auditor releases identity answers", "production reach"],
    });
    expect(stricterOf(confirmation, secondPerson)).toEqual(stricterOf(secondPerson, confirmation));
  });

  it("counts a policy both decisions name once, with the first decision's reason", () => {
    const again = { kind: "approval" as const, policyIds: ["production-reach"], reasons: ["production reach (as describe_identity)"] };
    expect(stricterOf(confirmation, again)).toEqual(confirmation);
  });

  it("takes the stricter kind whole: a deny over an approval, an approval over an allow", () => {
    const deny = { kind: "deny" as const, policyIds: ["no-break-glass"], reasons: ["break-glass roles are not described"] };
    const allow = { kind: "allow" as const, policyIds: ["permit-analysts"], reasons: [] };
    expect(stricterOf(confirmation, deny)).toEqual(deny);
    expect(stricterOf(allow, secondPerson)).toEqual(secondPerson);
  });

  it("merges decisions whose reasons are not one per policy (an evaluation error) without pairing them", () => {
    const broken = { kind: "deny" as const, policyIds: [], reasons: ["policy evaluation failed: entity too deep"] };
    const refused = { kind: "deny" as const, policyIds: ["no-break-glass"], reasons: ["break-glass roles are not described"] };
    expect(stricterOf(broken, refused)).toEqual({
      kind: "deny",
      policyIds: ["no-break-glass"],
      reasons: ["policy evaluation failed: entity too deep", "break-glass roles are not described"],
    });
  });
});
