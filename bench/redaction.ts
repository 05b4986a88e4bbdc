/**
 * Redaction benchmark, in one run:
 *   1. our redactor vs secretlint (+ preset-recommend) on the labelled corpus (test/redaction-corpus):
 *      recall of planted secrets, identifiers lost, throughput;
 *   2. our throughput on a generated ~10 MB inventory document (identifiers, dates, descriptions).
 *
 *   npm run build && node dist/bench/redaction.js
 *
 * Both tools see the same bytes: each case rendered as text (JSON pretty-printed). Ours counts a
 * secret as found when no 16-character window of it is left in the output (the test criterion);
 * secretlint, which reports instead of scrubbing, when every occurrence of every line of the
 * secret lies inside a reported range. An identifier is lost when it is missing from our output,
 * or when a secretlint range overlaps one of its occurrences (a scrubber using those ranges would
 * destroy it).
 */
import { lintSource } from "@secretlint/core";
import { creator as recommendedPreset } from "@secretlint/secretlint-rule-preset-recommend";
import type { SecretLintCoreConfig } from "@secretlint/types";
import { createRedactor, runRedactCommand } from "../redaction/index.js";
import { corpusText, positiveCases, redactionCorpus, type RedactionCorpusCase } from "../test/redaction-corpus/index.js";
import { generateRedactionInventory } from "./redaction-inventory.js";

const KEY = Buffer.alloc(32, 42);
const CORPUS_ROUNDS = 40;
const INVENTORY_BYTES = 10 * 1024 * 1024;
const INVENTORY_RUNS = 7;

interface ToolScore {
  tool: string;
  planted: number;
  found: number;
  identifiers: number;
  identifiersLost: number;
  megabytesPerSecond: number;
  missed: string[];
  lost: string[];
}

function occurrences(text: string, needle: string): number[] {
  const positions: number[] = [];
  if (needle.length === 0) return positions;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) positions.push(at);
  return positions;
}

function leaked(secret: string, output: string): boolean {
  const lines = secret.split("\n").filter((line) => line.length >= 16);
  if (lines.length === 0) return output.includes(secret);
  return lines.some((line) => {
    for (let index = 0; index + 16 <= line.length; index++) if (output.includes(line.slice(index, index + 16))) return true;
    return false;
  });
}

function secretLines(secret: string): string[] {
  return secret.split("\n").filter((line) => line.length > 0);
}

function megabytes(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / 1e6;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function scoreOurs(cases: readonly RedactionCorpusCase[], texts: readonly string[]): ToolScore {
  const redactor = createRedactor({ key: KEY, timeoutMs: 60_000 });
  const score: ToolScore = { tool: "wiam redactor", planted: 0, found: 0, identifiers: 0, identifiersLost: 0, megabytesPerSecond: 0, missed: [], lost: [] };
  cases.forEach((corpusCase, index) => {
    const output = redactor.redactText(texts[index] ?? "").value;
    for (const secret of corpusCase.secrets) {
      score.planted++;
      if (leaked(secret, output)) score.missed.push(`${corpusCase.id}: ${secret.slice(0, 32)}`);
      else score.found++;
    }
    for (const identifier of corpusCase.identifiers) {
      score.identifiers++;
      if (!output.includes(identifier)) {
        score.identifiersLost++;
        score.lost.push(`${corpusCase.id}: ${identifier.slice(0, 48)}`);
      }
    }
  });
  for (const text of texts) redactor.redactText(text); // warm-up
  const started = performance.now();
  for (let round = 0; round < CORPUS_ROUNDS; round++) for (const text of texts) redactor.redactText(text);
  score.megabytesPerSecond = (megabytes(texts) * CORPUS_ROUNDS) / ((performance.now() - started) / 1000);
  return score;
}

async function scoreSecretlint(cases: readonly RedactionCorpusCase[], texts: readonly string[]): Promise<ToolScore> {
  const config: SecretLintCoreConfig = { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommendedPreset }] };
  const lint = (content: string, index: number) =>
    lintSource({ source: { content, filePath: `/corpus/case-${index}.txt`, contentType: "text" }, options: { config, noPhysicFilePath: true } });
  const score: ToolScore = { tool: "secretlint (preset-recommend)", planted: 0, found: 0, identifiers: 0, identifiersLost: 0, megabytesPerSecond: 0, missed: [], lost: [] };
  for (const [index, corpusCase] of cases.entries()) {
    const content = texts[index] ?? "";
    const result = await lint(content, index);
    const ranges = result.messages.map((message) => message.range);
    const covered = (start: number, end: number) => ranges.some(([from, to]) => from <= start && to >= end);
    const overlaps = (start: number, end: number) => ranges.some(([from, to]) => from < end && to > start);
    for (const secret of corpusCase.secrets) {
      score.planted++;
      const found = secretLines(secret).every((line) => {
        const positions = occurrences(content, line);
        return positions.length > 0 && positions.every((at) => covered(at, at + line.length));
      });
      if (found) score.found++;
      else score.missed.push(`${corpusCase.id}: ${secret.slice(0, 32)}`);
    }
    for (const identifier of corpusCase.identifiers) {
      score.identifiers++;
      if (occurrences(content, identifier).some((at) => overlaps(at, at + identifier.length))) {
        score.identifiersLost++;
        score.lost.push(`${corpusCase.id}: ${identifier.slice(0, 48)}`);
      }
    }
  }
  const rounds = Math.max(1, Math.floor(CORPUS_ROUNDS / 4));
  for (const [index, text] of texts.entries()) await lint(text, index); // warm-up
  const started = performance.now();
  for (let round = 0; round < rounds; round++) for (const [index, text] of texts.entries()) await lint(text, index);
  score.megabytesPerSecond = (megabytes(texts) * rounds) / ((performance.now() - started) / 1000);
  return score;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  rows.forEach((row, index) => {
    console.log(`| ${row.map((cell, column) => pad(cell, widths[column] ?? 0)).join(" | ")} |`);
    if (index === 0) console.log(`|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`);
  });
}

function inventoryThroughput(): { bytes: number; coldMs: number; medianMs: number; endToEndMs: number; findings: number } {
  const generated = generateRedactionInventory(INVENTORY_BYTES);
  // Parsed from text, as a response body would be (flat strings, not concatenation ropes).
  const json = JSON.stringify(generated.document);
  const document: unknown = JSON.parse(json);
  const redactor = createRedactor({ key: KEY, timeoutMs: 60_000 });
  let findings = 0;
  const times: number[] = [];
  for (let run = 0; run < INVENTORY_RUNS; run++) {
    const started = performance.now();
    findings = redactor.redact(document).findings.length;
    times.push(performance.now() - started);
  }
  const started = performance.now();
  runRedactCommand(json, { report: "text", redactor });
  const endToEndMs = performance.now() - started;
  return { bytes: Buffer.byteLength(json), coldMs: times[0] ?? 0, medianMs: median(times.slice(1)), endToEndMs, findings };
}

async function main(): Promise<void> {
  const texts = redactionCorpus.map(corpusText);
  const planted = positiveCases.reduce((sum, corpusCase) => sum + corpusCase.secrets.length, 0);
  const identifiers = redactionCorpus.reduce((sum, corpusCase) => sum + corpusCase.identifiers.length, 0);
  console.log(`Redaction corpus: ${redactionCorpus.length} cases (${positiveCases.length} positive, ${redactionCorpus.length - positiveCases.length} negative), ${planted} planted secrets, ${identifiers} identifiers, ${megabytes(texts).toFixed(2)} MB as text\n`);

  const ours = scoreOurs(redactionCorpus, texts);
  const secretlint = await scoreSecretlint(redactionCorpus, texts);
  printTable([
    ["tool", "recall", "secrets found", "identifiers lost", "MB/s (corpus)"],
    ...[ours, secretlint].map((score) => [
      score.tool,
      `${((100 * score.found) / Math.max(1, score.planted)).toFixed(1)}%`,
      `${score.found}/${score.planted}`,
      `${score.identifiersLost}/${score.identifiers}`,
      score.megabytesPerSecond.toFixed(1),
    ]),
  ]);
  for (const score of [ours, secretlint]) {
    if (score.missed.length > 0) console.log(`\n${score.tool} missed ${score.missed.length}:\n  ${score.missed.slice(0, 12).join("\n  ")}${score.missed.length > 12 ? "\n  ..." : ""}`);
    if (score.lost.length > 0) console.log(`\n${score.tool} lost identifiers:\n  ${score.lost.slice(0, 12).join("\n  ")}`);
  }

  const inventory = inventoryThroughput();
  const mb = inventory.bytes / 1e6;
  console.log(`\nInventory document: ${mb.toFixed(1)} MB of JSON, ${inventory.findings} findings (expected 0)\n`);
  printTable([
    ["measurement", "time", "MB/s"],
    ["redact(value), first call (cold JIT)", `${inventory.coldMs.toFixed(0)} ms`, (mb / (inventory.coldMs / 1000)).toFixed(1)],
    [`redact(value), median of ${INVENTORY_RUNS - 1} warm calls`, `${inventory.medianMs.toFixed(0)} ms`, (mb / (inventory.medianMs / 1000)).toFixed(1)],
    ["runRedactCommand (parse + redact + stringify)", `${inventory.endToEndMs.toFixed(0)} ms`, (mb / (inventory.endToEndMs / 1000)).toFixed(1)],
  ]);
  printLongLines();
  const recall = ours.found / Math.max(1, ours.planted);
  const throughput = mb / (inventory.medianMs / 1000);
  const pass = recall >= 0.99 && ours.identifiersLost === 0 && throughput >= 50 && inventory.findings === 0;
  console.log(`\nTargets (recall >= 99%, no identifier lost, >= 50 MB/s warm): ${pass ? "met" : "NOT met"}`);
}

/**
 * One long line of a repeated header or pair, against the same line of plain words (the same-run
 * baseline): redaction stays linear in the line's length, so a 700 KB line costs a small multiple
 * of the plain one, not seconds.
 */
function printLongLines(): void {
  const redactor = createRedactor({ key: KEY, timeoutMs: 60_000 });
  const timed = (unit: string): number => {
    const text = unit.repeat(Math.floor(700_000 / unit.length));
    const started = performance.now();
    redactor.redactText(text);
    return performance.now() - started;
  };
  const baseline = timed("plain words ");
  console.log(`\nOne 700 KB line (baseline: plain words, ${baseline.toFixed(0)} ms):`);
  printTable([
    ["repeated unit", "time", "x baseline"],
    ...["Authorization: Bearer ", "Authorization: error ", 'Authorization: "" ', "password=x ", "token: abc "].map((unit) => {
      const ms = timed(unit);
      return [JSON.stringify(unit), `${ms.toFixed(0)} ms`, (ms / Math.max(1, baseline)).toFixed(1)];
    }),
  ]);
}

await main();
