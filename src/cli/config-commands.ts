/** `wiam config schema` and `wiam config reference`: the configuration file described from its zod schema. */
import type { Command } from "commander";
import { configJsonSchema, configReferenceMarkdown } from "../config/reference.js";

type Guarded = (action: () => Promise<number> | number) => Promise<void>;

export function registerConfigCommands(program: Command, guarded: Guarded): void {
  const config = program.command("config").description("describe the configuration file (wiam.yaml)");
  config
    .command("schema")
    .description("print the JSON Schema of the config file, for editors (# yaml-language-server: $schema=<file>)")
    .action(() => guarded(() => (process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`), 0)));
  config
    .command("reference")
    .description("print the Markdown reference of every setting (as in docs/configuration.md)")
    .action(() => guarded(() => (process.stdout.write(configReferenceMarkdown()), 0)));
}
