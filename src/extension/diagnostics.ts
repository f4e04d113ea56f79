// The Problems panel: a run's problems and warnings as VS Code diagnostics, one collection named "unroll".
// Positions are converted in problems.ts (pure, unit-tested); this unit only hands them to VS Code.
import * as vscode from 'vscode';
import type { Problem } from '../protocol/messages';
import { Disposable } from './dispose';
import { problemRange, problemsByFile, problemText } from './problems';

export class Diagnostics extends Disposable {
  private readonly collection = this.own(vscode.languages.createDiagnosticCollection('unroll'));

  /** Replaces every diagnostic with `problems` (relative paths are taken from `workspaceRoot`). */
  set(problems: readonly Problem[], workspaceRoot: string): void {
    this.collection.clear();
    for (const [file, list] of problemsByFile(problems, workspaceRoot)) {
      this.collection.set(
        vscode.Uri.file(file),
        list.map((p) => {
          const r = problemRange(p);
          const range = new vscode.Range(r.startLine, r.startCharacter, r.endLine, r.endCharacter);
          const severity = p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
          const diagnostic = new vscode.Diagnostic(range, problemText(p), severity);
          diagnostic.source = 'unroll';
          return diagnostic;
        }),
      );
    }
  }

  clear(): void {
    this.collection.clear();
  }
}
