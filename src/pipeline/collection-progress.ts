/**
 * Progress of one collection, from however many connectors run at once, as one stream a client
 * can show. Each connector counts its own work (accounts, projects, vaults) and they run in
 * parallel, so their (done, total) pairs interleave and go up and down; MCP requires the progress
 * value to increase with every notification. The stream therefore counts updates (1, 2, 3, ...),
 * leaves the total open, and puts each connector's own count in the message ("aws: ... (3/5)").
 */

export type ProgressSink = (done: number, total: number | undefined, message: string) => void;

/** Longest message passed on: progress lines are glanced at, not read. */
const MAX_MESSAGE_CHARS = 200;

export function collectionProgress(sink: ProgressSink): ProgressSink {
  let step = 0;
  return (done, total, message) => {
    step++;
    const count = total === undefined ? "" : ` (${done}/${total})`;
    sink(step, undefined, `${oneLine(message)}${count}`);
  };
}

/** Connector messages name scopes and projects from the estate: one plain line, bounded. */
function oneLine(message: string): string {
  const flat = message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/g, " ").trim();
  return flat.length <= MAX_MESSAGE_CHARS ? flat : `${flat.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}
