// Makes `require('vscode')` load ./vscode.ts, so the extension's units run on plain Node. Import the units after
// calling it (dynamic import), and call the returned function to restore Node's resolution.
import Module from 'node:module';
import * as path from 'node:path';

type Resolve = (request: string, ...rest: unknown[]) => string;

export function useFakeVscode(): () => void {
  const loader = Module as unknown as { _resolveFilename: Resolve };
  const original = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === 'vscode' ? path.join(__dirname, 'vscode.ts') : original.call(this, request, ...rest);
  };
  return () => {
    loader._resolveFilename = original;
  };
}
