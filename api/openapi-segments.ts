// The /v1/segments part of the OpenAPI document, merged in by api/openapi.ts. The rule language
// is recursive, so the rule is a component of its own (SegmentRule) that others reference.
import { segmentRuleShape } from '../core/segment-rules';
import { errorResponses, idParam, json, ok, ref } from './openapi-parts';
import { PREVIEW_SAMPLE_SIZE, segmentBodySchema } from './routes/segments';

const errors = {
  ...errorResponses,
  '404': { description: 'No such segment (or customer)', content: json(ref('Error')) },
};

/** Request schemas, named; api/openapi.ts turns them into components with the others. */
export const segmentRequestSchemas = { SegmentInput: segmentBodySchema, SegmentRule: segmentRuleShape };

/** The Segment response schema. */
export function segmentResponseSchemas(): Record<string, object> {
  return {
    Segment: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        description: { type: 'string' },
        rule: ref('SegmentRule'),
        createdAt: { type: 'string', format: 'date-time' },
        updatedAt: { type: 'string', format: 'date-time' },
      },
    },
  };
}

export function segmentPaths(): Record<string, object> {
  const segmentId = idParam('id', 'Segment ID');
  return {
    '/v1/segments/{id}': {
      parameters: [segmentId],
      put: {
        summary: 'Create a segment or replace it (name, description, rule)',
        requestBody: { required: true, content: json(ref('SegmentInput')) },
        responses: { '200': ok('Replaced', ref('Segment')), '201': ok('Created', ref('Segment')), ...errors },
      },
      get: { summary: 'Read a segment', responses: { '200': ok('The segment', ref('Segment')), ...errors } },
    },
    '/v1/segments/{id}/preview': {
      parameters: [segmentId],
      post: {
        summary: `Count the customers in the segment now, with the first ${PREVIEW_SAMPLE_SIZE} IDs`,
        responses: {
          '200': ok('The preview', {
            type: 'object',
            properties: { count: { type: 'integer' }, sample: { type: 'array', items: { type: 'string' } } },
          }),
          ...errors,
        },
      },
    },
    '/v1/segments/{id}/members/{customerId}': {
      parameters: [segmentId, idParam('customerId', 'Customer ID')],
      get: {
        summary: 'Whether the customer is in the segment now',
        responses: { '200': ok('Membership', { type: 'object', properties: { member: { type: 'boolean' } } }), ...errors },
      },
    },
  };
}
