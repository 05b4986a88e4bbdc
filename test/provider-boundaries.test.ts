/**
 * One module per provider: no file outside `src/providers/<id>/` imports that provider's SDKs or
 * takes its identifiers apart, so a cloud's knowledge stays in its folder and neutral code asks
 * the registry.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { PROVIDER_IDS } from "../src/providers/ids.js";
import { PROVIDER_MODULES, PROVIDERS } from "../src/providers/registry.js";

const ROOT = join(import.meta.dirname, "..");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Code without comments, so documentation may name what the code must not do. */
function code(file: string): string {
  return readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

const SHIPPED = ["src", "tools", "redaction"].flatMap((folder) => sourceFiles(join(ROOT, folder))).map((file) => relative(ROOT, file));

const SDK_PACKAGES: Record<(typeof PROVIDER_IDS)[number], RegExp> = {
  aws: /^@aws-sdk\//,
  azure: /^@azure\//,
  gcp: /^(@google-cloud\/|@googleapis\/|google-auth-library$|google-gax$|googleapis$)/,
};

/** Ways code takes a provider's identifiers apart (or spells them) by hand. */
const ID_PARSING: Record<(typeof PROVIDER_IDS)[number], RegExp[]> = {
  aws: [/startsWith\(\s*["'`]arn:/, /\.split\(\s*["']:["']\s*\)/, /["'`]aws:account\//, /["'`]arn:\$\{/],
  gcp: [/projects\\\/\(/, /startsWith\(\s*["'`](projects|folders|organizations)\//, /googleapis\\\.com/],
  azure: [/startsWith\(\s*["'`]\/subscriptions/, /vault\\\.azure\\\.net/, /(endsWith|includes)\(\s*["'`][^"'`]*vault\.azure\.net/],
};

/** Files that hold provider ids as data, not code that parses them. */
const DATA_FILES = new Set(["src/connectors/demo/anchors.ts"]);

/**
 * The redactor stands alone (usable without the server) and must recognise every cloud's
 * identifiers to leave them intact, so it keeps its own identifier shapes.
 */
const STANDALONE = (file: string) => file.startsWith("redaction/");

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["']([^"']+)["']/g)].map((match) => match[1] ?? "");
}

describe("one module per provider", () => {
  test("the registry holds exactly one module per provider id, each under its own id", () => {
    expect(Object.keys(PROVIDER_MODULES)).toEqual([...PROVIDER_IDS]);
    expect(PROVIDERS.map((module) => module.id)).toEqual([...PROVIDER_IDS]);
    for (const module of PROVIDERS) expect(module.escalationRules.length).toBeGreaterThan(0);
  });

  test("no file outside src/providers/<id>/ imports that provider's SDK", () => {
    const misplaced = SHIPPED.flatMap((file) =>
      importsOf(code(join(ROOT, file))).flatMap((specifier) =>
        PROVIDER_IDS.filter((id) => SDK_PACKAGES[id].test(specifier) && !file.startsWith(`src/providers/${id}/`)).map((id) => `${file} imports ${specifier} (${id})`),
      ),
    );
    expect(misplaced).toEqual([]);
  });

  test("no file outside src/providers/<id>/ parses that provider's ids", () => {
    const misplaced = SHIPPED.filter((file) => !DATA_FILES.has(file) && !STANDALONE(file)).flatMap((file) => {
      const text = code(join(ROOT, file));
      return PROVIDER_IDS.flatMap((id) =>
        file.startsWith(`src/providers/${id}/`) ? [] : ID_PARSING[id].filter((pattern) => pattern.test(text)).map((pattern) => `${file}: ${id} ${pattern}`),
      );
    });
    expect(misplaced).toEqual([]);
  });

  test("neutral code never switches on a provider's name", () => {
    const neutral = SHIPPED.filter((file) => !file.startsWith("src/providers/") && !DATA_FILES.has(file));
    const switching = neutral.flatMap((file) => {
      const text = code(join(ROOT, file));
      return [...text.matchAll(/[!=]==\s*["'](aws|gcp|azure)["']|case\s+["'](aws|gcp|azure)["']/g)].map((match) => `${file}: ${match[0]}`);
    });
    expect(switching).toEqual([]);
  });
});
