/**
 * CLI output is an output path like any other: everything printed goes through the redactor.
 * Before a redactor exists (config errors), only our own messages are printed.
 */
import type { Redactor } from "../../redaction/types.js";

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export function redactedOutput(redactor: Redactor): CliOutput {
  const safe = (text: string) => {
    try {
      return redactor.redactText(text).value;
    } catch {
      return "[output withheld: redaction failed]";
    }
  };
  return {
    out: (text) => void process.stdout.write(ensureNewline(safe(text))),
    err: (text) => void process.stderr.write(ensureNewline(safe(text))),
  };
}

/** For text that is already redacted where it came from (a pipeline answer, redacted audit records). */
export function plainOutput(): CliOutput {
  return {
    out: (text) => void process.stdout.write(ensureNewline(text)),
    err: (text) => void process.stderr.write(ensureNewline(text)),
  };
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
