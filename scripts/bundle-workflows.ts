// `npm run build` ends here: bundles the compiled workflows next to them as
// dist/workflow-bundle.js, which a worker given CAIRN_WORKFLOW_BUNDLE loads instead of bundling
// workflows/ at start (quicker to start, and about 75 MB less resident: bench:worker-memory).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietLogger } from '../dev/quiet-logger';

bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '..', 'workflows'), logger: quietLogger }).then(
  ({ code }) => writeFileSync(path.resolve(__dirname, '..', 'workflow-bundle.js'), code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
