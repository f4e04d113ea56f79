// `npm run test:e2e`: package Unroll (the .vsix is what gets installed, not the source folder), start a real
// VS Code workbench (code-server in headless Chromium, test/harness) on a copy of examples/, and do the issue-6
// user flows with mouse and keyboard. Screenshots go to test/e2e/artifacts/; timings are printed, not asserted.
// A run that cannot start VS Code fails; it never skips.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harnessCache, repoRoot } from '../harness/install';
import { packageUnroll } from '../harness/package';
import { startWorkbench, type Workbench } from '../harness/workbench';
import { LONG_TRAIN_MODEL, LONG_TRAIN_TEXT, flows } from './flows';
import { artifactsDir, message, screenshot } from './ui';

async function main(): Promise<{ passed: number; failed: number }> {
  const started = Date.now();
  const only = process.env.UNROLL_E2E_ONLY?.split(',').map(Number); // e.g. UNROLL_E2E_ONLY=1,3 while working on flows
  rmSync(artifactsDir, { recursive: true, force: true });
  mkdirSync(artifactsDir, { recursive: true });

  const packaged = packageUnroll(); // checks that only what runs is inside
  // Install a private copy: another `npm run package` in this checkout must not swap the file under us.
  const vsix = join(harnessCache, `e2e-unroll-${process.pid}.vsix`);
  copyFileSync(packaged.path, vsix);
  console.log(`packaged ${packaged.path}: ${(packaged.bytes / 1024).toFixed(1)} KiB, ${packaged.entries.length} files`);

  // The examples workspace a user gets from "Open Examples", plus one long-running LSTM model file for flow 2.
  const staging = mkdtempSync(join(tmpdir(), 'unroll-e2e-workspace-'));
  cpSync(join(repoRoot, 'examples'), staging, { recursive: true });
  writeFileSync(join(staging, LONG_TRAIN_MODEL), LONG_TRAIN_TEXT);

  let workbench: Workbench;
  const startedWorkbench = Date.now();
  try {
    workbench = await startWorkbench({
      workspaceFrom: staging,
      vsixFiles: [vsix],
      // A person who came for Unroll closes the chat side bar; it would take a third of this 1400-pixel window.
      settings: { 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'chat.disableAIFeatures': true },
    });
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(vsix, { force: true });
  }
  console.log(`workbench up in ${((Date.now() - startedWorkbench) / 1000).toFixed(1)} s`);
  const { page } = workbench;
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  const timings: [string, number][] = [];
  let passed = 0;
  let failed = 0;
  try {
    for (const [i, flow] of flows.entries()) {
      if (only && !only.includes(i + 1)) continue;
      const t0 = Date.now();
      console.log(`\n${flow.name}`);
      try {
        await flow.run({
          page: workbench.page,
          browser: workbench.browser,
          workspace: workbench.workspace,
          timing: (name, ms) => {
            timings.push([name, ms]);
            console.log(`    ⏱ ${name}: ${ms} ms`);
          },
          log: (line) => console.log(`    ${line}`),
        });
        passed++;
        console.log(`  ✓ passed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (error) {
        failed++;
        console.log(`  ✗ FAILED (${((Date.now() - t0) / 1000).toFixed(1)} s): ${message(error)}`);
        const shot = await screenshot(page, `FAILED-flow${i + 1}`).catch(() => undefined);
        if (shot) console.log(`    screenshot: ${shot}`);
        await page.keyboard.press('Escape').catch(() => {});
      }
    }
  } finally {
    workbench.keepLogs(join(artifactsDir, 'logs'));
    await workbench.stop();
  }

  console.log('\ntimings (ms, this machine, one run; reported, not asserted):');
  for (const [name, ms] of timings) console.log(`  ${String(ms).padStart(7)}  ${name}`);
  if (pageErrors.length)
    console.log(`\nworkbench page errors (not failures): ${[...new Set(pageErrors)].slice(0, 5).join(' | ')}`);
  const shots = readdirSync(artifactsDir).filter((f) => f.endsWith('.png'));
  console.log(`\nscreenshots in ${artifactsDir}: ${shots.join(', ')}`);
  console.log(`test:e2e took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { passed, failed };
}

main().then(
  ({ passed, failed }) => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  },
  (error: unknown) => {
    console.error(`the e2e run could not start: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
