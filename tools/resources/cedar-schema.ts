/** The Cedar schema policies are checked against (`wiam policy schema`): the server's own words. */
import { cedarSchemaText, type ToolAction } from "../../src/governance/cedar-schema.js";
import { line, textAnswer } from "../../src/text/answer.js";
import { defineTool } from "../define-tool.js";
import { DOCUMENT_ANNOTATIONS, documentInput, documentLines, documentOutput } from "./document.js";

/** `actions` is read when the resource is read, so the list can include this resource's own action. */
export function cedarSchemaResourceTool(actions: () => readonly ToolAction[]) {
  return defineTool({
    name: "resource_cedar_schema",
    actionGroup: "inventory",
    surface: "resource",
    title: "Cedar schema",
    description: "The Cedar schema governance policies are type-checked against: the caller, scope and context attributes, one action per tool.",
    input: documentInput,
    output: documentOutput,
    annotations: DOCUMENT_ANNOTATIONS,
    serverFields: ["mimeType", "lines"],
    handler() {
      return { structured: { mimeType: "text/plain", lines: documentLines(cedarSchemaText(actions())) }, text: textAnswer([line`Cedar schema.`]), itemCount: 1 };
    },
  });
}
