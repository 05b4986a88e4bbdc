/** Shared plumbing for tests that drive the AWS connector against the wire-level fake. */
import { FAKE_BASE_ACCESS_KEY_ID, FAKE_BASE_SECRET_ACCESS_KEY } from "./estate.js";

export { collectWith, countsByApi, instantRetry, type Collected } from "../collect-harness.js";

export const FAKE_BASE_CREDENTIALS = { accessKeyId: FAKE_BASE_ACCESS_KEY_ID, secretAccessKey: FAKE_BASE_SECRET_ACCESS_KEY };

export function byId<T extends { id: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
