import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { inventoryJsonSchema } from "../src/cli/schema.js";

const SCHEMA_PATH = new URL("../schemas/inventory.schema.json", import.meta.url);

describe("published inventory JSON Schema", () => {
  it("matches the zod model it is generated from (run with WIAM_UPDATE_SCHEMAS=1 to regenerate)", () => {
    const generated = `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`;
    if (process.env.WIAM_UPDATE_SCHEMAS === "1") writeFileSync(SCHEMA_PATH, generated);
    expect(readFileSync(SCHEMA_PATH, "utf8")).toBe(generated);
  });

  it("describes all three providers and every model collection", () => {
    const schema = inventoryJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(
      expect.arrayContaining(["schemaVersion", "generatedAt", "scopes", "principals", "credentials", "vaultItems", "policies", "grants", "trustEdges"]),
    );
    expect(JSON.stringify(schema)).toContain('"enum":["aws","gcp","azure"]');
  });
});
