/** `wiam schema`: the JSON Schema of inventory snapshot files, generated from the zod model. */
import { inventoryJsonSchema } from "../model/inventory-json-schema.js";

export { inventoryJsonSchema };

export function runSchema(): number {
  process.stdout.write(`${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`);
  return 0;
}
