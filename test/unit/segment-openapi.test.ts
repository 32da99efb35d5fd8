import SwaggerParser from '@apidevtools/swagger-parser';
import { segmentComponentSchemas, segmentPaths } from '../../api/openapi-segments';

/** The segment parts inside a minimal document, as api/openapi.ts merges them. */
const document = () => ({
  openapi: '3.1.0',
  info: { title: 'Cairn API', version: '0.1.0' },
  security: [{ apiKey: [] }],
  paths: segmentPaths(),
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
    schemas: { ...segmentComponentSchemas(), Error: { type: 'object' } },
  },
});

test('when the segment routes are documented, then the document is valid OpenAPI 3.1 and every reference resolves', async () => {
  const doc = await SwaggerParser.validate(document() as never);
  expect(Object.keys(doc.paths ?? {})).toEqual(['/v1/segments/{id}', '/v1/segments/{id}/preview', '/v1/segments/{id}/members/{customerId}']);
  const text = JSON.stringify(document());
  expect(text).not.toContain('#/$defs/');
  expect([...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]).every((r) => r.startsWith('#/components/schemas/'))).toBe(true);
});

test('when the rule language is documented, then every condition kind and combinator appears in SegmentRule', () => {
  const rule = JSON.stringify(segmentComponentSchemas().SegmentRule);
  for (const key of ['and', 'or', 'not', 'attribute', 'event', 'timeZoneIn', 'localeIn', 'languageIn', 'pushPlatform', 'lastSeenWithin', 'lastSeenNotWithin', 'reachableOn']) {
    expect(rule).toContain(`"${key}"`);
  }
});
