import { Router } from 'express';
import { z } from 'zod';
import { templateSyntaxErrors } from '../../core/render';
import { emailContentSchema, pushContentSchema, smsContentSchema, webContentSchema } from '../../core/template-content';
import type { Models, TemplateDoc } from '../../db/models';
import { invalid, notFound } from '../errors';
import { parse, pathId } from '../validate';
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
    const body = parse(templateBodySchema, req.body);
    const syntax = templateSyntaxErrors(body.content);
    if (syntax.length > 0) throw invalid(syntax.map((e) => ({ field: `content.${e.field}`, message: e.message })));

    const { doc, created } = await upsertById(models.templates, id, { $set: { channel: body.channel, content: body.content } });
    res.status(created ? 201 : 200).json(templateView(doc));
  });

  router.get('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const doc = await models.templates.findById(id).lean();
    if (!doc) throw notFound(`template "${id}"`);
    res.json(templateView(doc));
  });

  return router;
}
