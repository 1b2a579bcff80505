// Numbers of the cluster benchmark as the console and docs/BENCHMARKS.md show
// them: medians and sums over runs, cores busy, ratios to pg-1 and the CPU of
// other processes.

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
export const sum = (xs) => xs.reduce((a, x) => a + x, 0);
export const fmtCores = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
export const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} x` : '–');
/** Other processes' cores, with the niced part and (on the console) other databases' backends in them. */
export const fmtOther = (c, pgOther = false) => {
  const parts = [
    ...(c.niced >= 0.05 ? [`${fmtCores(c.niced)} niced`] : []),
    ...(pgOther && c.postgresOther >= 0.01 ? [`${fmtCores(c.postgresOther)} postgres of other databases`] : []),
  ];
  return `${fmtCores(c.other)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
};
