// What an installation without the time-skipping server or the workflow bundle answers: no
// server is started, and the reason names the missing file and how to get it.
import { createSimulationHosts, SimulationUnavailableError } from '../../lib/simulation-hosts';

const binding = { activities: {} as never, stepEntered: () => undefined };

test('when the test server binary is missing, then a simulation is refused naming it and how to install it', async () => {
  const hosts = createSimulationHosts({ testServerPath: '/nonexistent/temporal-test-server', workflowBundlePath: __filename, maxConcurrent: 1 });
  await hosts.warm();
  const refusal = hosts.run(binding, async () => 'ran');
  await expect(refusal).rejects.toBeInstanceOf(SimulationUnavailableError);
  await expect(refusal).rejects.toThrow('/nonexistent/temporal-test-server does not exist');
  await expect(refusal).rejects.toThrow('scripts/install-servers.sh');
  await hosts.close();
});

test('when the workflow bundle is missing, then a simulation is refused naming it and npm run build', async () => {
  const hosts = createSimulationHosts({ testServerPath: __filename, workflowBundlePath: '/nonexistent/workflow-bundle.js', maxConcurrent: 1 });
  await expect(hosts.run(binding, async () => 'ran')).rejects.toThrow(/workflow bundle \(`npm run build` writes it.*\/nonexistent\/workflow-bundle\.js does not exist/);
  await hosts.close();
});
