import { Router } from 'express';
import { z } from 'zod';
import { checkTemplate, type TemplateNote } from '../../core/template-check';
import { emailContentSchema, pushContentSchema, smsContentSchema, webContentSchema } from '../../core/template-content';
import type { Models, TemplateDoc } from '../../db/models';
import { invalid, notFound } from '../errors';
import { parse, pathId, requestBody } from '../validate';
import { upsertById } from '../../db/upsert';

export const templateBodySchema = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('email'), content: emailContentSchema }).strict(),
  z.object({ channel: z.literal('sms'), content: smsContentSchema }).strict(),
  z.object({ channel: z.literal('push'), content: pushContentSchema }).strict(),
  z.object({ channel: z.literal('web'), content: webContentSchema }).strict(),
]);

export function templateView(doc: TemplateDoc) {
  return { id: doc._id, channel: doc.channel, content: doc.content, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

export function templatesRouter(models: Models): Router {
  const router = Router();

  router.put('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(templateBodySchema, requestBody(req));
    const { errors, warnings } = checkTemplate(body.channel, body.content);
    const inContent = (notes: TemplateNote[]) => notes.map((n) => ({ field: `content.${n.field}`, message: n.message }));
    if (errors.length > 0) throw invalid(inContent(errors));

    const { doc, created } = await upsertById(models.templates, id, { $set: { channel: body.channel, content: body.content } });
    // Saved, with what may render empty: a variable outside the render context (a typo, or an
    // attribute no customer has yet).
    res.status(created ? 201 : 200).json({ ...templateView(doc), warnings: inContent(warnings) });
  });

  router.get('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const doc = await models.templates.findById(id).lean();
    if (!doc) throw notFound(`template "${id}"`);
    res.json(templateView(doc));
  });

  return router;
}
