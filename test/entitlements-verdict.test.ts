/**
 * A verdict that takes in a shared one later (`absorbShared`) reads exactly like one that took it
 * in at once (`absorb`): same entries in the same order, the first block winning, whatever is
 * added or read afterwards; and its outcome is known before the copy is made.
 */
import { describe, expect, it } from "vitest";
import type { OpenCondition } from "../src/analysis/entitlements/index.js";
import { Verdict } from "../src/analysis/entitlements/verdict.js";

const open = (on: string, expression: string): OpenCondition => ({ expression, keys: ["aws:SourceIp"], on });

/** Everything a verdict says, in order. */
function read(verdict: Verdict) {
  return {
    outcome: verdict.outcome,
    blockedBy: verdict.blockedBy,
    conditions: [...verdict.conditions],
    unknownReasons: [...verdict.unknownReasons],
    eligibility: [...verdict.eligibility],
    notes: [...verdict.notes],
    justification: [...verdict.justification],
  };
}

function shared(): Verdict {
  return new Verdict()
    .justify("scp#Allow", "grant-1")
    .addOpenConditions([open("rp#Org", "aws:PrincipalOrgID StringEquals o-1")])
    .note("except what d#1 denies")
    .unknown("collection gap for aws");
}

/** The same changes on both, one taking `other` in at once and one later. */
function both(other: () => Verdict, before: (v: Verdict) => void, after: (v: Verdict) => void): [Verdict, Verdict] {
  const eager = new Verdict();
  const deferred = new Verdict();
  before(eager);
  before(deferred);
  eager.absorb(other());
  deferred.absorbShared(other());
  after(eager);
  after(deferred);
  return [eager, deferred];
}

describe("Verdict.absorbShared", () => {
  it("reads like absorb, with entries added before and after in the same order", () => {
    const [eager, deferred] = both(
      shared,
      (v) => v.justify("grant-1", "policy#Read").addOpenConditions([open("policy#Read", "aws:SourceIp IpAddress 10.0.0.0/8")]),
      (v) => v.note("public: anyone").justify("rp#Org").unknown("collection gap for aws"),
    );
    expect(read(deferred)).toEqual(read(eager));
    expect(read(deferred).justification).toEqual(["grant-1", "policy#Read", "scp#Allow", "rp#Org"]);
  });

  it("knows the outcome before taking the shared verdict in, the worse of the two", () => {
    const deferred = new Verdict().justify("grant-1").absorbShared(shared());
    expect(deferred.outcome).toBe("unknown");
    const blocked = new Verdict().block({ kind: "scp", id: "ou-1", description: "no" });
    expect(new Verdict().addOpenConditions([open("s", "x")]).absorbShared(blocked).outcome).toBe("denied");
    expect(new Verdict().absorbShared(new Verdict()).outcome).toBe("allowed");
    expect(new Verdict().eligible("pim-1").absorbShared(new Verdict().addOpenConditions([open("s", "x")])).outcome).toBe("eligible");
  });

  it("keeps the first block: its own when it has one, else the shared one's", () => {
    const own = { kind: "explicit_deny" as const, id: "d#1", description: "own" };
    const theirs = { kind: "scp" as const, id: "ou-1", description: "theirs" };
    const other = () => new Verdict().block(theirs);
    const [eagerOwn, deferredOwn] = both(other, (v) => v.block(own), () => {});
    expect(deferredOwn.blockedBy).toEqual(own);
    expect(read(deferredOwn)).toEqual(read(eagerOwn));
    const [eagerLater, deferredLater] = both(other, () => {}, (v) => v.block(own));
    expect(deferredLater.blockedBy).toEqual(theirs);
    expect(read(deferredLater)).toEqual(read(eagerLater));
  });

  it("takes in one shared verdict before the next, and a clone is its own copy", () => {
    const first = new Verdict().justify("a").note("first");
    const second = new Verdict().justify("b", "a").note("second");
    const deferred = new Verdict().absorbShared(first).absorbShared(second);
    expect(read(deferred)).toEqual(read(new Verdict().absorb(first).absorb(second)));
    const copy = deferred.clone();
    deferred.note("only on the original");
    expect(copy.notes).toEqual(["first", "second"]);
  });
});
