/** A labelled redaction case: what goes in, which planted secrets must vanish, which identifiers must stay. */
export type CorpusInput = { kind: "json"; value: unknown } | { kind: "text"; value: string };

export interface RedactionCorpusCase {
  id: string;
  /** Where data like this comes from (API, file, log). */
  source: string;
  input: CorpusInput;
  /**
   * Planted secrets exactly as they appear in the input. Multi-line secrets (key bodies) are
   * checked line by line: no 16-character window of any line may remain in the output.
   */
  secrets: readonly string[];
  /** Strings that must survive verbatim. */
  identifiers: readonly string[];
}

export function jsonCase(id: string, source: string, value: unknown, secrets: readonly string[], identifiers: readonly string[]): RedactionCorpusCase {
  return { id, source, input: { kind: "json", value }, secrets, identifiers };
}

export function textCase(id: string, source: string, value: string, secrets: readonly string[], identifiers: readonly string[]): RedactionCorpusCase {
  return { id, source, input: { kind: "text", value }, secrets, identifiers };
}
