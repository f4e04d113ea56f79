// The webview panel: strict CSP with a nonce, resources only from the extension's dist/ and media/,
// typed messages out, validated messages in.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { parseFromWebview, type FromWebview, type ToWebview } from '../protocol/messages';
import { Disposable } from './dispose';

export const PANEL_VIEW_TYPE = 'unroll.panel';

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export class UnrollPanel extends Disposable {
  private readonly messages = this.own(new vscode.EventEmitter<FromWebview>());
  private readonly closed = this.own(new vscode.EventEmitter<void>());
  /** Every valid message from the webview. */
  readonly onMessage = this.messages.event;
  /** The user closed the panel (or it was disposed). */
  readonly onDidClose = this.closed.event;

  static create(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): UnrollPanel {
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Unroll',
      vscode.ViewColumn.Beside,
      panelOptions(extensionUri),
    );
    return new UnrollPanel(panel, extensionUri, log);
  }

  /** A panel VS Code restored after a reload: its options are not kept, so set them again. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: vscode.LogOutputChannel): UnrollPanel {
    panel.webview.options = panelOptions(extensionUri);
    return new UnrollPanel(panel, extensionUri, log);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    panel.webview.html = panelHtml(panel.webview, extensionUri);
    this.own(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseFromWebview(raw);
        if (message) this.messages.fire(message);
        else log.warn(`ignored an invalid message from the panel: ${JSON.stringify(raw)?.slice(0, 200)}`);
      }),
    );
    this.own(
      panel.onDidDispose(() => {
        this.closed.fire();
        this.dispose();
      }),
    );
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  setTitle(title: string): void {
    this.panel.title = title;
  }

  post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }
}

function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(18).toString('base64');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', name)).toString();
  const csp = [
    `default-src 'none'`,
    `img-src ${webview.cspSource} blob: data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('webview.css')}">
<title>Unroll</title>
</head>
<body>
<script nonce="${nonce}" src="${asset('webview.js')}"></script>
</body>
</html>`;
}
