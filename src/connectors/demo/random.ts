/**
 * A small seeded pseudo-random generator (mulberry32) so the demo estate and the synthetic
 * benchmark estates are identical from run to run: tests can assert exact answers and the README
 * tour stays true. Never use Math.random in estate generation.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick() needs a non-empty list");
    return item;
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (!last) throw new Error("weighted() needs at least one choice");
    return last[0];
  }

  /** A new array in random order (Fisher-Yates); the input is left alone. */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = items.slice();
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const a = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = a;
    }
    return copy;
  }

  fromAlphabet(alphabet: string, length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet.charAt(Math.floor(this.next() * alphabet.length));
    return out;
  }

  hex(length: number): string {
    return this.fromAlphabet("0123456789abcdef", length);
  }

  digits(length: number): string {
    return this.fromAlphabet("0123456789", length);
  }

  /** A version-4-shaped GUID (Entra object ids, role assignment names). */
  guid(): string {
    const h = this.hex(32);
    const variant = "89ab".charAt(this.int(0, 3));
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

const DAY_MS = 86_400_000;

/** Dates relative to a fixed `now`, so the estate looks current whenever it is built. */
export class RelativeClock {
  readonly now: Date;
  private readonly nowMs: number;

  constructor(now: Date) {
    this.now = now;
    this.nowMs = now.getTime();
  }

  iso(): string {
    return this.now.toISOString();
  }

  /** `days` (fractions allowed) before now, minus optional extra hours. */
  daysAgo(days: number, hours = 0): string {
    return new Date(this.nowMs - days * DAY_MS - hours * 3_600_000).toISOString();
  }

  daysFromNow(days: number, hours = 0): string {
    return new Date(this.nowMs + days * DAY_MS + hours * 3_600_000).toISOString();
  }

  hoursAgo(hours: number): string {
    return new Date(this.nowMs - hours * 3_600_000).toISOString();
  }

  minutesAgo(minutes: number): string {
    return new Date(this.nowMs - minutes * 60_000).toISOString();
  }
}
