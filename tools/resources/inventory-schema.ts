/** The JSON Schema of inventory snapshots, as `wiam schema` prints it: the server's own words, never redacted. */
import { inventoryJsonSchema } from "../../src/model/inventory-json-schema.js";
import { line, textAnswer } from "../../src/text/answer.js";
import { defineTool } from "../define-tool.js";
import { DOCUMENT_ANNOTATIONS, documentInput, documentLines, documentOutput } from "./document.js";

export const inventorySchemaResourceTool = defineTool({
  name: "resource_inventory_schema",
  actionGroup: "inventory",
  surface: "resource",
  title: "Inventory snapshot JSON Schema",
  description: "The JSON Schema of inventory snapshot files (wiam export writes them; the snapshot provider reads them).",
  input: documentInput,
  output: documentOutput,
  annotations: DOCUMENT_ANNOTATIONS,
  serverFields: ["mimeType", "lines"],
  handler() {
    const lines = documentLines(JSON.stringify(inventoryJsonSchema(), null, 2));
    return { structured: { mimeType: "application/schema+json", lines }, text: textAnswer([line`Inventory snapshot JSON Schema.`]), itemCount: 1 };
  },
});
