/** The labelled redaction corpus: positive cases (planted secrets) and negative cases (identifiers only). */
import { awsCases } from "./positive-aws.js";
import { azureCases } from "./positive-azure.js";
import { fileCases } from "./positive-files.js";
import { gcpCases } from "./positive-gcp.js";
import { moreCases } from "./positive-more.js";
import { negativeCases as baseNegativeCases } from "./negative-cases.js";
import { hardeningNegativeCases } from "./negative-hardening.js";
import { hardeningCases } from "./positive-hardening.js";
import type { RedactionCorpusCase } from "./types.js";

export type { CorpusInput, RedactionCorpusCase } from "./types.js";
export { fake } from "./fake-secrets.js";

export const positiveCases: readonly RedactionCorpusCase[] = [...awsCases, ...azureCases, ...gcpCases, ...fileCases, ...moreCases, ...hardeningCases];
export const negativeCases: readonly RedactionCorpusCase[] = [...baseNegativeCases, ...hardeningNegativeCases];
export const redactionCorpus: readonly RedactionCorpusCase[] = [...positiveCases, ...negativeCases];

/** The input as the text a line-oriented scanner would see (JSON pretty-printed). */
export function corpusText(corpusCase: RedactionCorpusCase): string {
  return corpusCase.input.kind === "text" ? corpusCase.input.value : JSON.stringify(corpusCase.input.value, null, 2);
}
