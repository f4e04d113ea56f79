// One module per command: src/extension/commands/<name>.ts holds `unroll.<name>`, commands/index.ts registers every
// module, and package.json contributes exactly the commands that are not internal (and names no command without a
// module, in menus or in the walkthrough's command links). Read as source: the modules import vscode, which plain
// Node cannot load.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const COMMANDS_DIR = path.join(ROOT, 'src/extension/commands');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string }[]>;
    walkthroughs: unknown[];
  };
};

interface CommandModule {
  name: string;
  id: string | undefined;
  internal: boolean;
  exportsRun: boolean;
}

function commandModules(): CommandModule[] {
  return readdirSync(COMMANDS_DIR)
    .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
    .map((file) => {
      const source = readFileSync(path.join(COMMANDS_DIR, file), 'utf8');
      const ids = [...source.matchAll(/^export const id = '([^']*)';$/gm)].map((m) => m[1]);
      return {
        name: file.slice(0, -'.ts'.length),
        id: ids.length === 1 ? ids[0] : undefined,
        internal: /^export const internal = true;$/m.test(source),
        exportsRun: /^export (async )?function run\(\s*unroll: Unroll\b/m.test(source),
      };
    });
}

/** The names in `export const COMMANDS … = [a, b, …]` of commands/index.ts, and the modules it imports by name. */
function registry(): { listed: string[]; imported: Map<string, string> } {
  const source = readFileSync(path.join(COMMANDS_DIR, 'index.ts'), 'utf8');
  const list = /^export const COMMANDS\b[^=]*=\s*\[([^\]]*)\]/m.exec(source);
  assert.ok(list, 'commands/index.ts has no `export const COMMANDS = [...]`');
  const listed = list[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const imported = new Map([...source.matchAll(/^import \* as (\w+) from '\.\/(\w+)';$/gm)].map((m) => [m[1], m[2]]));
  return { listed, imported };
}

describe('extension: one module per command', () => {
  const modules = commandModules();

  it('each module holds the command it is named after, with a handler', () => {
    assert.ok(
      modules.length >= 8,
      `expected the commands in ${COMMANDS_DIR}, found ${modules.map((m) => m.name).join(', ')}`,
    );
    for (const m of modules) {
      assert.equal(
        m.id,
        `unroll.${m.name}`,
        `commands/${m.name}.ts should declare exactly one \`export const id = 'unroll.${m.name}';\``,
      );
      assert.ok(m.exportsRun, `commands/${m.name}.ts should export \`function run(unroll: Unroll, ...)\``);
    }
  });

  it('COMMANDS registers every module, once', () => {
    const { listed, imported } = registry();
    assert.deepEqual([...listed].sort(), [...new Set(listed)].sort(), 'a command is listed twice in COMMANDS');
    assert.deepEqual(
      listed.map((name) => imported.get(name) ?? `${name} (not imported)`).sort(),
      modules.map((m) => m.name).sort(),
    );
  });

  it('package.json contributes exactly the commands that are not internal', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    const registered = modules
      .filter((m) => !m.internal)
      .map((m) => m.id)
      .sort();
    assert.deepEqual(contributed, registered);
  });

  it('every command the manifest names (menus, walkthrough links) has a module', () => {
    const ids = new Set(modules.map((m) => m.id));
    const inMenus = Object.values(manifest.contributes.menus).flatMap((entries) => entries.map((e) => e.command));
    const inLinks = [...JSON.stringify(manifest.contributes.walkthroughs).matchAll(/command:(unroll\.\w+)/g)].map(
      (m) => m[1],
    );
    assert.ok(inLinks.length > 0, 'the walkthrough should link to commands');
    for (const id of [...inMenus, ...inLinks])
      assert.ok(ids.has(id), `package.json names ${id}, which no module in src/extension/commands holds`);
  });
});
