/**
 * Helpers for the demo estate's activity stream: regular schedules (cron jobs, autoscaled
 * workers, CI runners) over the baseline and detection windows, and single planted events. Every
 * time is derived from the estate's `now`, so the same `now` always yields the same stream.
 */
import type { ActivityEvent } from "../../model/activity-log.js";
import type { DemoEstate } from "./estate.js";
import { SeededRandom } from "./random.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Days of history the demo writes: two weeks of baseline (more than minBaselineDays) and the detection window; small, so demo exports stay quick. */
export const DEMO_ACTIVITY_DAYS = 15;

export type DemoEventFields = Omit<ActivityEvent, "id" | "time">;

export interface Schedule {
  /** UTC hours the job runs at, each day. */
  hours: readonly number[];
  /** Days it runs on (0 = Sunday); default every day. */
  weekdays?: readonly number[];
  /** Minutes past the hour; default a seeded minute per run. */
  minute?: number;
  /** Days ago of the first run (default DEMO_ACTIVITY_DAYS) and the last (default 0: up to now). */
  fromDaysAgo?: number;
  toDaysAgo?: number;
}

export class DemoActivity {
  private readonly nowMs: number;
  /** Its own sequence, so adding activity never changes the rest of the estate. */
  private readonly random: SeededRandom;

  constructor(
    private readonly estate: DemoEstate,
    seed: number,
  ) {
    this.nowMs = estate.clock.now.getTime();
    this.random = new SeededRandom(seed);
  }

  /** Seeded integer in [min, max], from the activity's own sequence. */
  int(min: number, max: number): number {
    return this.random.int(min, max);
  }

  private push(timeMs: number, fields: DemoEventFields): void {
    this.estate.activityEvents.push({ id: this.random.guid(), time: new Date(timeMs).toISOString(), ...fields });
  }

  /**
   * A job on a schedule: for every run, `fields(run)` gives the events of that run (one call may
   * make several, a minute apart). Runs after now are not written.
   */
  recurring(schedule: Schedule, fields: (run: { day: number; hour: number; timeMs: number }) => DemoEventFields[]): void {
    const from = schedule.fromDaysAgo ?? DEMO_ACTIVITY_DAYS;
    const to = schedule.toDaysAgo ?? 0;
    const todayStart = Math.floor(this.nowMs / DAY_MS) * DAY_MS;
    for (let day = from; day >= to; day--) {
      const dayStart = todayStart - day * DAY_MS;
      const weekday = new Date(dayStart).getUTCDay();
      if (schedule.weekdays && !schedule.weekdays.includes(weekday)) continue;
      for (const hour of schedule.hours) {
        const minute = schedule.minute ?? this.random.int(0, 50);
        const timeMs = dayStart + hour * HOUR_MS + minute * 60_000;
        if (timeMs > this.nowMs - 60_000 || timeMs < this.nowMs - (from + 1) * DAY_MS) continue;
        fields({ day, hour, timeMs }).forEach((event, i) => this.push(timeMs + i * 60_000, event));
      }
    }
  }

  /** One planted event `minutesAgo` before now. */
  at(minutesAgo: number, fields: DemoEventFields): void {
    this.push(this.nowMs - minutesAgo * 60_000, fields);
  }

  /** Minutes before now of the latest time (within the last day) at this UTC hour and minute. */
  minutesAgoAtUtc(hour: number, minute: number): number {
    const todayStart = Math.floor(this.nowMs / DAY_MS) * DAY_MS;
    let time = todayStart + hour * HOUR_MS + minute * 60_000;
    if (time >= this.nowMs - 60_000) time -= DAY_MS;
    return Math.round((this.nowMs - time) / 60_000);
  }

  /** A seeded address inside one of the given IPv4 /16 blocks (autoscaled workers rotate within their provider's ranges). */
  addressIn(blocks: readonly string[]): string {
    const block = this.random.pick(blocks);
    return `${block}.${this.random.int(0, 255)}.${this.random.int(1, 254)}`;
  }
}
