/** Day arithmetic shared by the analyses; all in UTC, fractional days floored. */
const DAY_MS = 86_400_000;

export function daysBetween(earlier: string | Date, later: Date): number {
  const from = typeof earlier === "string" ? Date.parse(earlier) : earlier.getTime();
  return Math.floor((later.getTime() - from) / DAY_MS);
}

export function daysUntil(when: string, now: Date): number {
  return Math.floor((Date.parse(when) - now.getTime()) / DAY_MS);
}

export function latest(dates: readonly (string | undefined)[]): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const date of dates) {
    if (!date) continue;
    const ms = Date.parse(date);
    if (ms > bestMs) {
      bestMs = ms;
      best = date;
    }
  }
  return best;
}
