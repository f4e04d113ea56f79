// The walkthrough "backpropagation through time, step by step" (package.json contributes.walkthroughs): every
// button names a command Unroll contributes, with arguments that parse; every media file ships; and the buttons
// that analyze do so on the examples workspace, while a missing example is a message, not an exception.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/protocol/result';
import { EXTENSION_ID, unroll, workspaceRoot } from './helpers';

interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string | Record<string, string>; svg?: string };
  completionEvents?: string[];
}

interface Button {
  step: string;
  label: string;
  command: string;
  args: unknown[];
}

function manifest() {
  return vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
}

/** The command links of a step's description, parsed as VS Code's walkthrough parses them (JSON after decoding). */
function buttons(step: Step): Button[] {
  return [...step.description.matchAll(/\[([^\]]+)\]\(command:([\w.]+)(?:\?([^)]*))?\)/g)].map(
    ([, label, command, query]) => {
      const parsed: unknown = query === undefined ? [] : JSON.parse(decodeURIComponent(query));
      return { step: step.id, label, command, args: Array.isArray(parsed) ? parsed : [parsed] };
    },
  );
}

describe('walkthrough', () => {
  const walkthroughs: { id: string; title: string; steps: Step[] }[] = manifest().contributes.walkthroughs;
  const steps = walkthroughs?.[0]?.steps ?? [];
  const all = steps.flatMap(buttons);

  it('contributes one walkthrough whose six steps follow the argument', () => {
    assert.equal(walkthroughs.length, 1);
    assert.deepEqual(
      steps.map((s) => s.id),
      ['dependencies', 'sum', 'vanishing', 'exploding', 'truncated', 'gates'],
    );
    for (const step of steps) assert.ok(buttons(step).length > 0, `${step.id} has a button`);
  });

  it("every button's command is one Unroll contributes and registers, and each step is marked done by its own button only", async () => {
    await unroll();
    const contributed = new Set((manifest().contributes.commands as { command: string }[]).map((c) => c.command));
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const b of all) {
      assert.ok(
        contributed.has(b.command),
        `${b.step}: "${b.label}" runs ${b.command}, which package.json does not contribute`,
      );
      assert.ok(registered.has(b.command), `${b.step}: ${b.command} is not registered`);
    }
    // A step is done when its own button ran: onCommand for a command only it uses, else the context key that
    // command sets (unroll.shownView = the view, unroll.comparedModels = the file names).
    for (const step of steps) {
      assert.ok((step.completionEvents ?? []).length > 0, `${step.id} has a completion event`);
      for (const event of step.completionEvents ?? []) {
        const command = /^onCommand:(.*)$/.exec(event)?.[1];
        if (command) {
          assert.ok(contributed.has(command), `${step.id}: ${event}`);
          for (const other of all.filter((b) => b.command === command))
            assert.equal(other.step, step.id, `${other.step}'s button would complete ${step.id}`);
        } else
          assert.match(
            event,
            /^onContext:unroll\.(shownView == \w+|comparedModels =~ \/.+\/)$/,
            `${step.id}: ${event}`,
          );
      }
      const own = buttons(step);
      for (const event of step.completionEvents ?? []) {
        const view = /shownView == (\w+)/.exec(event)?.[1];
        if (view)
          assert.ok(
            own.some((b) => b.command === 'unroll.showView' && b.args[0] === view),
            `${step.id}: a button shows ${view}`,
          );
        const files = /comparedModels =~ \/(.+)\/$/.exec(event)?.[1];
        if (files) {
          const pattern = new RegExp(files);
          const names = (b: Button) => (Array.isArray(b.args[0]) ? (b.args[0] as string[]).join(' ') : '');
          assert.ok(
            own.some((b) => b.command === 'unroll.compareModels' && pattern.test(names(b))),
            `${step.id}: its button compares files matching ${files}`,
          );
          for (const other of all.filter((b) => b.step !== step.id && b.command === 'unroll.compareModels'))
            assert.doesNotMatch(names(other), pattern, `${other.step}'s button would complete ${step.id}`);
        }
      }
    }
  });

  it('every media file exists in the extension, and every example a button names is in the examples', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    for (const step of steps) {
      const files = [
        step.media.markdown,
        step.media.svg,
        ...(typeof step.media.image === 'string' ? [step.media.image] : Object.values(step.media.image ?? {})),
      ].filter((f): f is string => !!f);
      assert.ok(files.length > 0, `${step.id} has media`);
      for (const f of files)
        assert.ok(existsSync(join(extension, f)), `${step.id}: ${f} is missing from the extension`);
    }
    const named = all
      .flatMap((b) => b.args.flat())
      .filter((a): a is string => typeof a === 'string' && a.endsWith('.json'));
    assert.ok(named.length >= 6, `the buttons name example files (${named.join(', ')})`);
    for (const name of named)
      assert.ok(existsSync(join(extension, 'examples', name)), `${name} is not a bundled example`);
  });

  const analyzing = all.filter((b) => b.command === 'unroll.analyze' || b.command === 'unroll.showView');
  for (const b of analyzing) {
    it(`${b.step}: "${b.label}" analyzes ${b.args.find((a) => typeof a === 'string' && a.endsWith('.json'))} in the examples workspace`, async () => {
      const api = await unroll();
      const file = b.args.find((a): a is string => typeof a === 'string' && a.endsWith('.json'));
      assert.ok(file, 'the button names a file');
      await vscode.commands.executeCommand(b.command, ...b.args);
      const result: AnalysisResult | undefined = api.lastResult();
      assert.equal(
        result?.meta.modelFile,
        join(workspaceRoot().fsPath, file),
        `the panel shows ${file} (problems: ${JSON.stringify(api.lastProblems())})`,
      );
      assert.ok(api.panelOpen());
    });
  }

  it('a button naming an example the workspace lacks answers with a message, not an exception or a run', async () => {
    const api = await unroll();
    const before = api.resultGeneration();
    assert.equal(await vscode.commands.executeCommand('unroll.analyze', 'no-such-example.rnn.unroll.json'), undefined);
    assert.equal(
      await vscode.commands.executeCommand('unroll.showView', 'decay', 'no-such-example.rnn.unroll.json'),
      undefined,
    );
    assert.equal(await vscode.commands.executeCommand('unroll.showView', 'no-such-view'), undefined);
    assert.equal(await vscode.commands.executeCommand('unroll.analyze', '../outside.csv'), undefined);
    assert.equal(api.resultGeneration(), before, 'nothing was analyzed');
  });
});
