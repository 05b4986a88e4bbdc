/**
 * Detectors that need context: a secret-named key before a value (assignments in .env, YAML, JSON
 * text, query strings, XML, CLI flags), credentials inside URLs and Authorization headers, and
 * random-looking strings near a secret-suggestive keyword.
 */
import { HAS_DIGIT, HAS_LOWER, HAS_UPPER, TOKEN_CLASSES, characterMix, forEachRun, isHex, randomLookingThreshold, shannonEntropy } from "./entropy.js";
import { classifyDer, hasSecretContextBefore } from "./detectors-format.js";
import type { SecretCategory } from "./field-names.js";
import { enclosingWord, isSafeSecretFieldValue, looksLikeIdentifier } from "./identifiers.js";
import { Family } from "./prefilter.js";
import type { Detector, DetectorEnvironment } from "./scan-types.js";

const MAX_VALUE_LENGTH = 8192;

// --- name = value ----------------------------------------------------------------------------------

interface ValueRange {
  start: number;
  end: number;
  quoted: boolean;
}

/** Names worth classifying: anything else before a separator is skipped without a lookup. */
const NAME_KEYWORD = /pass|pwd|secret|token|key|auth|credential|conn|sas|sig|cookie|pin|pw$/i;
const MAX_NAME_LENGTH = 80;

interface Assignment {
  name: string;
  nameStart: number;
  separator: string;
  valueFrom: number;
  /** Whitespace between the separator and the value. */
  spaced: boolean;
}

/**
 * `name = value`, `name: value`, `"name": "value"`, `name := value`, `name => value`. Found by
 * walking separators and reading the word before each, which costs nothing on text without them.
 */
const assignments: Detector = (text, env) => {
  if ((env.flags & Family.keyword) === 0) return;
  let from = 0;
  let pushedEnd = 0;
  while (from < text.length) {
    const separatorAt = nextSeparator(text, from);
    if (separatorAt === -1) return;
    from = separatorAt + 1;
    const assignment = assignmentAt(text, separatorAt);
    if (!assignment) continue;
    const field = env.classifier.classify(leafName(assignment.name));
    if (field.role !== "secret") continue;
    const atLineStart = isAtLineStart(text, assignment.nameStart);
    const range = readValue(text, assignment.valueFrom, atLineStart);
    if (!range) continue;
    // `password=x host=db user=app` (logfmt): the value ends where the next name= begins.
    if (atLineStart && !range.quoted && assignment.separator === "=") range.end = endBeforeNextPair(text, range);
    // `Credentials: 2; groups: 1` counts things: a number under a name that is not strictly secret
    // (a PIN or a numeric password is) and followed by nothing or a list separator is a count.
    if (!field.strict && !range.quoted && COUNT.test(text.slice(range.start, range.end))) continue;
    const value = text.slice(range.start, range.end);
    const colon = assignment.separator === ":";
    // The word around `name:value` starts after a value pushed just before it: that value becomes a
    // marker (`a password=ab://c&password:x` is no URL once `ab://c` is redacted).
    if (colon && !range.quoted && looksLikeIdentifier(enclosingWord(text, assignment.nameStart, range.end, pushedEnd))) continue;
    // `name: value` at a line start is a YAML mapping, whatever the value; `name:value` is not
    // (YAML needs the space), so there only a credential-looking value counts, as in prose.
    const mapping = atLineStart && (assignment.spaced || assignment.valueFrom >= text.length);
    if (colon && !range.quoted && !mapping && !looksSecretish(value)) continue;
    // What the value did not redact is searched again for pairs, as it would be once a marker
    // replaced the value's name (a value kept whole, or the rest after a scheme's credentials).
    const pushed = pushValue(text, env, range, value, field.category, "assignment");
    if (pushed > range.start) pushedEnd = pushed;
    from = Math.max(from, pushed);
  }
};

/** Leaves that only say "the value of": a dotted name ending in one is judged as a whole. */
const GENERIC_LEAVES = new Set(["value", "val", "data", "content", "text", "string", "raw", "b64", "base64", "enc", "encrypted", "plain", "plaintext"]);

/**
 * A dotted name is judged by its last part, as config keys are (`spring.datasource.password`,
 * `github.token`): a host name or namespace that merely starts with a secret word
 * (`token.actions.githubusercontent.com:aud`, an IAM condition key) names no secret.
 */
function leafName(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot === -1 || dot === name.length - 1) return name;
  const leaf = name.slice(dot + 1);
  return GENERIC_LEAVES.has(leaf.toLowerCase()) ? name : leaf;
}

function nextSeparator(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 58 || code === 61) return index; // ':' '='
  }
  return -1;
}

function isNameCode(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45
  );
}

function assignmentAt(text: string, at: number): Assignment | undefined {
  const char = text.charAt(at);
  const next = text.charAt(at + 1);
  let separator: string;
  let afterSeparator: number;
  if (char === ":") {
    if (next === "/" && text.charAt(at + 2) === "/") return undefined; // scheme://
    separator = next === "=" ? ":=" : ":";
    afterSeparator = at + separator.length;
  } else {
    if (next === "=" || text.charAt(at - 1) === ":" || text.charAt(at - 1) === "=") return undefined; // ==, :=
    separator = next === ">" ? "=>" : "=";
    afterSeparator = at + separator.length;
  }
  let end = at;
  while (end > 0 && (text.charAt(end - 1) === " " || text.charAt(end - 1) === "\t")) end--;
  if (end > 0 && (text.charAt(end - 1) === '"' || text.charAt(end - 1) === "'")) {
    end--;
    if (end > 0 && text.charAt(end - 1) === "\\") end--;
  }
  let start = end;
  while (start > 0 && end - start <= MAX_NAME_LENGTH && isNameCode(text.charCodeAt(start - 1))) start--;
  if (start === end || end - start > MAX_NAME_LENGTH) return undefined;
  const name = text.slice(start, end);
  if (!NAME_KEYWORD.test(name)) return undefined;
  let valueFrom = afterSeparator;
  while (text.charAt(valueFrom) === " " || text.charAt(valueFrom) === "\t") valueFrom++;
  return { name, nameStart: start, separator, valueFrom, spaced: valueFrom > afterSeparator };
}

const COUNT = /^\d{1,9}(?:$|[;,] )/;

/**
 * Property names of connection strings and cookies: after a bare `;` (no space) only one of these
 * starts a new pair. A random password may hold `;Lz=` itself; it must not end there.
 */
const KNOWN_PROPERTY =
  "(?:Server|Data Source|Address|Addr|Host|Hostname|Port|User ?Id|User ?Name|User|Uid|Username|Password|Pwd|Database|Initial Catalog|Dbname|Schema|Encrypt|TrustServerCertificate|Trusted_Connection|Integrated Security|Persist Security Info|Provider|Driver|Dsn|Connection ?Timeout|Timeout|Application ?Name|Authentication|MultipleActiveResultSets|SslMode|Ssl ?Mode|Sslmode|DefaultEndpointsProtocol|AccountName|AccountKey|EndpointSuffix|BlobEndpoint|QueueEndpoint|TableEndpoint|FileEndpoint|Endpoint|SharedAccessKeyName|SharedAccessKey|EntityPath|Path|Domain|Expires|Max-Age|Secure|HttpOnly|SameSite)[ \t]*=";

/**
 * The next `name=` on the line and what separates it: spaces (logfmt), `; ` or `, `, or a bare `;`
 * before a known property (an ADO.NET property list starting `Password=x;Server=db`, where the
 * value ends at the `;`). A masked marker after a space starts the next thing too: whatever the
 * first pass redacted there (`token=X <api key>=a` read `<api key>=` as the next name) was not
 * this value, unless a separator waits for it (`password = <marker>` is a pair whose value it is).
 * Glued to a `;`, a marker may be inside the value (`https://u=a;<key>@host`, user info).
 */
const NEXT_PAIR = new RegExp(`(?:[;,]?\\s+)[A-Za-z_][A-Za-z0-9_.-]{0,40}=|;(?=${KNOWN_PROPERTY})|(?<![=:\\s])[;,]?\\s+\\u0000`, "i");

function endBeforeNextPair(text: string, range: ValueRange): number {
  const value = text.slice(range.start, range.end);
  // A property list holding a password under the name is read by the property-list rules, whole.
  if (CONNECTION_STRING_SECRET.test(value)) return range.end;
  const next = NEXT_PAIR.exec(value);
  if (!next) return range.end;
  // A marker right after a scheme word (`token <marker>`) is that scheme's credentials, not a pair.
  if (/^\s+\u0000$/.test(next[0]) && isBareScheme(value.slice(0, next.index))) {
    const after = next.index + next[0].length;
    const later = NEXT_PAIR.exec(value.slice(after));
    return later ? range.start + after + later.index : range.end;
  }
  return range.start + next.index;
}

function isBareScheme(word: string): boolean {
  return !/\s/.test(word) && AUTH_SCHEMES.test(`${word} x`);
}

/**
 * Pushes a secret value unless it is a reference, a placeholder or structure a finer detector
 * reads. Returns where the pushed text ends (the value's start when nothing was pushed).
 */
function pushValue(
  text: string,
  env: DetectorEnvironment,
  range: ValueRange,
  value: string,
  category: SecretCategory,
  suffix: string,
): number {
  const none = range.start;
  if (value.length === 0 || isSafeSecretFieldValue(value)) return none;
  if (/^[[{]/.test(value) && !value.startsWith("[REDACTED")) return none;
  // A URL with a password in its user info: urlPasswords redacts the password and keeps the host
  // (user info without one is no URL password, so the value is judged whole).
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s]*@/i.test(value)) return none;
  if (CONNECTION_STRING_SECRET.test(value)) {
    // A property list keeps its server and names; its passwords are found here, where the value
    // starts (after a quote or a name the property-list detector does not read as a list start).
    pushConnectionStringPasswords(text, env, range.start, range.end);
    return none;
  }
  if (AUTH_SCHEMES.test(`${value} x`) && !/\s/.test(value)) return none; // a bare scheme word; its credentials follow
  const credentialOffset = authorizationCredentialOffset(value);
  if (credentialOffset > 0) {
    const credentialEnd = authorizationCredentialEnd(value, credentialOffset);
    if (isSafeSecretFieldValue(value.slice(credentialOffset, credentialEnd))) return none;
    env.push(range.start + credentialOffset, range.start + credentialEnd, authorizationKind(value), { partial: true });
    return range.start + credentialEnd;
  }
  env.push(range.start, range.end, `${category}_${suffix}`, { partial: true });
  return range.end;
}

const CONNECTION_STRING_SECRET = /(?:^|;)[ \t]*(?:Password|Pwd|AccountKey|SharedAccessKey)[ \t]*=[^;]/i;

/** Indentation and `export `/`set `/`- ` before a name at a line start are far shorter than this. */
const MAX_LINE_PREFIX = 256;

function isAtLineStart(text: string, index: number): boolean {
  // Only the characters just before the name are read, so names deep in one long line (a log line
  // of many headers) cost the same as names at its start, not the length of the line before them.
  let lineStart = index;
  while (lineStart > 0 && text.charCodeAt(lineStart - 1) !== 10) {
    if (index - lineStart >= MAX_LINE_PREFIX) return false;
    lineStart--;
  }
  return /^[ \t]*(?:export[ \t]+|set[ \t]+|-[ \t]+)?["']?$/.test(text.slice(lineStart, index));
}

function readValue(text: string, from: number, atLineStart: boolean): ValueRange | undefined {
  const first = text.charAt(from);
  if (first === "\\" && (text.charAt(from + 1) === '"' || text.charAt(from + 1) === "'")) {
    const close = text.indexOf(`\\${text.charAt(from + 1)}`, from + 2);
    if (close === -1 || close - from > MAX_VALUE_LENGTH) return undefined;
    return { start: from + 2, end: close, quoted: true };
  }
  if (first === '"' || first === "'") {
    let index = from + 1;
    while (index < text.length && index - from <= MAX_VALUE_LENGTH) {
      const char = text.charAt(index);
      if (char === "\\") index += 2;
      else if (char === first) return { start: from + 1, end: index, quoted: true };
      else if (char === "\n" && first === "'") return undefined;
      else index++;
    }
    return undefined;
  }
  if (atLineStart) {
    let end = text.indexOf("\n", from);
    if (end === -1) end = text.length;
    while (end > from && /\s/.test(text.charAt(end - 1))) end--;
    if (/^[|>][+-]?\d?$/.test(text.slice(from, end))) return blockScalar(text, end);
    return end > from ? { start: from, end, quoted: false } : undefined;
  }
  let end = from;
  while (end < text.length && end - from <= MAX_VALUE_LENGTH && !/[\s"',;&<>)}\]\\]/.test(text.charAt(end))) end++;
  return end > from ? { start: from, end, quoted: false } : undefined;
}

/** YAML `key: |` : the secret is in the following, more indented lines. */
function blockScalar(text: string, headerEnd: number): ValueRange | undefined {
  const bodyStart = text.indexOf("\n", headerEnd);
  if (bodyStart === -1) return undefined;
  const indentMatch = /^[ \t]+/.exec(text.slice(bodyStart + 1));
  if (!indentMatch) return undefined;
  const indent = indentMatch[0].length;
  let end = bodyStart + 1;
  while (end < text.length) {
    const lineEnd = text.indexOf("\n", end) === -1 ? text.length : text.indexOf("\n", end);
    const line = text.slice(end, lineEnd);
    if (line.trim().length > 0 && (/^[ \t]*/.exec(line)?.[0].length ?? 0) < indent) break;
    end = lineEnd === text.length ? lineEnd : lineEnd + 1;
  }
  while (end > bodyStart && /\s/.test(text.charAt(end - 1))) end--;
  return end > bodyStart + 1 ? { start: bodyStart + 1 + indent, end, quoted: false } : undefined;
}

/**
 * A masked marker (NUL filler) ends words and values and is never part of a value's look: the
 * credential it replaced was judged on its own. A value is judged by its text before the first
 * marker, or, when it starts with one, by the text glued after it.
 */
function judgedText(value: string): string {
  const first = value.indexOf("\u0000");
  if (first === -1) return value;
  if (first > 0) return value.slice(0, first);
  let after = 0;
  while (value.charCodeAt(after) === 0) after++;
  const next = value.indexOf("\u0000", after);
  return value.slice(after, next === -1 ? value.length : next);
}

/**
 * Prose tolerance: after "token:" in a sentence (an error message, a tool name followed by a
 * field name) only a value that looks like a credential counts, not a word or snake_case name.
 */
export function looksSecretish(raw: string): boolean {
  // A marker alone, or right after a scheme word, stands where the first pass found a credential:
  // it is one (the span lands on it).
  if (/^\u0000+[.:!?,;\s]*$/.test(raw)) return true;
  const schemeEnd = authorizationCredentialOffset(raw);
  if (schemeEnd > 0 && raw.charCodeAt(schemeEnd) === 0) return true;
  const value = judgedText(raw).replace(/[.:!?,;\s]+$/, "");
  if (value.length < 4) return false;
  if (/^[a-z]+(?:[_\-.][a-z]+)*$/.test(value) || /^[A-Z]?[a-z]+(?:[_\-. ][A-Z]?[a-z]+)*$/.test(value)) return false;
  // Dotted camelCase words are API method names (`roleDefinitions.list`), not credentials.
  if (/^[A-Za-z][a-z]+(?:[A-Z][a-z]+)*(?:\.[A-Za-z][a-z]+(?:[A-Z][a-z]+)*)+$/.test(value)) return false;
  const mix = characterMix(value);
  if (mix.digit > 0 && (mix.upper > 0 || mix.lower > 0)) return true;
  if (mix.other > 0 && !/^[A-Za-z]+$/.test(value)) return true;
  return mix.upper > 0 && mix.lower > 0 && value.length >= 8;
}

// --- Authorization headers ---------------------------------------------------------------------------

const AUTH_SCHEMES = /^(Bearer|Basic|Digest|Negotiate|NTLM|Token|SharedKey|SharedAccessSignature|SSWS|Bot|OAuth|MAC|AWS4-HMAC-SHA256|GoogleLogin|Splunk|Api-Key|ApiKey)\s+(?=\S)/i;

/** Offset of the credentials after a scheme word, 0 when the value has no scheme. */
export function authorizationCredentialOffset(value: string): number {
  const match = AUTH_SCHEMES.exec(value);
  return match ? match[0].length : 0;
}

/** Schemes whose credentials may hold spaces (`Digest a="b", c="d"`, SigV4's comma-separated parts). */
const MULTI_PART_SCHEMES = /^(?:Digest|AWS4-HMAC-SHA256|MAC|OAuth)\s/i;

/**
 * Where the credentials after a scheme end: at the first space for one-token schemes (Bearer,
 * Basic, ...), so a header log with more headers on the line keeps them (`Host: ...`).
 */
export function authorizationCredentialEnd(value: string, offset: number): number {
  if (MULTI_PART_SCHEMES.test(value)) return value.length;
  const space = value.slice(offset).search(/\s/);
  return space === -1 ? value.length : offset + space;
}

export function authorizationKind(value: string): string {
  const scheme = AUTH_SCHEMES.exec(value)?.[1]?.toLowerCase();
  if (scheme === "basic") return "basic_auth";
  if (scheme === "bearer") return "bearer_token";
  return "authorization_header";
}

// The value starts after the separator: `Authorization:: x` has no value (a span starting at the
// second ':' would glue the first pass's marker to whatever read `Authorization::` as a word).
// A value ends before the next header name that follows a space or a separator, so a long line of
// headers is read in one pass (a skipped value is searched again only up to there).
const AUTHORIZATION_HEADER =
  /\b(?:Proxy-)?Authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?[ \t]*([^"'\r\n\\:=\s][^"'\r\n\\]*?)(?=[\s,;]+(?:Proxy-)?Authorization\b|["'\r\n\\]|$)/gi;
const NEXT_PROPERTY = new RegExp(`;[ \\t]*(?=${KNOWN_PROPERTY})`, "i");
const BARE_SCHEME = /(?<![A-Za-z0-9_-])(?:[Bb]earer|[Bb]asic)[ \t]+([A-Za-z0-9._~+/-]{12,}=*)/g;

const authorizationHeaders: Detector = (text, env) => {
  if ((env.flags & Family.authHeader) === 0) return;
  AUTHORIZATION_HEADER.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = AUTHORIZATION_HEADER.exec(text)) !== null) {
    const value = (match[1] ?? "").trimEnd();
    const valueStart = match.index + match[0].length - (match[1] ?? "").length;
    // A value that is not a credential may itself hold the next header (`Authorization:
    // Authorization: "..."`): it is searched again, as it would be once a marker replaced the first.
    const skip = () => void (AUTHORIZATION_HEADER.lastIndex = valueStart);
    if (value.length === 0 || value.startsWith("[REDACTED")) {
      skip();
      continue;
    }
    const offset = authorizationCredentialOffset(value);
    // Credentials without a scheme end where a property list (`; name=`) goes on.
    const end = offset > 0 ? authorizationCredentialEnd(value, offset) : (NEXT_PROPERTY.exec(value)?.index ?? value.length);
    const credential = value.slice(offset, end);
    if (credential.startsWith("[REDACTED") || isSafeSecretFieldValue(credential) || /^(?:header|required|failed|denied|error)\b/i.test(value) || (offset === 0 && !looksSecretish(credential))) {
      skip();
      continue;
    }
    env.push(valueStart + offset, valueStart + end, offset > 0 ? authorizationKind(value) : "authorization_header", {
      partial: true,
    });
    // The rest of the line after the credentials may hold the next header.
    AUTHORIZATION_HEADER.lastIndex = valueStart + end;
  }
  BARE_SCHEME.lastIndex = 0;
  while ((match = BARE_SCHEME.exec(text)) !== null) {
    const credential = match[1] ?? "";
    const mix = characterMix(credential);
    if (mix.digit === 0 && !credential.endsWith("=") && mix.other === 0) continue;
    if (looksLikeIdentifier(credential)) continue;
    const start = match.index + match[0].length - credential.length;
    env.push(start, start + credential.length, /^b/i.test(match[0]) ? "bearer_token" : "basic_auth", { partial: true });
  }
};

// --- URLs, connection strings, command lines -----------------------------------------------------------

// User info holds no masked marker: a secret there was redacted already, and the first pass read
// no URL around it when the secret held a `/` or `:` (`https://u=<token>:x@h`, `https://u:<token>@h`).
const URL_WITH_PASSWORD = /\b([a-zA-Z][a-zA-Z0-9+.-]{1,20}:\/\/)([^\s:/?#@"'<>[\]\u0000]*):([^\s/?#"'<>\u0000]*)@/g;

/** scheme://user:password@host: the scheme, user and host stay. */
const urlPasswords: Detector = (text, env) => {
  if ((env.flags & Family.urlCredentials) === 0) return;
  URL_WITH_PASSWORD.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = URL_WITH_PASSWORD.exec(text)) !== null) {
    const password = match[3] ?? "";
    if (password.length === 0 || password.startsWith("[REDACTED") || password.startsWith("%5BREDACTED")) continue;
    const start = match.index + (match[1] ?? "").length + (match[2] ?? "").length + 1;
    env.push(start, start + password.length, "url_password", { partial: true });
  }
};

const ADO_PASSWORD = /(?:^|;)[ \t]*(?:Password|Pwd)[ \t]*=[ \t]*(\{[^}]*\}|"[^"]*"|'[^']*'|[^;\r\n]*)/gi;

/** ADO.NET / ODBC / JDBC property lists: the value runs to the next semicolon, spaces included. */
const connectionStringPasswords: Detector = (text, env) => {
  if ((env.flags & Family.keyword) === 0 || !text.includes("=")) return;
  pushConnectionStringPasswords(text, env, 0, text.length);
};

const WRAPPERS: ReadonlyMap<string, string> = new Map([["{", "}"], ['"', '"'], ["'", "'"]]);

/** The passwords of the property list in text[from, to). */
function pushConnectionStringPasswords(text: string, env: DetectorEnvironment, from: number, to: number): void {
  const list = from === 0 && to === text.length ? text : text.slice(from, to);
  ADO_PASSWORD.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = ADO_PASSWORD.exec(list)) !== null) {
    const raw = (match[1] ?? "").trimEnd();
    // Braces or quotes wrap the value only when they close it (`"aa` with no closing quote is the value).
    const closer = WRAPPERS.get(raw.charAt(0));
    const wrapped = closer !== undefined && (raw.length === 1 || raw.endsWith(closer));
    const value = wrapped ? raw.slice(1, -1) : raw;
    if (value.length === 0 || isSafeSecretFieldValue(value)) continue;
    const start = from + match.index + match[0].length - (match[1] ?? "").length + (wrapped ? 1 : 0);
    env.push(start, start + value.length, "connection_string_password", { partial: true });
  }
}

const CLI_FLAG = /(?<![A-Za-z0-9_-])(--[A-Za-z0-9-]{0,30}(?:pass|pwd|secret|token|key|auth|credential)[A-Za-z0-9-]{0,30})[ \t]+/gi;
/** `docker login -u x -p secret`, `helm registry login ... --password secret`, `mysql -psecret`. */
const LOGIN_PASSWORD = /\b(?:login|sshpass)\b[^\n]{0,200}?[ \t]-p[ \t]+(["']?)([^\s"']+)\1/dg;
const MYSQL_PASSWORD = /\bmysql(?:dump|admin)?\b[^\n]{0,200}?[ \t]-p([^\s"']+)/dg;
const CURL_USER = /(?<![A-Za-z0-9_-])(?:-u|--user)[ \t]+(["']?)([^\s:"']+):([^\s"']+)/g;

const commandLines: Detector = (text, env) => {
  if ((env.flags & Family.keyword) === 0) return;
  CLI_FLAG.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = CLI_FLAG.exec(text)) !== null) {
    const field = env.classifier.classify(match[1] ?? "");
    if (field.role !== "secret") continue;
    const range = readValue(text, match.index + match[0].length, false);
    if (!range) continue;
    const value = text.slice(range.start, range.end);
    if (value.startsWith("-")) continue;
    pushValue(text, env, range, value, field.category, "assignment");
  }
  for (const pattern of [LOGIN_PASSWORD, MYSQL_PASSWORD]) {
    pattern.lastIndex = 0;
    while ((match = pattern.exec(text)) !== null) {
      const indices = match.indices?.[match.length - 1];
      const password = match[match.length - 1] ?? "";
      if (!indices || password.startsWith("[REDACTED") || isSafeSecretFieldValue(password)) continue;
      env.push(indices[0], indices[1], "password_assignment", { partial: true });
    }
  }
  CURL_USER.lastIndex = 0;
  while ((match = CURL_USER.exec(text)) !== null) {
    const password = match[3] ?? "";
    if (password.startsWith("[REDACTED") || isSafeSecretFieldValue(password)) continue;
    const start = match.index + match[0].length - password.length;
    env.push(start, start + password.length, "basic_auth", { partial: true });
  }
};

const XML_ELEMENT =
  /<([A-Za-z0-9_:-]{0,40}(?:pass|pwd|secret|token|key|auth|credential)[A-Za-z0-9_:-]{0,40})(?:\s[^<>]{0,200})?>([^<]{1,4096})<\/\1\s*>/gi;

/** .NET config and similar: `<add key="DbPassword" value="..."/>`, `<setting name="ApiToken" value='...'>`. */
const XML_NAME_VALUE = /\b(?:key|name)[ \t]*=[ \t]*(["'])([^"'<>]{1,100})\1[ \t]+value[ \t]*=[ \t]*(["'])([^"'<>]{0,4096})\3/dgi;

const xmlElements: Detector = (text, env) => {
  if ((env.flags & Family.keyword) === 0 || !text.includes("<")) return;
  let match: RegExpExecArray | null;
  XML_NAME_VALUE.lastIndex = 0;
  while ((match = XML_NAME_VALUE.exec(text)) !== null) {
    const field = env.classifier.classify(match[2] ?? "");
    const valueIndices = match.indices?.[4];
    if (field.role !== "secret" || !valueIndices) continue;
    const value = match[4] ?? "";
    pushValue(text, env, { start: valueIndices[0], end: valueIndices[1], quoted: true }, value, field.category, "assignment");
  }
  if (!text.includes("</")) return;
  XML_ELEMENT.lastIndex = 0;
  while ((match = XML_ELEMENT.exec(text)) !== null) {
    const field = env.classifier.classify(match[1] ?? "");
    if (field.role !== "secret") continue;
    const value = match[2] ?? "";
    const start = match.index + match[0].indexOf(">") + 1;
    pushValue(text, env, { start, end: start + value.length, quoted: true }, value, field.category, "assignment");
  }
};

// A value is a masked marker (NUL) whole, or text that ends at one: "the password is sig=<marker>"
// is the short word the first redaction left beside what it removed, not a longer credential.
const PROSE = /\b(password|passphrase|passwd|pwd|secret|token|api[ _-]?key)[ \t]+(?:is|was|=|set to|changed to|reset to)[ \t]+["'`]?(\u0000+|[^\s"'`,;\u0000]+)/gi;

/** "the password is hunter2": only values that look like credentials, not words. */
const prose: Detector = (text, env) => {
  if ((env.flags & Family.keyword) === 0) return;
  PROSE.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = PROSE.exec(text)) !== null) {
    let value = match[2] ?? "";
    const start = match.index + match[0].length - (match[2] ?? "").length;
    while (value.length > 0 && ".:!?)".includes(value.charAt(value.length - 1))) value = value.slice(0, -1);
    if (value.length < 6 || !looksSecretish(value) || looksLikeIdentifier(value) || isSafeSecretFieldValue(value)) {
      // A word that is no credential may start the next phrase ("token is password is x").
      PROSE.lastIndex = start;
      continue;
    }
    const category = env.classifier.classify(match[1] ?? "");
    const kind = category.role === "secret" ? `${category.category}_in_text` : "secret_in_text";
    env.push(start, start + value.length, kind, { partial: true });
  }
};

// --- Entropy in context --------------------------------------------------------------------------------

/**
 * Last resort: a random-looking token with a secret-suggestive keyword shortly before it. Never
 * fires on hex (hashes, key ids), known identifier shapes, or tokens inside an identifier word.
 */
const entropyInContext: Detector = (text, env) => {
  if ((env.flags & Family.keyword) === 0 || text.length < 20) return;
  let publicBlocks: readonly (readonly [number, number])[] | undefined;
  forEachRun(text, TOKEN_CLASSES, 20, (run) => {
    if ((run.classes & MIXED) !== MIXED) return;
    let end = run.end;
    while (end > run.start && text.charAt(end - 1) === ".") end--;
    // Base64 padding ends a token; an "=" with more of a word after it is an assignment (`KEY=value`),
    // a masked marker included (the value it replaced was that word).
    const padded = end + (text.charAt(end) === "=" ? (text.charAt(end + 1) === "=" ? 2 : 1) : 0);
    if (padded > end && !/[A-Za-z0-9+/_\u0000-]/.test(text.charAt(padded))) end = padded;
    const candidate = text.slice(run.start, end);
    if (candidate.length < 20 || isHex(candidate) || !hasSecretContextBefore(text, run.start, 80)) return;
    if (IDENTIFIER_LABEL_BEFORE.test(text.slice(Math.max(0, run.start - 40), run.start))) return;
    if (shannonEntropy(candidate) < randomLookingThreshold(candidate.length)) return;
    if (looksLikeIdentifier(candidate) || looksLikeIdentifier(enclosingWord(text, run.start, end))) return;
    publicBlocks ??= publicKeyBlocks(text);
    if (isPublicMaterial(text, candidate, run.start, publicBlocks)) return;
    env.push(run.start, end, "high_entropy_secret");
  });
};

const MIXED = HAS_UPPER | HAS_LOWER | HAS_DIGIT;

/** A value labelled as an id, thumbprint, digest or page cursor is an identifier, however random it looks. */
const IDENTIFIER_LABEL_BEFORE =
  /(?:x5t(?:#S256)?|thumbprint|fingerprint|\bkid|key[ _-]?id|request[ _-]?id|etag|digest|checksum|hash|sha\d*|md5|serial(?:[ _-]?number)?|nonce|commit|revision|\buid|\bguid|\bid|object[ _-]?id|client[ _-]?id|app[ _-]?id|cursor|(?:next|page|continuation|pagination)[ _-]?(?:token|marker|link)|skip[ _-]?token)["']?[ \t]*[:=(]?[ \t]*["']?$/i;

const PUBLIC_PEM = /-----BEGIN (?:CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|X509 CRL|CERTIFICATE REQUEST)-----[\s\S]*?-----END [A-Z0-9 ]+-----/g;
const SSH_PUBLIC_KEY_PREFIX = /(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)[ \t]+$/;

/** Certificates and public keys look random but are public: ranges of PEM blocks that hold them. */
function publicKeyBlocks(text: string): readonly (readonly [number, number])[] {
  if (!text.includes("-----BEGIN")) return [];
  const blocks: [number, number][] = [];
  PUBLIC_PEM.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = PUBLIC_PEM.exec(text)) !== null) blocks.push([match.index, match.index + match[0].length]);
  return blocks;
}

function isPublicMaterial(text: string, candidate: string, start: number, blocks: readonly (readonly [number, number])[]): boolean {
  if (blocks.some(([from, to]) => start >= from && start < to)) return true;
  if (candidate.startsWith("AAAA") && SSH_PUBLIC_KEY_PREFIX.test(text.slice(Math.max(0, start - 60), start))) return true;
  return candidate.startsWith("MI") && classifyDer(Buffer.from(candidate.slice(0, 64), "base64")) === "certificate";
}

export const CONTEXT_DETECTORS: readonly Detector[] = [
  assignments,
  authorizationHeaders,
  urlPasswords,
  connectionStringPasswords,
  commandLines,
  xmlElements,
  prose,
  entropyInContext,
];
