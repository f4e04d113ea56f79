// The `unroll.*` settings, read fresh for every run so a change applies without a reload. Their defaults are the
// manifest's (package.json `contributes.configuration`), which VS Code reports; nothing here repeats them.
import * as vscode from 'vscode';
import type { EngineSettings } from '../protocol/messages';
import { isCellKind } from '../protocol/kinds';

export interface UnrollSettings {
  autoRefresh: boolean;
  debounceMs: number;
  engine: EngineSettings;
}

export function readSettings(): UnrollSettings {
  const config = vscode.workspace.getConfiguration('unroll');
  /** The user's value when it passes `valid`, else the manifest's default (a hand-edited "abc" or −1 means the default). */
  const read = <T>(key: string, valid: (x: unknown) => boolean): T => {
    const value = config.get<unknown>(key);
    return (valid(value) ? value : config.inspect<T>(key)?.defaultValue) as T;
  };
  const number = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const positive = (x: unknown) => number(x) && (x as number) > 0;
  return {
    autoRefresh: read<boolean>('autoRefresh', (x) => typeof x === 'boolean'),
    debounceMs: read<number>('debounceMs', (x) => number(x) && (x as number) >= 0),
    engine: {
      maxSteps: Math.floor(read<number>('maxSteps', (x) => number(x) && (x as number) >= 1)),
      flowBudget: read<number>('flowBudget', (x) => number(x) && (x as number) >= 0),
      defaultCell: read('defaultCell', isCellKind),
      maxMemoryMB: read<number>('maxMemoryMB', positive),
      maxWork: read<number>('maxWork', positive),
    },
  };
}
