// What a gateway node logged: its warnings and errors (pino JSON lines, other
// output counted as errors) grouped by level, component, message and error.
import fs from 'node:fs';

const LEVELS = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A node's warnings and errors (pino JSON lines), counted by level, message and error message. */
export function logSummary(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const counts = new Map();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let key;
    let level = 50;
    try {
      const entry = JSON.parse(line);
      level = entry.level ?? 30;
      if (level < 40) continue;
      const err = entry.err === undefined ? '' : `: ${entry.err.message ?? entry.err.type}${entry.err.code !== undefined ? ` (${entry.err.code})` : ''}`;
      key = `${LEVELS[level] ?? level} ${entry.component !== undefined ? `[${entry.component}] ` : ''}${entry.msg}${err}`;
    } catch {
      key = `output ${line.slice(0, 200)}`;
    }
    const c = counts.get(key) ?? { key, level, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()];
}
