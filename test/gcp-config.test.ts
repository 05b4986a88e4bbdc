import { describe, expect, test } from "vitest";
import { z } from "zod";
import { gcpProviderConfigSchema } from "../src/providers/gcp/index.js";

describe("providers.gcp configuration", () => {
  test("defaults: 600 s tokens, 16 calls in flight, 5 attempts, 30 s timeout, 5 min cache, everything collected", () => {
    expect(gcpProviderConfigSchema.parse({ projects: ["my-project-1"] })).toEqual({
      folders: [],
      projects: ["my-project-1"],
      excludeProjects: [],
      tokenLifetimeSeconds: 600,
      maxConcurrency: 16,
      maxAttempts: 5,
      callTimeoutMs: 30_000,
      cacheTtlSeconds: 300,
      collect: { activity: true, serviceAccountPolicies: true, denyPolicies: true, principalAccessBoundaries: true, workloadIdentity: true, resourcePolicies: true, groups: true },
      groupLimits: { maxDepth: 10, maxGroups: 5_000, maxMembersPerGroup: 100_000 },
      secretManagerLocations: [],
      endpoints: {},
    });
  });

  test("rejects an empty scope, bad ids, unknown keys, a non-service-account to impersonate and token lifetimes beyond an hour", () => {
    const messages = (input: unknown) => (gcpProviderConfigSchema.safeParse(input).error?.issues ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    expect(messages({})).toEqual(["projects: configure an organization, folders or projects to scan"]);
    expect(messages({ organization: "example.com" })).toEqual(["organization: expected a numeric id"]);
    expect(messages({ projects: ["p"] })).toEqual(["projects.0: expected a project id such as my-project-123"]);
    expect(messages({ projects: ["my-project-1"], impersonateServiceAccount: "someone@example.com" })).toEqual([
      "impersonateServiceAccount: expected a service account email (name@project.iam.gserviceaccount.com)",
    ]);
    expect(messages({ projects: ["my-project-1"], tokenLifetimeSeconds: 7200 })).toHaveLength(1);
    expect(messages({ projects: ["my-project-1"], endpoints: { iam: "ftp://x" } })).toHaveLength(1);
    expect(messages({ projects: ["my-project-1"], region: "x" })).toHaveLength(1);
  });

  test("regional secret locations: named as in a regional endpoint's host, and an endpoint override only for a configured location", () => {
    const messages = (input: unknown) => (gcpProviderConfigSchema.safeParse(input).error?.issues ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    expect(gcpProviderConfigSchema.parse({ projects: ["my-project-1"], secretManagerLocations: ["europe-west1", "us"], endpoints: { secretManagerRegional: { us: "http://127.0.0.1:8085" } } }).secretManagerLocations).toEqual([
      "europe-west1",
      "us",
    ]);
    expect(messages({ projects: ["my-project-1"], secretManagerLocations: ["europe-west1.evil.example"] })).toEqual(["secretManagerLocations.0: expected a location such as europe-west1"]);
    expect(messages({ projects: ["my-project-1"], secretManagerLocations: ["europe-west1"], endpoints: { secretManagerRegional: { "us-east4": "https://secretmanager.us-east4.rep.googleapis.com" } } })).toEqual([
      "endpoints.secretManagerRegional.us-east4: us-east4 is not one of secretManagerLocations",
    ]);
  });

  test("converts to JSON Schema for the config schema file", () => {
    expect(() => z.toJSONSchema(gcpProviderConfigSchema, { io: "input" })).not.toThrow();
  });
});
