/** `keel schema`: the JSON Schema of the config document, generated from the zod schema. */
import { jsonSchema } from "../config/schema.ts";
import { parse } from "./args.ts";

export const help = `Usage: keel schema

Print the JSON Schema (draft 2020-12) of the config document, generated from the same zod
schema the engine validates with. Point your editor at it to complete config files:
  keel schema > keel.schema.json

Options:
  -h, --help  show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {}, 0);
  if (values.help) return (console.log(help), 0);
  const schema = { ...jsonSchema(), title: "keel config document" };
  console.log(JSON.stringify(schema, null, 2));
  return 0;
}
