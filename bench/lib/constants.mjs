// Paths and request constants shared by the accept benchmark's modules.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_MAIN = path.join(ROOT, 'dist', 'main.js');
export const DIST_CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
export const BARE_SERVER = path.join(ROOT, 'bench', 'bare-server.mjs');
export const DOC = path.join(ROOT, 'docs', 'BENCHMARKS.md');
export const SEND_PATH = '/api/v1/message/text';
export const TEXT = 'Hello from Connexa!';
