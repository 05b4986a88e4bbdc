/**
 * Cloud text (names, descriptions, tags, display names) is written by whoever controls the cloud
 * resource, and can carry prompt injection aimed at the assistant. The pipeline passes every
 * structured result through here: control, zero-width and bidirectional characters are removed
 * from every string (they hide text from the human reviewing it) and free-text fields are
 * length-capped. The tools' text renderings only ever quote names; descriptions and tags stay in
 * labelled structured fields.
 */

// Controls (Cc), format characters (Cf: zero-width, bidi embeddings/overrides/isolates, soft
// hyphen, tag characters, ...), line/paragraph separators, and invisible fillers and variation
// selectors that render as nothing.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]|\u034f|[\ufe00-\ufe0f]|[\u{e0100}-\u{e01ef}]/gu;
// The same, but keeping line feeds and tabs, for multi-line text meant for people.
const INVISIBLE_KEEP_LINES = /(?![\n\t])(?:[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]|\u034f|[\ufe00-\ufe0f]|[\u{e0100}-\u{e01ef}])/gu;

export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, "");
}

export function stripInvisibleKeepLines(text: string): string {
  return text.replace(INVISIBLE_KEEP_LINES, "");
}

/** Caps for fields that hold free text from the clouds (characters). */
export const UNTRUSTED_FIELD_CAPS: Readonly<Record<string, number>> = {
  description: 1_024,
  displayName: 256,
  name: 256,
  contentType: 128,
};
/** Tag keys and values (AWS allows 128/256; other clouds are similar). */
export const TAG_KEY_CAP = 128;
export const TAG_VALUE_CAP = 256;

export function capText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function cleanTags(tags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tags)) {
    const cleanKey = capText(stripInvisible(key), TAG_KEY_CAP);
    out[cleanKey] = typeof value === "string" ? capText(stripInvisible(value), TAG_VALUE_CAP) : sanitizeUntrusted(value);
  }
  return out;
}

/** Returns a copy of `value` with every string cleaned and free-text fields capped. */
export function sanitizeUntrusted(value: unknown, key?: string): unknown {
  if (typeof value === "string") {
    const clean = stripInvisible(value);
    const cap = key === undefined ? undefined : UNTRUSTED_FIELD_CAPS[key];
    return cap === undefined ? clean : capText(clean, cap);
  }
  if (Array.isArray(value)) return value.map((item) => sanitizeUntrusted(item));
  if (typeof value !== "object" || value === null) return value;
  if (key === "tags") return cleanTags(value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [childKey, child] of Object.entries(value as Record<string, unknown>)) {
    out[stripInvisible(childKey)] = sanitizeUntrusted(child, childKey);
  }
  return out;
}

// Markdown that a client renders into a fetch or a click: images (`![alt](url)`), inline links
// (`[text](url)`) and raw HTML tags. Breaking the syntax is enough; the value stays readable, and
// the structured result keeps it exactly.
const LINK_SYNTAX = /!\[|\]\(|<|>/g;
const LINK_REPLACEMENTS: Readonly<Record<string, string>> = { "![": "! [", "](": "] (", "<": "‹", ">": "›" };

/** Neutralises markdown link, image and HTML syntax in a value shown inside a text answer. */
export function neutralizeMarkup(text: string): string {
  return text.replace(LINK_SYNTAX, (match) => LINK_REPLACEMENTS[match] ?? match);
}

/**
 * One value from outside as it may appear inside a line of text: no control, format, bidi or line
 * separator characters (nothing can start a line of its own or reach a terminal as an escape
 * sequence), and no live markup.
 */
export function cleanInline(text: string): string {
  return neutralizeMarkup(stripInvisible(text));
}
