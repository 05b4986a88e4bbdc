/**
 * An IAM user whose access keys are all inactive and that has no console password cannot act
 * today: AWS refuses requests signed with an inactive key
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html, "Update
 * access keys") and without a login profile there is no console sign-in
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_admin-change-user.html).
 * Its own paths are denied with that reason, forward and reverse; someone who may create a key for
 * it (iam:CreateAccessKey) still reaches what it can do, and the route says it creates one. Only
 * what was read decides: a failed login-profile read leaves the user able to act.
 */
import { describe, expect, it } from "vitest";
import { entitlementAnswerSchema, explainEntitlementPaths, type EntitlementAnswer } from "../src/analysis/entitlements/index.js";
import type { Credential } from "../src/model/inventory.js";
import type { Inventory } from "../src/model/inventory-index.js";
import { allow, estate, evidence, grant, policy, principal, scope } from "./fixtures/iam-estate.js";

const A = "111111111111";
const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:db-AbCdEf`;
const GET = "secretsmanager:GetSecretValue";
const user = (name: string) => `arn:aws:iam::${A}:user/${name}`;
const DORMANT = user("dormant");
const ACTIVE = user("active");
const CONSOLE = user("console");
const ADMIN = `arn:aws:iam::${A}:role/admin`;

function key(owner: string, slot: number, status: Credential["status"]): Credential {
  return { id: `${owner}#access_key_${slot}`, provider: "aws", kind: "access_key", principalId: owner, scopeId: `aws:account/${A}`, status, evidence };
}

function password(owner: string): Credential {
  return { id: `${owner}#password`, provider: "aws", kind: "password", principalId: owner, scopeId: `aws:account/${A}`, status: "active", evidence };
}

function build(options: { loginProfileUnread?: boolean } = {}): Inventory {
  const readers = [DORMANT, ACTIVE, CONSOLE];
  return estate({
    scopes: [scope(`aws:account/${A}`, "account", "aws")],
    principals: [...readers.map((id) => principal(id, "aws", "user", `aws:account/${A}`)), principal(ADMIN, "aws", "role", `aws:account/${A}`)],
    credentials: [key(DORMANT, 1, "inactive"), key(ACTIVE, 1, "active"), key(ACTIVE, 2, "inactive"), key(CONSOLE, 1, "inactive"), password(CONSOLE)],
    policies: [
      policy("read-db", "aws", "inline", [allow("Read", [GET], [SECRET])]),
      policy("make-keys", "aws", "inline", [allow("Keys", ["iam:CreateAccessKey"], [`arn:aws:iam::${A}:user/*`])]),
    ],
    grants: [...readers.map((id) => grant(`${id}->read-db`, "aws", "inline", id, "read-db")), grant("admin->make-keys", "aws", "inline", ADMIN, "make-keys")],
    gaps: options.loginProfileUnread ? [{ provider: "aws", scopeId: `aws:account/${A}`, source: "iam:GetLoginProfile", reason: "user dormant: AccessDenied" }] : [],
  });
}

function ask(inventory: Inventory, query: Parameters<typeof explainEntitlementPaths>[1]): EntitlementAnswer {
  const answer = explainEntitlementPaths(inventory, query);
  expect(entitlementAnswerSchema.parse(answer)).toEqual(answer);
  return answer;
}

const rows = (answer: EntitlementAnswer) => answer.paths.map((p) => [p.via, p.outcome, p.blockedBy?.kind ?? null]);
const CANNOT_ACT = {
  kind: "disabled_principal",
  id: DORMANT,
  description: `${DORMANT} has no active access key and no console password, so it cannot call AWS today (its 1 access key is inactive)`,
};

describe("AWS: a user with no active access key and no console password", () => {
  it("forward: its paths are denied, and say why", () => {
    const answer = ask(build(), { principal: DORMANT });
    expect(answer.paths).toEqual([
      {
        principalId: DORMANT,
        via: [DORMANT],
        action: GET,
        resource: SECRET,
        outcome: "denied",
        hops: [
          { type: "principal", id: DORMANT, label: 'user "dormant"' },
          { type: "grant", id: `${DORMANT}->read-db`, label: "inline of read-db" },
          { type: "policy", id: "read-db", label: 'inline policy "read-db"' },
          { type: "statement", id: "read-db#Read", label: `Allow ${GET} on ${SECRET}` },
          { type: "resource", id: SECRET, label: SECRET },
        ],
        justification: [`${DORMANT}->read-db`, "read-db#Read"],
        blockedBy: CANNOT_ACT,
        privilegeEscalation: false,
      },
    ]);
  });

  it("reverse: listed as denied, apart from those who can read; a key maker still reaches it, saying it creates a key", () => {
    const answer = ask(build(), { action: GET, resource: SECRET });
    expect(rows(answer)).toEqual([
      [[ACTIVE], "allowed", null],
      [[CONSOLE], "allowed", null],
      [[ADMIN, DORMANT], "allowed", null],
      [[DORMANT], "denied", "disabled_principal"],
    ]);
    expect(answer.paths[3]?.blockedBy).toEqual(CANNOT_ACT);
    expect(answer.paths[2]?.hops[1]).toEqual({
      type: "escalate",
      id: DORMANT,
      label: 'iam:CreateAccessKey on user "dormant", then act as it',
      note: `allowed by admin->make-keys, make-keys#Keys; ${DORMANT} has no active access key and no console password today: this route works by creating one`,
    });
  });

  it("an unread login profile is not taken for no password", () => {
    expect(rows(ask(build({ loginProfileUnread: true }), { principal: DORMANT }))).toEqual([[[DORMANT], "allowed", null]]);
  });
});
