// Runs the Python tracer's tests (python/tests, unittest) with a Python that has torch: $UNROLL_PYTHON, else
// /usr/bin/python3 (Debian's, where python3-torch installs), else python3 on PATH. No Python with torch is a failure,
// not a skip: CI installs it (.ci/run), and a developer is told how. `--run <script> [args]` runs a Python script
// with that interpreter instead (npm run bench:trace).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const candidates = [process.env.UNROLL_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
const hasTorch = (python) => {
  if (python.includes('/') && !existsSync(python)) return false;
  return spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
};
const python = candidates.find(hasTorch);
if (!python) {
  console.error(
    `no Python with torch among ${candidates.join(', ')}.\n` +
      'Install it (Debian/Ubuntu: apt-get install python3-torch libopenblas0-pthread python3-venv) ' +
      'or set UNROLL_PYTHON to a python that can `import torch`.',
  );
  process.exit(1);
}
const rest = process.argv.slice(2);
const args =
  rest[0] === '--run'
    ? rest.slice(1)
    : ['-m', 'unittest', 'discover', '-v', '-s', 'python/tests', '-t', 'python/tests', ...rest];
console.error(`${python} ${args.join(' ')}`);
const run = spawnSync(python, args, { stdio: 'inherit', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
process.exit(run.status ?? 1);
