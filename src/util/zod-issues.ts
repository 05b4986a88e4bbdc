/** Turns zod issues into "field.path: problem" text for error messages aimed at people and models. */
import type { z } from "zod";

/** `["principals", 12, "tags", "cost-center"]` → `principals[12].tags["cost-center"]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const name = String(segment);
      out += /^[A-Za-z_$][\w$]*$/.test(name) ? `${out ? "." : ""}${name}` : `[${JSON.stringify(name)}]`;
    }
  }
  return out || "(top level)";
}

export function describeIssues(issues: readonly z.core.$ZodIssue[], limit = 5): string {
  const lines = issues.slice(0, limit).map((issue) => {
    const detail = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
    return `${formatIssuePath(issue.path)}: ${issue.message}${detail}`;
  });
  if (issues.length > limit) lines.push(`... and ${issues.length - limit} more`);
  return lines.join("; ");
}
