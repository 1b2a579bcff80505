#!/usr/bin/env node
// Builds the dashboard (web/) into dist/web: one bundled script and one style
// sheet, named by their content's hash, and the page that loads them. Run by
// `npm run build`, so `npm install` builds it too.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'web');

const result = await esbuild.build({
  entryPoints: [path.join(root, 'web', 'src', 'main.tsx')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  write: false,
  outfile: 'app.js',
  logLevel: 'warning',
});
const script = result.outputFiles.find((f) => f.path.endsWith('.js'));
if (script === undefined) throw new Error('esbuild produced no script');
const css = fs.readFileSync(path.join(root, 'web', 'styles.css'));
const hash = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 12);
const names = { script: `app.${hash(script.contents)}.js`, css: `app.${hash(css)}.css` };

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'assets'), { recursive: true });
fs.writeFileSync(path.join(out, 'assets', names.script), script.contents);
fs.writeFileSync(path.join(out, 'assets', names.css), css);
const page = fs
  .readFileSync(path.join(root, 'web', 'index.html'), 'utf8')
  .replace('/assets/app.css', `/assets/${names.css}`)
  .replace('/assets/app.js', `/assets/${names.script}`);
fs.writeFileSync(path.join(out, 'index.html'), page);
