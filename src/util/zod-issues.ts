/** Turns zod issues into "field.path: problem" text for error messages aimed at people and models. */
import type { z } from "zod";

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(top level)" : out;
}

export function describeIssues(issues: readonly z.core.$ZodIssue[], limit = 5): string {
  const lines = issues.slice(0, limit).map((issue) => {
    const detail = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
    return `${formatIssuePath(issue.path)}: ${issue.message}${detail}`;
  });
  if (issues.length > limit) lines.push(`... and ${issues.length - limit} more`);
  return lines.join("; ");
}
