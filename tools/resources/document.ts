/**
 * What every document resource (a schema, the policy, the allowlist) returns through the pipeline:
 * the document's text and its media type. Reading one is audited and policed like any call, and
 * needs no arguments but the intent the server states for the read.
 */
import { z } from "zod";
import { commonInputShape } from "../common.js";

export const documentInput = z.strictObject({ ...commonInputShape });

// Lines, not one string: the pipeline cleans every string of control characters (newlines too),
// and a document keeps its layout only line by line.
export const documentOutput = z.object({
  mimeType: z.string(),
  lines: z.array(z.string()).describe("the document, one line per item (join with newlines)"),
});

export function documentLines(text: string): string[] {
  return text.replace(/\n$/, "").split("\n");
}

export const DOCUMENT_ANNOTATIONS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
