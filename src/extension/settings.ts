// The `unroll.*` settings, read fresh for every run so a change applies without a reload.
import * as vscode from 'vscode';
import type { EngineSettings } from '../protocol/messages';
import { DEFAULT_CELL, isCellKind } from '../protocol/kinds';

export interface UnrollSettings {
  autoRefresh: boolean;
  debounceMs: number;
  engine: EngineSettings;
}

export function readSettings(): UnrollSettings {
  const config = vscode.workspace.getConfiguration('unroll');
  const cell = config.get<string>('defaultCell', DEFAULT_CELL);
  const flowBudget = config.get<number>('flowBudget', 1);
  const maxMemoryMB = config.get<number>('maxMemoryMB', 2048);
  const maxWork = config.get<number>('maxWork', 30);
  return {
    autoRefresh: config.get<boolean>('autoRefresh', true),
    debounceMs: Math.max(0, config.get<number>('debounceMs', 50)),
    engine: {
      maxSteps: Math.max(1, Math.floor(config.get<number>('maxSteps', 512))),
      flowBudget: typeof flowBudget === 'number' && flowBudget >= 0 ? flowBudget : 1, // a hand-edited "abc" or −1 means the default
      defaultCell: isCellKind(cell) ? cell : DEFAULT_CELL,
      // Limits edited by hand into something that is not a positive number mean the default.
      maxMemoryMB: typeof maxMemoryMB === 'number' && maxMemoryMB > 0 ? maxMemoryMB : 2048,
      maxWork: typeof maxWork === 'number' && maxWork > 0 ? maxWork : 30,
    },
  };
}
