import type { ExitStep } from '../../core/journey-definition';
import type { StepHandler } from './context';

/** Ends the journey here. */
export const exitStep: StepHandler<ExitStep> = async (_step, { control }) => {
  control.end('exit-step');
  return undefined;
};
