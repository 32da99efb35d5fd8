// The subcommands, in the order --help lists them. A new one is a module here and a line below.
import type { Command } from '../command';
import { applyCommand } from './apply';
import { diffCommand } from './diff';
import { newJourneyCommand } from './new-journey';
import { simulateCommand } from './simulate';
import { validateCommand } from './validate';

export const COMMANDS: readonly Command[] = [validateCommand, diffCommand, applyCommand, simulateCommand, newJourneyCommand];
