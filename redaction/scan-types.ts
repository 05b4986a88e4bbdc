/** Types shared by the text scanner and its detectors. */
import type { FieldNameClassifier } from "./field-names.js";

/** A secret found in a string: [start, end) is replaced by one marker. */
export interface Span {
  start: number;
  end: number;
  kind: string;
  /**
   * True when the detector knows the exact extent of the secret inside structured text (the
   * password of a URL, the sig= of a SAS URL, the credentials after "Bearer"): the rest of the
   * string is structure, so a secret-named field may keep it.
   */
  partial: boolean;
  /** What the fingerprint is computed over when it is not the span's text (normalized PEM body). */
  fingerprintSource?: string;
  /**
   * The span lies inside markers of an earlier redaction: the secret there is already gone, and
   * the marker is kept as it is (a marker is never redacted again, so none is ever nested).
   */
  alreadyRedacted?: true;
}

export interface PushOptions {
  partial?: boolean;
  fingerprintSource?: string;
}

export interface DetectorEnvironment {
  /** Families the prefilter saw (see prefilter.ts). */
  readonly flags: number;
  readonly classifier: FieldNameClassifier;
  push(start: number, end: number, kind: string, options?: PushOptions): void;
  /** Scans decoded content (base64 payloads) and returns the kinds of secrets found in it. */
  inspectDecoded(decoded: string): readonly string[];
}

export type Detector = (text: string, env: DetectorEnvironment) => void;
