// What the checks of a folder find: each problem names its file, the line and column when
// known, and the field in the document, as a compiler does ("file:line:col: error: field: ...").
import path from 'node:path';
import { fieldPath } from '../core/field-path';

export interface Problem {
  severity: 'error' | 'warning';
  /** Relative to the folder. */
  file: string;
  line?: number;
  column?: number;
  /** The field in the document, as the API names fields ("steps[1].template"); absent for the whole file. */
  field?: string;
  message: string;
}

/** Printed with the folder as given, so the path opens from where the command ran (as a compiler's do). */
export function formatProblem(p: Problem, dir = ''): string {
  const at = [path.join(dir, p.file), p.line, p.column].filter((part) => part !== undefined).join(':');
  return `${at}: ${p.severity}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

export const isError = (p: Problem) => p.severity === 'error';

/** A problem at a path in a file, placed on its line and column. */
export function problemAt(
  source: { file: string; position(path: readonly PropertyKey[]): { line: number; column: number } | undefined },
  path: readonly PropertyKey[],
  message: string,
  severity: Problem['severity'] = 'error',
): Problem {
  return { severity, file: source.file, ...source.position(path), ...(path.length > 0 ? { field: fieldPath(path) } : {}), message };
}
