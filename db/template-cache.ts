// Templates as the send path reads them: by ID, through a short cache, since every send of a
// campaign renders the same few. An edit reaches sends within TEMPLATE_CACHE_MS.
import type { Model } from 'mongoose';
import { refreshedEvery } from '../lib/refreshed';
import type { TemplateDoc } from './models';

export const TEMPLATE_CACHE_MS = 2_000;

export function cachedTemplates(templates: Model<TemplateDoc>): (id: string) => Promise<TemplateDoc | null> {
  return refreshedEvery(TEMPLATE_CACHE_MS, (id: string) => templates.findById(id).lean<TemplateDoc>().exec());
}
