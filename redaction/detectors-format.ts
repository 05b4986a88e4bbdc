/**
 * Detectors that recognise a secret by its format. Each runs only when the prefilter saw its
 * family. No pattern nests quantifiers; every repetition is over a single character class.
 */
import { enclosingWord, looksLikeIdentifier } from "./identifiers.js";
import { BASE64_CLASSES, HAS_DIGIT, HAS_LOWER, HAS_OTHER, HAS_UPPER, forEachRun, hasMixedAlphanumerics, shannonEntropy } from "./entropy.js";
import { Family } from "./prefilter.js";
import type { Detector, DetectorEnvironment, PushOptions } from "./scan-types.js";

/** Runs a global regex and pushes either the whole match or one capture group. */
function pushMatches(
  text: string,
  env: DetectorEnvironment,
  pattern: RegExp,
  kind: string,
  options: PushOptions & { group?: number; accept?: (secret: string, start: number) => boolean } = {},
): void {
  pattern.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    const group = options.group ?? 0;
    const secret = match[group];
    if (secret === undefined || secret.length === 0) continue;
    const start = group === 0 ? match.index : (match.indices?.[group]?.[0] ?? match.index + match[0].indexOf(secret));
    if (options.accept && !options.accept(secret, start)) continue;
    env.push(start, start + secret.length, kind, options);
  }
}

/** Keywords that make a random-looking value nearby a secret. */
export const SECRET_CONTEXT = /pass|pwd|secret|token|api.?key|private|credential|auth|bearer|\bkey\b|signature|\bsig\b|pfx|p12|pkcs/i;

/** A masked marker (NUL filler, see text-scanner.ts) ends the context: what stood before it is already redacted. */
export function hasSecretContextBefore(text: string, start: number, reach = 100): boolean {
  const from = Math.max(0, start - reach, text.lastIndexOf("\u0000", start - 1) + 1);
  return SECRET_CONTEXT.test(text.slice(from, start));
}

// --- AWS -------------------------------------------------------------------------------------------

const AWS_SECRET_CONTEXT = /aws|secret.?access|access.?key/i;

/** Exactly 40 base64 characters next to an access key id or a secret-suggestive keyword. */
const awsSecretAccessKey: Detector = (text, env) => {
  if ((env.flags & (Family.awsKeyId | Family.keyword)) === 0 || text.length < 40) return;
  const pairedWithKeyId = (env.flags & Family.awsKeyId) !== 0;
  forEachRun(text, BASE64_CLASSES, 40, (run) => {
    if (run.end - run.start !== 40 || text.charAt(run.end) === "=") return;
    if ((run.classes & (HAS_UPPER | HAS_LOWER)) !== (HAS_UPPER | HAS_LOWER)) return;
    if ((run.classes & (HAS_DIGIT | HAS_OTHER)) === 0) return;
    const candidate = text.slice(run.start, run.end);
    if (shannonEntropy(candidate) < 3.8 || looksLikeIdentifier(enclosingWord(text, run.start, run.end))) return;
    if (pairedWithKeyId || AWS_SECRET_CONTEXT.test(text.slice(Math.max(0, run.start - 120), run.start))) {
      env.push(run.start, run.end, "aws_secret_access_key");
    }
  });
};

const AWS_SESSION_TOKEN =
  /(?<![A-Za-z0-9+/])(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz|IgoJb3JpZ2lu|AgoJb3JpZ2lu)[A-Za-z0-9+/]{40,}={0,2}/g;

const awsSessionToken: Detector = (text, env) => {
  if (env.flags & Family.awsSessionToken) pushMatches(text, env, AWS_SESSION_TOKEN, "aws_session_token");
};

// --- Google ----------------------------------------------------------------------------------------

const GOOGLE_ACCESS_TOKEN = /(?<![A-Za-z0-9_-])ya29\.[A-Za-z0-9_\-.]{20,}/g;
const GOOGLE_REFRESH_TOKEN = /(?<![A-Za-z0-9_\-/:])1\/\/[A-Za-z0-9_-]{20,}/g;
const GOOGLE_API_KEY = /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g;

const google: Detector = (text, env) => {
  if ((env.flags & Family.google) === 0) return;
  pushMatches(text, env, GOOGLE_ACCESS_TOKEN, "google_oauth_access_token");
  pushMatches(text, env, GOOGLE_REFRESH_TOKEN, "google_oauth_refresh_token");
  pushMatches(text, env, GOOGLE_API_KEY, "google_api_key");
};

// --- JWT -------------------------------------------------------------------------------------------

const JWT =
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;

const jwt: Detector = (text, env) => {
  if ((env.flags & Family.jwt) === 0) return;
  pushMatches(text, env, JWT, "jwt", {
    accept: (token) => {
      const header = decodeBase64(token.slice(0, token.indexOf(".")));
      return /"(?:alg|typ|enc|kid)"/.test(header);
    },
  });
};

// --- PEM and DER private keys ------------------------------------------------------------------------

const PEM_HEADER = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_FOOTER = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_MAX_LENGTH = 64 * 1024;

/**
 * From BEGIN to END, across real newlines, escaped "\n" and spaces. Without an END (truncated or
 * split text) everything that can belong to a key body is taken: failing closed costs some text.
 */
const pemPrivateKey: Detector = (text, env) => {
  if ((env.flags & Family.pem) === 0) return;
  PEM_HEADER.lastIndex = 0;
  let header: RegExpExecArray | null;
  while ((header = PEM_HEADER.exec(text)) !== null) {
    const start = header.index;
    const bodyStart = start + header[0].length;
    PEM_FOOTER.lastIndex = bodyStart;
    const footer = PEM_FOOTER.exec(text);
    let end: number;
    if (footer && footer.index - bodyStart <= PEM_MAX_LENGTH && !text.slice(bodyStart, footer.index).includes("-----BEGIN")) {
      end = footer.index + footer[0].length;
    } else {
      end = endOfKeyBody(text, bodyStart);
    }
    const body = text.slice(bodyStart, end).replace(/-----END[^-]*-----/, "");
    env.push(start, end, "pem_private_key", { fingerprintSource: normalizeBase64Body(body) });
    PEM_HEADER.lastIndex = end;
  }
};

function endOfKeyBody(text: string, from: number): number {
  let index = from;
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === "\\" && (text.charAt(index + 1) === "n" || text.charAt(index + 1) === "r")) {
      index += 2;
    } else if (/[A-Za-z0-9+/=:,\- \t\r\n]/.test(char)) {
      index++;
    } else {
      break;
    }
  }
  return index;
}

/**
 * PuTTY keys (.ppk): the private lines and their MAC go, the header, comment and public lines stay.
 * The body may be split by real or escaped newlines.
 */
const PUTTY_PRIVATE = /Private-Lines:[ \t]*(\d{1,3})/g;

const puttyPrivateKey: Detector = (text, env) => {
  if ((env.flags & Family.pem) === 0 || !text.includes("PuTTY-User-Key-File")) return;
  PUTTY_PRIVATE.lastIndex = 0;
  let header: RegExpExecArray | null;
  while ((header = PUTTY_PRIVATE.exec(text)) !== null) {
    const start = header.index + header[0].length;
    const mac = /Private-MAC:[ \t]*[0-9a-fA-F]+/g;
    mac.lastIndex = start;
    const found = mac.exec(text);
    // The MAC line closes the key; without one, everything that can belong to the body goes.
    const end = found && found.index - start < 64 * 1024 ? found.index + found[0].length : endOfKeyBody(text, start);
    const body = text.slice(start, end);
    env.push(start, end, "putty_private_key", { fingerprintSource: normalizeBase64Body(body.replace(/Private-MAC:.*/, "")) });
    PUTTY_PRIVATE.lastIndex = end;
  }
};

/** Same key, same fingerprint, whether its lines were split by newlines, "\n" or array items. */
export function normalizeBase64Body(body: string): string {
  return body.replace(/\\[nr]|[^A-Za-z0-9+/=]/g, "");
}

const DER_CANDIDATE = /(?<![A-Za-z0-9+/])MI[IAJ][A-Za-z0-9+/]{60,}={0,2}/g;

/** Base64 DER: PKCS#12 bundles and private keys are secrets; certificates are public. */
const derBlob: Detector = (text, env) => {
  if ((env.flags & Family.der) === 0) return;
  DER_CANDIDATE.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = DER_CANDIDATE.exec(text)) !== null) {
    const blob = match[0];
    const kind = classifyDer(Buffer.from(blob.slice(0, 64), "base64"));
    if (kind === "certificate") continue;
    const end = endOfWrappedBase64(text, match.index + blob.length);
    if (kind === "other") {
      // An unknown DER structure is only a secret where the text says so.
      if (blob.length < 200 || !hasSecretContextBefore(text, match.index, 200)) continue;
      env.push(match.index, end, "der_blob_in_secret_context");
      continue;
    }
    env.push(match.index, end, kind);
    DER_CANDIDATE.lastIndex = end;
  }
};

/**
 * Base64 wrapped at a fixed width (76 columns with CRLF from .NET and PowerShell, 64 from OpenSSL),
 * with real or escaped line breaks: the end of the last continuation line after `from`.
 */
export function endOfWrappedBase64(text: string, from: number): number {
  let end = from;
  for (;;) {
    // Padding ends base64: nothing after "=" continues it.
    if (text.charAt(end - 1) === "=") return end;
    const breakLength = lineBreakAt(text, end);
    if (breakLength === 0) return end;
    let next = end + breakLength;
    const lineStart = next;
    while (next < text.length && isBase64Code(text.charCodeAt(next))) next++;
    while (text.charAt(next) === "=") next++;
    // A continuation line is base64 to its end: `client_secret=...` on the next line is a new name.
    if (next - lineStart < 4 || !endsValue(text, next)) return end;
    end = next;
  }
}

function endsValue(text: string, at: number): boolean {
  return at >= text.length || lineBreakAt(text, at) > 0 || /["',;}\]\s]/.test(text.charAt(at));
}

function lineBreakAt(text: string, at: number): number {
  if (text.startsWith("\r\n", at)) return 2;
  if (text.charAt(at) === "\n") return 1;
  if (text.startsWith("\\r\\n", at)) return 4;
  if (text.startsWith("\\n", at)) return 2;
  return 0;
}

function isBase64Code(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 43 || code === 47;
}

type DerKind = "pkcs12" | "der_private_key" | "certificate" | "other";

const OID_PBES2 = "2a864886f70d01050d";
const OID_PKCS12_PBE = "2a864886f70d010c01";

export function classifyDer(bytes: Buffer): DerKind {
  if (bytes[0] !== 0x30) return "other";
  const inner = afterHeader(bytes, 0);
  if (inner === undefined) return "other";
  if (bytes[inner] === 0x02 && bytes[inner + 1] === 0x01) {
    const version = bytes[inner + 2];
    const next = bytes[inner + 3];
    if (version === 3) return "pkcs12";
    if (version === 0 && (next === 0x30 || next === 0x02)) return "der_private_key"; // PKCS#8, PKCS#1
    if (version === 1 && next === 0x04) return "der_private_key"; // SEC1 EC key
    return "other";
  }
  if (bytes[inner] === 0x30) {
    const content = afterHeader(bytes, inner);
    if (content === undefined) return "other";
    const first = bytes[content];
    if (first === 0xa0 || first === 0x02) return "certificate"; // tbsCertificate: [0] version or serial
    if (first === 0x06) {
      const oid = bytes.subarray(content + 2, content + 2 + (bytes[content + 1] ?? 0)).toString("hex");
      if (oid.startsWith(OID_PBES2) || oid.startsWith(OID_PKCS12_PBE)) return "der_private_key"; // encrypted PKCS#8
    }
  }
  return "other";
}

/** Offset of the content of the DER element at `offset`, or undefined if the header is malformed. */
function afterHeader(bytes: Buffer, offset: number): number | undefined {
  const lengthByte = bytes[offset + 1];
  if (lengthByte === undefined) return undefined;
  if (lengthByte < 0x80 || lengthByte === 0x80) return offset + 2;
  const lengthBytes = lengthByte & 0x7f;
  if (lengthBytes > 4) return undefined;
  return offset + 2 + lengthBytes;
}

// --- Encoded payloads ------------------------------------------------------------------------------

/**
 * Base64 of JSON (`ewo`, `eyJ`...), PEM (`LS0tLS1`), scripts and cloud-init (`IyEv` "#!/",
 * `I2Nsb3VkLWNvbmZpZw` "#cloud-config") and XML (`PD94bWwg` "<?xml ", `PHNhbWxw` "<samlp",
 * `PHNhbWwy` "<saml2").
 */
const BASE64_PAYLOAD =
  /(?<![A-Za-z0-9+/_-])(?:ewo|ew0K|eyAi|eyJ|LS0tLS1|IyEv|I2Nsb3VkLWNvbmZpZw|PD94bWwg|PHNhbWxw|PHNhbWwy|PHNhbWw6)[A-Za-z0-9+/_-]{28,}={0,2}(?![A-Za-z0-9+/=_-])/g;
/** A SAML response or assertion signs in whoever holds it while it is valid: a credential itself. */
const SAML_ASSERTION = /<(?:[A-Za-z0-9]+:)?Assertion[\s>]/;

/** Base64 that decodes to JSON, PEM, a script or XML holding a secret, or to a SAML assertion. */
const base64Payload: Detector = (text, env) => {
  if ((env.flags & (Family.base64Json | Family.jwt)) === 0) return;
  BASE64_PAYLOAD.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = BASE64_PAYLOAD.exec(text)) !== null) {
    const decoded = decodeBase64(match[0]);
    if (!isMostlyPrintable(decoded)) continue;
    if (SAML_ASSERTION.test(decoded)) {
      env.push(match.index, match.index + match[0].length, "saml_assertion");
      continue;
    }
    const kinds = env.inspectDecoded(decoded);
    if (kinds.length === 0) continue;
    const kind = /"type"\s*:\s*"service_account"/.test(decoded) ? "gcp_service_account_key" : `base64_${kinds[0] ?? "secret"}`;
    env.push(match.index, match.index + match[0].length, kind);
  }
};

/** Hex runs long enough to hold a `name=value` pair; the prefilter saw a secret word in hex. */
const HEX_RUN = /(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){16,}(?![0-9A-Fa-f])/g;

/** Hex-encoded text (debug dumps, `xxd -p`): decoded and scanned, replaced whole if it holds a secret. */
const hexPayload: Detector = (text, env) => {
  if ((env.flags & Family.hexText) === 0) return;
  HEX_RUN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = HEX_RUN.exec(text)) !== null) {
    const decoded = Buffer.from(match[0], "hex").toString("utf8");
    if (!isMostlyPrintable(decoded)) continue;
    const kinds = env.inspectDecoded(decoded);
    if (kinds.length > 0) env.push(match.index, match.index + match[0].length, `hex_${kinds[0] ?? "secret"}`);
  }
};

/**
 * A whole value that is base64 of text (Secret Manager `payload.data`, EC2 `UserData`, a ConfigMap
 * blob): the decoded text when it is printable, otherwise undefined. Hex, ids and short values are
 * not decoded.
 */
export function decodedBase64Text(value: string): string | undefined {
  const length = value.length;
  if (length < 24 || length % 4 !== 0 || length > 1024 * 1024) return undefined;
  let upper = false;
  let lower = false;
  for (let index = 0; index < length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 65 && code <= 90) upper = true;
    else if (code >= 97 && code <= 122) lower = true;
    else if (!((code >= 48 && code <= 57) || code === 43 || code === 47 || (code === 61 && index >= length - 2))) return undefined;
  }
  if (!upper || !lower) return undefined;
  const decoded = decodeBase64(value);
  return isMostlyPrintable(decoded) && decoded.length >= 8 ? decoded : undefined;
}

/**
 * PEM certificates and public keys (no private key block), their base64, or a base64 DER
 * certificate: public material even under a secret-sounding name (a TLS secret's `ca.crt`).
 */
export function isPublicCertificate(value: string): boolean {
  const trimmed = value.trim();
  const pem = trimmed.startsWith("LS0tLS1") ? (decodedBase64Text(trimmed.replace(/\s+/g, "")) ?? "") : trimmed;
  if (pem.startsWith("-----BEGIN")) {
    if (pem.includes("PRIVATE KEY") || pem.includes("ENCRYPTED")) return false;
    const blocks = pem.match(/-----BEGIN ([A-Z0-9 ]+)-----/g) ?? [];
    return blocks.length > 0 && blocks.every((block) => /BEGIN (?:CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|X509 CRL|TRUSTED CERTIFICATE)-----/.test(block));
  }
  return /^MII[A-Za-z0-9+/]{60,}={0,2}$/.test(trimmed) && classifyDer(Buffer.from(trimmed.slice(0, 64), "base64")) === "certificate";
}

export function decodeBase64(text: string): string {
  return Buffer.from(text, "base64").toString("utf8");
}

function isMostlyPrintable(text: string): boolean {
  if (text.length === 0) return false;
  let bad = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0xfffd || (code < 32 && code !== 9 && code !== 10 && code !== 13)) bad++;
  }
  return bad / text.length < 0.05;
}

// --- Azure -----------------------------------------------------------------------------------------

const CONNECTION_STRING_KEY = /(?<![A-Za-z0-9])(AccountKey|SharedAccessKey|SharedSecretValue|SharedSecret)[ \t]*=[ \t]*("[^"]*"|'[^']*'|[^;"'\s]+)/gi;

const azureStorage: Detector = (text, env) => {
  if ((env.flags & Family.storage) === 0) return;
  // 64 random bytes: exactly 86 base64 characters and "==" (a run scan, not a regex: base64-heavy text is common).
  forEachRun(text, BASE64_CLASSES, 86, (run) => {
    if (run.end - run.start !== 86 || !text.startsWith("==", run.end)) return;
    // Padding ends base64: a third "=" means another length, but text glued after "==" is a second value.
    if (text.charCodeAt(run.end + 2) === 61) return;
    if ((run.classes & (HAS_UPPER | HAS_LOWER | HAS_DIGIT)) !== (HAS_UPPER | HAS_LOWER | HAS_DIGIT)) return;
    if (/sha512[-:]$/i.test(text.slice(Math.max(0, run.start - 7), run.start))) return;
    env.push(run.start, run.end + 2, "azure_storage_account_key");
  });
  CONNECTION_STRING_KEY.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = CONNECTION_STRING_KEY.exec(text)) !== null) {
    const name = match[1] ?? "";
    const rawValue = match[2] ?? "";
    const quoted = rawValue.startsWith('"') || rawValue.startsWith("'");
    const value = quoted ? rawValue.slice(1, -1) : rawValue;
    if (value.length === 0 || value.startsWith("[REDACTED:")) continue;
    const start = match.index + match[0].length - rawValue.length + (quoted ? 1 : 0);
    const kind = /^AccountKey$/i.test(name) ? "azure_storage_account_key" : "azure_shared_access_key";
    env.push(start, start + value.length, kind, { partial: true });
  }
};

const SAS_SIGNATURE = /(?<=[?&;\s"']|^)sig=([^&\s"'<>;#]+)/dg;
const SIGNED_URL_PARAM = /(?<=[?&,;\s"']|^)(X-Amz-Signature|X-Goog-Signature|X-Amz-Security-Token|Signature)=([^&\s"'<>,;#]+)/gi;

/** Signed URLs keep their resource, expiry and permissions; only the signature goes. */
const urlSignatures: Detector = (text, env) => {
  if ((env.flags & Family.signature) === 0) return;
  pushMatches(text, env, SAS_SIGNATURE, "sas_signature", { group: 1, partial: true, accept: notMarker });
  SIGNED_URL_PARAM.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = SIGNED_URL_PARAM.exec(text)) !== null) {
    const value = match[2] ?? "";
    if (value.length < 8 || !notMarker(value)) continue;
    const start = match.index + match[0].length - value.length;
    const kind = /security-token/i.test(match[1] ?? "") ? "aws_session_token" : "signed_url_signature";
    env.push(start, start + value.length, kind, { partial: true });
  }
};

const ENTRA_CLIENT_SECRET = /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\d?Q~[A-Za-z0-9_~.-]{31,36}(?![A-Za-z0-9_~.-])/g;

const entraClientSecret: Detector = (text, env) => {
  if (env.flags & Family.entra) pushMatches(text, env, ENTRA_CLIENT_SECRET, "entra_client_secret");
};

// --- Vendor tokens ---------------------------------------------------------------------------------

// Distinctive prefixes are found even glued to a word (`tool_ghp_...`, `x_xoxb-...`, `TOKENghp_...`):
// an underscore or letters before them belong to a variable name, not to the token.
const VENDOR_TOKENS: readonly (readonly [RegExp, string])[] = [
  [/gh[pousr]_[A-Za-z0-9]{36,255}(?![A-Za-z0-9_])/g, "github_token"],
  [/github_pat_[A-Za-z0-9_]{22,255}/g, "github_token"],
  [/(?<![A-Za-z0-9])gl(?:pat|dt|rt|ptt|cbt|oas|soat|imt|agent|ffct|ft)-[A-Za-z0-9_-]{20,}/g, "gitlab_token"],
  [/xox[abposr]-[A-Za-z0-9-]{10,}/g, "slack_token"],
  [/xapp-\d-[A-Za-z0-9-]{10,}/g, "slack_token"],
  [/(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}/g, "stripe_secret_key"],
  [/(?<![A-Za-z0-9])whsec_[A-Za-z0-9]{20,}/g, "stripe_webhook_secret"],
  [/(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g, "npm_token"],
  [/(?<![A-Za-z0-9])dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}/g, "docker_hub_token"],
  [/(?<![A-Za-z0-9_])SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}/g, "sendgrid_api_key"],
  [/(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}(?![A-Za-z0-9])/g, "twilio_api_key"],
  [/(?<![A-Za-z0-9_-])sk-ant-[a-z]{2,8}\d{2}-[A-Za-z0-9_-]{20,}/g, "anthropic_api_key"],
  [/(?<![A-Za-z0-9_-])HRKU-[A-Za-z0-9_-]{20,}/g, "heroku_api_key"],
];

const OPENAI_STYLE_KEY = /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g;
const SLACK_WEBHOOK = /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9_/-]{8,})/dg;
const DATADOG_KEY =
  /(?:datadog|\bdd[_-]?(?:api|app(?:lication)?)[_-]?key|dd-api-key|dd-application-key)[^\n]{0,40}?(?<![0-9a-fA-F])([0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-fA-F])/dgi;
const TWILIO_AUTH_TOKEN = /twilio[^\n]{0,60}?(?<![0-9a-fA-F])([0-9a-f]{32})(?![0-9a-fA-F])/dgi;
const HEROKU_UUID_KEY =
  /heroku[ _-]?(?:api[ _-]?key|api[ _-]?token|token|auth(?:orization)?)[^\n]{0,20}?\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/dgi;

/**
 * Microsoft's identifiable keys (84 characters: 52 random, "JQQJ" at 52, a service signature at 76):
 * Azure DevOps PATs (AZDO), Azure AI services keys (ACOG), and others with the same shape.
 */
const AZURE_IDENTIFIABLE_KEY = /(?<![A-Za-z0-9])[A-Za-z0-9]{52}JQQJ[A-Za-z0-9]{20}([A-Z]{4})[A-Za-z0-9]{4}(?![A-Za-z0-9])/dg;
const IDENTIFIABLE_KEY_KINDS: Readonly<Record<string, string>> = { AZDO: "azure_devops_pat", ACOG: "azure_ai_services_key" };
/** Older Azure DevOps PATs: 52 lowercase base32 characters, only recognisable next to their name. */
const LEGACY_AZURE_DEVOPS_PAT = /(?:azure[ _-]?devops|devops|vsts|azdo)[^\n]{0,40}?(?<![a-z0-9])([a-z2-7]{52})(?![a-z0-9])/dgi;

const vendorTokens: Detector = (text, env) => {
  if ((env.flags & Family.vendor) === 0) return;
  for (const [pattern, kind] of VENDOR_TOKENS) pushMatches(text, env, pattern, kind);
  AZURE_IDENTIFIABLE_KEY.lastIndex = 0;
  let key: RegExpExecArray | null;
  while ((key = AZURE_IDENTIFIABLE_KEY.exec(text)) !== null) {
    env.push(key.index, key.index + key[0].length, IDENTIFIABLE_KEY_KINDS[key[1] ?? ""] ?? "azure_identifiable_key");
  }
  pushMatches(text, env, LEGACY_AZURE_DEVOPS_PAT, "azure_devops_pat", { group: 1, accept: (pat) => /^[a-z2-7]+$/.test(pat) });
  pushMatches(text, env, OPENAI_STYLE_KEY, "openai_style_api_key", {
    accept: (key) => !key.startsWith("sk-ant-") && hasMixedAlphanumerics(key) && shannonEntropy(key) >= 3.5,
  });
  pushMatches(text, env, SLACK_WEBHOOK, "slack_webhook", { group: 1, partial: true });
  pushMatches(text, env, DATADOG_KEY, "datadog_api_key", { group: 1 });
  pushMatches(text, env, TWILIO_AUTH_TOKEN, "twilio_auth_token", { group: 1 });
  pushMatches(text, env, HEROKU_UUID_KEY, "heroku_api_key", { group: 1 });
};

function notMarker(value: string): boolean {
  return !value.startsWith("[REDACTED:") && !value.startsWith("%5BREDACTED");
}

export const FORMAT_DETECTORS: readonly Detector[] = [
  awsSecretAccessKey,
  awsSessionToken,
  google,
  jwt,
  pemPrivateKey,
  puttyPrivateKey,
  derBlob,
  base64Payload,
  hexPayload,
  azureStorage,
  urlSignatures,
  entraClientSecret,
  vendorTokens,
];
