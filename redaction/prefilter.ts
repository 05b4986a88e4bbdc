/**
 * One pass over a string decides which detector families can possibly match. Most strings in an
 * inventory (ARNs, dates, ids, names) hit nothing; the rest run only the detectors whose anchors
 * or keywords were seen.
 *
 * The pass is an Aho-Corasick automaton over the ASCII-lowercased text: one table lookup per
 * character for every anchor at once (a regex alternation of ~100 literals tries each one at each
 * position and was the single largest cost of redacting an inventory). Case-sensitive anchors
 * (AKIA, eyJ, MII...) are confirmed against the original text when the automaton reports them.
 */

export const Family = {
  awsKeyId: 1 << 0,
  awsSessionToken: 1 << 1,
  google: 1 << 2,
  jwt: 1 << 3,
  pem: 1 << 4,
  base64Json: 1 << 5,
  der: 1 << 6,
  storage: 1 << 7,
  signature: 1 << 8,
  entra: 1 << 9,
  vendor: 1 << 10,
  urlCredentials: 1 << 11,
  authHeader: 1 << 12,
  keyword: 1 << 13,
  hexText: 1 << 14,
} as const;

interface Anchor {
  literal: string;
  family: number;
  caseSensitive: boolean;
}

const sensitive = (family: number, ...literals: string[]): Anchor[] =>
  literals.map((literal) => ({ literal, family, caseSensitive: true }));
const insensitive = (family: number, ...literals: string[]): Anchor[] =>
  literals.map((literal) => ({ literal: literal.toLowerCase(), family, caseSensitive: false }));

const ANCHORS: readonly Anchor[] = [
  ...sensitive(Family.awsKeyId, "AKIA", "ASIA"),
  ...sensitive(Family.awsSessionToken, "IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz", "IgoJb3JpZ2lu", "AgoJb3JpZ2lu"),
  ...sensitive(Family.google, "ya29.", "1//", "AIza"),
  ...sensitive(Family.jwt, "eyJ"),
  ...sensitive(Family.pem, "-----BEGIN", "PRIVATE KEY", "PuTTY-User-Key-File"),
  ...sensitive(Family.base64Json, "ewo", "ew0K", "eyAi", "LS0tLS1", "IyEv", "I2Nsb3VkLWNvbmZpZw", "PD94bWwg", "PHNhbWxw", "PHNhbWwy", "PHNhbWw6"),
  // Secret words in hex ("pass", "secret", "token", "key=", "key:", "pwd"): hex-encoded text worth decoding.
  ...insensitive(Family.hexText, "70617373", "736563726574", "746f6b656e", "6b65793d", "6b65793a", "707764"),
  ...sensitive(Family.der, "MII", "MIA", "MIJ"),
  ...sensitive(Family.storage, "=="),
  ...insensitive(Family.storage, "AccountKey", "SharedAccessKey", "SharedSecret"),
  ...insensitive(Family.signature, "sig=", "signature=", "security-token="),
  ...sensitive(Family.entra, "Q~"),
  ...sensitive(
    Family.vendor,
    "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-",
    "glsoat-", "glimt-", "glagent-", "glffct-", "glft-", "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xapp-",
    "hooks.slack.com", "_live_", "_test_", "whsec_", "npm_", "SG.", "sk-", "HRKU-", "SK", "dckr_", "JQQJ",
  ),
  ...insensitive(Family.vendor, "twilio", "datadog", "heroku", "dd_api", "dd-api", "ddapi", "dd_app", "dd-app", "ddapp", "devops", "vsts", "azdo"),
  ...sensitive(Family.urlCredentials, "://"),
  ...insensitive(Family.authHeader, "bearer", "basic", "authorization", "digest ", "negotiate ", "ntlm ", "sharedkey ", "ssws "),
  ...insensitive(
    Family.keyword,
    "pass", "pwd", "secret", "token", "key", "auth", "credential", "conn", "sas", "sig", "dsn", "cookie", "-u ", "--user",
    "pfx", "p12", "pkcs", "pin=", "pin:",
  ),
];

export const ALL_FAMILIES = ANCHORS.reduce((all, anchor) => all | anchor.family, 0);

/** The automaton: delta[state * 128 + char] with every failure transition precomputed. */
class AnchorAutomaton {
  readonly delta: Int32Array;
  /** Per state: the anchors that end there (own and via failure links), or undefined. */
  readonly outputs: (readonly Anchor[] | undefined)[];
  /** Per state: union of families of case-insensitive outputs (no confirmation needed). */
  readonly directFamilies: Int32Array;
  /** Per state: true when some output needs a case-sensitive confirmation. */
  readonly needsCheck: Uint8Array;

  constructor(anchors: readonly Anchor[]) {
    const gotoTable: Map<number, number>[] = [new Map()];
    const own: Anchor[][] = [[]];
    for (const anchor of anchors) {
      let state = 0;
      for (const code of foldedCodes(anchor.literal)) {
        let next = gotoTable[state]?.get(code);
        if (next === undefined) {
          next = gotoTable.length;
          gotoTable.push(new Map());
          own.push([]);
          gotoTable[state]?.set(code, next);
        }
        state = next;
      }
      own[state]?.push(anchor);
    }
    const stateCount = gotoTable.length;
    this.delta = new Int32Array(stateCount * 128);
    this.outputs = new Array<readonly Anchor[] | undefined>(stateCount).fill(undefined);
    this.directFamilies = new Int32Array(stateCount);
    this.needsCheck = new Uint8Array(stateCount);
    const fail = new Int32Array(stateCount);
    const collected: Anchor[][] = own.map((list) => [...list]);
    const queue: number[] = [];
    for (let code = 0; code < 128; code++) {
      const next = gotoTable[0]?.get(code);
      this.delta[code] = next ?? 0;
      if (next !== undefined) queue.push(next);
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] ?? 0;
      for (let code = 0; code < 128; code++) {
        const next = gotoTable[state]?.get(code);
        const fallback = this.delta[(fail[state] ?? 0) * 128 + code] ?? 0;
        if (next === undefined) {
          this.delta[state * 128 + code] = fallback;
        } else {
          this.delta[state * 128 + code] = next;
          fail[next] = fallback;
          collected[next]?.push(...(collected[fallback] ?? []));
          queue.push(next);
        }
      }
    }
    collected.forEach((list, state) => {
      if (list.length === 0) return;
      this.outputs[state] = list;
      for (const anchor of list) {
        if (anchor.caseSensitive) this.needsCheck[state] = 1;
        else this.directFamilies[state] = (this.directFamilies[state] ?? 0) | anchor.family;
      }
    });
  }
}

function foldedCodes(literal: string): number[] {
  return [...literal].map((char) => fold(char.charCodeAt(0)));
}

/** ASCII lower-casing; every non-ASCII character maps to 0, which no anchor contains. */
function fold(code: number): number {
  if (code >= 65 && code <= 90) return code + 32;
  return code < 128 ? code : 0;
}

const automaton = new AnchorAutomaton(ANCHORS);

/** Bit set of the families whose anchors occur in `text` (0: nothing can match). */
export function familiesIn(text: string): number {
  const { delta, directFamilies, needsCheck } = automaton;
  let state = 0;
  let flags = 0;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    let code = text.charCodeAt(index);
    if (code >= 65 && code <= 90) code += 32;
    else if (code >= 128) code = 0;
    state = delta[(state << 7) | code] ?? 0;
    if (state === 0) continue;
    flags |= directFamilies[state] ?? 0;
    if (needsCheck[state] === 1) flags |= confirmedFamilies(text, index + 1, automaton.outputs[state]);
  }
  return flags;
}

function confirmedFamilies(text: string, end: number, anchors: readonly Anchor[] | undefined): number {
  let flags = 0;
  for (const anchor of anchors ?? []) {
    if (!anchor.caseSensitive) continue;
    if (text.startsWith(anchor.literal, end - anchor.literal.length)) flags |= anchor.family;
  }
  return flags;
}
