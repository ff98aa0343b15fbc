/**
 * Configuration files in YAML or JSON (YAML is a superset of JSON): read and parse once, with a
 * FormatError naming the file on any failure; and the "where" of a zod validation issue, for the
 * caller's error message.
 */

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FormatError } from '../core/errors.js';

/** Parse a YAML or JSON file; `what` names the content in errors ("constraint set", "name mapping"). */
export function readYamlOrJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new FormatError(`cannot read the ${what}: ${(cause as Error).message}`, { file }, { cause });
  }
  try {
    return parseYaml(text);
  } catch (cause) {
    throw new FormatError(`${what} is not valid YAML or JSON: ${(cause as Error).message}`, { file }, { cause });
  }
}

/** "field 'a.0.b'" for a validation issue's path, or "the top level". */
export const issueLocation = (path: readonly PropertyKey[]): string =>
  path.length > 0 ? `field '${path.map(String).join('.')}'` : 'the top level';
