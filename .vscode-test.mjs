// For machines that can download VS Code: `npm run build && npx tsx test/harness/package.ts && npx vscode-test`
// runs the same suites (bundled to test/vscode/runner/dist/suite) with @vscode/test-cli + @vscode/test-electron.
// Here, where downloads are blocked, `npm run test:vscode` runs them in code-server instead (test/vscode/README.md).
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  files: 'test/vscode/runner/dist/suite/*.test.js',
  workspaceFolder: './examples',
  mocha: { ui: 'bdd', timeout: 90000 },
});
