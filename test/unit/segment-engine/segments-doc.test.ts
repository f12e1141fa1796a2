// docs/segments.md publishes the JSON Schema generated from the zod schemas: the copy stays equal.
import fs from 'node:fs';
import path from 'node:path';
import { definitionsJsonSchema } from '../../../services/segment-engine/definitions-json-schema';

test('docs/segments.md holds the generated JSON Schema', () => {
  const doc = fs.readFileSync(path.join(__dirname, '../../../docs/segments.md'), 'utf8');
  const copy = /## JSON Schema[\s\S]*?```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
  expect(copy).toBe(definitionsJsonSchema());
});
