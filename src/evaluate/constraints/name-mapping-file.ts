/**
 * A name-mapping file (YAML or JSON object of plan structure name -> TG-263 name, or null to leave a
 * structure out) -> NameMapping for names.ts. Apart from names.ts so that matching names does not
 * load the YAML and schema libraries.
 */

import { z } from 'zod';
import { FormatError } from '../../core/errors.js';
import { issueLocation, readYamlOrJson } from '../../io/yaml-file.js';
import type { NameMapping } from './names.js';

const MappingSchema = z.record(z.string().min(1), z.union([z.string().min(1), z.null()]));

/** Read a mapping file (YAML or JSON object of plan name -> TG-263 name or null). */
export function readNameMapping(file: string): NameMapping {
  const r = MappingSchema.safeParse(readYamlOrJson(file, 'name mapping'));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const at = issueLocation(issue.path);
    throw new FormatError(
      `name mapping: ${at}: ${issue.message} (expected an object of "plan name": "TG263Name" or null)`,
      { file },
    );
  }
  return r.data;
}
