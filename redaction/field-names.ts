/**
 * Field names decide first. A name is normalized (lower case, separators dropped) so that
 * SecretAccessKey, secret_access_key and secret-access-key are one name, then classified:
 * - secret: its string values are secrets unless they are clearly an identifier, a date, a flag
 *   or a placeholder (fail closed);
 * - metadata: it names a secret but holds facts about it (passwordLastUsed, SecretArn, keyId);
 * - neutral: anything else (still scanned by format).
 */
import { MARKER_PREFIX, MARKERS_IN_TEXT } from "./fingerprint.js";

/** What a secret-named field holds; becomes `<category>_field` in findings. */
export type SecretCategory =
  | "private_key"
  | "aws_secret_access_key"
  | "aws_session_token"
  | "client_secret"
  | "storage_account_key"
  | "connection_string"
  | "sas_token"
  | "api_key"
  | "access_key"
  | "password"
  | "authorization"
  | "token"
  | "credential"
  | "secret"
  | "cookie"
  | "custom";

export type FieldClass =
  | { role: "secret"; category: SecretCategory; /** numbers are redacted too (PINs) */ strict: boolean }
  | { role: "metadata" }
  | { role: "neutral" };

export function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Substrings of a normalized name that make it secret, most specific first. */
const SECRET_STEMS: readonly (readonly [string, SecretCategory])[] = [
  ["privatekey", "private_key"],
  ["clientkeydata", "private_key"],
  ["clientkey", "private_key"],
  ["secretaccesskey", "aws_secret_access_key"],
  ["awssecret", "aws_secret_access_key"],
  ["sessiontoken", "aws_session_token"],
  ["securitytoken", "aws_session_token"],
  ["clientsecret", "client_secret"],
  ["secrettext", "client_secret"],
  ["accountkey", "storage_account_key"],
  ["storagekey", "storage_account_key"],
  ["sharedaccesskey", "storage_account_key"],
  ["masterkey", "storage_account_key"],
  ["primarykey", "storage_account_key"],
  ["secondarykey", "storage_account_key"],
  ["connectionstring", "connection_string"],
  ["connstr", "connection_string"],
  ["sastoken", "sas_token"],
  ["sasurl", "sas_token"],
  ["sharedaccesssignature", "sas_token"],
  ["apikey", "api_key"],
  ["apisecret", "api_key"],
  ["apptoken", "api_key"],
  ["appkey", "api_key"],
  ["subscriptionkey", "api_key"],
  // PagerDuty Events v2 routing keys and v1 service keys, Opsgenie and similar integration keys.
  ["routingkey", "api_key"],
  ["integrationkey", "api_key"],
  ["servicekey", "api_key"],
  ["signingkey", "secret"],
  ["encryptionkey", "secret"],
  ["secretkey", "secret"],
  ["accesskey", "access_key"],
  ["password", "password"],
  ["passwd", "password"],
  ["passphrase", "password"],
  ["pwd", "password"],
  ["authorization", "authorization"],
  ["token", "token"],
  ["credential", "credential"],
  ["secret", "secret"],
  ["cookie", "cookie"],
];

/** Whole normalized names that are secret but too short to use as substrings. */
const SECRET_EXACT: ReadonlyMap<string, SecretCategory> = new Map([
  ["pass", "password"],
  ["pw", "password"],
  ["pin", "password"],
  ["auth", "credential"],
  ["sig", "sas_token"],
  ["pat", "token"],
  ["jwt", "token"],
  ["bearer", "token"],
  ["hmac", "secret"],
]);

/** Names whose numeric values are redacted as well (a numeric password is still a password). */
const STRICT_NAMES = new Set(["password", "passwd", "pwd", "pass", "passphrase", "pin", "secret", "token", "apikey"]);

/**
 * Endings that turn a secret-sounding name into metadata. Deliberately absent: hash, prefix,
 * suffix, last4 (partial secrets stay redacted) and reset (may hold a new password).
 */
const METADATA_SUFFIXES: readonly string[] = [
  "id", "ids", "arn", "arns", "name", "names", "type", "types", "kind", "format", "algorithm", "alg",
  "date", "dates", "time", "timestamp", "at", "expireson", "createdon", "updatedon",
  "used", "unused", "active", "inactive", "changed", "created", "updated", "modified", "rotated", "rotation", "change",
  "expiry", "expires", "expiration", "expired", "validity", "valid", "notbefore", "notafter",
  "validafter", "validbefore", "enabled", "disabled", "required", "enforced", "managed", "allowed",
  "supported", "exists", "present", "set", "lastset", "count", "length", "len", "size", "ttl", "age",
  "days", "duration", "lifetime", "period", "interval", "version", "versions", "status", "state",
  "policy", "policies", "uri", "url", "urls", "ref", "refs", "reference", "path", "file",
  "filename", "location", "hint", "provider", "source", "issuer", "audience", "scope", "scopes",
  "endpoint", "mode", "label", "labels", "description", "fingerprint", "thumbprint", "kid",
  "strength", "complexity", "method", "flow", "usage", "rule", "rules", "properties", "attributes",
  "tags", "metadata", "settings", "options", "config", "configuration", "level", "prevention",
  "store", "vault", "manager", "backend", "owner", "owners", "team", "contact", "email",
];

/**
 * Secret-sounding names that hold identifiers: AWS SigV4 credential scopes (key id/date/region/
 * service), page tokens of list APIs (AWS NextToken, Google pageToken, Azure $skipToken), and the
 * subject a web identity token named (a service account or repository, not the token).
 */
const METADATA_EXACT = new Set([
  "xamzcredential", "xgoogcredential", "credentialscope",
  "nexttoken", "pagetoken", "nextpagetoken", "continuationtoken", "paginationtoken", "skiptoken", "startingtoken",
  "resumptiontoken", "synctoken", "nextcontinuationtoken", "nextsynctoken",
  "subjectfromwebidentitytoken",
]);

/** Keys whose string value is "the value" of the object around them (K/V pairs, secret wrappers). */
export const VALUE_KEYS: ReadonlySet<string> = new Set([
  "value", "values", "parametervalue", "outputvalue", "settingvalue", "attributevalue", "fieldvalue",
  "val", "data", "text", "content", "contents", "raw", "plaintext", "string", "bytes", "binary",
  "b64", "base64", "payload",
]);

/** Keys whose string value names the value next to it (`{Key: "db_password", Value: "..."}`). */
export const NAME_KEYS: ReadonlySet<string> = new Set([
  "key", "name", "parameterkey", "outputkey", "optionname", "variable", "variablename", "settingname",
  "attribute", "attributename", "field", "fieldname", "envname",
]);

/** Keys whose presence makes an object worth checking against the shape rules (structure-rules.ts). */
const STRUCTURE_TRIGGERS: ReadonlySet<string> = new Set([
  "value", "parametervalue", "outputvalue", "settingvalue", "attributevalue", "fieldvalue", "val", "kind", "kty",
]);

/** Everything the walk needs to know about one key, computed once per distinct key. */
export interface FieldInfo {
  normalized: string;
  field: FieldClass;
  /** The object holding this key may match a shape rule. */
  triggersStructure: boolean;
  /** Inside a secret-named object, this key holds the secret itself (value, data, text...). */
  valueKey: boolean;
}

export class FieldNameClassifier {
  readonly #extraExact: ReadonlySet<string>;
  readonly #cache = new Map<string, FieldInfo>();

  constructor(extraSecretFieldNames: readonly string[] = []) {
    this.#extraExact = new Set(extraSecretFieldNames.map(normalizeFieldName).filter((name) => name.length > 0));
  }

  classify(name: string): FieldClass {
    return this.info(name).field;
  }

  info(name: string): FieldInfo {
    const cached = this.#cache.get(name);
    if (cached) return cached;
    // A marker's kind ("aws_session_token") names what was removed, not what the field holds.
    const normalized = normalizeFieldName(name.includes(MARKER_PREFIX) ? name.replace(MARKERS_IN_TEXT, "") : name);
    const info: FieldInfo = {
      normalized,
      field: this.#classifyNormalized(normalized),
      triggersStructure: STRUCTURE_TRIGGERS.has(normalized),
      valueKey: VALUE_KEYS.has(normalized),
    };
    // Field names repeat across millions of objects; cap the cache for maps keyed by unique ids.
    if (this.#cache.size > 20_000) this.#cache.clear();
    this.#cache.set(name, info);
    return info;
  }

  #classifyNormalized(normalized: string): FieldClass {
    if (normalized.length === 0) return NEUTRAL;
    if (this.#extraExact.has(normalized)) return { role: "secret", category: "custom", strict: true };
    const exact = SECRET_EXACT.get(normalized);
    if (exact) return { role: "secret", category: exact, strict: true };
    const category = secretStemOf(normalized) ?? passwordSuffixOf(normalized);
    if (!category) return NEUTRAL;
    if (METADATA_EXACT.has(normalized)) return METADATA;
    if (METADATA_SUFFIXES.some((suffix) => normalized.endsWith(suffix) && !endsWithStem(normalized, suffix))) {
      return METADATA;
    }
    return { role: "secret", category, strict: STRICT_NAMES.has(normalized) };
  }
}

const NEUTRAL: FieldClass = { role: "neutral" };
const METADATA: FieldClass = { role: "metadata" };

function secretStemOf(normalized: string): SecretCategory | undefined {
  for (const [stem, category] of SECRET_STEMS) {
    if (normalized.includes(stem)) return category;
  }
  return undefined;
}

/** smtp_pass, db_pw, mysql_pwd: short password words at the end of a name. */
function passwordSuffixOf(normalized: string): SecretCategory | undefined {
  if (/(?:pass|pw)$/.test(normalized) && !/(?:bypass|compass|overpass|underpass)$/.test(normalized)) return "password";
  return undefined;
}

/** "pat" ends with "at", "secretkeyset"... : a suffix only counts if it is not the tail of a stem. */
function endsWithStem(normalized: string, suffix: string): boolean {
  for (const [stem] of SECRET_STEMS) {
    if (stem.length > suffix.length && stem.endsWith(suffix) && normalized.endsWith(stem)) return true;
  }
  return false;
}
