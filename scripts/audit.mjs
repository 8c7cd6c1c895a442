#!/usr/bin/env node
// `npm run audit`: fails when a runtime dependency (dev dependencies excluded) has a high or critical
// advisory. When the registry's advisory endpoint cannot be reached (some mirrors answer 405 or 404
// to the bulk-advisory POST), it says so plainly and exits 0, unless NODEWRIGHT_AUDIT_STRICT=1, so an
// offline CI is not failed for the network but never reports "clean" without having checked.
import { spawnSync } from 'node:child_process';

const res = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(res.stdout);
} catch {
  report = undefined;
}

const counts = report?.metadata?.vulnerabilities;
if (counts === undefined) {
  const why = report?.message ?? report?.error?.summary ?? `npm audit exited ${res.status}`;
  console.error(`audit: runtime dependencies NOT checked: the advisory endpoint did not answer (${why})`);
  process.exit(process.env.NODEWRIGHT_AUDIT_STRICT === '1' ? 1 : 0);
}

const bad = (counts.high ?? 0) + (counts.critical ?? 0);
const names = Object.entries(report.vulnerabilities ?? {})
  .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
  .map(([name, v]) => `${name} (${v.severity})`);
console.log(`audit: runtime dependencies: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low`);
if (bad > 0) {
  console.error(`audit: high/critical advisories in runtime dependencies: ${names.join(', ')}`);
  process.exit(1);
}
