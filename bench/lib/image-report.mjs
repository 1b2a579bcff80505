// The accept bench's image run: its summary line and its docs/BENCHMARKS.md section.
import { fmtMs, fmtRps } from './report.mjs';

export const IMAGE_BEGIN = '<!-- accept-image:begin -->';
export const IMAGE_END = '<!-- accept-image:end -->';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Answers per second that were 2xx: wrk's Requests/sec counts refusals too. */
export const okRps = (x) => (x.requests > 0 ? (x.rps * (x.requests - x.non2xx)) / x.requests : 0);

export function summarizeImage(runs, imageBytes) {
  const ratio = median(runs.map((r) => okRps(r.accept) / okRps(r.bare)));
  const rps = median(runs.map((r) => okRps(r.accept)));
  const p50 = median(runs.map((r) => r.accept.p50));
  const p99 = median(runs.map((r) => r.accept.p99));
  const errors = runs.reduce((n, r) => n + r.accept.non2xx + r.accept.socketErrors, 0);
  const mb = (imageBytes / 1024 / 1024).toFixed(2);
  return {
    ratio,
    rps,
    p50,
    p99,
    errors,
    line: `accept image (${mb} MiB PNG as base64): ${fmtRps(rps)} req/s = ${ratio.toFixed(2)} x bare, p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)}, ${errors} errors`,
  };
}

export function imageSection(runs, summary, m, opts, imageBytes) {
  const rows = runs.map(
    (r, i) =>
      `| ${i + 1} | ${fmtRps(okRps(r.bare))} | ${fmtMs(r.bare.p50)} / ${fmtMs(r.bare.p99)} | ${fmtRps(okRps(r.accept))}` +
      ` | ${(okRps(r.accept) / okRps(r.bare)).toFixed(2)} | ${fmtMs(r.accept.p50)} | ${fmtMs(r.accept.p99)} | ${fmtMs(r.accept.max)} | ${r.accept.non2xx + r.accept.socketErrors} |`,
  );
  return `${IMAGE_BEGIN}
### Latest run: 1 MB base64 image

- Date: ${m.date}; the same machine and run as the text table above
  (\`node bench/accept.mjs --rounds ${opts.rounds} --duration ${opts.duration} --connections ${opts.connections} --image-connections ${opts['image-connections']} --write\`),
  ${opts['image-connections']} connections (uploads of a megabyte each; 64 at once mostly measure the overload guard's 503s)
- Body: \`POST /api/v1/message/image\` with a ${imageBytes.toLocaleString('en-US')}-byte PNG (random pixels) as
  \`data.base64\` (${Math.round((imageBytes * 4) / 3 / 1024).toLocaleString('en-US')} KiB of JSON). The gateway decodes it strictly,
  sniffs the type from the bytes, hashes it and stores it in the same durable commit as the
  message (accept path, \`CONNEXA_DISPATCH=false\`); the bare server reads the same body and answers 200.

| Round | bare 2xx/s | bare p50 / p99 | accept 2xx/s | ratio | p50 | p99 | max | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Summary (medians over rounds): \`${summary.line}\`
${IMAGE_END}`;
}
