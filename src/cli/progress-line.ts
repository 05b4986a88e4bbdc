/**
 * A progress line on stderr while a command collects from the clouds, so a person at a terminal
 * sees that a long collection is moving. One line, rewritten in place and cleared at the end; only
 * when stderr is a terminal, so logs and pipes never get carriage returns and escape codes. The
 * messages come from the call pipeline, which has redacted them (audit-guarded-pipeline.ts).
 */
import type { ProgressSink } from "../pipeline/collection-progress.js";

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

export interface ProgressLine {
  /** Undefined when the stream is not a terminal: callers pass it on as "no progress wanted". */
  report: ProgressSink | undefined;
  /** Removes the line, if one was drawn. */
  clear(): void;
}

/** Redraws at most this often: connectors may report hundreds of pages a second. */
const MIN_REDRAW_MS = 100;
const CLEAR_LINE = "\r\u001b[2K";

export function progressLine(stream: ProgressStream, clock: () => number = Date.now): ProgressLine {
  if (stream.isTTY !== true) return { report: undefined, clear: () => undefined };
  let drawn = false;
  let lastDraw = Number.NEGATIVE_INFINITY;
  // A terminal that reports no size (0 columns, as under `script`) gets the classic 80.
  const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
  const width = Math.max(20, columns - 1);
  return {
    report: (_done, _total, message) => {
      const now = clock();
      if (now - lastDraw < MIN_REDRAW_MS) return;
      lastDraw = now;
      const line = `wiam: ${message.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")}`;
      stream.write(`${CLEAR_LINE}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
      drawn = true;
    },
    clear: () => {
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}
