// The journey picture: a page at /journeys/{id} that draws a journey's steps as a graph with
// their live numbers, for people with an API key. The page and its files are served without a
// key, like any static file; the script in the page asks for the key and sends it as the API's
// Bearer header on each /v1 call it makes. Nothing the page serves depends on the journey, so
// it says nothing about which journeys exist to someone without a key.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { idParam, text, type Operation } from '../openapi-spec';
import { publicFile } from '../public-files';
import { parse, pathId } from '../validate';

/** The page runs no inline script or style and talks only to this server. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  // The key form is handled by the script; were it ever submitted, the key must go nowhere.
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_TYPES = {
  'journey-picture.js': 'text/javascript',
  'journey-picture.css': 'text/css',
  'dagre.min.js': 'text/javascript',
} as const;
type Asset = keyof typeof ASSET_TYPES;

const assetParams = z.object({
  file: z.enum(Object.keys(ASSET_TYPES) as [Asset, ...Asset[]]).meta({ description: 'One of the files the page loads' }),
});

let dagreSource: string | undefined;

/** The layout library's browser build, from its npm package; its source map is not served. */
function dagre(): string {
  dagreSource ??= readFileSync(path.join(path.dirname(require.resolve('@dagrejs/dagre/package.json')), 'dist/dagre.min.js'), 'utf8').replace(
    /^\/\/# sourceMappingURL=.*$/m,
    '',
  );
  return dagreSource;
}

function secured(res: Response): Response {
  return res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
}

/** Mount at the root, outside API-key auth: serves /journeys/:id and /assets/:file. */
export function journeyPictureRouter(): Router {
  const router = Router();

  router.get('/journeys/:id', (req, res) => {
    pathId(req.params.id, 'id');
    secured(res)
      .set({ 'Content-Security-Policy': PAGE_CSP, 'X-Frame-Options': 'DENY', 'Cache-Control': 'no-cache' })
      .type('html')
      .send(publicFile('journey-picture.html'));
  });

  router.get('/assets/:file', (req, res) => {
    const { file } = parse(assetParams, req.params);
    secured(res)
      .set('Cache-Control', 'public, max-age=300')
      .type(ASSET_TYPES[file])
      .send(file === 'dagre.min.js' ? dagre() : publicFile(file));
  });

  return router;
}

export const journeyPictureOperations: Operation[] = [
  {
    method: 'get',
    path: '/journeys/{id}',
    summary: "The journey picture: a page that draws the journey's steps with their live numbers (README, The journey picture)",
    description:
      'The same page for every journey ID: it asks for an API key, keeps it for the browser session, and reads the journey and its stats through `/v1` with it. An unknown journey is said on the page.',
    auth: 'none',
    params: z.object({ id: idParam('Journey ID') }),
    ok: { 200: text('The page', 'text/html') },
    errors: { 404: 'The page is not installed with this server' },
  },
  {
    method: 'get',
    path: '/assets/{file}',
    summary: "The journey picture's script, style sheet and layout library (dagre)",
    auth: 'none',
    params: assetParams,
    ok: { 200: { description: 'The file', content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } } } },
    errors: { 404: 'The file is not installed with this server' },
  },
];
