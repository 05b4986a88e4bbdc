import { actionFitsProvider } from "../src/providers/registry.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  grantedShapes,
  patternCovers,
  patternsIntersect,
  relateToSet,
  wildcardMatch,
} from "../src/analysis/entitlements/matching.js";
import { propertyRuns } from "./support/property-runs.js";

describe("wildcardMatch", () => {
  it("matches * (any run) and ? (one character)", () => {
    expect(wildcardMatch("s3:Get*", "s3:GetObject", true)).toBe(true);
    expect(wildcardMatch("s3:Get?bject", "s3:GetObject", true)).toBe(true);
    expect(wildcardMatch("s3:Get?bject", "s3:GetObjectAcl", true)).toBe(false);
    expect(wildcardMatch("*", "", true)).toBe(true);
  });

  it("folds case only when asked (actions yes, ARNs no)", () => {
    expect(wildcardMatch("S3:GETOBJECT", "s3:GetObject", true)).toBe(true);
    expect(wildcardMatch("arn:aws:s3:::Data/*", "arn:aws:s3:::data/x", false)).toBe(false);
  });

  it("treats regex metacharacters literally", () => {
    expect(wildcardMatch("arn:aws:s3:::a.b/(x)+", "arn:aws:s3:::a.b/(x)+", false)).toBe(true);
    expect(wildcardMatch("arn:aws:s3:::a.b/*", "arn:aws:s3:::aXb/key", false)).toBe(false);
  });
});

describe("pattern to pattern", () => {
  it("intersects patterns that share a match, in either order", () => {
    expect(patternsIntersect("s3:Get*", "s3:*Object", true)).toBe(true);
    expect(patternsIntersect("s3:*Object", "s3:Get*", true)).toBe(true);
    expect(patternsIntersect("s3:Get*", "s3:Put*", true)).toBe(false);
    expect(patternsIntersect("a?c", "*b*", false)).toBe(true);
  });

  it("covers only when every match of the narrower pattern matches the wider", () => {
    expect(patternCovers("s3:*", "s3:Get*", true)).toBe(true);
    expect(patternCovers("s3:Get*", "s3:*", true)).toBe(false);
    expect(patternCovers("*", "anything?", false)).toBe(true);
    expect(patternCovers("a?", "a*", false)).toBe(false);
    expect(patternCovers("arn:aws:s3:::b/*", "arn:aws:s3:::b/x", false)).toBe(true);
  });

  const alphabet = fc.constantFrom("a", "b", "*", "?");
  const pattern = fc.array(alphabet, { maxLength: 6 }).map((chars) => chars.join(""));
  const literal = fc.array(fc.constantFrom("a", "b"), { maxLength: 7 }).map((chars) => chars.join(""));

  it("never claims coverage that a literal contradicts (property)", () => {
    fc.assert(
      fc.property(pattern, pattern, literal, (wide, narrow, value) => {
        if (patternCovers(wide, narrow, false) && wildcardMatch(narrow, value, false)) {
          expect(wildcardMatch(wide, value, false)).toBe(true);
        }
      }),
      propertyRuns(2000),
    );
  });

  it("agrees with a brute-force search for a common match (property)", () => {
    // Patterns of at most 3 characters always share a match of at most 6 characters if any.
    const short = fc.array(alphabet, { maxLength: 3 }).map((chars) => chars.join(""));
    const words: string[] = [""];
    for (let length = 1; length <= 7; length++) {
      for (const word of words.filter((w) => w.length === length - 1)) words.push(`${word}a`, `${word}b`);
    }
    fc.assert(
      fc.property(short, short, (a, b) => {
        const brute = words.some((w) => wildcardMatch(a, w, false) && wildcardMatch(b, w, false));
        expect(patternsIntersect(a, b, false)).toBe(brute);
      }),
      propertyRuns(1000),
    );
  });
});

describe("statement sets", () => {
  it("relates a request to Action/NotAction lists: full, partial, none", () => {
    expect(relateToSet("s3:GetObject", ["s3:*"], undefined, true, "none")).toEqual({ relation: "full", exceptions: [] });
    expect(relateToSet("s3:*", ["s3:Get*"], undefined, true, "none")).toEqual({ relation: "partial", exceptions: [] });
    expect(relateToSet("s3:*", undefined, ["s3:DeleteBucket"], true, "none")).toEqual({ relation: "partial", exceptions: ["s3:DeleteBucket"] });
    expect(relateToSet("iam:CreateUser", undefined, ["iam:*"], true, "none")).toEqual({ relation: "none", exceptions: [] });
    expect(relateToSet("x", undefined, undefined, true, "none").relation).toBe("none");
    expect(relateToSet("x", undefined, undefined, false, "all").relation).toBe("full");
  });

  it("narrows granted shapes to the request and folds covered ones", () => {
    expect(grantedShapes("secretsmanager:*", ["secretsmanager:GetSecretValue", "s3:GetObject"], undefined, true, "none")).toEqual([
      { pattern: "secretsmanager:GetSecretValue", exceptions: [] },
    ]);
    expect(grantedShapes("s3:Get*", ["s3:*", "s3:GetObject"], undefined, true, "none")).toEqual([{ pattern: "s3:Get*", exceptions: [] }]);
    expect(grantedShapes(undefined, undefined, ["iam:*"], true, "none")).toEqual([{ pattern: "*", exceptions: ["iam:*"] }]);
    expect(grantedShapes("iam:PassRole", undefined, ["iam:*"], true, "none")).toEqual([]);
  });
});

describe("actionFitsProvider", () => {
  it("tells providers apart by action syntax, and lets bare wildcards fit all", () => {
    expect(actionFitsProvider("s3:GetObject", "aws")).toBe(true);
    expect(actionFitsProvider("s3:GetObject", "azure")).toBe(false);
    expect(actionFitsProvider("secretmanager.versions.access", "gcp")).toBe(true);
    expect(actionFitsProvider("secretmanager.versions.access", "azure")).toBe(false);
    expect(actionFitsProvider("Microsoft.KeyVault/vaults/secrets/getSecret/action", "azure")).toBe(true);
    expect(actionFitsProvider("Microsoft.KeyVault/vaults/secrets/getSecret/action", "gcp")).toBe(false);
    expect(["aws", "gcp", "azure"].every((p) => actionFitsProvider("*", p as "aws"))).toBe(true);
  });
});
