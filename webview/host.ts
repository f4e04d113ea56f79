// Who the panel talks to: the extension (through acquireVsCodeApi) or nobody (the standalone HTML report,
// which reads its Results from an embedded JSON block and saves exports as downloads).
import type { AnalysisResult, ExportFormat, FromWebview, WebviewCommandName } from '../src/protocol';
import { FromWebviewType, reviveResult } from '../src/protocol';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Host {
  /** False in the standalone report: no commands, exports become downloads. */
  readonly connected: boolean;
  post(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
  exportFile(format: ExportFormat, view: string, data: string): void;
  command(command: WebviewCommandName): void;
  /** Results embedded in the page (the report); empty inside VS Code. */
  embeddedResults(): AnalysisResult[];
}

const mimeTypes: Record<ExportFormat, string> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  json: 'application/json',
  html: 'text/html',
};

class VsCodeHost implements Host {
  readonly connected = true;
  constructor(private readonly api: VsCodeApi) {}
  post(message: FromWebview): void {
    this.api.postMessage(message);
  }
  getState(): unknown {
    return this.api.getState();
  }
  setState(state: unknown): void {
    this.api.setState(state);
  }
  exportFile(format: ExportFormat, view: string, data: string): void {
    this.post({ type: FromWebviewType.Export, format, view, data });
  }
  command(command: WebviewCommandName): void {
    this.post({ type: FromWebviewType.Command, command });
  }
  embeddedResults(): AnalysisResult[] {
    return [];
  }
}

class StandaloneHost implements Host {
  readonly connected = false;
  post(): void {
    // Nobody listens in a standalone report.
  }
  getState(): unknown {
    return undefined;
  }
  setState(): void {
    // A report is static: settings last as long as the page.
  }
  exportFile(format: ExportFormat, view: string, data: string): void {
    const bytes =
      format === 'png' ? Uint8Array.from(atob(data), (c) => c.charCodeAt(0)) : new TextEncoder().encode(data);
    const url = URL.createObjectURL(new Blob([bytes], { type: mimeTypes[format] }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `unroll-${view}.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  command(): void {
    // Commands are hidden in a report.
  }
  embeddedResults(): AnalysisResult[] {
    const block = document.getElementById('unroll-data');
    if (!block?.textContent) return [];
    const parsed: unknown = JSON.parse(block.textContent);
    return (Array.isArray(parsed) ? parsed : [parsed]).map(reviveResult);
  }
}

export function connectHost(): Host {
  return typeof acquireVsCodeApi === 'function' ? new VsCodeHost(acquireVsCodeApi()) : new StandaloneHost();
}
