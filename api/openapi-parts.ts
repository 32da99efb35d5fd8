// Small builders shared by the parts of the OpenAPI document.
import { ID_PATTERN } from '../core/ids';

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object) => ({ 'application/json': { schema } });
export const ok = (description: string, schema: object = { type: 'object' }) => ({ description, content: json(schema) });

export const errorResponses = {
  '400': { description: 'Invalid input: `error.details` names each wrong field', content: json(ref('Error')) },
  '401': { description: 'Missing or unknown API key', content: json(ref('Error')) },
};

export const idParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: ID_PATTERN.source },
});
