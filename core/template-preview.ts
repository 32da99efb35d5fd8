// A template rendered for one customer and event, as a send would render it, with what would
// go wrong; and the marks of a test send. Pure: the API's preview and test send use it.
import type { Channel } from './channels';
import type { TemplateEvent } from './journey-contract';
import { htmlToText } from './html-text';
import { renderContent, renderContext } from './render';
import { checkTemplate, type TemplateNote } from './template-check';
import { renderedProblems, type TemplateContent } from './template-content';

/** `journey.id` in a preview or test send, and the journey of a test send's message: no journey ID can be this. */
export const TEST_JOURNEY_ID = '(test)';

/** Put before the field a reader sees first (TEST_FIELD) of every test send. */
export const TEST_PREFIX = '[Test] ';
const TEST_FIELD: Record<Channel, string> = { email: 'subject', sms: 'body', push: 'title', web: 'title' };

/**
 * `{{unsubscribeUrl}}` in previews and test sends: a placeholder page, never a working link,
 * so a test recipient who clicks it unsubscribes no one. It answers "invalid link".
 */
export const unsubscribePlaceholder = (publicUrl: string) => `${publicUrl.replace(/\/+$/, '')}/unsubscribe/preview-placeholder`;

export interface PreviewCustomer {
  _id: string;
  email?: string;
  timeZone?: string;
  attributes: Record<string, unknown>;
}

export interface Preview {
  /** Each field as sent; an HTML-only email also gets the text part the email adapter makes. */
  content: Record<string, string>;
  /** Variables outside the render context (the save-time check), and fields that render empty or to a bad link. */
  warnings: TemplateNote[];
  /** The warnings a send would fail on: fields that render empty or to a bad link. */
  undeliverable: TemplateNote[];
}

/** Throws TemplateSyntaxError when a field does not render. */
export function previewTemplate(
  channel: Channel,
  content: TemplateContent,
  customer: PreviewCustomer,
  event: TemplateEvent | undefined,
  publicUrl: string,
): Preview {
  const context = { ...renderContext(customer, TEST_JOURNEY_ID, event ? { event } : {}), ...(channel === 'email' ? { unsubscribeUrl: unsubscribePlaceholder(publicUrl) } : {}) };
  const rendered: Record<string, string> = renderContent(content, context);
  const problems = renderedProblems(channel, rendered).map(({ field, message }) => ({ field, message }));
  if (channel === 'email' && rendered.text === undefined && rendered.html !== undefined) rendered.text = htmlToText(rendered.html);
  return { content: rendered, warnings: [...checkTemplate(channel, content).warnings, ...problems], undeliverable: problems };
}

/** The content a test send delivers: TEST_PREFIX on its first-read field. */
export function markedAsTest(channel: Channel, content: Record<string, string>): Record<string, string> {
  const field = TEST_FIELD[channel];
  return { ...content, [field]: TEST_PREFIX + content[field] };
}
