// The import rules ARCHITECTURE.md states ("Layers"), checked on the source files.
import { readSource, sourceFiles as sources } from '../support/source-files';



/** Each import of the file: the module named, and whether it is `import type`. */
function importsOf(file: string): { from: string; typeOnly: boolean }[] {
  const text = readSource(file);
  return [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)].map((m) => ({ from: m[2], typeOnly: Boolean(m[1]) }));
}

/** Files of `dir` whose imports break the rule, with the import. */
function breaking(dir: string, rule: (imp: { from: string; typeOnly: boolean }) => boolean): string[] {
  return sources(dir).flatMap((file) => importsOf(file).filter(rule).map((imp) => `${file}: ${imp.from}`));
}

test('when the layers are read, then api/ imports no activity code', () => {
  expect(sources('api').length).toBeGreaterThan(5);
  expect(breaking('api', (imp) => /(^|\/)activities\//.test(imp.from))).toEqual([]);
});

test('when the layers are read, then core/ does no I/O: it imports neither db/, lib/, activities/ nor I/O modules (hashing is pure)', () => {
  const io = (from: string) => (/^node:/.test(from) && from !== 'node:crypto') || /^(mongoose|express|nodemailer|twilio|firebase-admin)/.test(from);
  expect(breaking('core', (imp) => /(^|\/)(db|lib|activities|workers|api)\//.test(imp.from) || io(imp.from))).toEqual([]);
});

test('when the layers are read, then workflows/ import from activities/ only types, and no I/O module', () => {
  expect(breaking('workflows', (imp) => (/(^|\/)activities(\/|'|$)/.test(imp.from) && !imp.typeOnly) || /^(node:|mongoose|express|nodemailer|twilio|firebase-admin)/.test(imp.from))).toEqual([]);
});

test('when the layers are read, then cli/ reaches a server only through its HTTP API: it imports core/ and no server code', () => {
  expect(sources('cli').length).toBeGreaterThan(5);
  const server = (from: string) => /(^|\/)(api|db|lib|activities|workers|workflows|dev)\//.test(from) || /^(mongoose|express|@temporalio)/.test(from);
  expect(breaking('cli', (imp) => server(imp.from))).toEqual([]);
});
