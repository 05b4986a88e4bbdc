/**
 * Logs go to stderr only (stdout belongs to the MCP protocol) and through the redactor, like every
 * other output path. An optional forwarder also sends them to the MCP client as log notifications.
 */
import type { Redactor } from "../../redaction/types.js";

export type LogLevel = "debug" | "info" | "warning" | "error";
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** Adds a destination (e.g. MCP notifications/message); receives already-redacted text. */
  /** Also sends each line to `sink` (an MCP client's log); returns the way to stop. */
  forwardTo(sink: (level: LogLevel, message: string) => void): () => void;
}

export function createLogger(options: { redactor: Redactor; level?: LogLevel; write?: (line: string) => void }): Logger {
  const threshold = RANK[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const sinks: ((level: LogLevel, message: string) => void)[] = [];
  const log = (level: LogLevel, message: string) => {
    if (RANK[level] < threshold) return;
    let safe: string;
    try {
      safe = options.redactor.redactText(message).value;
    } catch {
      safe = "[log message withheld: redaction failed]";
    }
    write(`${new Date().toISOString()} wiam ${level}: ${safe}\n`);
    for (const sink of sinks) {
      try {
        sink(level, safe);
      } catch {
        // A client that went away must not break logging.
      }
    }
  };
  return {
    debug: (m) => log("debug", m),
    info: (m) => log("info", m),
    warning: (m) => log("warning", m),
    error: (m) => log("error", m),
    forwardTo: (sink) => {
      sinks.push(sink);
      return () => {
        const index = sinks.indexOf(sink);
        if (index >= 0) sinks.splice(index, 1);
      };
    },
  };
}
