// Command-line options of the bench scripts: whole numbers with bounds, plus
// --write and --help for every script. Bad input prints the usage and exits 2.
import { parseArgs } from 'node:util';

/**
 * `ints`: { name: [default, min, max] }; `extra`: more parseArgs options
 * (booleans, strings). Returns the values, the ints as numbers.
 */
export function parseCli(usage, ints, extra = {}) {
  const options = {
    write: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    ...extra,
  };
  for (const [name, [fallback]] of Object.entries(ints)) options[name] = { type: 'string', default: String(fallback) };
  let values;
  try {
    ({ values } = parseArgs({ options }));
  } catch (err) {
    console.error(`${err.message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const out = { ...values };
  for (const [name, [, min, max]] of Object.entries(ints)) {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max) {
      console.error(`--${name}: expected an integer from ${min} to ${max}, got "${values[name]}"`);
      process.exit(2);
    }
    out[name] = n;
  }
  return out;
}
