/**
 * A name two identities share is not guessed: describe_identity lists the candidates with their
 * scopes and asks for an id. Ids still resolve directly, and a unique name still works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, textOf, type Connected } from "./fixtures/mcp.js";
import { inventoryOf, principal } from "./fixtures/small-estate.js";

let session: Connected;
beforeAll(async () => {
  session = await connect({});
});
afterAll(async () => {
  await session.close();
});

const intent = "who is the deploy identity";

describe("describe_identity with an ambiguous name", () => {
  it("returns the candidates with their scopes and asks for an id", async () => {
    const result = await session.client.callTool({ name: "describe_identity", arguments: { intent, principal: "deploy" } });
    expect(result.isError).toBe(true);
    expect(textOf(result as { content?: unknown })).toBe(
      [
        'principal: "deploy" names 2 identities; pass one of these ids as principal:',
        '- "arn:aws:iam::222222222222:role/deploy": aws role in "aws:account/222222222222"',
        '- "arn:aws:iam::333333333333:role/deploy": aws role in "aws:account/333333333333"',
      ].join("\n"),
    );
  });

  it("answers for either candidate's id", async () => {
    const byId = await session.client.callTool({ name: "describe_identity", arguments: { intent, principal: "arn:aws:iam::333333333333:role/deploy" } });
    expect(byId.isError).toBeFalsy();
    expect((byId.structuredContent as { identity: { id: string } }).identity.id).toBe("arn:aws:iam::333333333333:role/deploy");
  });
});

describe("Inventory.principalCandidates", () => {
  it("gives the id's identity, every holder of a shared alias, or nothing", () => {
    const inventory = inventoryOf({
      principals: [
        principal("arn:aws:iam::111111111111:role/deploy"),
        principal("arn:aws:iam::222222222222:role/deploy", { scopeId: "aws:account/222222222222" }),
        principal("arn:aws:iam::222222222222:role/unique", { email: "unique@example.com" }),
      ],
    });
    expect(inventory.principalCandidates("deploy").map((p) => p.id)).toEqual(["arn:aws:iam::111111111111:role/deploy", "arn:aws:iam::222222222222:role/deploy"]);
    expect(inventory.principalCandidates("arn:aws:iam::222222222222:role/deploy").map((p) => p.id)).toEqual(["arn:aws:iam::222222222222:role/deploy"]);
    expect(inventory.principalCandidates("unique@example.com").map((p) => p.id)).toEqual(["arn:aws:iam::222222222222:role/unique"]);
    expect(inventory.principalCandidates("nobody")).toEqual([]);
  });
});
