// The examples under templates/ are what new users paste first: they must pass validation.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { journeyDefinitionSchema } from '../../core/journey-definition';
import { renderContent } from '../../core/render';
import { checkTemplate } from '../../core/template-check';
import { segmentBodySchema } from '../../core/segment-rules';
import { templateBodySchema } from '../../core/template-content';

const read = (file: string) => JSON.parse(readFileSync(path.join(__dirname, '../../templates', file), 'utf8'));

test.each(['welcome-email.json', 'tips-web.json', 'onboarding-welcome.json', 'onboarding-nudge.json', 'onboarding-pro-tips.json', 'onboarding-basics.json'])('when %s is checked, then it is a valid template, with no warnings, that renders', (file) => {
  const body = templateBodySchema.parse(read(file));
  expect(checkTemplate(body.channel, body.content)).toEqual({ errors: [], warnings: [] });
  const rendered = renderContent(body.content, { customer: { firstName: 'Ada', plan: 'pro' }, journey: { id: 'welcome' } });
  const text = Object.values(rendered).join(' ');
  expect(text).not.toContain('{{');
  if (JSON.stringify(body.content).includes('firstName')) expect(text).toContain('Ada');
});

test('when the example journey is checked, then it is a valid definition using the example templates', () => {
  const definition = journeyDefinitionSchema.parse(read('welcome-journey.json'));
  const templates = definition.steps.flatMap((s) => (s.type === 'send' ? [s.template] : []));
  expect(templates).toEqual(['welcome-email', 'tips-web']);
});

test('when the example segment is checked, then its rule is valid', () => {
  expect(segmentBodySchema.safeParse(read('power-users-segment.json')).success).toBe(true);
});
