// Reads a folder of resources and checks each document offline with the API's own rules:
//   settings.yaml           account settings (frequencyCaps, quietHours)
//   templates/*.yaml        one template a file
//   segments/*.yaml         one segment a file
//   journeys/*.yaml         one journey definition a file
// .yml and .json are read too, and subfolders. A resource's ID is its `id` field, else its
// file name without the extension.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { idSchema } from '../core/journey-definition';
import { problemAt, type Problem } from './problems';
import { checkSetting, FILE_KINDS, SETTINGS, type Checked, type FileKind, type Kind } from './resources';
import { readSourceFile, SOURCE_EXTENSIONS, type SourceFile } from './source-file';

export interface LocalResource {
  kind: Kind;
  id: string;
  source: SourceFile;
  /** Where the body stands in its file: [] for a whole file, [key] for a setting. */
  at: PropertyKey[];
  /** What the API takes, as its schema parsed it; null for a setting to remove. */
  body: unknown;
}

export interface Folder {
  dir: string;
  files: number;
  resources: LocalResource[];
  problems: Problem[];
}

export class NotAFolder extends Error {}

export function loadFolder(dir: string): Folder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new NotAFolder(`${dir} is not a folder`);
  const folder: Folder = { dir, files: 0, resources: [], problems: [] };
  const settingsFiles = SOURCE_EXTENSIONS.map((ext) => `settings${ext}`).filter((name) => existsSync(path.join(dir, name)));
  const kindFolders = FILE_KINDS.filter((kind) => existsSync(path.join(dir, kind.folder)));
  if (settingsFiles.length === 0 && kindFolders.length === 0) {
    throw new NotAFolder(`${dir} holds none of settings.yaml, ${FILE_KINDS.map((k) => `${k.folder}/`).join(', ')}`);
  }
  if (settingsFiles.length > 1) folder.problems.push({ severity: 'error', file: settingsFiles[1], message: `only one settings file may exist (also ${settingsFiles[0]})` });
  if (settingsFiles[0]) readSettings(folder, settingsFiles[0]);
  for (const kind of kindFolders) {
    for (const file of sourceFilesUnder(dir, kind.folder)) readResource(folder, kind, file);
  }
  return folder;
}

function sourceFilesUnder(dir: string, sub: string): string[] {
  return readdirSync(path.join(dir, sub), { recursive: true, encoding: 'utf8' })
    .filter((name) => SOURCE_EXTENSIONS.includes(path.extname(name)) && statSync(path.join(dir, sub, name)).isFile())
    .sort()
    .map((name) => path.join(sub, name));
}

/** Reads a file as a mapping; a file that is not one is a problem. */
function readMapping(folder: Folder, file: string): SourceFile | undefined {
  folder.files += 1;
  const source = readSourceFile(folder.dir, file);
  if (!('value' in source)) return void folder.problems.push(source);
  if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) {
    return void folder.problems.push({ severity: 'error', file: source.file, message: 'must hold a mapping (an object) of fields' });
  }
  return source;
}

function readSettings(folder: Folder, file: string): void {
  const source = readMapping(folder, file);
  if (!source) return;
  const value = source.value as Record<string, unknown>;
  const known: readonly string[] = SETTINGS.map((s) => s.key);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) folder.problems.push(problemAt(source, [key], `is not a setting: settings are ${known.join(', ')}`));
  }
  for (const setting of SETTINGS) {
    if (!(setting.key in value)) continue;
    add(folder, { kind: 'setting', id: setting.id, source, at: [setting.key] }, checkSetting(setting, value[setting.key]));
  }
}

function readResource(folder: Folder, kind: FileKind, file: string): void {
  const source = readMapping(folder, file);
  if (!source) return;
  const { id: stated, ...document } = source.value as Record<string, unknown>;
  const id = stated ?? path.basename(file, path.extname(file));
  const idCheck = idSchema.safeParse(id);
  if (!idCheck.success) {
    const message = `${stated === undefined ? `the file name gives the ID "${String(id)}", which` : 'the ID'} ${idCheck.error.issues[0].message}; name the file or set "id"`;
    return void folder.problems.push(problemAt(source, stated === undefined ? [] : ['id'], message));
  }
  const twin = folder.resources.find((r) => r.kind === kind.kind && r.id === id);
  if (twin) return void folder.problems.push(problemAt(source, [], `${kind.kind} "${id}" is defined twice: also in ${twin.source.file}`));
  add(folder, { kind: kind.kind, id: idCheck.data, source, at: [] }, kind.check(document));
}

function add(folder: Folder, resource: Omit<LocalResource, 'body'>, checked: Checked): void {
  const place = (issue: { path: PropertyKey[]; message: string }, severity: Problem['severity']) =>
    problemAt(resource.source, [...resource.at, ...issue.path], issue.message, severity);
  if (checked.issues) return void folder.problems.push(...checked.issues.map((issue) => place(issue, 'error')));
  folder.problems.push(...checked.warnings.map((issue) => place(issue, 'warning')));
  folder.resources.push({ ...resource, body: checked.body });
}
