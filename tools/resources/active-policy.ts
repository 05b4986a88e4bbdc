/**
 * The Cedar policy in force: the last good one the server loaded (a broken edit keeps the previous
 * one). The admin's text is data, so it is redacted like any answer; its file path is not shown.
 */
import { line, textAnswer } from "../../src/text/answer.js";
import { defineTool } from "../define-tool.js";
import { DOCUMENT_ANNOTATIONS, documentInput, documentLines, documentOutput } from "./document.js";

export const activePolicyResourceTool = defineTool({
  name: "resource_active_policy",
  actionGroup: "inventory",
  surface: "resource",
  // The admin's policy names who is exempt from approval and what is forbidden where: a map for
  // getting around it. Only an admin who lists this resource in tools.allow shows it to callers.
  explicitAllowOnly: true,
  title: "Active Cedar policy",
  description: "The Cedar policy that authorizes each call now: the built-in default or the admin's governance.policyFile (read-only).",
  input: documentInput,
  output: documentOutput,
  annotations: DOCUMENT_ANNOTATIONS,
  serverFields: ["mimeType"],
  handler(_args, context) {
    const policy = context.activePolicy;
    // The pipeline always passes it; without it this is a bug, reported as one.
    if (!policy) throw new Error("no active policy in the tool context");
    const origin = policy.builtIn ? "the built-in default policy" : "the policy file set in governance.policyFile";
    return { structured: { mimeType: "text/plain", lines: documentLines(policy.text) }, text: textAnswer([line`Active policy: ${origin}.`]), itemCount: 1 };
  },
});
