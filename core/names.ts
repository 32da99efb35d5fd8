// Names that become MongoDB path segments (attributes, event roll-ups): no dots, no leading $.
// Pure.
import { z } from 'zod';

export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_:-]{0,63}$/;

export const attributeNameSchema = z
  .string()
  .regex(ATTRIBUTE_NAME, 'attribute names use letters, digits and _ (at most 64, not starting with a digit)');

export const eventNameSchema = z
  .string()
  .regex(EVENT_NAME, 'event names use letters, digits and _ : - (at most 64, starting with a letter or digit)');
