import { Router } from 'express';
import { CAPS_SETTING } from '../../activities/caps';
import { capRulesSchema } from '../../core/frequency-caps';
import type { Models } from '../../db/models';
import { parse } from '../validate';

/** Account-wide settings. Frequency caps apply to every journey's non-transactional sends. */
export function settingsRouter(models: Models): Router {
  const router = Router();

  router.get('/frequency-caps', async (_req, res) => {
    const doc = await models.settings.findById(CAPS_SETTING).lean();
    res.json(doc?.value ?? { rules: [] });
  });

  /** Replaces the rules; workers apply them within five seconds. */
  router.put('/frequency-caps', async (req, res) => {
    const value = parse(capRulesSchema, req.body);
    await models.settings.updateOne({ _id: CAPS_SETTING }, { $set: { value, updatedAt: new Date() } }, { upsert: true });
    res.json(value);
  });

  return router;
}
