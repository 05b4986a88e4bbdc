/** Every page of a Microsoft Graph listing, each validated, following `@odata.nextLink`. */
import type { z } from "zod";
import type { RestReader } from "../clients.js";
import { graphPageSchema } from "./graph-schemas.js";
import { followNextLinks } from "./paging.js";

export async function readAllPages<Item extends z.ZodType>(reader: RestReader, firstPath: string, item: Item, signal?: AbortSignal): Promise<Array<z.output<Item>>> {
  const schema = graphPageSchema(item);
  return followNextLinks(
    firstPath,
    async (link) => {
      const page = schema.parse(await reader.get(link));
      return { items: page.value, next: page["@odata.nextLink"] };
    },
    signal,
  );
}
