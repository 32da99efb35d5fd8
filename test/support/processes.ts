// Cairn's own entry points as real child processes (compiled by `npm run build`), for tests that
// need more than one worker or API process, or a process they can kill.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { freePort, REPO_ROOT } from '../../dev/servers';
import { testRunDir } from './test-env';

export const WORKER_SCRIPT = path.join(REPO_ROOT, 'dist', 'workers', 'main.js');
export const API_SCRIPT = path.join(REPO_ROOT, 'dist', 'api', 'server.js');

export interface ChildProcesses {
  /** Starts `node <script>` with the environment given, its output in a log file named after it. */
  start(script: string, name: string, env: Record<string, string>): ChildProcess;
  /** Starts an API process on a free port; resolves with its base URL once it answers. */
  startApi(name: string, env: Record<string, string>): Promise<string>;
  /** SIGKILLs whatever is still running. */
  killAll(): void;
}

export function childProcesses(): ChildProcesses {
  const children: ChildProcess[] = [];
  const start = (script: string, name: string, env: Record<string, string>) => {
    if (!existsSync(script)) throw new Error(`${script} is missing: run "npm run build" (npm test does)`);
    const log = openSync(path.join(testRunDir(), `${name}.log`), 'w');
    const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    children.push(child);
    return child;
  };
  return {
    start,
    async startApi(name, env) {
      const port = await freePort();
      const child = start(API_SCRIPT, name, { ...env, PORT: String(port) });
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}; see ${name}.log in ${testRunDir()}`);
        if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return url;
        if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    killAll() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
