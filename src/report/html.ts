// The standalone HTML report: the panel's own bundle and stylesheet inlined with the Results, under a CSP that
// allows exactly those two inline blocks (by hash) and nothing remote. Opens offline from file:// in any browser.
// The CLI's `--out` and the extension's Export Report both call this; it is its own layer (src/report: src/protocol
// and Node only), so the extension reaches it without importing the CLI.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { resultToJson } from '../protocol/json';
import type { AnalysisResult } from '../protocol/result';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text that sits inside a raw-text element must not close it or open an HTML comment. */
function inlineSafe(code: string, tag: 'script' | 'style'): string {
  return code
    .replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1')
    .replace(/<!--/g, '<\\!--')
    .replace(/\n\/\/# sourceMappingURL=.*$/m, '')
    .replace(/\n\/\*# sourceMappingURL=.*\*\/$/m, '');
}

async function readAsset(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file}: the panel's bundle is missing; run \`npm run build\` first.`);
  }
}

/**
 * One self-contained HTML page showing `results` (the first is the main analysis; several are also compared).
 * `assetsDir` holds webview.js and webview.css: beside the calling bundle in dist/ unless told otherwise.
 */
export async function renderReportHtml(
  results: AnalysisResult[],
  title: string,
  assetsDir: string = __dirname,
): Promise<string> {
  if (results.length === 0) throw new Error('A report needs at least one analysis result.');
  const [js, css] = await Promise.all([readAsset(assetsDir, 'webview.js'), readAsset(assetsDir, 'webview.css')]);
  const script = inlineSafe(js, 'script');
  const style = inlineSafe(css, 'style');
  // JSON inside <script type="application/json"> is not executed; escaping every '<' keeps it from closing the block.
  const data = JSON.stringify(results.map(resultToJson)).replace(/</g, '\\u003c');
  const csp = `default-src 'none'; img-src blob: data:; style-src ${sha256(style)}; script-src ${sha256(script)}; base-uri 'none'; form-action 'none'`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="Unroll">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    `<script type="application/json" id="unroll-data">${data}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
