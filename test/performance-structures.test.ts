/** The structures that make large estates fast and small must not change any answer. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { answerOrder, idOrderOf } from "../src/analysis/answer-order.js";
import { buildDemoEstate } from "../src/connectors/demo/index.js";
import { lazyConnector } from "../src/connectors/lazy.js";
import { emptySnapshot } from "../src/model/inventory.js";
import { shareRepeatedValues } from "../src/model/share-values.js";

function referenceOrder(group: number[], value: number[], ids: string[]): number[] {
  return group
    .map((_, k) => k)
    .sort((a, b) => (group[a] as number) - (group[b] as number) || (value[a] as number) - (value[b] as number) || ((ids[a] as string) < (ids[b] as string) ? -1 : (ids[a] as string) > (ids[b] as string) ? 1 : 0));
}

describe("answer order", () => {
  const entries = (values: fc.Arbitrary<number>) =>
    fc.uniqueArray(fc.record({ id: fc.string({ maxLength: 6 }), group: fc.integer({ min: 0, max: 3 }), value: values }), { selector: (e) => e.id, maxLength: 60 });

  const check = (list: { id: string; group: number; value: number }[]) => {
    const ids = list.map((e) => e.id);
    const order = answerOrder(
      Uint8Array.from(list.map((e) => e.group)),
      Float64Array.from(list.map((e) => e.value)),
      Int32Array.from(list.map((_, k) => k)),
      ids,
      () => idOrderOf(ids),
    );
    expect([...order]).toEqual(referenceOrder(list.map((e) => e.group), list.map((e) => e.value), ids));
  };

  it("sorts by group, value and id when the keys pack into one number", () => {
    fc.assert(fc.property(entries(fc.integer({ min: -5000, max: 5000 })), check));
  });

  it("gives the same order through the comparator fallback (fractions, huge values)", () => {
    fc.assert(fc.property(entries(fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constant(2 ** 40))), check));
  });
});

describe("shared repeated values", () => {
  it("leaves the estate deep-equal while making equal evidence one object", () => {
    const estate = buildDemoEstate(new Date("2026-11-24T12:00:00Z"));
    const before = structuredClone(estate);
    const shared = shareRepeatedValues(estate);
    expect(shared).toEqual(before);
    const evidence = new Set(shared.grants.map((g) => g.evidence));
    expect(evidence.size).toBeLessThan(shared.grants.length / 10);
  });
});

describe("lazy cloud connectors", () => {
  it("loads the connector (and its SDK) only when it first collects", async () => {
    let loads = 0;
    const connector = lazyConnector("aws", "AWS", async () => {
      loads++;
      return { id: "aws", description: "AWS", collect: async () => emptySnapshot("2026-11-24T00:00:00Z"), describeCredentialScope: (t: string) => `session for ${t}` };
    });
    expect(connector.describeCredentialScope?.("T-1")).toBe("aws: no session yet");
    connector.endTask?.("T-1");
    expect(loads).toBe(0);
    await connector.collect({ taskId: "T-1", now: new Date(), recordOperation: () => undefined });
    await connector.collect({ taskId: "T-1", now: new Date(), recordOperation: () => undefined });
    expect(loads).toBe(1);
    expect(connector.describeCredentialScope?.("T-1")).toBe("session for T-1");
  });
});
