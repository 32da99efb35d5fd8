// The worker registers Cairn's search attributes on a namespace that lacks them (an older
// dev database, a new cluster), so runs never fail on an unknown attribute.
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTES } from '../../core/journey-contract';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { eventually } from '../support/stack';
import { testEnv } from '../support/test-env';

test('when a namespace lacks the search attributes, then they are added once, with their types', async () => {
  const connection = await Connection.connect({ address: testEnv().temporalAddress });
  try {
    const namespace = `sa-${process.pid}-${Date.now().toString(36)}`;
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await eventually(async () => {
      await connection.workflowService.describeNamespace({ namespace });
    });
    const added = await eventually(() => ensureSearchAttributes(connection, namespace));
    expect(added.sort()).toEqual(SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(added));
    expect(await ensureSearchAttributes(connection, namespace)).toEqual([]);
  } finally {
    await connection.close();
  }
});
