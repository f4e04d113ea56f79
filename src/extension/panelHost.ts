// The panel's lifetime on the extension's side: at most one UnrollPanel (panel.ts), created on demand or revived after
// a window reload, and whether its webview has loaded. Messages to it go through post() (dropped while no panel is
// open); messages from it are handed on: Ready as onDidLoad (each unit sends what a fresh webview must show), the
// rest as onMessage (panelMessages.ts). Closing the panel ends the session (onDidClose, wired in index.ts).
import * as vscode from 'vscode';
import { FromWebviewType, ToWebviewType, type FromWebview, type PanelView, type ToWebview } from '../protocol/messages';
import { Disposable } from './dispose';
import { UnrollPanel } from './panel';

/** Every message from the webview but Ready, which the host handles. */
export type PanelMessage = Exclude<FromWebview, { type: FromWebviewType.Ready }>;

export class PanelHost extends Disposable {
  private panel: UnrollPanel | undefined;
  /** The webview said Ready: messages posted now are received (before, a view to select waits in pendingView). */
  private ready = false;
  private pendingView: PanelView | undefined;
  private readonly loaded = this.own(new vscode.EventEmitter<void>());
  private readonly messages = this.own(new vscode.EventEmitter<PanelMessage>());
  private readonly closed = this.own(new vscode.EventEmitter<void>());
  /** The webview (re)loaded and starts empty: post what it should show. Listeners run in the order they subscribed. */
  readonly onDidLoad = this.loaded.event;
  /** A valid message from the webview (Ready excepted). */
  readonly onMessage = this.messages.event;
  /** The user closed the panel: the session ends. */
  readonly onDidClose = this.closed.event;

  // The panel itself is not disposed with the extension: VS Code keeps it across a window reload and hands it back
  // to the serializer (revive).
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  get open(): boolean {
    return this.panel !== undefined;
  }

  /** Reveal the panel, creating it when none is open. */
  show(): void {
    if (this.panel) return this.panel.reveal();
    this.attach(UnrollPanel.create(this.extensionUri, this.log));
  }

  /** Show the panel with `view` selected (a new panel selects it once its webview has loaded). */
  showView(view: PanelView): void {
    this.show();
    if (this.ready) this.post({ type: ToWebviewType.ShowView, view });
    else this.pendingView = view;
  }

  /** After a window reload: the panel VS Code kept. */
  revive(webviewPanel: vscode.WebviewPanel): void {
    this.attach(UnrollPanel.revive(webviewPanel, this.extensionUri, this.log));
  }

  post(message: ToWebview): void {
    this.panel?.post(message);
  }

  setTitle(title: string): void {
    this.panel?.setTitle(title);
  }

  private attach(panel: UnrollPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.onMessage((message) => {
      if (message.type !== FromWebviewType.Ready) return this.messages.fire(message);
      this.loaded.fire();
      this.ready = true;
      if (this.pendingView) this.post({ type: ToWebviewType.ShowView, view: this.pendingView });
      this.pendingView = undefined;
    });
    panel.onDidClose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.closed.fire();
    });
  }
}
