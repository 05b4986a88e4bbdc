/**
 * The `snapshot` connector: reads an inventory snapshot file (JSON, or YAML for .yaml/.yml) and
 * validates it against the inventory schema. Errors name the file, the JSON path of each problem
 * and what is wrong, so an administrator can fix the file without reading our source.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml, YAMLError } from "yaml";
import type { z } from "zod";
import { ActivityRecords } from "../activity/activity-records.js";
import { UserFacingError } from "../errors.js";
import { inventorySnapshotSchema, type InventorySnapshot } from "../model/inventory.js";
import type { Connector } from "./connector.js";
import { shareRepeatedValues } from "../model/share-values.js";
import { formatIssuePath } from "../util/zod-issues.js";

const MAX_REPORTED_ISSUES = 5;
const SCHEMA_HINT = "The expected format is described in schemas/inventory.schema.json.";

export function createSnapshotConnector(path: string): Connector {
  return {
    id: "snapshot",
    local: true,
    description: `Inventory snapshot file ${path}`,
    async collect(context) {
      let text: string;
      try {
        text = await readFile(path, { encoding: "utf8", ...(context.signal ? { signal: context.signal } : {}) });
      } catch (error) {
        throw unreadable(path, error);
      } finally {
        context.recordOperation({ provider: "local", api: "snapshot:read", count: 1 });
      }
      return parseSnapshot(text, path);
    },
  };
}

/** Parses and validates snapshot text; `path` only names the source in messages and picks the format. */
export function parseSnapshot(text: string, path: string): InventorySnapshot {
  const data = isYamlPath(path) ? parseYamlText(text, path) : parseJsonText(text, path);
  const result = inventorySnapshotSchema.safeParse(data);
  if (result.success) {
    const snapshot = shareRepeatedValues(result.data);
    // The file spells out each event; the inventory holds them in columns from here on.
    if (snapshot.activityLog) snapshot.activityLog = ActivityRecords.fromData(snapshot.activityLog);
    return snapshot;
  }
  throw new UserFacingError("config_invalid", describeIssues(path, result.error.issues), SCHEMA_HINT);
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: "the file does not exist",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory, not a file",
};

function unreadable(path: string, error: unknown): unknown {
  // A cancelled collection is not the file's fault: let the caller see the abort itself.
  if (error instanceof Error && error.name === "AbortError") return error;
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
  const reason = (code && READ_FAILURES[code]) ?? (error instanceof Error ? error.message : String(error));
  return new UserFacingError("config_invalid", `Cannot read snapshot file ${path}: ${reason}`, "Check the path in the snapshot provider configuration.");
}

function isYamlPath(path: string): boolean {
  const extension = extname(path).toLowerCase();
  return extension === ".yaml" || extension === ".yml";
}

// Parser messages quote the text around the error ("Unexpected token 'g', "{"a": ghp_FAKEse"..."),
// and a snapshot holds whatever the clouds returned: the messages name a place, never the content.

function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const position = /\bposition (\d+)/.exec(error instanceof Error ? error.message : "")?.[1];
    const where = position === undefined ? "" : ` at ${lineAndColumn(text, Number(position))}`;
    throw new UserFacingError("config_invalid", `Snapshot file ${path} is not valid JSON: syntax error${where}`, SCHEMA_HINT);
  }
}

function parseYamlText(text: string, path: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    const place = error instanceof YAMLError && error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : "";
    const code = error instanceof YAMLError ? ` (${error.code})` : "";
    throw new UserFacingError("config_invalid", `Snapshot file ${path} is not valid YAML: syntax error${code}${place}`, SCHEMA_HINT);
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

function describeIssues(path: string, issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => `- ${formatIssuePath(issue.path)}: ${issue.message}`);
  const more = issues.length - shown.length;
  const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
  return [
    `Snapshot file ${path} is not a valid inventory snapshot (${count}):`,
    ...shown,
    ...(more > 0 ? [`- ... and ${more} more`] : []),
  ].join("\n");
}

