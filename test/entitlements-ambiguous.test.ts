/**
 * explain_entitlement_paths does not guess between identities sharing a name: like
 * describe_identity it refuses with the candidates and their scopes, and an id still answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, textOf, type Connected } from "./fixtures/mcp.js";

let session: Connected;
beforeAll(async () => {
  session = await connect({});
});
afterAll(async () => {
  await session.close();
});

const intent = "what can the deploy identity reach";

describe("explain_entitlement_paths with an ambiguous principal name", () => {
  it("returns the candidates with their scopes and asks for an id", async () => {
    const result = await session.client.callTool({ name: "explain_entitlement_paths", arguments: { intent, principal: "deploy" } });
    expect(result.isError).toBe(true);
    expect(textOf(result as { content?: unknown })).toBe(
      [
        'principal: "deploy" names 2 identities; pass one of these ids as principal:',
        '- "arn:aws:iam::222222222222:role/deploy": aws role in "aws:account/222222222222"',
        '- "arn:aws:iam::333333333333:role/deploy": aws role in "aws:account/333333333333"',
      ].join("\n"),
    );
  });

  it("answers for a candidate's id", async () => {
    const byId = await session.client.callTool({
      name: "explain_entitlement_paths",
      arguments: { intent, principal: "arn:aws:iam::333333333333:role/deploy", action: "sts:AssumeRole" },
    });
    expect(byId.isError, textOf(byId as { content?: unknown })).toBeFalsy();
    expect((byId.structuredContent as { principal: { id: string } }).principal.id).toBe("arn:aws:iam::333333333333:role/deploy");
  });
});
