import { TypedSearchAttributes } from '@temporalio/common';
import { journeyWorkflowId, sendKey, sendKeyCustomer } from '../../core/ids';
import { SA_CONVERTED, SA_OPTIMIZE, SA_SPLITS, SA_STATUS, SA_STEP, SA_VISITED, startSearchAttributes } from '../../core/journey-contract';
import { answers, type RunAttributes, runAttributes, visibilityFilter } from '../../core/run-questions';

const waiting: RunAttributes = { customerId: 'c-1', running: true, continuedAsNew: false, status: 'waiting', step: 'wait', visited: ['split', 'a', 'wait'], splits: ['split:A'], optimize: ['split:*:A:entered'], converted: false };
const done: RunAttributes = { customerId: 'c-2', running: false, continuedAsNew: false, status: 'completed', step: 'wait', visited: ['split', 'b', 'wait', 'end'], splits: ['split:B'], optimize: ['split:*:B:entered', 'split:*:B:settled', 'split:*:B:converted'], converted: true };

describe('runAttributes', () => {
  it('when a run is listed, then its search attributes and whether Temporal runs it are read', () => {
    const sa = new TypedSearchAttributes([
      ...startSearchAttributes('j', 'c-1', 'split').filter((p) => p.key.name !== SA_STATUS.name && p.key.name !== SA_VISITED.name && p.key.name !== SA_STEP.name),
      { key: SA_STATUS, value: 'waiting' },
      { key: SA_STEP, value: 'wait' },
      { key: SA_VISITED, value: ['split', 'a', 'wait'] },
      { key: SA_SPLITS, value: ['split:A'] },
      { key: SA_OPTIMIZE, value: ['split:*:A:entered'] },
    ]);
    expect(runAttributes({ workflowId: journeyWorkflowId('j', 'c-1'), status: { name: 'RUNNING' }, typedSearchAttributes: sa })).toEqual(waiting);
  });

  it('when a run carries no customer attribute, then its workflow ID names the customer', () => {
    const run = runAttributes({ workflowId: journeyWorkflowId('j', 'c-9', 2), status: { name: 'COMPLETED' }, typedSearchAttributes: new TypedSearchAttributes([{ key: SA_CONVERTED, value: true }]) });
    expect(run).toEqual({ customerId: 'c-9', running: false, continuedAsNew: false, visited: [], splits: [], optimize: [], converted: true });
  });
});

describe('a run that continued as new', () => {
  // Its closed row keeps the CairnOptimize values its next run publishes again.
  const closed = runAttributes({
    workflowId: journeyWorkflowId('j', 'c-3'),
    status: { name: 'CONTINUED_AS_NEW' },
    typedSearchAttributes: new TypedSearchAttributes([{ key: SA_OPTIMIZE, value: ['split:*:A:entered'] }, { key: SA_VISITED, value: ['split', 'a'] }]),
  });
  it('when it is listed, then it is read as continued as new and not running', () => {
    expect(closed).toMatchObject({ running: false, continuedAsNew: true });
  });
  it('when an optimize trial is asked, then it does not count (its next run does)', () => {
    expect(answers(closed, { optimize: 'split:*:A:entered' })).toBe(false);
    expect(answers({ ...closed, continuedAsNew: false }, { optimize: 'split:*:A:entered' })).toBe(true);
  });
  it('when another question is asked, then it answers as before', () => {
    expect(answers(closed, { visited: 'a' })).toBe(true);
  });
});

describe('a run question, asked of visibility and of one run', () => {
  const cases = [
    { question: {}, filter: undefined, of: [true, true] },
    { question: { status: 'waiting' }, filter: 'CairnStatus = "waiting"', of: [true, false] },
    { question: { converted: true as const }, filter: 'CairnConverted = true', of: [false, true] },
    { question: { visited: 'wait' }, filter: 'CairnVisited = "wait"', of: [true, true] },
    { question: { visited: 'end' }, filter: 'CairnVisited = "end"', of: [false, true] },
    // The step a closed run last showed is not one it is on.
    { question: { on: 'wait' }, filter: 'CairnStep = "wait" AND ExecutionStatus = "Running"', of: [true, false] },
    { question: { split: 'split:B' }, filter: 'CairnSplits = "split:B"', of: [false, true] },
    { question: { split: 'split:B', converted: true as const }, filter: 'CairnConverted = true AND CairnSplits = "split:B"', of: [false, true] },
    { question: { split: 'split:A', converted: true as const }, filter: 'CairnConverted = true AND CairnSplits = "split:A"', of: [false, false] },
    { question: { optimize: 'split:*:B:converted' }, filter: 'CairnOptimize = "split:*:B:converted" AND ExecutionStatus != "ContinuedAsNew"', of: [false, true] },
    { question: { optimize: 'split:*:A:entered' }, filter: 'CairnOptimize = "split:*:A:entered" AND ExecutionStatus != "ContinuedAsNew"', of: [true, false] },
  ];
  it.each(cases)('when asked $question, then the filter is $filter and the runs answer $of', ({ question, filter, of }) => {
    expect(visibilityFilter(question)).toBe(filter);
    expect([answers(waiting, question), answers(done, question)]).toEqual(of);
  });
});

describe('sendKeyCustomer', () => {
  it('when a journey run\'s send key is read, then it names the run\'s customer', () => {
    expect(sendKeyCustomer(sendKey(journeyWorkflowId('welcome', 'cust.1@x', 3), 'step-1', 2))).toBe('cust.1@x');
  });
  it('when the key is not a journey run\'s, then there is no customer', () => {
    expect(sendKeyCustomer('launch:welcome:seg:step:1')).toBeUndefined();
    expect(sendKeyCustomer('journey:welcome:cust-1:1')).toBeUndefined();
  });
});
