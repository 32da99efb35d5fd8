// The browser files the API serves as they are (api/public): found beside the compiled api/
// (the image copies api/public there) or in the checkout the build came from, read once.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from './errors';

const cache = new Map<string, string>();

/** The text of api/public/<name>; a 404 naming the file when the server was installed without it. */
export function publicFile(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    const candidates = [path.join(__dirname, 'public', name), path.join(__dirname, '../../api/public', name)];
    const file = candidates.find((f) => existsSync(f));
    if (!file) throw new AppError(404, 'not_found', `${name} is not installed with this server: copy api/public next to the compiled api/`);
    text = readFileSync(file, 'utf8');
    cache.set(name, text);
  }
  return text;
}
