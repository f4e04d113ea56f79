// A real VS Code workbench on this machine: code-server (VS Code 1.139, Node 24 extension host) with the given
// .vsix files installed, opened in headless Chromium so that an extension host starts (test/vscode/README.md).
// test/vscode uses it to run the integration suites; test/e2e drives the same page as a person would.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureCodeServer } from './install';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface WorkbenchOptions {
  /** Folder whose contents are copied into a fresh workspace folder. */
  workspaceFrom: string;
  vsixFiles: string[];
  /** Extra environment for code-server and so its extension host. */
  env?: Record<string, string>;
  /** User settings written before start. */
  settings?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface Workbench {
  url: string;
  workspace: string;
  browser: Browser;
  page: Page;
  /** code-server's own output so far (for failure reports). */
  serverLog(): string;
  /** Copies VS Code's logs (extension host, renderer, Unroll's channel) into `dir`. */
  keepLogs(dir: string): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`code-server exited with ${child.exitCode} before serving:\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer ${url} within ${timeoutMs} ms:\n${output()}`);
}

export async function startWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const log = options.log ?? ((line: string) => console.log(line));
  const install = ensureCodeServer(log);
  const base = mkdtempSync(join(tmpdir(), 'unroll-workbench-'));
  const userData = join(base, 'user-data');
  const extensions = join(base, 'extensions');
  const workspace = join(base, 'workspace');
  cpSync(options.workspaceFrom, workspace, { recursive: true });
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'security.workspace.trust.enabled': false,
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        ...options.settings,
      },
      null,
      2,
    ),
  );
  // An empty config file of our own, so code-server neither reads nor writes ~/.config/code-server.
  const config = join(base, 'config.yaml');
  writeFileSync(config, '');
  const dirs = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  for (const vsix of options.vsixFiles) {
    execFileSync(install.node, [install.entry, ...dirs, '--install-extension', vsix, '--force'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  const port = await freePort();
  const args = [
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    ...dirs,
    workspace,
  ];
  let output = '';
  const server = spawn(install.node, [install.entry, ...args], {
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk) => (output += chunk));
  server.stderr!.on('data', (chunk) => (output += chunk));
  const stopServer = () => {
    if (server.exitCode === null && server.pid) {
      try {
        process.kill(-server.pid, 'SIGTERM'); // its process group: the extension host and the file watcher too
      } catch {
        // already gone
      }
    }
  };
  let browser: Browser | undefined;
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitForHttp(`${url}healthz`, server, 60_000, () => output);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const folderUrl = `${url}?folder=${encodeURIComponent(workspace)}`;
    await page.goto(folderUrl);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    log(`VS Code workbench at ${folderUrl}`);
    const opened = browser;
    return {
      url: folderUrl,
      workspace,
      browser: opened,
      page,
      serverLog: () => output,
      keepLogs: (dir) => {
        rmSync(dir, { recursive: true, force: true });
        cpSync(join(userData, 'logs'), dir, { recursive: true });
      },
      stop: async () => {
        await opened.close().catch(() => {});
        stopServer();
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close().catch(() => {});
    stopServer();
    throw error;
  }
}
