/**
 * Activity at UTC hours the identity never used. Compared on the identity's own UTC hour
 * histogram with a tolerance of neighbouring hours, so a schedule in local time that moves by an
 * hour at a daylight-saving change is not new.
 */
import { baselineText, firstRows, type Detection } from "./types.js";

export const unusualHours: Detection = {
  code: "activity_at_unusual_hours",
  title: "Activity at hours never used",
  analogues: "GuardDuty: anomalous behavior (time of activity is one of its model's features); Entra ID Protection: anomalous service principal activity",
  detect({ log, baseline, settings }) {
    if (!baseline.sufficient) return [];
    const tolerance = settings.hourTolerance;
    const usedNear = (hour: number): boolean => {
      for (let d = -tolerance; d <= tolerance; d++) if ((baseline.hours[(hour + d + 24) % 24] as number) > 0) return true;
      return false;
    };
    const rows: number[] = [];
    for (let row = baseline.detectionStart; row < baseline.detectionEnd; row++) {
      const hour = Math.floor(((log.time[row] as number) % 86_400) / 3_600);
      if (!usedNear(hour)) rows.push(row);
    }
    if (rows.length === 0) return [];
    return [
      {
        code: this.code,
        severity: "low",
        reason: `${rows.length} event(s) at UTC hours it never used in its baseline (tolerance ±${tolerance} hour).`,
        evidenceRows: firstRows(rows),
        normal: baselineText(baseline, settings),
      },
    ];
  },
};
