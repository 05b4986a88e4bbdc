/**
 * An identity silent for weeks that acts again: the dormant account a stolen credential wakes up
 * (Security Command Center's "dormant service account action").
 */
import { dayText, daysText, firstRows, type Detection } from "./types.js";

const DAY = 86_400;

export const dormantIdentity: Detection = {
  code: "dormant_identity_active",
  title: "Dormant identity active again",
  analogues: "SCC ETD: Dormant service account action; GuardDuty: anomalous behavior of an unused identity",
  detect({ log, range, baseline, settings, known }) {
    const { detectionStart, detectionEnd } = baseline;
    if (detectionStart >= detectionEnd) return [];
    const firstActive = log.time[detectionStart] as number;
    // The last earlier event in the log (baseline or older), else what the inventory last saw.
    const previousRow = detectionStart > range.start ? detectionStart - 1 : undefined;
    let previous: number | undefined = previousRow === undefined ? undefined : (log.time[previousRow] as number);
    let source = "the activity log";
    if (previous === undefined && known?.lastUsedAtMs !== undefined && known.lastUsedAtMs / 1000 < firstActive) {
      previous = Math.floor(known.lastUsedAtMs / 1000);
      source = "its last-used date";
    }
    if (previous === undefined) {
      // Never seen: dormant only if it has existed (silently) for the whole dormancy period.
      const created = known?.createdAtMs === undefined ? undefined : Math.floor(known.createdAtMs / 1000);
      if (created === undefined || firstActive - created < settings.dormantDays * DAY) return [];
      return [
        {
          code: this.code,
          severity: "medium",
          reason: `No recorded use since it was created ${daysText(firstActive - created)} earlier, and it acted in the detection window.`,
          evidenceRows: firstRows(rowsOf(detectionStart, detectionEnd)),
          normal: `created ${dayText(created)}; no use in the activity log or the last-used record`,
        },
      ];
    }
    const silent = firstActive - previous;
    if (silent < settings.dormantDays * DAY) return [];
    return [
      {
        code: this.code,
        severity: "medium",
        reason: `Active again after ${daysText(silent)} without any activity (dormancy threshold ${settings.dormantDays} days).`,
        evidenceRows: firstRows(rowsOf(detectionStart, detectionEnd)),
        normal: `last activity ${dayText(previous)} (from ${source})`,
      },
    ];
  },
};

function rowsOf(start: number, end: number): number[] {
  const rows: number[] = [];
  for (let row = start; row < end && rows.length < 5; row++) rows.push(row);
  return rows;
}
