/**
 * The built-in policy relaxes approval only for the built-in demo estate the server generates
 * itself: a snapshot file that labels itself "demo" is governed like any real estate.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildDemoEstate, DEMO_ANCHORS } from "../src/connectors/demo/index.js";
import { connect, textOf, type Connected } from "./fixtures/mcp.js";

const intent = "who can read the production payments secret";
const query = { intent, resource: DEMO_ANCHORS.aws.prodPaymentsSecret, action: "secretsmanager:GetSecretValue" };

let session: Connected | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

describe("the demo exemption trusts the server, not a file's label", () => {
  it("a snapshot saying demo: true still needs approval for production reach (no elicitation: refused)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "wiam-demo-label-")), "estate.json");
    writeFileSync(path, JSON.stringify({ ...buildDemoEstate(new Date()), demo: true }));
    session = await connect({ providers: { snapshot: { paths: [path] } } }, { elicitation: "none" });
    const result = await session.client.callTool({ name: "explain_entitlement_paths", arguments: query });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/approval/i);
  });

  it("the built-in demo estate answers the same question without asking", async () => {
    session = await connect({}, { elicitation: "none" });
    const result = await session.client.callTool({ name: "explain_entitlement_paths", arguments: query });
    expect(result.isError, textOf(result)).toBeFalsy();
  });
});
