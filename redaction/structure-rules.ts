/**
 * Secrets that only the shape of an object reveals: a Key Vault secret bundle's `value`, the
 * `Value` next to `Key: "db_password"`, a Kubernetes Secret's `data`, a private JWK's `d`.
 */
import { NAME_KEYS, type FieldNameClassifier, type SecretCategory } from "./field-names.js";

export interface SecretContext {
  category: SecretCategory | "structure";
  /** Finding kind when the whole value is replaced. */
  kind: string;
  /** Numbers are redacted too. */
  strict: boolean;
  /** Every string below is secret, whatever its key (Kubernetes Secret data). */
  allStrings: boolean;
}

export function fieldContext(category: SecretCategory, strict: boolean): SecretContext {
  return { category, kind: `${category}_field`, strict, allStrings: false };
}

function structureContext(kind: string, allStrings = false): SecretContext {
  return { category: "structure", kind, strict: true, allStrings };
}

/** Keys that hold "the value" in name/value pairs (narrower than VALUE_KEYS: no data/text/content). */
const PAIR_VALUE_KEYS: ReadonlySet<string> = new Set([
  "value", "parametervalue", "outputvalue", "settingvalue", "attributevalue", "fieldvalue", "val",
]);

const JWK_PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/**
 * Keys of `object` that hold secrets because of the object's shape, with their context.
 * `redactedName` gives a name value as the redaction leaves it: a name is judged by what remains
 * of it once its own secrets are gone, so a redacted copy of the object is judged the same way.
 */
export function structuralSecrets(
  object: Readonly<Record<string, unknown>>,
  keys: readonly string[],
  classifier: FieldNameClassifier,
  redactedName: (name: string) => string,
): Map<string, SecretContext> | undefined {
  if (keys.length < 2 || !keys.some((key) => classifier.info(key).triggersStructure)) return undefined;
  const byName = new Map<string, string>();
  for (const key of keys) {
    const normalized = classifier.info(key).normalized;
    if (!byName.has(normalized)) byName.set(normalized, key);
  }
  const valueKey = firstPresent(byName, PAIR_VALUE_KEYS);
  const get = (normalized: string): unknown => {
    const key = byName.get(normalized);
    return key === undefined ? undefined : object[key];
  };
  let result: Map<string, SecretContext> | undefined;
  const mark = (key: string | undefined, context: SecretContext): void => {
    if (key === undefined) return;
    result ??= new Map();
    result.set(key, context);
  };

  if (valueKey !== undefined) {
    const id = get("id");
    const isVaultBundle =
      (typeof id === "string" && id.includes("/secrets/")) || (byName.has("contenttype") && byName.has("attributes"));
    if (isVaultBundle && byName.has("value")) mark(byName.get("value"), structureContext("key_vault_secret_value"));
    if (get("type") === "SecureString") mark(valueKey, structureContext("ssm_secure_string"));
    if (get("issecret") === true || get("secret") === true || get("sensitive") === true) {
      mark(valueKey, structureContext("flagged_secret_value"));
    }
    if (byName.has("keyname") && (byName.has("permissions") || byName.has("creationtime"))) {
      mark(valueKey, structureContext("storage_account_key_field"));
    }
    for (const nameKey of NAME_KEYS) {
      const raw = get(nameKey);
      if (typeof raw !== "string") continue;
      // The classifier reads a name without its markers: a marker's kind names what was removed.
      const name = redactedName(raw);
      if (name.length > 200) continue;
      const named = classifier.classify(name);
      if (named.role === "secret") {
        mark(valueKey, { category: named.category, kind: `${named.category}_field`, strict: true, allStrings: false });
        break;
      }
    }
  }
  if (get("kind") === "Secret") {
    mark(byName.get("data"), structureContext("kubernetes_secret_data", true));
    mark(byName.get("stringdata"), structureContext("kubernetes_secret_data", true));
  }
  if (typeof get("kty") === "string") {
    for (const member of JWK_PRIVATE_MEMBERS) {
      // JWK members are case-sensitive: "D" is not "d".
      if (typeof object[member] === "string") mark(member, structureContext("jwk_private_key"));
    }
  }
  return result;
}

function firstPresent(byName: ReadonlyMap<string, string>, candidates: ReadonlySet<string>): string | undefined {
  for (const candidate of candidates) {
    const key = byName.get(candidate);
    if (key !== undefined) return key;
  }
  return undefined;
}
