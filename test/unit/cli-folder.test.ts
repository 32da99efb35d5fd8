// `cairn validate`: a folder's files read and checked offline with the API's own rules, each
// problem placed at its file, line and field.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkFolder } from '../../cli/compare';
import { NotAFolder } from '../../cli/folder';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

const welcome = 'channel: email\ncontent:\n  subject: Welcome\n  text: Hello {{customer.firstName}}\n';

test('when files are valid, then each is a resource named by its file, or by its id field', () => {
  write({
    'templates/welcome.yaml': welcome,
    'templates/nested/tips.json': JSON.stringify({ id: 'tips-web', channel: 'web', content: { title: 'Tips', body: 'Try this' } }),
    'segments/pro.yml': 'name: Pro\nrule: {attribute: plan, op: eq, value: pro}\n',
    'journeys/welcome.yaml': 'name: Welcome\nentry: {type: segment, segmentId: pro}\nsteps:\n  - {id: hello, type: send, channel: email, template: welcome}\n',
    'settings.yaml': 'quietHours: null\n',
    'templates/README.md': 'not read',
  });
  const { resources, problems, files } = checkFolder(dir);
  expect(problems).toEqual([]);
  expect(files).toBe(5);
  expect(resources.map((r) => `${r.kind}:${r.id}`).sort()).toEqual(['journey:welcome', 'segment:pro', 'setting:quiet-hours', 'template:tips-web', 'template:welcome']);
});

test('when a field is wrong, then the problem names the file, its line and column, and the field', () => {
  write({ 'journeys/j.yaml': 'name: J\nsteps:\n  - id: w\n    type: wait\n    duration: soon\n' });
  expect(checkFolder(dir).problems).toEqual([
    { severity: 'error', file: 'journeys/j.yaml', line: 5, column: 15, field: 'steps[0].duration', message: expect.stringMatching(/^step "w": must be a duration/) },
  ]);
});

test('when a template does not compile, then it is an error; a variable outside the context is a warning', () => {
  write({ 'templates/a.yaml': 'channel: sms\ncontent:\n  body: "{{#if x}}open"\n', 'templates/b.yaml': 'channel: sms\ncontent:\n  body: "{{custmer.name}}"\n' });
  const problems = checkFolder(dir).problems;
  expect(problems.map((p) => [p.file, p.severity, p.field])).toEqual([
    ['templates/a.yaml', 'error', 'content.body'],
    ['templates/b.yaml', 'warning', 'content.body'],
  ]);
});

test('when a journey names a template or segment the folder lacks, then it is a warning (it may be on the server); a wrong channel is an error', () => {
  write({
    'templates/welcome.yaml': welcome,
    'journeys/j.yaml': 'name: J\nentry: {type: segment, segmentId: vip}\nsteps:\n  - {id: a, type: send, channel: sms, template: welcome, next: b}\n  - {id: b, type: send, channel: email, template: gone}\n',
  });
  expect(checkFolder(dir).problems.map((p) => `${p.severity} ${p.field}: ${p.message}`)).toEqual([
    'error steps[0].template: step "a": template "welcome" is for email, not sms',
    'warning steps[1].template: step "b": template "gone" is not in the folder',
    'warning entry.segmentId: segment "vip" is not in the folder',
  ]);
});

test('when a best-channel send is checked, then each listed channel needs a template of its channel, named by its field and line', () => {
  write({
    'templates/welcome.yaml': welcome,
    'journeys/j.yaml': 'name: J\nsteps:\n  - id: a\n    type: send\n    channel: best\n    channels: [email, push, sms]\n    templates:\n      email: welcome\n      push: welcome\n',
  });
  expect(checkFolder(dir).problems.map((p) => `${p.severity} ${p.line} ${p.field}: ${p.message}`)).toEqual([
    'error 8 steps[0].templates.sms: step "a": give a sms template: every listed channel needs one',
  ]);
  write({ 'journeys/j.yaml': 'name: J\nsteps:\n  - id: a\n    type: send\n    channel: best\n    channels: [email, push]\n    templates:\n      email: welcome\n      push: welcome\n' });
  expect(checkFolder(dir).problems.map((p) => `${p.severity} ${p.line} ${p.field}: ${p.message}`)).toEqual([
    'error 9 steps[0].templates.push: step "a": template "welcome" is for email, not push',
  ]);
});

test('when files do not parse, hold no mapping, or clash, then each is named', () => {
  write({
    'templates/a.json': 'channel: sms',
    'templates/b.yaml': 'channel: sms\ncontent: {body: x}\ncontent: {body: y}\n',
    'templates/c.yaml': '- a list\n',
    'templates/Bad Name.yaml': 'channel: sms\ncontent: {body: x}\n',
    'segments/s.yaml': 'name: S\nrule: {attribute: a, op: exists}\n',
    'segments/t.json': '{"id": "s", "name": "S", "rule": {"attribute": "a", "op": "exists"}}',
    'settings.yaml': 'frequencyCap: {rules: []}\n',
  });
  expect(checkFolder(dir).problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
    'settings.yaml: is not a setting: settings are frequencyCaps, quietHours',
    expect.stringMatching(/^templates\/Bad Name\.yaml: the file name gives the ID "Bad Name", which must use letters/),
    expect.stringMatching(/^templates\/a\.json: is not valid JSON/),
    expect.stringMatching(/^templates\/b\.yaml: is not valid YAML: Map keys must be unique/),
    'templates/c.yaml: must hold a mapping (an object) of fields',
    'segments/t.json: segment "s" is defined twice: also in segments/s.yaml',
  ]);
});

test('when the folder holds none of the layout, then it is not a folder of resources', () => {
  write({ 'notes.yaml': 'a: 1\n' });
  expect(() => checkFolder(dir)).toThrow(NotAFolder);
  expect(() => checkFolder(path.join(dir, 'missing'))).toThrow(/is not a folder/);
});

test('when the shipped example folder is checked, then it has no problem, not even a warning', () => {
  const folder = checkFolder(path.join(__dirname, '../../examples/journeys-as-code'));
  expect(folder.problems).toEqual([]);
  expect(folder.resources.map((r) => `${r.kind}:${r.id}`)).toEqual([
    'setting:frequency-caps',
    'setting:quiet-hours',
    'template:cart-last-call',
    'template:cart-reminder',
    'template:vip-offer',
    'segment:vip',
    'journey:abandoned-cart',
  ]);
});
