/** A small TTL cache: collected data is reused until it expires; failed reads are never stored. */
export class TtlCache<Value> {
  private readonly entries = new Map<string, { value: Value; expiresAt: number; collectedAt: string }>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => Date,
  ) {}

  get(key: string): { value: Value; collectedAt: string } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now().getTime()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: Value): void {
    if (this.ttlSeconds <= 0) return;
    const now = this.now();
    this.entries.set(key, { value, expiresAt: now.getTime() + this.ttlSeconds * 1000, collectedAt: now.toISOString() });
  }

  clear(): void {
    this.entries.clear();
  }
}
