/**
 * nextLink paging for the APIs read without an SDK (Graph, management groups). A server that
 * hands out a nextLink it already gave would loop forever; the listing stops with an error
 * instead, which the caller records as a gap.
 */

export class RepeatedNextLinkError extends Error {
  constructor(readonly link: string) {
    super(`the listing returned the same nextLink twice (${new URL(link, "https://nextlink.invalid").pathname}); stopped to avoid an endless loop`);
    this.name = "RepeatedNextLinkError";
  }
}

/** Reads the first page and every page its nextLinks name, each at most once. */
export async function followNextLinks<Item>(
  first: string,
  readPage: (link: string) => Promise<{ items: readonly Item[]; next: string | null | undefined }>,
  signal?: AbortSignal,
): Promise<Item[]> {
  const items: Item[] = [];
  const seen = new Set<string>();
  for (let link: string | null | undefined = first; link; ) {
    signal?.throwIfAborted();
    if (seen.has(link)) throw new RepeatedNextLinkError(link);
    seen.add(link);
    const page = await readPage(link);
    items.push(...page.items);
    link = page.next;
  }
  return items;
}
