/** Assertions shared by the redaction tests: leaks, survivors and shape. */
import type { RedactionCorpusCase } from "./redaction-corpus/index.js";

export const TEST_KEY = Buffer.alloc(32, 7);
export const OTHER_KEY = Buffer.alloc(32, 9);

/** Every string of a value, object keys included. */
export function allStrings(value: unknown, into: string[] = []): string[] {
  if (typeof value === "string") into.push(value);
  else if (Array.isArray(value)) for (const item of value) allStrings(item, into);
  else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      into.push(key);
      allStrings(child, into);
    }
  }
  return into;
}

/** What a reader of the output can see: the serialized form and the raw strings. */
export function visibleText(output: unknown): string {
  return typeof output === "string" ? output : `${JSON.stringify(output)}\n${allStrings(output).join("\n")}`;
}

/**
 * The part of a planted secret still visible: a 16-character window of any line of it (key bodies
 * are multi-line), or the whole secret when it is shorter than 16 characters.
 */
export function leakedWindow(secret: string, visible: string): string | undefined {
  const lines = secret.split("\n").filter((line) => line.length >= 16);
  if (lines.length === 0) return visible.includes(secret) ? secret : undefined;
  for (const line of lines) {
    for (let index = 0; index + 16 <= line.length; index++) {
      const window = line.slice(index, index + 16);
      if (visible.includes(window)) return window;
    }
  }
  return undefined;
}

/** The value with every string (and number, which strict secret fields may turn into a marker) replaced by a placeholder. */
export function shapeOf(value: unknown): unknown {
  if (typeof value === "string" || typeof value === "number") return "<scalar>";
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, shapeOf(child)]));
  }
  return value;
}

export function caseInput(corpusCase: RedactionCorpusCase): unknown {
  return corpusCase.input.value;
}
