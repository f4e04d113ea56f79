// Run in a child process by runCliMeasured (helpers.ts): `unroll <argv>` in the folder given first, then one JSON
// line with the exit code, stderr and memory figures. A fresh process, so its peak RSS is this run's.
import { main } from '../../src/cli/main';

const [cwd, ...argv] = process.argv.slice(2);
const baselineBytes = process.memoryUsage().rss;
let stderr = '';
void main(argv, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, cwd }).then(
  (code) => {
    process.stdout.write(
      `${JSON.stringify({ code, stderr, baselineBytes, peakBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
    );
  },
);
