import { emailMessageId } from '../../activities/channels/email';
import { ID_PATTERN, journeyRunOf, journeyWorkflowId, launchWorkflowId, sendKey } from '../../core/ids';

describe('journeyWorkflowId', () => {
  it('when called twice with the same journey, customer and entry, then it returns the same ID', () => {
    expect(journeyWorkflowId('welcome', 'cust-1', 1)).toBe(journeyWorkflowId('welcome', 'cust-1', 1));
  });

  it('when the entry is omitted, then it is the first entry', () => {
    expect(journeyWorkflowId('welcome', 'cust-1')).toBe(journeyWorkflowId('welcome', 'cust-1', 1));
  });

  it('when the journey, customer or entry differ, then the IDs differ', () => {
    const ids = [
      journeyWorkflowId('welcome', 'cust-1', 1),
      journeyWorkflowId('welcome', 'cust-1', 2),
      journeyWorkflowId('welcome', 'cust-2', 1),
      journeyWorkflowId('winback', 'cust-1', 1),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('when built, then it has the documented journey:<journey>:<customer>:<entry> shape', () => {
    expect(journeyWorkflowId('welcome', 'cust-1', 3)).toBe('journey:welcome:cust-1:3');
  });
});

describe('sendKey', () => {
  const workflowId = journeyWorkflowId('welcome', 'cust-1', 1);

  it('when called twice for the same workflow, step and visit, then it returns the same key', () => {
    expect(sendKey(workflowId, 'send-welcome', 1)).toBe(sendKey(workflowId, 'send-welcome', 1));
  });

  it('when the same step is visited again, then each visit gets a distinct key', () => {
    const keys = [1, 2, 3].map((visit) => sendKey(workflowId, 'send-welcome', visit));
    expect(new Set(keys).size).toBe(3);
  });

  it('when the step or the workflow differ, then the keys differ', () => {
    const other = journeyWorkflowId('welcome', 'cust-1', 2);
    const keys = [sendKey(workflowId, 'a', 1), sendKey(workflowId, 'b', 1), sendKey(other, 'a', 1)];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('ID_PATTERN', () => {
  it.each(['a', 'A1', 'cust_1.x@example.com', 'x+y-z', '9'.repeat(128)])(
    'when the ID is %p, then it is accepted',
    (id) => {
      expect(ID_PATTERN.test(id)).toBe(true);
    },
  );

  it.each(['', '_a', '-a', 'a b', 'a/b', 'a:b', 'é', 'a'.repeat(129)])('when the ID is %p, then it is refused', (id) => {
    expect(ID_PATTERN.test(id)).toBe(false);
  });
});

describe('emailMessageId', () => {
  it('when called twice with the same send key, then it returns the same Message-ID', () => {
    const key = sendKey(journeyWorkflowId('welcome', 'cust-1'), 'send-welcome', 1);
    expect(emailMessageId(key, 'example.com')).toBe(emailMessageId(key, 'example.com'));
  });

  it('when the send keys differ by visit, then the Message-IDs differ', () => {
    const workflowId = journeyWorkflowId('welcome', 'cust-1');
    expect(emailMessageId(sendKey(workflowId, 's', 1), 'example.com')).not.toBe(
      emailMessageId(sendKey(workflowId, 's', 2), 'example.com'),
    );
  });

  it('when built, then it is an angle-bracketed 40-hex-digit local part at the given domain', () => {
    expect(emailMessageId('any-key', 'mail.example.com')).toMatch(/^<[0-9a-f]{40}@mail\.example\.com>$/);
  });
});

describe('journeyRunOf', () => {
  it('when given a journey run\'s workflow ID, then it returns the journey and customer it was made from', () => {
    expect(journeyRunOf(journeyWorkflowId('welcome', 'a.b@c+d', 3))).toEqual({ journeyId: 'welcome', customerId: 'a.b@c+d' });
  });

  it('when given another workflow\'s ID, then it returns undefined', () => {
    expect(journeyRunOf(launchWorkflowId('welcome', 'vips'))).toBeUndefined();
    expect(journeyRunOf('finish-events:cairn')).toBeUndefined();
  });
});
