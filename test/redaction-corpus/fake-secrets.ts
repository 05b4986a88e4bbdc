/**
 * Deterministic fake secrets in real formats. Every value says FAKE or EXAMPLE where its format
 * has room for letters (hex-only formats cannot), so nobody mistakes the corpus for a leak, while
 * detectors still see the real shape: prefixes, lengths, alphabets and DER headers are genuine.
 */

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const BASE64 = ALNUM + "+/";
const BASE64URL = ALNUM + "-_";
const HEX = "0123456789abcdef";

/** mulberry32 seeded from a string: the same seed always yields the same fake. */
function generator(seed: string): () => number {
  let state = 2166136261;
  for (let index = 0; index < seed.length; index++) state = Math.imul(state ^ seed.charCodeAt(index), 16777619);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomString(seed: string, alphabet: string, length: number): string {
  const next = generator(seed);
  let result = "";
  for (let index = 0; index < length; index++) result += alphabet.charAt(Math.floor(next() * alphabet.length));
  return result;
}

function randomBytes(seed: string, length: number): Buffer {
  const next = generator(seed);
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) bytes[index] = Math.floor(next() * 256);
  return bytes;
}

/** Random text of `length` from `alphabet` with a FAKE/EXAMPLE tag inside; always has upper, lower and digit. */
function tagged(seed: string, alphabet: string, length: number, tag = "FAKE"): string {
  const body = randomString(seed, alphabet, Math.max(0, length - tag.length - 2));
  const middle = Math.floor(body.length / 2);
  return `${body.slice(0, middle)}${tag}7q${body.slice(middle)}`.slice(0, length);
}

export const fake = {
  /** The AWS documentation's own example pair. */
  awsDocsSecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  awsDocsAccessKeyId: "AKIAIOSFODNN7EXAMPLE",
  awsAccessKeyId: (seed: string) => `AKIA${randomString(`${seed}-id`, UPPER + DIGITS, 9)}EXAMPLE`,
  awsTemporaryKeyId: (seed: string) => `ASIA${randomString(`${seed}-id`, UPPER + DIGITS, 9)}EXAMPLE`,
  awsSecretKey: (seed: string) => tagged(seed, BASE64, 40, "EXAMPLE"),
  awsSessionToken: (seed: string) => `IQoJb3JpZ2luX2VjEFAKE${tagged(seed, BASE64, 360, "EXAMPLE")}==`,
  awsLegacySessionToken: (seed: string) => `FwoGZXIvYXdzEFAKE${tagged(seed, BASE64, 280, "EXAMPLE")}`,

  googleAccessToken: (seed: string) => `ya29.a0FAKE_${tagged(seed, BASE64URL, 160, "EXAMPLE")}`,
  googleRefreshToken: (seed: string) => `1//0gFAKE${tagged(seed, BASE64URL, 90, "EXAMPLE")}`,
  googleApiKey: (seed: string) => `AIzaSyFAKE${tagged(seed, BASE64URL, 29, "EXAMPLE")}`,

  jwt: (seed: string, claims: Record<string, unknown> = {}) => {
    const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "example-kid-fake" })).toString("base64url");
    const payload = Buffer.from(
      JSON.stringify({ iss: "https://sts.example.invalid/", sub: `FAKE-EXAMPLE-${seed}`, aud: "api://example", exp: 1767225600, ...claims }),
    ).toString("base64url");
    return `${header}.${payload}.${tagged(seed, BASE64URL, 342, "FAKE")}`;
  },

  /** PKCS#8 body (real header bytes), as 64-character lines. */
  pkcs8Body: (seed: string) => wrap64(derWithHeader([0x30, 0x82, 0x04, 0xbd, 0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x04, 0x82, 0x04, 0xa7], seed, 1190)),
  pkcs1Body: (seed: string) => wrap64(derWithHeader([0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00], seed, 1180)),
  openSshBody: (seed: string) => wrap64(`b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW${tagged(seed, BASE64, 300, "FAKEEXAMPLE")}`),
  pem: (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`,

  /** PKCS#12 (PFX): SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data ... } } and fake content. */
  pkcs12Base64: (seed: string) =>
    derWithHeader([0x30, 0x82, 0x0a, 0x1d, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0xe3, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01], seed, 700),
  /** A public certificate (must survive): SEQUENCE { SEQUENCE { [0] { INTEGER 2 } ... } }. */
  certificateBase64: (seed: string) =>
    derWithHeader([0x30, 0x82, 0x03, 0x0a, 0x30, 0x82, 0x01, 0xf2, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x10], seed, 520),

  storageAccountKey: (seed: string) => `${tagged(seed, BASE64, 86, "EXAMPLEFAKE")}==`,
  serviceBusKey: (seed: string) => `${tagged(seed, BASE64, 43, "FAKE")}=`,
  sasSignature: (seed: string) => `${tagged(seed, ALNUM, 40, "FAKE")}%2B${randomString(seed, ALNUM, 6)}%3D`,
  entraClientSecret: (seed: string) => `${randomString(seed, ALNUM, 3)}8Q~FAKE.EXAMPLE_${tagged(seed, ALNUM + "_.-~", 18, "x")}`,
  entraLegacySecret: (seed: string) => `FAKE.${tagged(seed, ALNUM + "._-[]:?", 27, "EXAMPLE")}`,

  githubToken: (prefix: "ghp" | "gho" | "ghu" | "ghs" | "ghr", seed: string) => `${prefix}_FAKEEXAMPLE${tagged(seed, ALNUM, 25, "Q")}`,
  githubFineGrained: (seed: string) => `github_pat_11FAKEEXAMPLE0${tagged(seed, ALNUM, 10)}_${tagged(`${seed}b`, ALNUM, 59)}`,
  gitlabToken: (seed: string) => `glpat-FAKEEXAMPLE${tagged(seed, ALNUM, 12, "x")}`,
  slackBotToken: (seed: string) => `xoxb-123456789012-1234567890123-FAKEEXAMPLE${tagged(seed, ALNUM, 13, "z")}`,
  slackUserToken: (seed: string) => `xoxp-123456789012-123456789012-1234567890123-FAKE${tagged(seed, HEX, 28, "e")}`,
  slackAppToken: (seed: string) => `xapp-1-A0FAKEEXAMPLE-1234567890123-${tagged(seed, HEX, 64, "e")}`,
  slackWebhookPath: (seed: string) => `T0FAKE0000/B0EXAMPLE0/${tagged(seed, ALNUM, 24, "FAKE")}`,
  stripeKey: (prefix: "sk_live" | "rk_live" | "sk_test", seed: string) => `${prefix}_FAKEEXAMPLE${tagged(seed, ALNUM, 88, "x")}`,
  npmToken: (seed: string) => `npm_FAKEEXAMPLE${tagged(seed, ALNUM, 25, "x")}`,
  sendgridKey: (seed: string) => `SG.FAKEEXAMPLE${tagged(seed, BASE64URL, 11, "q")}.${tagged(`${seed}b`, BASE64URL, 43, "FAKE")}`,
  twilioApiKeySid: (seed: string) => `SK${randomString(seed, HEX, 32)}`,
  hex: (seed: string, length: number) => randomString(seed, HEX, length),
  openAiKey: (seed: string) => `sk-proj-FAKEEXAMPLE${tagged(seed, BASE64URL, 140, "T3BlbkFJ")}`,
  anthropicKey: (seed: string) => `sk-ant-api03-FAKEEXAMPLE${tagged(seed, BASE64URL, 82, "x")}-${randomString(seed, ALNUM, 6)}AA`,
  herokuKey: (seed: string) => `HRKU-FAKEEXAMPLE${tagged(seed, BASE64URL, 50, "x")}`,
  uuid: (seed: string) => {
    const hex = randomString(seed, HEX, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  },
  highEntropy: (seed: string, length = 32) => tagged(seed, ALNUM, length, "FAKE"),
};

function derWithHeader(header: readonly number[], seed: string, contentLength: number): string {
  const content = Buffer.concat([Buffer.from(header), Buffer.from("EXAMPLE.DER.FAKE.CONTENT"), randomBytes(seed, contentLength)]);
  return content.toString("base64");
}

function wrap64(base64: string): string {
  return base64.match(/.{1,64}/g)?.join("\n") ?? base64;
}

/** The lines of a key body, each a planted secret part (bodies are split differently in each format). */
export function bodyLines(body: string): string[] {
  return body.split("\n").filter((line) => line.length > 0);
}
