import { Router } from 'express';
import { z } from 'zod';
import { CHANNELS } from '../../core/channels';
import { checkTemplate, type TemplateNote } from '../../core/template-check';
import { emailTrackingSchema, templateBodySchema } from '../../core/template-content';
import type { Models, TemplateDoc } from '../../db/models';
import { invalid, notFound } from '../errors';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { parse, pathId, requestBody } from '../validate';
import { upsertById } from '../../db/upsert';
import { templateUses } from '../../core/journey-references';
import { refuseIfNamed } from '../in-use';
import { DEFAULT_PAGE_SIZE, listPage, pageQuerySchema, pageSchema } from '../list-page';

const templateViewSchema = named(
  'Template',
  z.object({
    id: z.string(),
    channel: z.enum(CHANNELS),
    content: z.record(z.string(), z.unknown()).meta({ description: 'The fields of the channel, as given (see TemplateInput)' }),
    tracking: emailTrackingSchema.optional().meta({ description: 'Email: what is tracked, as given (absent: opens and clicks)' }),
    createdAt: z.date(),
    updatedAt: z.date(),
  }),
);
const templateSavedSchema = named(
  'TemplateSaved',
  templateViewSchema.extend({
    /** Variables outside the render context (`custmer.name`): saved, but they render empty. */
    warnings: z.array(z.object({ field: z.string(), message: z.string() })),
  }),
);

export function templateView(doc: TemplateDoc): z.infer<typeof templateViewSchema> {
  return { id: doc._id, channel: doc.channel, content: doc.content, ...(doc.tracking ? { tracking: doc.tracking } : {}), createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

/** A template in a list: the single view without its content. */
const templateSummarySchema = named('TemplateSummary', templateViewSchema.omit({ content: true, tracking: true }));
function templateSummary(doc: TemplateDoc): z.infer<typeof templateSummarySchema> {
  const { content, tracking, ...summary } = templateView(doc);
  return summary;
}

const templateListQuerySchema = pageQuerySchema.extend({ channel: z.enum(CHANNELS).optional().meta({ description: 'Only templates for this channel' }) });
const templatePageSchema = named('TemplatePage', pageSchema(templateSummarySchema));

export function templatesRouter(models: Models): Router {
  const router = Router();

  router.put('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(templateBodySchema, requestBody(req));
    const { errors, warnings } = checkTemplate(body.channel, body.content);
    const inContent = (notes: TemplateNote[]) => notes.map((n) => ({ field: `content.${n.field}`, message: n.message }));
    if (errors.length > 0) throw invalid(inContent(errors));

    // A replace: a template saved again without `tracking` tracks everything again.
    const tracking = body.channel === 'email' ? body.tracking : undefined;
    const { doc, created } = await upsertById(models.templates, id, {
      $set: { channel: body.channel, content: body.content, ...(tracking ? { tracking } : {}) },
      ...(tracking ? {} : { $unset: { tracking: 1 } }),
    });
    // Saved, with what may render empty: a variable outside the render context (a typo, or an
    // attribute no customer has yet).
    res.status(created ? 201 : 200).json({ ...templateView(doc), warnings: inContent(warnings) } satisfies z.infer<typeof templateSavedSchema>);
  });

  /** Every template, or those of one channel, in ID order. */
  router.get('/', async (req, res) => {
    const query = parse(templateListQuerySchema, req.query);
    const { docs, next } = await listPage(models.templates, query.channel ? { channel: query.channel } : {}, query);
    res.json({ items: docs.map(templateSummary), next } satisfies z.infer<typeof templatePageSchema>);
  });

  router.get('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const doc = await models.templates.findById(id).lean();
    if (!doc) throw notFound(`template "${id}"`);
    res.json(templateView(doc));
  });

  router.delete('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    if (!(await models.templates.exists({ _id: id }))) throw notFound(`template "${id}"`);
    await refuseIfNamed(models.journeys, 'template', id, (definition) => templateUses(definition).map((use) => use.template), (type) => type.templates);
    await models.templates.deleteOne({ _id: id });
    res.status(204).end();
  });

  return router;
}

const templateId = z.object({ id: idParam('Template ID') });

export const templateOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/templates',
    summary: `Templates in ID order, without their content, a page at a time (${DEFAULT_PAGE_SIZE} unless \`limit\` says otherwise), optionally for one channel`,
    auth: 'apiKey',
    query: templateListQuerySchema,
    ok: { 200: json('A page of templates', templatePageSchema) },
  },
  {
    method: 'put',
    path: '/v1/templates/{id}',
    summary: 'Create or replace a Handlebars template for one channel',
    description:
      'Checked before it is saved: each field must compile with the built-in helpers (if, unless, each, with, lookup) and read no prototype name (`__proto__`, `constructor`...), and `link` and `imageUrl` must be https: (http: for localhost and 127.0.0.1; a web `link` may be relative). An email template may set `tracking` (`{"opens": false, "clicks": false}`) to send without the open pixel or without click tracking (README, "Engagement tracking"). A variable outside the render context is allowed, and named in `warnings`.',
    auth: 'apiKey',
    params: templateId,
    body: named('TemplateInput', templateBodySchema),
    ok: { 200: json('Replaced', templateSavedSchema), 201: json('Created', templateSavedSchema) },
    errors: {
      400: 'Invalid template, or no JSON body: `error.details` names each wrong field (it does not compile, calls an unknown helper, reads a prototype name, or has a link that is not https:)',
    },
  },
  {
    method: 'get',
    path: '/v1/templates/{id}',
    summary: 'Read a template',
    auth: 'apiKey',
    params: templateId,
    ok: { 200: json('The template', templateViewSchema) },
    errors: { 404: 'No such template' },
  },
  {
    method: 'delete',
    path: '/v1/templates/{id}',
    summary: 'Delete a template that no journey uses',
    description: 'Refused while a journey that is not archived names it in its published definition or its draft (a send step, its fallback, or one of the templates of a best-channel send).',
    auth: 'apiKey',
    params: templateId,
    ok: { 204: { description: 'Deleted' } },
    errors: { 404: 'No such template', 409: 'Journeys use the template: the message names them' },
  },
];
