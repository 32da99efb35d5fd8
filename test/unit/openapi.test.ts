import SwaggerParser from '@apidevtools/swagger-parser';
import { openApiDocument } from '../../api/openapi';

const schemas = () => (openApiDocument() as { components: { schemas: Record<string, object> } }).components.schemas;

test('when the document is built, then it is valid OpenAPI 3.1 and every reference is to a component', async () => {
  await SwaggerParser.validate(structuredClone(openApiDocument()) as never);
  const text = JSON.stringify(openApiDocument());
  expect(text).not.toContain('#/$defs/');
  expect([...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]).every((r) => r.startsWith('#/components/schemas/'))).toBe(true);
});

test('when the rule language is documented, then every condition kind and combinator appears in SegmentRule', () => {
  const rule = JSON.stringify(schemas().SegmentRule);
  for (const key of ['and', 'or', 'not', 'attribute', 'event', 'timeZoneIn', 'localeIn', 'languageIn', 'pushPlatform', 'lastSeenWithin', 'lastSeenNotWithin', 'reachableOn']) {
    expect(rule).toContain(`"${key}"`);
  }
});

test('when journey definitions are documented, then branch rules reference the one SegmentRule component', () => {
  const journey = JSON.stringify(schemas().JourneyDefinition);
  for (const type of ['send', 'wait', 'waitForEvent', 'branch', 'split', 'exit']) expect(journey).toContain(`"const":"${type}"`);
  expect(journey).toContain('"$ref":"#/components/schemas/SegmentRule"');
});

test('when a template is saved, then its 2xx answers are documented with the warnings array', () => {
  const put = (openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>> }).paths['/v1/templates/{id}'].put;
  for (const status of ['200', '201']) expect(JSON.stringify(put.responses[status].content)).toContain('"$ref":"#/components/schemas/TemplateSaved"');
  expect(schemas().TemplateSaved).toMatchObject({ properties: { warnings: { type: 'array' }, content: { type: 'object' } } });
});
