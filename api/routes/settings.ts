import { Router } from 'express';
import { capRulesSchema } from '../../core/frequency-caps';
import { accountQuietHoursSchema } from '../../core/journey-steps';
import type { Models } from '../../db/models';
import { CAPS_SETTING, QUIET_HOURS_SETTING, saveSetting } from '../../db/settings';
import { notFound } from '../errors';
import { json, named, type Operation } from '../openapi-spec';
import { parse } from '../validate';

/**
 * Account-wide settings. Frequency caps apply to every journey's non-transactional sends; quiet
 * hours to those of journeys without quiet hours of their own. Workers apply changes within
 * five seconds.
 */
export function settingsRouter(models: Models): Router {
  const router = Router();

  router.get('/frequency-caps', async (_req, res) => {
    const doc = await models.settings.findById(CAPS_SETTING).lean();
    res.json(doc?.value ?? { rules: [] });
  });

  /** Replaces the rules; workers apply them within five seconds. */
  router.put('/frequency-caps', async (req, res) => {
    const value = parse(capRulesSchema, req.body);
    await saveSetting(models.settings, CAPS_SETTING, value);
    res.json(value);
  });

  router.get('/quiet-hours', async (_req, res) => {
    const doc = await models.settings.findById(QUIET_HOURS_SETTING).lean();
    if (!doc) throw notFound('account quiet hours (none are set)');
    res.json(doc.value);
  });

  router.put('/quiet-hours', async (req, res) => {
    const value = parse(accountQuietHoursSchema, req.body);
    await saveSetting(models.settings, QUIET_HOURS_SETTING, value);
    res.json(value);
  });

  router.delete('/quiet-hours', async (_req, res) => {
    await models.settings.deleteOne({ _id: QUIET_HOURS_SETTING });
    res.status(204).end();
  });

  return router;
}

const caps = named('FrequencyCaps', capRulesSchema);
const quietHours = named('AccountQuietHours', accountQuietHoursSchema);

export const settingsOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/settings/frequency-caps',
    summary: 'The frequency caps: at most `limit` messages per customer per rolling `window`',
    auth: 'apiKey',
    ok: { 200: json('The rules (none when never set)', caps) },
  },
  {
    method: 'put',
    path: '/v1/settings/frequency-caps',
    summary: 'Replace the frequency caps (applied to non-transactional sends of every journey)',
    auth: 'apiKey',
    body: caps,
    ok: { 200: json('Saved', caps) },
  },
  {
    method: 'get',
    path: '/v1/settings/quiet-hours',
    summary: "The account's quiet hours",
    auth: 'apiKey',
    ok: { 200: json('The quiet hours', quietHours) },
    errors: { 404: 'No quiet hours are set' },
  },
  {
    method: 'put',
    path: '/v1/settings/quiet-hours',
    summary: "Set the account's quiet hours, in each customer's time zone, for journeys without their own (transactional sends go anyway)",
    auth: 'apiKey',
    body: quietHours,
    ok: { 200: json('Saved', quietHours) },
  },
  {
    method: 'delete',
    path: '/v1/settings/quiet-hours',
    summary: "Remove the account's quiet hours (none set: nothing to do)",
    auth: 'apiKey',
    ok: { 204: { description: 'Removed' } },
  },
];
