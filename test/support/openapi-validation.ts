// Validates an OpenAPI document with @seriousme/openapi-schema-validator. The package is ESM only,
// which jest's CommonJS runtime cannot load, so it runs in a child node process.
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../../services/common/config';

export interface OpenApiValidation {
  valid: boolean;
  errors: unknown;
}

const SCRIPT = `
import { Validator } from '@seriousme/openapi-schema-validator';
let text = '';
for await (const chunk of process.stdin) text += chunk;
const result = await new Validator().validate(JSON.parse(text));
process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors ?? null }));
`;

export function validateOpenApi(document: unknown): OpenApiValidation {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd: repoRoot,
    input: JSON.stringify(document),
    encoding: 'utf8',
  });
  return JSON.parse(out) as OpenApiValidation;
}
