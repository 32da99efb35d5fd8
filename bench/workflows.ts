// The benchmark worker's workflow bundle: every Cairn workflow type plus the baseline's.
export * from '../workflows';
export { benchIdleWorkflow } from './idle-workflow';
