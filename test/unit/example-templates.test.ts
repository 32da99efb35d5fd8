// The examples under templates/ are what new users paste first: they must pass validation.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { journeyDefinitionSchema } from '../../core/journey-definition';
import { sendRoutes } from '../../core/send-routes';
import { renderContent } from '../../core/render';
import { checkTemplate } from '../../core/template-check';
import { segmentBodySchema } from '../../core/segment-rules';
import { templateBodySchema } from '../../core/template-content';

const read = (file: string) => JSON.parse(readFileSync(path.join(__dirname, '../../templates', file), 'utf8'));

// Every template there (a file with a channel), so a new example is checked without being listed here.
const templates = readdirSync(path.join(__dirname, '../../templates')).filter((f) => f.endsWith('.json') && 'channel' in read(f));
const segments = readdirSync(path.join(__dirname, '../../templates')).filter((f) => f.endsWith('-segment.json'));

test('when the examples are listed, then the code-first examples\' templates are among them', () => {
  expect(templates).toEqual(expect.arrayContaining(['onboarding-welcome.json', 'trial-started.json', 'trial-ending-sms.json', 'trial-ending-web.json', 'trial-last-chance.json']));
});

test.each(templates)('when %s is checked, then it is a valid template, with no warnings, that renders', (file) => {
  const body = templateBodySchema.parse(read(file));
  expect(checkTemplate(body.channel, body.content)).toEqual({ errors: [], warnings: [] });
  const rendered = renderContent(body.content, { customer: { firstName: 'Ada', plan: 'pro' }, journey: { id: 'welcome' } });
  const text = Object.values(rendered).join(' ');
  expect(text).not.toContain('{{');
  if (JSON.stringify(body.content).includes('firstName')) expect(text).toContain('Ada');
});

test('when the example journey is checked, then it is a valid definition using the example templates', () => {
  const definition = journeyDefinitionSchema.parse(read('welcome-journey.json'));
  const templates = definition.steps.flatMap((s) => (s.type === 'send' ? sendRoutes(s).map((r) => r.template) : []));
  expect(templates).toEqual(['welcome-email', 'tips-web']);
});

test.each(segments)('when the example segment %s is checked, then its rule is valid', (file) => {
  expect(segmentBodySchema.safeParse(read(file)).success).toBe(true);
});
