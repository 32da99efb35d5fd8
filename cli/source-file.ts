// One YAML or JSON file of a folder: its value, and where each field stands in it, so a
// problem found in the value is reported on its line. JSON files are parsed as JSON (a .json
// file in YAML syntax is refused), then as YAML for the positions (JSON is YAML 1.2).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { Problem } from './problems';

export const SOURCE_EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface SourceFile {
  /** Relative to the folder, with forward slashes. */
  file: string;
  value: unknown;
  /** The line and column of the deepest field of the path that the file holds. */
  position(path: readonly PropertyKey[]): { line: number; column: number } | undefined;
}

/** Reads and parses a file (relative to dir, or absolute); one that does not parse is a problem, at its line when known. */
export function readSourceFile(dir: string, relative: string): SourceFile | Problem {
  const file = relative.split(path.sep).join('/');
  let text: string;
  try {
    text = readFileSync(path.resolve(dir, relative), 'utf8');
  } catch (err) {
    return { severity: 'error', file, message: `cannot be read: ${(err as Error).message}` };
  }
  return parseSource(file, text);
}

export function parseSource(file: string, text: string): SourceFile | Problem {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (file.endsWith('.json')) {
    try {
      JSON.parse(text);
    } catch (err) {
      const offset = /position (\d+)/.exec((err as Error).message)?.[1];
      return { severity: 'error', file, ...(offset ? at(Number(offset)) : {}), message: `is not valid JSON: ${(err as Error).message}` };
    }
  }
  const [error] = doc.errors;
  if (error) return { severity: 'error', file, ...at(error.pos[0]), message: `is not valid YAML: ${error.message.split('\n')[0]}` };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { severity: 'error', file, message: `cannot be read: ${(err as Error).message}` };
  }
  return { file, value, position: (fieldPath) => positionOf(doc, fieldPath, at) };
}

function positionOf(doc: Document, fieldPath: readonly PropertyKey[], at: (offset: number) => { line: number; column: number }) {
  let node: unknown = doc.contents;
  for (const key of fieldPath) {
    const next = isMap(node) || isSeq(node) ? node.get(key, true) : undefined;
    if (next === undefined || next === null) break;
    node = next;
  }
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? at(range[0]) : undefined;
}
