// Every workflow type the worker registers.
export { journeyWorkflow } from './journey';
